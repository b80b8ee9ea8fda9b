package io.din4j.bench.ops;

import io.din4j.backend.RowSparseGrad;
import io.din4j.backend.SparseGrad;
import io.din4j.backend.reference.ReferenceBackend;
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

    /**
     * A sparse gradient of {@code count} distinct random rows, built the way training builds one: the embedding
     * backward of the reference backend over unique ids, so the benchmark times the real {@link SparseGrad}.
     */
    static SparseGrad uniqueRowsGrad(TensorArena arena, SplittableRandom rnd, long tableRows, int width, int count) {
        Tensor ids = arena.i32(count);
        java.util.HashSet<Long> seen = new java.util.HashSet<>();
        int j = 0;
        while (j < count) {
            long r = rnd.nextLong(tableRows);
            if (seen.add(r)) {
                ids.setInt(j++, (int) r);
            }
        }
        SparseGrad grad = new RowSparseGrad(arena, tableRows, width, count);
        new ReferenceBackend().embedding().gatherBackward(ids, random(arena, rnd, 1, count, width), grad);
        return grad;
    }
}
