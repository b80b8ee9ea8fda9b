package io.din4j.cli;

import io.din4j.backend.Backend;
import io.din4j.backend.Backends;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** Where a command computes: {@code --device} and {@code --threads}. */
final class DeviceOptions {
    private static final List<String> DEVICES = List.of("auto", "cpu", "cuda", "cuda-emu", "reference");

    @Option(names = "--device", defaultValue = "auto", paramLabel = "DEVICE",
            description = "auto (cuda when available, else cpu), cpu, cuda, cuda-emu (the cuda backend on its host emulator: slow, for checks), or reference (slow scalar code, for checking). Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N", description = "CPU threads (0 = one per core, default).")
    int threads;

    /** The command this mixin is part of, so that a bad value is a usage error (exit 2) like any other flag's. */
    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec spec;

    Backend create() {
        String d = device.toLowerCase(Locale.ROOT);
        if (!DEVICES.contains(d)) {
            throw Flags.bad(spec, "--device", device, "auto, cpu, cuda, cuda-emu or reference");
        }
        if (threads < 0) {
            throw Flags.bad(spec, "--threads", threads, "an integer >= 0");
        }
        try {
            return Backends.create(d, threads);
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            throw new UserError("--device " + device + ": " + e.getMessage(), e);
        }
    }
}
