package io.din4j.backend.cuda;

import static io.din4j.backend.OpFixture.assertBadArgument;
import static io.din4j.backend.OpFixture.assertClose;
import static io.din4j.backend.cuda.Dev.down;
import static io.din4j.backend.cuda.Dev.up;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.din4j.backend.Backend;
import io.din4j.backend.OpFixture;
import io.din4j.backend.SparseGrad;
import io.din4j.backend.reference.ReferenceBackend;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Embedding lookups, the sparse gradient and the pooling ops of the cuda backend against the reference. */
class CudaEmbeddingPoolingOpsTest {
    private static final Backend REF = new ReferenceBackend();

    /** {B, T, D, V}: batch 1, history 1, widths around 16 and 32, a long history, a tiny table (many repeats). */
    private static final int[][] CASES = {{1, 1, 1, 5}, {7, 9, 17, 40}, {5, 50, 16, 3}, {33, 13, 32, 1000}, {2, 300, 8, 64}};

    private static Tensor ids(OpFixture f, int v, long... shape) {
        Tensor ids = f.arena.i32(shape);
        for (long i = 0; i < ids.size(); i++) {
            // skewed: a few hot rows, as real behaviour ids are
            ids.setInt(i, f.rnd.nextInt(4) == 0 ? f.rnd.nextInt(Math.min(v, 3)) : f.rnd.nextInt(v));
        }
        return ids;
    }

    @ParameterizedTest
    @MethodSource("io.din4j.backend.cuda.Dev#names")
    void gathersAndSparseGradientsMatchTheReference(String name) {
        CudaBackend c = Dev.backend(name);
        long seed = 1;
        for (int[] cs : CASES) {
            int b = cs[0], t = cs[1], dd = cs[2], v = cs[3];
            try (OpFixture f = new OpFixture(seed++); TensorArena d = c.newArena()) {
                String what = " B=" + b + " T=" + t + " D=" + dd + " V=" + v;
                Tensor table = f.random(1, v, dd);
                Tensor ids = ids(f, v, b, t);
                Tensor len = Dev.lengths(f, b, t);
                Tensor dTable = up(c, d, table), dIds = up(c, d, ids), dLen = up(c, d, len);
                Tensor oRef = f.arena.f32(b, t, dd);
                REF.embedding().gatherSequence(table, ids, len, oRef);
                Tensor o = up(c, d, f.random(3, b, t, dd));
                c.embedding().gatherSequence(dTable, dIds, dLen, o);
                assertClose("gatherSequence" + what, oRef, down(c, f.arena, o), 0, 0);
                Tensor flat = ids.reshape((long) b * t);
                Tensor gRef = f.arena.f32((long) b * t, dd);
                REF.embedding().gather(table, flat, gRef);
                Tensor g = d.f32((long) b * t, dd);
                c.embedding().gather(dTable, dIds.reshape((long) b * t), g);
                assertClose("gather" + what, gRef, down(c, f.arena, g), 0, 0);

                // Two backward calls into one gradient (a table shared by two features), then a clear and a third.
                SparseGrad sRef = REF.embedding().newSparseGrad(f.arena, v, dd, b * t + 8);
                SparseGrad s = c.embedding().newSparseGrad(d, v, dd, b * t + 8);
                Tensor dOut = f.random(1, b, t, dd);
                Tensor dOut2 = f.random(1, 8, dd);
                Tensor ids2 = ids(f, v, 8);
                REF.embedding().gatherSequenceBackward(ids, len, dOut, sRef);
                c.embedding().gatherSequenceBackward(dIds, dLen, up(c, d, dOut), s);
                REF.embedding().gatherBackward(ids2, dOut2, sRef);
                c.embedding().gatherBackward(up(c, d, ids2), up(c, d, dOut2), s);
                compareSparse("sparse" + what, c, f, sRef, s, b * t);
                sRef.clear();
                s.clear();
                assertEquals(0, s.count());
                REF.embedding().gatherBackward(ids2, dOut2, sRef);
                c.embedding().gatherBackward(up(c, d, ids2), up(c, d, dOut2), s);
                compareSparse("sparse after clear" + what, c, f, sRef, s, 8);

                // Deterministic: the same call on a fresh gradient gives bit-identical values.
                SparseGrad s2 = c.embedding().newSparseGrad(d, v, dd, b * t + 8);
                SparseGrad s3 = c.embedding().newSparseGrad(d, v, dd, b * t + 8);
                c.embedding().gatherSequenceBackward(dIds, dLen, up(c, d, dOut), s2);
                c.embedding().gatherSequenceBackward(dIds, dLen, up(c, d, dOut), s3);
                assertClose("determinism" + what, Dev.sparse(c, f.arena, s2)[1], Dev.sparse(c, f.arena, s3)[1], 0, 0);
            }
        }
    }

