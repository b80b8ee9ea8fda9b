package io.din4j.backend;

import java.util.List;
import java.util.Optional;

/**
 * A backend that lives in another artifact (the cuda backend, in {@code din4j-cuda}) and is found at run time with
 * {@link java.util.ServiceLoader}, so that {@link Backends} names no implementation outside this artifact and the
 * core runs without the other artifact's dependencies (JCuda) on the class path.
 *
 * <p>An implementation is registered as a service: {@code provides io.din4j.backend.BackendProvider with ...} in
 * its {@code module-info.java} and a {@code META-INF/services/io.din4j.backend.BackendProvider} line for class-path
 * use. It needs a public no-argument constructor and must not load native code before {@link #create} or
 * {@link #unavailableReason} is called.
 */
public interface BackendProvider {
    /** The backend names this provider creates (for the cuda provider: {@code cuda}, {@code cuda-emu}). */
    List<String> names();

    /** The name {@code auto} would take from this provider when {@link #unavailableReason()} is empty. */
    String autoName();

    /**
     * Why {@link #autoName()} cannot run on this machine (no GPU, no driver, no kernels), or empty when it can.
     * {@code auto} prefers a provider's backend over cpu when this is empty.
     */
    Optional<String> unavailableReason();

    /**
     * Creates one of {@link #names()}.
     *
     * @throws IllegalArgumentException when that backend cannot run here, with the reason
     */
    Backend create(String name, int threads);

    /** One phrase saying where {@code backend} runs, for the {@code auto} log line (e.g. the GPU's name). */
    String describe(Backend backend);
}
