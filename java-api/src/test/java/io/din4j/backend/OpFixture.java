package io.din4j.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.din4j.tensor.DType;
import io.din4j.tensor.HostArena;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import java.util.Random;
import org.junit.jupiter.api.function.Executable;

/** Test helpers shared by the op tests: random tensors, tolerant comparison, a test-only {@link SparseGrad}. */
public final class OpFixture implements AutoCloseable {
    /** Sizes around every lane count (1, 16) and the GEMM's panel (64) and K block (128). */
    public static final int[] SIZES = {1, 3, 15, 16, 17, 31, 33, 64, 100, 128, 257};

    public final TensorArena arena = new HostArena();
    public final Random rnd;

    public OpFixture(long seed) {
        rnd = new Random(seed);
    }

    /** A tensor of {@code type} with elements uniform in {@code [-scale, scale)}. */
    public Tensor random(DType type, double scale, long... shape) {
        Tensor t = arena.allocate(type, shape);
        for (long i = 0; i < t.size(); i++) {
            t.set(i, (rnd.nextDouble() * 2 - 1) * scale);
        }
        return t;
    }

    public Tensor random(double scale, long... shape) {
        return random(DType.F32, scale, shape);
    }

    /** A copy of {@code t} in {@code type}. */
    public Tensor copy(Tensor t, DType type) {
        Tensor c = arena.allocate(type, t.shape());
        for (long i = 0; i < t.size(); i++) {
            c.set(i, t.get(i));
        }
        return c;
    }

    public Tensor copy(Tensor t) {
        return copy(t, t.dtype());
    }

    /** Asserts {@code |ref − out| <= atol + rtol·|ref|} element-wise; the message names the index and both values. */
    public static void assertClose(String what, Tensor ref, Tensor out, double atol, double rtol) {
        assertEquals(ref.size(), out.size(), what + ": sizes");
        for (long i = 0; i < ref.size(); i++) {
            double r = ref.get(i);
            double o = out.get(i);
            if (!(Math.abs(r - o) <= atol + rtol * Math.abs(r)) && !(Double.isNaN(r) && Double.isNaN(o)) && r != o) {
                fail(what + ": mismatch at " + i + ": reference " + r + ", got " + o + " (atol " + atol + ", rtol " + rtol + ")");
            }
        }
    }

    public static void assertClose(String what, double ref, double out, double atol, double rtol) {
        if (!(Math.abs(ref - out) <= atol + rtol * Math.abs(ref))) {
            fail(what + ": reference " + ref + ", got " + out + " (atol " + atol + ", rtol " + rtol + ")");
        }
    }

    /** Asserts an {@link IllegalArgumentException} whose message names {@code argument}. */
    public static void assertBadArgument(String argument, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call, "expected a rejection naming " + argument);
        assertTrue(e.getMessage() != null && e.getMessage().contains(argument),
                "message should name '" + argument + "': " + e.getMessage());
    }

    @Override
    public void close() {
        arena.close();
    }

    /** A test-only {@link SparseGrad}: rows and values set directly by the test. */
    public static final class TestSparseGrad implements SparseGrad {
        private final long tableRows;
        private final int width;
        private final Tensor rows;
        private final Tensor values;
        private int count;

        public TestSparseGrad(TensorArena arena, DType type, long tableRows, int width, int capacity) {
            this.tableRows = tableRows;
            this.width = width;
            this.rows = arena.i32(capacity);
            this.values = arena.allocate(type, capacity, width);
        }

        /** Sets the unique {@code ids} with random gradient rows. */
        public TestSparseGrad set(int[] ids, Random rnd) {
            count = ids.length;
            for (int j = 0; j < ids.length; j++) {
                rows.setInt(j, ids[j]);
                for (int k = 0; k < width; k++) {
                    values.set((long) j * width + k, rnd.nextDouble() * 2 - 1);
                }
            }
            return this;
        }

        @Override
        public long tableRows() {
            return tableRows;
        }

        @Override
        public int width() {
            return width;
        }

        @Override
        public int capacity() {
            return Math.toIntExact(rows.size());
        }

        @Override
        public int count() {
            return count;
        }

        @Override
        public Tensor rows() {
            return rows;
        }

        @Override
        public Tensor values() {
            return values;
        }

        @Override
        public void clear() {
            count = 0;
        }
    }
}