    /** The fused sequence gather + sum pooling and its backward against the reference's. */
    @ParameterizedTest
    @MethodSource("io.din4j.backend.cuda.Dev#names")
    void gatherSumPoolMatchesTheReference(String name) {
        CudaBackend c = Dev.backend(name);
        assertEquals(true, c.embedding().fusesGatherSumPool());
        long seed = 11;
        for (int[] cs : CASES) {
            int b = cs[0], t = cs[1], dd = cs[2], v = cs[3];
            try (OpFixture f = new OpFixture(seed++); TensorArena d = c.newArena()) {
                String what = " B=" + b + " T=" + t + " D=" + dd + " V=" + v;
                Tensor table = f.random(1, v, dd);
                Tensor ids = ids(f, v, b, t);
                Tensor len = Dev.lengths(f, b, t);
                Tensor dIds = up(c, d, ids), dLen = up(c, d, len);
                Tensor oRef = f.arena.f32(b, dd);
                REF.embedding().gatherSumPool(table, ids, len, oRef);
                Tensor o = up(c, d, f.random(3, b, dd));
                c.embedding().gatherSumPool(up(c, d, table), dIds, dLen, o);
                assertClose("gatherSumPool" + what, oRef, down(c, f.arena, o), 1e-5, 1e-5);

                SparseGrad sRef = REF.embedding().newSparseGrad(f.arena, v, dd, b * t);
                SparseGrad s = c.embedding().newSparseGrad(d, v, dd, b * t);
                Tensor dOut = f.random(1, b, dd);
                REF.embedding().gatherSumPoolBackward(ids, len, dOut, sRef);
                c.embedding().gatherSumPoolBackward(dIds, dLen, up(c, d, dOut), s);
                compareSparse("gatherSumPoolBackward" + what, c, f, sRef, s, b * t);
            }
        }
    }

    /**
     * Rows must match exactly (same order of first appearance); values are sums of up to B·T f32 terms that the
     * reference adds in double, the device in 64-bit fixed point: both are far more precise than f32 rounding of the
     * result, so 1e-6 absolute on values of O(count) is generous.
     */
    private static void compareSparse(String what, CudaBackend c, OpFixture f, SparseGrad ref, SparseGrad s, int n) {
        assertEquals(ref.count(), s.count(), what + ": count");
        Tensor[] hs = Dev.sparse(c, f.arena, s);
        assertArrayEquals(ref.rows().rows(0, ref.count()).toIntArray(), hs[0].toIntArray(), what + ": rows");
        assertClose(what + ": values", ref.values().rows(0, ref.count()), hs[1], 1e-6 * Math.max(1, Math.sqrt(n)), 1e-6);
    }

