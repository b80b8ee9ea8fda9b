package io.din4j.backend.reference;

import io.din4j.backend.Backend;
import io.din4j.backend.BackendProvider;
import java.util.List;
import java.util.Optional;

/** Registers the reference backend with {@link io.din4j.backend.Backends} (a {@link java.util.ServiceLoader} provider of the core module). */
public final class ReferenceBackendProvider implements BackendProvider {
    /** For {@link java.util.ServiceLoader}. */
    public ReferenceBackendProvider() {
    }

    @Override
    public List<String> names() {
        return List.of("reference");
    }

    @Override
    public String autoName() {
        return "reference";
    }

    @Override
    public Optional<String> unavailableReason() {
        return Optional.empty();
    }

    @Override
    public Backend create(String name, int threads) {
        if (!name.equals("reference")) {
            throw new IllegalArgumentException("the reference provider has no backend '" + name + "'");
        }
        return new ReferenceBackend();
    }

    @Override
    public String describe(Backend backend) {
        return "(plain Java)";
    }
}
