package io.din4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.din4j.ffi.Emulator;
import io.din4j.ffi.Libraries;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import io.din4j.tensor.HostArena;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The emulator's CUDA built-ins: warp collectives, shared memory, barriers and its error reports. */
class EmulatorTest {
    /**
     * A native library inside a jar is extracted, opened, and its copy removed at once, not at an exit that a killed
     * JVM never reaches. The jar here is made from the emulator's own library. Other JVMs may add or remove their own
     * copies meanwhile, so the count of copies in the temporary directory must not grow rather than stay equal.
     */
    @Test
    void aLibraryFromAJarLeavesNoCopyBehind(@TempDir Path dir) throws Exception {
        Path jar = dir.resolve("lib.jar");
        try (InputStream in = EmulatorTest.class.getClassLoader().getResourceAsStream(Emulator.RESOURCE);
                JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            assertTrue(in != null, "the emulator library is on the test class path");
            out.putNextEntry(new JarEntry(Emulator.RESOURCE));
            in.transferTo(out);
        }
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        long before = extractedCopies(tmp);
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            Optional<Libraries.Opened> lib = Libraries.openResource(Emulator.RESOURCE, loader);
            assertTrue(lib.isPresent(), "the library is found in the jar");
            assertTrue(lib.get().has("emuMaxSharedOptIn"), "the opened library resolves its symbols");
            assertEquals(Emulator.RESOURCE, lib.get().name(), "named by its resource, its copy being gone");
        }
        long after = extractedCopies(tmp);
        assertTrue(after <= before, "copies of the library in " + tmp + ": " + before + " before, " + after + " after");
    }

    /**
     * A native library that is a file on the class path (a build's classes directory, or the AddressSanitizer build
     * that {@code device-check.sh asan} puts first) is opened where it lies, with no copy, so that a sanitizer's
     * report can name its source lines.
     */
    @Test
    void aLibraryInADirectoryIsOpenedInPlace(@TempDir Path dir) throws Exception {
        Path file = dir.resolve(Emulator.RESOURCE);
        Files.createDirectories(file.getParent());
        try (InputStream in = EmulatorTest.class.getClassLoader().getResourceAsStream(Emulator.RESOURCE)) {
            assertTrue(in != null, "the emulator library is on the test class path");
            Files.copy(in, file);
        }
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, null)) {
            Optional<Libraries.Opened> lib = Libraries.openResource(Emulator.RESOURCE, loader);
            assertTrue(lib.isPresent(), "the library is found in the directory");
            assertEquals(file.toString(), lib.get().name());
            assertTrue(lib.get().has("emuMaxSharedOptIn"), "the opened library resolves its symbols");
        }
        assertTrue(Libraries.openResource("no/such/library.so", EmulatorTest.class.getClassLoader()).isEmpty());
    }

    private static long extractedCopies(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("din4j-") && n.endsWith("-libdin4j_emu.so"))
                    .count();
        }
    }

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

    /** TF32 as the hardware rounds it (cvt.rna.tf32.f32): to nearest, ties away from zero, 13 low bits cleared. */
    static float tf32(float x) {
        int u = Float.floatToRawIntBits(x);
        return (u & 0x7f800000) == 0x7f800000 ? x : Float.intBitsToFloat((u + 0x1000) & 0xffffe000);
    }

    /**
     * wmma m16n16k8 TF32: __float_to_tf32 at ties, below ties, negatives, subnormals and infinities; the product of
     * converted operands equals the exact product of the rounded values up to FP32 accumulation, and differs from
     * the FP32 product (the rounding is real). On a GPU this checks the emulator's model against the hardware.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("io.din4j.backend.cuda.Dev#names")
    void tensorCoreTf32MatchesTheHardwareRounding(String name) {
        CudaBackend c = Dev.backend(name);
        float one = 1f;
        float tie = 1f + 0x1p-11f;
        float[] xs = {one, tie, Math.nextDown(tie), Math.nextUp(tie), 1f + 3 * 0x1p-11f, -tie, -(1f + 3 * 0x1p-11f),
                3.14159265f, -2.7182817f, 1e-40f, -1e-40f, 0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                65504.7f, 1e-20f};
        java.util.Random rnd = new java.util.Random(42);
        float[] a = new float[16 * 8];
        float[] b = new float[8 * 16];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rnd.nextGaussian();
            b[i] = (float) rnd.nextGaussian();
        }
        try (TensorArena d = c.newArena(); HostArena h = new HostArena()) {
            Tensor da = d.f32(16, 8);
            Tensor db = d.f32(8, 16);
            Tensor dc = d.f32(16, 16);
            Tensor dx = d.f32(xs.length);
            Tensor dr = d.f32(xs.length);
            c.copyFromHost(h.f32(16, 8).copyFrom(a).segment(), da);
            c.copyFromHost(h.f32(8, 16).copyFrom(b).segment(), db);
            c.copyFromHost(h.f32(xs.length).copyFrom(xs).segment(), dx);
            c.device().launch("selftest_wmma_forward", Dim3.of(1), Dim3.of(32), 0,
                    KernelArgs.of().ptr(da).ptr(db).ptr(dc).ptr(dx).ptr(dr).i32(xs.length));
            Tensor r = Dev.down(c, h, dr);
            for (int i = 0; i < xs.length; i++) {
                assertEquals(Float.floatToRawIntBits(tf32(xs[i])), Float.floatToRawIntBits(r.getFloat(i)),
                        "__float_to_tf32(" + xs[i] + ") = " + r.getFloat(i) + ", expected " + tf32(xs[i]));
            }
            assertEquals(1f + 0x1p-10f, tf32(tie), "a tie rounds away from zero");
            assertEquals(1f, tf32(Math.nextDown(tie)), "below a tie rounds down");
            Tensor out = Dev.down(c, h, dc);
            double maxFp32Diff = 0;
            double scaleAll = 0;
            for (int m = 0; m < 16; m++) {
                for (int n = 0; n < 16; n++) {
                    double exact = 0;
                    double fp32 = 0;
                    double scale = 0;
                    for (int k = 0; k < 8; k++) {
                        exact += (double) tf32(a[m * 8 + k]) * tf32(b[k * 16 + n]);
                        fp32 += (double) a[m * 8 + k] * b[k * 16 + n];
                        scale += Math.abs((double) a[m * 8 + k] * b[k * 16 + n]);
                    }
                    double got = out.getFloat(m * 16 + n);
                    // FP32 accumulation of 8 exact products: at most 8 roundings of 2⁻²⁴ of the running |sum|
                    assertTrue(Math.abs(got - exact) <= 8 * 0x1p-24 * scale, "c[" + m + "," + n + "] = " + got
                            + ", TF32 product " + exact);
                    maxFp32Diff = Math.max(maxFp32Diff, Math.abs(got - fp32));
                    scaleAll = Math.max(scaleAll, scale);
                }
            }
            assertTrue(maxFp32Diff > 1e-5 * scaleAll, "TF32 products should differ from FP32's, max diff " + maxFp32Diff);
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