    /** The scan behind slot numbering, at sizes the small batches above never reach (several rounds of 1024). */
    @ParameterizedTest
    @MethodSource("io.din4j.backend.cuda.Dev#names")
    void scanOfTileTotalsIsExclusive(String name) {
        CudaBackend c = Dev.backend(name);
        for (int tiles : new int[] {1, 31, 1025, 5000}) {
            try (OpFixture f = new OpFixture(tiles); TensorArena d = c.newArena()) {
                Tensor v = f.arena.i32(tiles + 1);
                int[] expect = new int[tiles + 1];
                for (int i = 0; i < tiles; i++) {
                    v.setInt(i, f.rnd.nextInt(300));
                    expect[i + 1] = expect[i] + v.getInt(i);
                }
                Tensor dv = up(c, d, v);
                c.device().launch("scan_sums_forward", Dim3.of(1), Dim3.of(Math.min(1024, (tiles + 31) / 32 * 32)), 0,
                        KernelArgs.of().ptr(dv).i32(tiles));
                assertArrayEquals(expect, down(c, f.arena, dv).toIntArray(), "exclusive scan of " + tiles + " totals");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("io.din4j.backend.cuda.Dev#names")
    void badIdsAndLengthsAreRejectedBeforeAnyOutput(String name) {
        CudaBackend c = Dev.backend(name);
        try (OpFixture f = new OpFixture(9); TensorArena d = c.newArena()) {
            Tensor table = up(c, d, f.random(1, 10, 4));
            Tensor ids = f.arena.i32(2, 3);
            ids.copyFrom(new int[] {1, 2, 3, 4, 10, 5});
            Tensor len = f.arena.i32(2);
            len.copyFrom(new int[] {3, 2});
            Tensor out = up(c, d, f.random(1, 2, 3, 4));
            Tensor before = down(c, f.arena, out);
            assertBadArgument("ids[1, 1]", () -> c.embedding().gatherSequence(table, up(c, d, ids), up(c, d, len), out));
            assertClose("untouched", before, down(c, f.arena, out), 0, 0);
            len.copyFrom(new int[] {3, 1});  // the bad id is now padding: accepted
            c.embedding().gatherSequence(table, up(c, d, ids), up(c, d, len), out);
            len.copyFrom(new int[] {3, 4});
            assertBadArgument("lengths[1]", () -> c.embedding().gatherSequence(table, up(c, d, ids), up(c, d, len), out));
            assertBadArgument("lengths[1]", () -> c.pooling().sum(out, up(c, d, len), d.f32(2, 4)));
        }
    }

    @ParameterizedTest
    @MethodSource("io.din4j.backend.cuda.Dev#names")
    void poolingMatchesTheReference(String name) {
        CudaBackend c = Dev.backend(name);
        long seed = 50;
        for (int[] cs : CASES) {
            int b = cs[0], t = cs[1], dd = cs[2];
            try (OpFixture f = new OpFixture(seed++); TensorArena d = c.newArena()) {
                String what = " B=" + b + " T=" + t + " D=" + dd;
                Tensor keys = f.random(1, b, t, dd), w = f.random(1, b, t), len = Dev.lengths(f, b, t);
                Tensor dk = up(c, d, keys), dw = up(c, d, w), dl = up(c, d, len);
                Tensor dOut = f.random(1, b, dd), dScores = f.random(1, b, t);
                // f32 sums of ≤ T products of values in [-1, 1] against double
                double atol = 1e-6 * (t + 1);

                Tensor ref = f.arena.f32(b, dd), out = d.f32(b, dd);
                REF.pooling().weightedSum(w, keys, len, ref);
                c.pooling().weightedSum(dw, dk, dl, out);
                assertClose("weightedSum" + what, ref, down(c, f.arena, out), atol, 1e-5);
                Tensor gw = f.random(1, b, t), gk = f.random(1, b, t, dd);
                Tensor dgw = up(c, d, gw), dgk = up(c, d, gk);
                REF.pooling().weightedSumBackward(w, keys, len, dOut, gw, gk);
                c.pooling().weightedSumBackward(dw, dk, dl, up(c, d, dOut), dgw, dgk);
                assertClose("weightedSum dW" + what, gw, down(c, f.arena, dgw), 1e-6 * (dd + 1), 1e-5);
                assertClose("weightedSum dKeys" + what, gk, down(c, f.arena, dgk), 1e-6, 1e-5);

                Tensor pRef = f.arena.f32(b, t), p = d.f32(b, t);
                REF.pooling().maskedSoftmax(w, len, pRef);
                c.pooling().maskedSoftmax(dw, dl, p);
                assertClose("softmax" + what, pRef, down(c, f.arena, p), 1e-6, 1e-5);
                Tensor gs = f.random(1, b, t);
                Tensor dgs = up(c, d, gs);
                REF.pooling().maskedSoftmaxBackward(pRef, len, dScores, gs);
                c.pooling().maskedSoftmaxBackward(p, dl, up(c, d, dScores), dgs);
                assertClose("softmax backward" + what, gs, down(c, f.arena, dgs), 1e-6, 1e-5);

                Tensor sRef = f.arena.f32(b, dd), s = d.f32(b, dd);
                REF.pooling().sum(keys, len, sRef);
                c.pooling().sum(dk, dl, s);
                assertClose("sum" + what, sRef, down(c, f.arena, s), atol, 1e-5);
                Tensor gk2 = f.random(1, b, t, dd);
                Tensor dgk2 = up(c, d, gk2);
                REF.pooling().sumBackward(len, dOut, gk2);
                c.pooling().sumBackward(dl, up(c, d, dOut), dgk2);
                assertClose("sum backward" + what, gk2, down(c, f.arena, dgk2), 1e-6, 1e-6);
            }
        }
    }
}
