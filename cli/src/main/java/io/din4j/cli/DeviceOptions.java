package io.din4j.cli;

import io.din4j.backend.Backend;
import io.din4j.backend.Backends;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/** Where a command computes: {@code --device} and {@code --threads}. */
final class DeviceOptions {
    private static final List<String> DEVICES = List.of("auto", "cpu", "cuda", "reference");

    @Option(names = "--device", defaultValue = "auto", paramLabel = "DEVICE",
            description = "auto (cuda when available, else cpu), cpu, cuda, or reference (slow scalar code, for checking). Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N", description = "CPU threads (0 = one per core, default).")
    int threads;

    Backend create() {
        String d = device.toLowerCase(Locale.ROOT);
        if (!DEVICES.contains(d)) {
            throw new UserError("--device: '" + device + "' is not valid (expected auto, cpu, cuda or reference)");
        }
        if (threads < 0) {
            throw new UserError("--threads: '" + threads + "' is not valid (expected an integer >= 0)");
        }
        try {
            return Backends.create(d, threads);
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            throw new UserError("--device " + device + ": " + e.getMessage(), e);
        }
    }
}
