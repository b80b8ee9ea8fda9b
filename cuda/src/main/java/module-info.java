/**
 * The cuda backend: {@code Backends.create("cuda" | "cuda-emu" | "auto")} finds it through the
 * {@link io.din4j.backend.BackendProvider} service when this module is present. Exports
 * {@code io.din4j.backend.cuda} for {@code CudaBackend.device()} and its counters (the CLI's {@code bench}).
 */
module io.din4j.cuda {
    requires transitive io.din4j;
    // din4j-native: Panama bindings to the driver, cuBLAS and the emulator.
    requires io.din4j.ffi;
    // JCuda's driver API (an automatic module).
    requires jcuda;
    requires java.logging;
    // Not required: din4j-kernels, a jar of resources only (the fatbin, the emulator library), read through the
    // class loader. It works from the class path; on the module path add --add-modules io.din4j.kernels (its
    // Automatic-Module-Name) so that it is resolved.

    exports io.din4j.backend.cuda;

    provides io.din4j.backend.BackendProvider with io.din4j.backend.cuda.CudaBackendProvider;
}
