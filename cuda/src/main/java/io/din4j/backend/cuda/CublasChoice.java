package io.din4j.backend.cuda;

import io.din4j.ffi.Cublas;
import io.din4j.ffi.NativeError;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Chooses a GPU device's GEMM engine: cuBLAS when its library opens and a handle can be created (and configured) on
 * the current context, else the built-in tiled kernel ({@link Gemms}), saying why in one log line. Never throws:
 * a machine with a driver but no cuBLAS (or a broken one) still gets a working device.
 */
final class CublasChoice {
    /** The handle (null: the built-in GEMM), the library it came from and, without a handle, why. */
    record Choice(Cublas.Handle handle, String library, String reason) {
    }

    private CublasChoice() {
    }

    /**
     * @param explicit the configured library ({@link Cublas#configured()}), null to search the usual names
     * @param create   creates and configures a handle on the current context (throws on failure)
     * @param log      receives the one line when falling back
     */
    static Choice choose(String explicit, Function<Cublas, Cublas.Handle> create, Consumer<String> log) {
        Cublas lib;
        try {
            lib = Cublas.open(explicit);
        } catch (NativeError | IllegalArgumentException e) {
            return fallBack(null, e.getMessage(), log);
        }
        try {
            return new Choice(create.apply(lib), lib.library(), null);
        } catch (RuntimeException e) {
            return fallBack(lib.library(), e.getMessage(), log);
        }
    }

    private static Choice fallBack(String library, String why, Consumer<String> log) {
        log.accept("cuda: GEMMs run on the built-in tiled kernel, not cuBLAS: " + why);
        return new Choice(null, library, why);
    }
}
