package io.din4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import io.din4j.tensor.HostArena;
import org.junit.jupiter.api.Test;

/** The emulator's CUDA built-ins: warp collectives, shared memory, barriers and its error reports. */
class EmulatorTest {
    @Test
    void warpCollectivesFollowCudaSemantics() {
        CudaBackend c = Dev.backend("cuda-emu");
        int threads = 64;
        try (TensorArena d = c.newArena(); HostArena h = new HostArena()) {
            Tensor out = d.i32(2L * threads * 6);
            c.device().launch("selftest_warp_forward", Dim3.of(2), Dim3.of(threads), 0, KernelArgs.of().ptr(out));
            Tensor o = Dev.down(c, h, out);
            for (int t = 0; t < 2 * threads; t++) {
                int lane = t % 32;
                String at = "thread " + t + ": ";
                assertEquals(lane ^ 1, o.getInt(6L * t), at + "shfl_xor");
                assertEquals(lane == 31 ? 31 : lane + 1, o.getInt(6L * t + 1), at + "shfl_down");
                assertEquals(0xAAAAAAAA, o.getInt(6L * t + 2), at + "ballot");
                assertEquals(1, o.getInt(6L * t + 3), at + "all");
                assertEquals(1, o.getInt(6L * t + 4), at + "any");
                assertEquals(31 * 32 / 2, o.getInt(6L * t + 5), at + "warp sum");
            }
        }
    }

    @Test
    void dynamicSharedMemoryStartsAsNaN() {
        CudaBackend c = Dev.backend("cuda-emu");
        try (TensorArena d = c.newArena(); HostArena h = new HostArena()) {
            Tensor out = d.f32(3 * 96);
            Tensor sums = d.f32(3);
            c.device().launch("selftest_shared_forward", Dim3.of(3), Dim3.of(96), 96 * 4, KernelArgs.of().ptr(out).ptr(sums));
            Tensor o = Dev.down(c, h, out);
            for (int i = 0; i < o.size(); i++) {
                assertTrue(Float.isNaN(o.getFloat(i)), "shared word " + i + " read before a write should be NaN");
            }
            Tensor s = Dev.down(c, h, sums);
            for (int b = 0; b < 3; b++) {
                assertEquals(95 * 96 / 2f, s.getFloat(b), "block sum of block " + b);
            }
        }
    }

    @Test
    void deadlocksOutOfMemoryAndUnknownKernelsAreReported() {
        CudaBackend c = Dev.backend("cuda-emu");
        try (TensorArena d = c.newArena()) {
            Tensor out = d.i32(64);
            CudaException e = assertThrows(CudaException.class, () -> c.device().launch(
                    "selftest_divergent_barrier_forward", Dim3.of(1), Dim3.of(64), 0, KernelArgs.of().ptr(out)));
            assertTrue(e.getMessage().contains("deadlock") && e.getMessage().contains("32 have exited"), e.getMessage());
            CudaException oom = assertThrows(CudaException.class, () -> d.f32(1L << 48));
            assertTrue(oom.getMessage().contains("out of memory") && oom.getMessage().contains(String.valueOf(4L << 48)),
                    oom.getMessage());
            CudaException unknown = assertThrows(CudaException.class,
                    () -> c.device().launch("no_such_kernel", Dim3.of(1), Dim3.of(32), 0, KernelArgs.of()));
            assertTrue(unknown.getMessage().contains("no_such_kernel"), unknown.getMessage());
        }
    }
}
