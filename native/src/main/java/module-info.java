/**
 * Panama (java.lang.foreign) bindings to the CUDA driver, cuBLAS and din4j's kernel emulator, used only by the
 * {@code io.din4j.cuda} module. Downcalls need {@code --enable-native-access=io.din4j.ffi} on the module path
 * ({@code ALL-UNNAMED} on the class path).
 */
module io.din4j.ffi {
    exports io.din4j.ffi;
}
