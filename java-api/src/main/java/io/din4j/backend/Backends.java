package io.din4j.backend;

import java.util.Locale;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * Creates backends by name: {@code auto}, {@code cpu}, {@code cuda}, {@code cuda-emu} (tests) and {@code reference}.
 *
 * <p>The cpu backend's kernels are written with the incubating Vector API, which a JVM only has when started with
 * {@code --add-modules jdk.incubator.vector}. Without it, {@code cpu} and {@code auto} give the plain-Java
 * reference backend (same results within float rounding, much slower) and say so in one log line, instead of
 * failing with {@code NoClassDefFoundError} inside the first kernel class. The check runs before any class of
 * {@code backend.cpu} is touched, so a JVM without the module never links one.
 *
 * <p>Every backend is found with {@link ServiceLoader} as a {@link BackendProvider}, so this package imports none
 * of its implementations: cpu and reference are providers of the core itself, {@code cuda} and {@code cuda-emu} of
 * the {@code din4j-cuda} artifact, which the core therefore does not need (nor JCuda, nor the kernels). Without that
 * artifact, {@code cuda} fails naming the missing artifact and {@code auto} chooses cpu and says why.
 */
public final class Backends {
    private static final Logger LOG = Logger.getLogger(Backends.class.getName());
    /** The module the cpu kernels need. */
    public static final String VECTOR_MODULE = "jdk.incubator.vector";
    private static final String REMEDY = "add --add-modules " + VECTOR_MODULE + " to the JVM flags for the fast cpu backend";
    private static final AtomicBoolean WARNED = new AtomicBoolean();
    private static final String NO_CUDA_ARTIFACT = "the din4j-cuda artifact (io.din4j:din4j-cuda) is not on the class or module path";

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
            case "cpu" -> {
                if (vectorApiAvailable()) {
                    yield builtIn("cpu").create("cpu", n);
                }
                if (!WARNED.getAndSet(true)) {
                    LOG.warning("backend cpu: the Vector API (" + VECTOR_MODULE + ") is not available, so din4j runs its "
                            + "plain-Java reference backend (slow); " + REMEDY);
                }
                yield builtIn("reference").create("reference", n);
            }
            case "reference" -> builtIn("reference").create("reference", n);
            case "auto" -> {
                BackendProvider gpu = provider("cuda").orElse(null);
                String why = gpu == null ? NO_CUDA_ARTIFACT : gpu.unavailableReason().orElse(null);
                if (why == null) {
                    Backend b = gpu.create(gpu.autoName(), n);
                    LOG.info("backend auto: chose " + b.name() + " " + gpu.describe(b) + " (GPU, driver and kernels present)");
                    yield b;
                }
                if (!vectorApiAvailable()) {
                    LOG.warning("backend auto: chose reference (plain Java, slow) because cuda is unavailable: " + why
                            + "; and the Vector API (" + VECTOR_MODULE + ") is not available: " + REMEDY);
                    yield builtIn("reference").create("reference", n);
                }
                LOG.info("backend auto: chose cpu (" + n + " threads) because cuda is unavailable: " + why);
                yield builtIn("cpu").create("cpu", n);
            }
            default -> {
                String lower = name.toLowerCase(Locale.ROOT);
                BackendProvider p = provider(lower).orElse(null);
                if (p != null) {
                    yield p.create(lower, n);
                }
                if (lower.equals("cuda") || lower.equals("cuda-emu")) {
                    throw new IllegalArgumentException("backend " + lower + ": unavailable: " + NO_CUDA_ARTIFACT);
                }
                throw new IllegalArgumentException("unknown backend '" + name + "' (expected auto, cpu, cuda, cuda-emu or reference)");
            }
        };
    }

    /** The core's own provider of {@code name}; missing only when a repackaging dropped the core's service file. */
    private static BackendProvider builtIn(String name) {
        return provider(name).orElseThrow(() -> new IllegalStateException("no provider of the " + name + " backend: "
                + "META-INF/services/" + BackendProvider.class.getName() + " of din4j-api is missing (a shaded jar "
                + "must merge service files)"));
    }

    /** The provider of backend {@code name} on the class or module path, if any. */
    private static Optional<BackendProvider> provider(String name) {
        // The context loader first (how a container such as Spark exposes the jars it was given), then our own.
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        for (ClassLoader loader : new ClassLoader[] {context, Backends.class.getClassLoader()}) {
            if (loader == null) {
                continue;
            }
            for (BackendProvider p : ServiceLoader.load(BackendProvider.class, loader)) {
                if (p.names().contains(name)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    /** Whether this JVM can run the cpu backend: {@value #VECTOR_MODULE} is in the boot layer and readable. */
    public static boolean vectorApiAvailable() {
        return ModuleLayer.boot().findModule(VECTOR_MODULE).map(Backends.class.getModule()::canRead).orElse(false);
    }
}
