package io.din4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.din4j.ffi.Cublas;
import io.din4j.tensor.HostArena;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without a working cuBLAS (library missing, a symbol missing, cublasCreate failing) a GPU device falls back to the
 * built-in GEMM with one log line and never fails to open. The library stand-ins are stubs compiled here with g++
 * (skipped without it), so the real binding and its error paths run.
 */
class CublasFallbackTest {
    @TempDir
    Path tmp;

    private static final String SYMBOLS = """
            int cublasDestroy_v2(void* h) { return 0; }
            int cublasSetStream_v2(void* h, void* s) { return 0; }
            int cublasSetMathMode(void* h, int m) { return 0; }
            int cublasSgemm_v2(void) { return 0; }
            const char* cublasGetStatusString(int s) { return s == 1 ? "CUBLAS_STATUS_NOT_INITIALIZED" : "?"; }
            """;

    /** A shared library built from C {@code source}, or a skipped test where no C compiler exists. */
    private Path stub(String name, String source) throws IOException, InterruptedException {
        Path c = tmp.resolve(name + ".c");
        Path so = tmp.resolve(name + ".so");
        Files.writeString(c, source);
        Process p;
        try {
            p = new ProcessBuilder(System.getenv().getOrDefault("CC", "gcc"), "-shared", "-fPIC", "-o", so.toString(),
                    c.toString()).redirectErrorStream(true).start();
        } catch (IOException noCompiler) {
            assumeTrue(false, "no C compiler to build the cuBLAS stand-in: " + noCompiler.getMessage());
            throw noCompiler;
        }
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        return so;
    }

    private static CublasChoice.Choice choose(String library, List<String> log) {
        return CublasChoice.choose(library, Cublas::create, log::add);
    }

    @Test
    void missingLibraryFallsBackWithOneLogLine() {
        List<String> log = new ArrayList<>();
        String missing = tmp.resolve("no-such-libcublas.so.13").toString();
        CublasChoice.Choice c = CublasChoice.choose(missing, lib -> {
            throw new AssertionError("no handle can be created without a library");
        }, log::add);
        assertNull(c.handle());
        assertEquals(1, log.size(), log.toString());
        assertTrue(log.get(0).contains("built-in") && log.get(0).contains(missing), log.get(0));
    }

    @Test
    void failingCublasCreateFallsBackWithOneLogLine() throws Exception {
        Path so = stub("failing", "int cublasCreate_v2(void** h) { return 1; }\n" + SYMBOLS);
        List<String> log = new ArrayList<>();
        CublasChoice.Choice c = choose(so.toString(), log);
        assertNull(c.handle());
        assertEquals(so.toString(), c.library());
        assertEquals(1, log.size(), log.toString());
        assertTrue(log.get(0).contains("cublasCreate_v2") && log.get(0).contains("CUBLAS_STATUS_NOT_INITIALIZED"),
                log.get(0));
    }

    @Test
    void libraryWithoutABoundSymbolFallsBack() throws Exception {
        Path so = stub("partial", "int cublasCreate_v2(void** h) { *h = 0; return 0; }\n");
        List<String> log = new ArrayList<>();
        CublasChoice.Choice c = choose(so.toString(), log);
        assertNull(c.handle());
        assertEquals(1, log.size(), log.toString());
        assertTrue(log.get(0).contains("symbol"), log.get(0));
    }

    @Test
    void workingCublasCreateIsUsedWithoutALogLine() throws Exception {
        // the stand-in's handle is a dummy pointer: enough for the choice, never used for a GEMM
        Path so = stub("working", "int cublasCreate_v2(void** h) { *h = (void*)16; return 0; }\n" + SYMBOLS);
        List<String> log = new ArrayList<>();
        CublasChoice.Choice c = choose(so.toString(), log);
        assertNotNull(c.handle());
        assertTrue(log.isEmpty(), log.toString());
        c.handle().close();
    }

    /** On a GPU: a device opened with cuBLAS pointed at nothing opens, runs GEMMs on the built-in kernel, closes. */
    @Test
    void gpuDeviceOpensWithoutCublas() {
        assumeTrue(CudaSupport.gpuAvailable(), () -> "GPU test skipped: " + CudaSupport.unavailableReason().orElse(""));
        String old = System.getProperty(Cublas.PROPERTY);
        System.setProperty(Cublas.PROPERTY, tmp.resolve("no-such-libcublas.so").toString());
        try (CudaBackend b = new CudaBackend(JCudaDevice.open(0)); TensorArena d = b.newArena();
             HostArena h = new HostArena()) {
            JCudaDevice dev = (JCudaDevice) b.device();
            assertFalse(dev.hasCublas());
            assertTrue(dev.description().contains("built-in GEMM"), dev.description());
            Tensor x = h.f32(3, 2);
            Tensor w = h.f32(4, 2);
            for (int i = 0; i < 6; i++) {
                x.setFloat(i, i + 1);
            }
            for (int i = 0; i < 8; i++) {
                w.setFloat(i, i % 3 - 1);
            }
            Tensor y = d.f32(3, 4);
            b.dense().linear(Dev.up(b, d, x), Dev.up(b, d, w), null, y);
            Tensor out = Dev.down(b, h, y);
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 4; j++) {
                    float ref = x.getFloat(2L * i) * w.getFloat(2L * j) + x.getFloat(2L * i + 1) * w.getFloat(2L * j + 1);
                    assertEquals(ref, out.getFloat(4L * i + j), "y[" + i + ", " + j + "]");
                }
            }
        } finally {
            if (old == null) {
                System.clearProperty(Cublas.PROPERTY);
            } else {
                System.setProperty(Cublas.PROPERTY, old);
            }
        }
    }
}
