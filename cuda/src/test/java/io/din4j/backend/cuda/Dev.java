package io.din4j.backend.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.din4j.backend.SparseGrad;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The cuda backends under test: {@code cuda-emu} (the kernels on the host emulator, always in CI) and {@code cuda}
 * (a real GPU, skipped with the reason when none is present). Tests take a name from {@link #names()} and move
 * host tensors to and from the device with {@link #up}/{@link #down}.
 */
final class Dev {
    private static final Map<String, CudaBackend> OPEN = new HashMap<>();

    private Dev() {
    }

    /**
     * Parameter source for every cuda test: {@code -Ddin4j.test.devices=cuda} (the device check on a GPU machine)
     * narrows it to the real device.
     */
    static Stream<String> names() {
        return Stream.of(System.getProperty("din4j.test.devices", "cuda-emu,cuda").split(",")).map(String::trim);
    }

    /** The named backend (opened once per JVM); skips the test with the reason when it cannot run here. */
    static synchronized CudaBackend backend(String name) {
        if (name.equals("cuda")) {
            assumeTrue(CudaSupport.gpuAvailable(), () -> "GPU test skipped: " + CudaSupport.unavailableReason().orElse(""));
        } else {
            assumeTrue(EmulatedDevice.available(), EmulatedDevice::unavailableReason);
        }
        return OPEN.computeIfAbsent(name, n -> n.equals("cuda") ? CudaBackend.gpu() : CudaBackend.emulated());
    }

    /** A device copy of host tensor {@code h}, allocated from {@code arena} (a cuda arena). */
    static Tensor up(CudaBackend b, TensorArena arena, Tensor h) {
        if (h == null) {
            return null;
        }
        Tensor d = arena.allocate(h.dtype(), h.shape());
        b.copyFromHost(h.segment(), d);
        return d;
    }

    /** A host copy of device tensor {@code d}, allocated from {@code host}. */
    static Tensor down(CudaBackend b, TensorArena host, Tensor d) {
        Tensor h = host.allocate(d.dtype(), d.shape());
        b.copyToHost(d, h.segment());
        return h;
    }

    /** Lengths in [0, T] cycling through T, 1, 0 and random values (history lengths 0 and 1 and full rows). */
    static Tensor lengths(io.din4j.backend.OpFixture f, int b, int t) {
        Tensor len = f.arena.i32(b);
        for (int i = 0; i < b; i++) {
            len.setInt(i, switch (i % 4) {
                case 0 -> t;
                case 1 -> Math.min(1, t);
                case 2 -> 0;
                default -> f.rnd.nextInt(t + 1);
            });
        }
        return len;
    }

    /** The first count() rows and value rows of a sparse gradient, on the host: {rows, values}. */
    static Tensor[] sparse(CudaBackend b, TensorArena host, SparseGrad g) {
        return new Tensor[] {down(b, host, g.rows().rows(0, g.count())), down(b, host, g.values().rows(0, g.count()))};
    }
}
