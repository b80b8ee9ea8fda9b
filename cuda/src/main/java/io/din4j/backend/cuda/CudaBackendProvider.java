package io.din4j.backend.cuda;

import io.din4j.backend.Backend;
import io.din4j.backend.BackendProvider;
import java.util.List;
import java.util.Optional;

/**
 * Registers the cuda backend with {@link io.din4j.backend.Backends}: {@code cuda} on a GPU, {@code cuda-emu} on the
 * host kernel emulator. Found by {@link java.util.ServiceLoader} when this artifact is on the class or module path.
 */
public final class CudaBackendProvider implements BackendProvider {
    /** For {@link java.util.ServiceLoader}; loads no native code. */
    public CudaBackendProvider() {
    }

    @Override
    public List<String> names() {
        return List.of("cuda", "cuda-emu");
    }

    @Override
    public String autoName() {
        return "cuda";
    }

    @Override
    public Optional<String> unavailableReason() {
        return CudaSupport.unavailableReason();
    }

    @Override
    public Backend create(String name, int threads) {
        return switch (name) {
            case "cuda" -> {
                String why = CudaSupport.unavailableReason().orElse(null);
                if (why != null) {
                    throw new IllegalArgumentException("backend cuda: unavailable: " + why);
                }
                yield CudaBackend.gpu();
            }
            case "cuda-emu" -> CudaBackend.emulated();
            default -> throw new IllegalArgumentException("the cuda provider has no backend '" + name + "'");
        };
    }

    @Override
    public String describe(Backend backend) {
        return backend instanceof CudaBackend c ? "on " + c.device().description() : backend.name();
    }
}
