package io.din4j.backend;

import io.din4j.backend.cpu.CpuBackend;
import io.din4j.backend.cuda.CudaBackend;
import io.din4j.backend.cuda.CudaSupport;
import io.din4j.backend.reference.ReferenceBackend;
import java.util.Locale;
import java.util.logging.Logger;

/** Creates backends by name: {@code auto}, {@code cpu}, {@code cuda}, {@code cuda-emu} (tests) and {@code reference}. */
public final class Backends {
    private static final Logger LOG = Logger.getLogger(Backends.class.getName());

    private Backends() {
    }

    /**
     * Creates the named backend.
     *
     * @param name    {@code auto | cpu | cuda | cuda-emu | reference}; {@code auto} picks cuda when a GPU, its
     *                driver and the kernels are present, else cpu, and logs one line saying which and why;
     *                {@code cuda-emu} runs the cuda backend's kernels on the host emulator (slow; for tests)
     * @param threads threads for the cpu backend, or 0 for one per available processor
     */
    public static Backend create(String name, int threads) {
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "cpu" -> new CpuBackend(n);
            case "reference" -> new ReferenceBackend();
            case "cuda" -> {
                String why = CudaSupport.unavailableReason().orElse(null);
                if (why != null) {
                    throw new IllegalArgumentException("backend cuda: unavailable: " + why);
                }
                yield CudaBackend.gpu();
            }
            case "cuda-emu" -> CudaBackend.emulated();
            case "auto" -> {
                String why = CudaSupport.unavailableReason().orElse(null);
                if (why == null) {
                    CudaBackend b = CudaBackend.gpu();
                    LOG.info("backend auto: chose cuda on " + b.device().description() + " (GPU, driver and kernels present)");
                    yield b;
                }
                LOG.info("backend auto: chose cpu (" + n + " threads) because cuda is unavailable: " + why);
                yield new CpuBackend(n);
            }
            default -> throw new IllegalArgumentException("unknown backend '" + name + "' (expected auto, cpu, cuda, cuda-emu or reference)");
        };
    }
}
