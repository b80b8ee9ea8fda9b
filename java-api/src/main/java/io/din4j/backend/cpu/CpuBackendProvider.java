package io.din4j.backend.cpu;

import io.din4j.backend.Backend;
import io.din4j.backend.BackendProvider;
import io.din4j.backend.Backends;
import java.util.List;
import java.util.Optional;

/**
 * Registers the cpu backend with {@link Backends} (a {@link java.util.ServiceLoader} provider of the core module).
 * Loading this class links no Vector API class: {@link CpuBackend} is named only inside {@link #create}, which
 * {@link Backends} calls only after it has checked that the Vector API module is readable.
 */
public final class CpuBackendProvider implements BackendProvider {
    /** For {@link java.util.ServiceLoader}. */
    public CpuBackendProvider() {
    }

    @Override
    public List<String> names() {
        return List.of("cpu");
    }

    @Override
    public String autoName() {
        return "cpu";
    }

    @Override
    public Optional<String> unavailableReason() {
        return Backends.vectorApiAvailable() ? Optional.empty()
                : Optional.of("the Vector API (" + Backends.VECTOR_MODULE + ") is not available");
    }

    @Override
    public Backend create(String name, int threads) {
        if (!name.equals("cpu")) {
            throw new IllegalArgumentException("the cpu provider has no backend '" + name + "'");
        }
        return new CpuBackend(threads);
    }

    @Override
    public String describe(Backend backend) {
        return "(" + backend.threads() + " threads)";
    }
}
