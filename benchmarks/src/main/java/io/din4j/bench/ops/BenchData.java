package io.din4j.bench.ops;

import io.din4j.backend.SparseGrad;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import java.util.Map;
import java.util.SplittableRandom;

/** Inputs and result checks shared by the op benchmarks. */
final class BenchData {
    private BenchData() {
    }

    /** A tensor with elements uniform in {@code [-scale, scale)}. */
    static Tensor random(TensorArena arena, SplittableRandom rnd, double scale, long... shape) {
        Tensor t = arena.f32(shape);
        for (long i = 0; i < t.size(); i++) {
            t.setFloat(i, (float) ((rnd.nextDouble() * 2 - 1) * scale));
        }
        return t;
    }

    /** Throws when {@code |ref − out| > atol + rtol·|ref|} anywhere: a benchmark must time a correct op. */
    static void check(String what, Tensor ref, Tensor out, double atol, double rtol) {
        for (long i = 0; i < ref.size(); i++) {
            double r = ref.get(i);
            double o = out.get(i);
            if (!(Math.abs(r - o) <= atol + rtol * Math.abs(r))) {
                throw new IllegalStateException(what + ": mismatch at " + i + ": reference " + r + ", got " + o);
            }
        }
    }

    /** Parses an integer JMH parameter. */
    static long param(Map<String, String> params, String name) {
        return Long.parseLong(params.get(name));
    }

    /** A {@link SparseGrad} filled directly with unique rows (the embedding ops build the real ones). */
    static final class RowsGrad implements SparseGrad {
        private final long tableRows;
        private final int width;
        private final Tensor rows;
        private final Tensor values;

        RowsGrad(TensorArena arena, SplittableRandom rnd, long tableRows, int width, int count) {
            this.tableRows = tableRows;
            this.width = width;
            this.rows = arena.i32(count);
            this.values = random(arena, rnd, 1, count, width);
            java.util.HashSet<Long> seen = new java.util.HashSet<>();
            int j = 0;
            while (j < count) {
                long r = rnd.nextLong(tableRows);
                if (seen.add(r)) {
                    rows.setInt(j++, (int) r);
                }
            }
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
            return Math.toIntExact(rows.size());
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
            throw new UnsupportedOperationException("fixed benchmark gradient");
        }
    }
}
