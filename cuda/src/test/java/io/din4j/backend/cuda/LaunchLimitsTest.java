package io.din4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.din4j.tensor.HostArena;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Launch limits of sm_80 and later, which the emulator enforces as a GPU does (gridDim.y/z ≤ 65535, gridDim.x ≤
 * 2^31 − 1, blocks ≤ (1024, 1024, 64) and 1024 threads, dynamic shared memory above 48 KiB only after the opt-in,
 * at most the opt-in maximum), static shared memory poisoned per block, and the built-in GEMM at shapes whose tile
 * counts pass 65535 (the attention layers' M = B·T is millions of rows).
 */
class LaunchLimitsTest {
    static java.util.stream.Stream<String> devices() {
        return Dev.names();
    }

    private static CudaException rejected(CudaBackend c, String kernel, Dim3 grid, Dim3 block, int shared, KernelArgs args) {
        CudaException e = assertThrows(CudaException.class, () -> {
            c.device().launch(kernel, grid, block, shared, args);
            c.device().synchronize();
        }, () -> "launch of " + kernel + " grid " + grid + " block " + block + " shared " + shared + " should fail");
        assertTrue(e.getMessage().contains(kernel), e.getMessage());
        return e;
    }

    @ParameterizedTest
    @MethodSource("devices")
    void gridAndBlockLimitsAreEnforced(String name) {
        CudaBackend c = Dev.backend(name);
        try (TensorArena d = c.newArena(); HostArena h = new HostArena()) {
            Tensor out = d.i32(6L * 1024 * 2);
            KernelArgs args = KernelArgs.of().ptr(out);
            String k = "selftest_warp_forward";
            // at the limits: accepted (one-thread blocks keep the emulator fast; the kernel's lanes tolerate it)
            c.device().launch(k, new Dim3(1, 65535, 1), Dim3.of(1), 0, args);
            c.device().launch(k, new Dim3(1, 1, 65535), Dim3.of(1), 0, args);
            c.device().launch(k, Dim3.of(2), Dim3.of(1024), 0, args);
            c.device().launch(k, Dim3.of(1), new Dim3(1, 1, 64), 0, args);
            c.device().launch(k, Dim3.of(1), new Dim3(1, 1024, 1), 0, args);
            c.device().synchronize();
            assertEquals(31 * 32 / 2, Dev.down(c, h, out).getInt(6L * 1024 + 5), "warp sum after the 1024-thread launch");
            // one past each limit: rejected before anything runs
            boolean emu = c.device().emulated();
            String[][] cases = {
                    {"(1,65536,1)", "(1,1,1)", "gridDim.y"},
                    {"(1,1,65536)", "(1,1,1)", "gridDim.z"},
                    {"(1,1,1)", "(1025,1,1)", "blockDim"},
                    {"(1,1,1)", "(1,1025,1)", "blockDim"},
                    {"(1,1,1)", "(1,1,65)", "blockDim"},
                    {"(1,1,1)", "(32,32,2)", "1024 threads"},
            };
            for (String[] cs : cases) {
                CudaException e = rejected(c, k, dim(cs[0]), dim(cs[1]), 0, args);
                if (emu) {
                    assertTrue(e.getMessage().contains("invalid launch configuration") && e.getMessage().contains(cs[2]),
                            e.getMessage());
                }
            }
        }
    }

    private static Dim3 dim(String s) {
        String[] p = s.substring(1, s.length() - 1).split(",");
        return new Dim3(Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2]));
    }

    @ParameterizedTest
    @MethodSource("devices")
    void dynamicSharedMemoryAbove48KiBNeedsTheOptIn(String name) {
        CudaBackend c = Dev.backend(name);
        Device dev = c.device();
        String k = "selftest_optin_shared_forward";
        int words = 16 * 1024;  // 64 KiB
        try (TensorArena d = c.newArena(); HostArena h = new HostArena()) {
            Tensor out = d.f32(1);
            KernelArgs args = KernelArgs.of().ptr(out).i32(words);
            dev.launch(k, Dim3.of(1), Dim3.of(32), Device.DEFAULT_SHARED_BYTES, KernelArgs.of().ptr(out)
                    .i32(Device.DEFAULT_SHARED_BYTES / 4));
            CudaException e = rejected(c, k, Dim3.of(1), Dim3.of(32), 4 * words, args);
            if (dev.emulated()) {
                assertTrue(e.getMessage().contains("opt-in"), e.getMessage());
            }
            dev.setMaxDynamicSharedBytes(k, 4 * words);
            dev.launch(k, Dim3.of(1), Dim3.of(32), 4 * words, args);
            dev.synchronize();
            assertEquals(7f, Dev.down(c, h, out).getFloat(0), "the last word of 64 KiB of shared memory");
            rejected(c, k, Dim3.of(1), Dim3.of(32), 4 * words + 4, KernelArgs.of().ptr(out).i32(words + 1));
            assertTrue(dev.maxSharedBytes() >= 160 * 1024, "sm_80+ opt-in maximum, got " + dev.maxSharedBytes());
            CudaException over = assertThrows(CudaException.class,
                    () -> dev.setMaxDynamicSharedBytes(k, dev.maxSharedBytes() + 1));
            assertTrue(over.getMessage().contains(k), over.getMessage());
        }
    }

    @Test
    void staticSharedMemoryIsPoisonedForEveryBlock() {
        CudaBackend c = Dev.backend("cuda-emu");
        int blocks = 8;  // more blocks than the emulator's OS threads here: each thread reuses its static copy
        try (TensorArena d = c.newArena(); HostArena h = new HostArena()) {
            Tensor out = d.f32(blocks * 64L);
            c.device().launch("selftest_static_shared_forward", Dim3.of(blocks), Dim3.of(64), 0, KernelArgs.of().ptr(out));
            Tensor o = Dev.down(c, h, out);
            for (int i = 0; i < o.size(); i++) {
                assertTrue(Float.isNaN(o.getFloat(i)), "static shared word " + (i % 64) + " of block " + (i / 64)
                        + " read before a write should be NaN, got " + o.getFloat(i));
            }
        }
    }

    /**
     * The built-in GEMM (the emulator's, and the GPU's without cuBLAS) where the row tiles pass gridDim.y's 65535
     * (M = 65535·16 + 33, through the host's grid choice in {@link Gemms#tiled}), and launched directly on grids
     * smaller than its tile counts, so that both tile loops (over grid x and grid y, as for N past 65535 column
     * tiles) run; against a double-precision product on the host. K is small so that the emulator stays fast.
     */
    @ParameterizedTest
    @MethodSource("devices")
    void builtInGemmCoversShapesPastTheGridLimits(String name) {
        CudaBackend c = Dev.backend(name);
        SplittableRandom r = new SplittableRandom(12);
        gemm(c, r, 65535 * 16 + 33, 1, 3, false, false, null);
        gemm(c, r, 37, 100, 21, false, false, new Dim3(2, 3, 1));
        gemm(c, r, 37, 100, 21, true, true, new Dim3(1, 2, 1));
        gemm(c, r, 50, 33, 17, true, false, new Dim3(3, 1, 1));
    }

    /** C = op(A)·op(B) for random A, B; {@code grid} null: through {@link Gemms#tiled}, else launched on it. */
    private static void gemm(CudaBackend c, SplittableRandom r, int m, int n, int k, boolean ta, boolean tb, Dim3 grid) {
        try (TensorArena d = c.newArena(); HostArena h = new HostArena()) {
            Tensor a = h.f32((long) m * k);
            Tensor b = h.f32((long) k * n);
            for (long i = 0; i < a.size(); i++) {
                a.setFloat(i, (float) (r.nextDouble() * 2 - 1));
            }
            for (long i = 0; i < b.size(); i++) {
                b.setFloat(i, (float) (r.nextDouble() * 2 - 1));
            }
            Tensor da = Dev.up(c, d, a);
            Tensor db = Dev.up(c, d, b);
            Tensor dc = d.f32((long) m * n);
            int lda = ta ? m : k;
            int ldb = tb ? k : n;
            if (grid == null) {
                Gemms.tiled(c.device(), ta, tb, m, n, k, 1f, da.deviceAddress(), lda, db.deviceAddress(), ldb, 0f,
                        dc.deviceAddress(), n);
            } else {
                c.device().launch("gemm_forward", grid, Dim3.of(16, 16), 0, KernelArgs.of().i32(ta ? 1 : 0)
                        .i32(tb ? 1 : 0).i32(m).i32(n).i32(k).f32(1f).ptr(da).i32(lda).ptr(db).i32(ldb).f32(0f).ptr(dc).i32(n));
            }
            Tensor out = Dev.down(c, h, dc);
            String shape = "M=" + m + " N=" + n + " K=" + k + " transA=" + ta + " transB=" + tb + " grid " + grid;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double ref = 0;
                    for (int p = 0; p < k; p++) {
                        double av = ta ? a.getFloat((long) p * m + i) : a.getFloat((long) i * k + p);
                        double bv = tb ? b.getFloat((long) j * k + p) : b.getFloat((long) p * n + j);
                        ref += av * bv;
                    }
                    float got = out.getFloat((long) i * n + j);
                    // k ≤ 21 products of |x| ≤ 1 summed in f32: error ≤ k·2^-24·Σ|a·b| < 2e-5
                    if (Math.abs(got - ref) > 2e-5) {
                        throw new AssertionError(shape + ": C[" + i + ", " + j + "] = " + got + ", expected " + ref);
                    }
                }
            }
        }
    }
}
