package io.din4j.backend;

import io.din4j.backend.cpu.CpuBackend;
import io.din4j.backend.reference.ReferenceBackend;
import java.util.Locale;
import java.util.logging.Logger;

/** Creates backends by name: {@code auto}, {@code cpu}, {@code reference} (and {@code cuda} once available). */
public final class Backends {
    private static final Logger LOG = Logger.getLogger(Backends.class.getName());

    private Backends() {
    }

    /**
     * Creates the named backend.
     *
     * @param name    {@code auto | cpu | reference | cuda}
     * @param threads threads for the cpu backend, or 0 for one per available processor
     */
    public static Backend create(String name, int threads) {
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "cpu" -> new CpuBackend(n);
            case "reference" -> new ReferenceBackend();
            case "auto" -> {
                LOG.info("backend auto: chose cpu (" + n + " threads); the cuda backend is not available in this build");
                yield new CpuBackend(n);
            }
            case "cuda" -> throw new IllegalArgumentException("backend cuda: not available in this build (no CUDA backend yet)");
            default -> throw new IllegalArgumentException("unknown backend '" + name + "' (expected auto, cpu, cuda or reference)");
        };
    }
}
