package io.din4j.backend.cuda;

import static io.din4j.backend.OpFixture.assertClose;
import static io.din4j.backend.cuda.Dev.down;
import static io.din4j.backend.cuda.Dev.up;

import io.din4j.backend.Backend;
import io.din4j.backend.OpFixture;
import io.din4j.backend.SparseGrad;
import io.din4j.backend.reference.ReferenceBackend;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Dense and sparse optimizer updates (and MBA regularization) of the cuda backend against the reference. */
class CudaOptimizerOpsTest {
    private static final Backend REF = new ReferenceBackend();
    // Per-element f32 arithmetic against double: a few ulp of values O(1) after three steps.
    private static final double ATOL = 1e-6;
    private static final double RTOL = 1e-5;

    @ParameterizedTest
    @MethodSource("io.din4j.backend.cuda.Dev#names")
    void denseUpdatesMatchTheReference(String name) {
        CudaBackend c = Dev.backend(name);
        for (int n : new int[] {1, 17, 1025}) {
            try (OpFixture f = new OpFixture(n); TensorArena d = c.newArena()) {
                Tensor p = f.random(1, n), m = f.arena.f32(n), v = f.arena.f32(n), acc = f.arena.f32(n);
                Tensor dp = up(c, d, p), dm = up(c, d, m), dv = up(c, d, v), dacc = up(c, d, acc);
                Tensor q = f.copy(p);
                Tensor dq = up(c, d, q);
                for (int step = 1; step <= 3; step++) {
                    Tensor g = f.random(1, n);
                    Tensor dg = up(c, d, g);
                    REF.optimizer().adam(p, g, m, v, 0.01f, 0.9f, 0.999f, 1e-8f, step);
                    c.optimizer().adam(dp, dg, dm, dv, 0.01f, 0.9f, 0.999f, 1e-8f, step);
                    REF.optimizer().adagrad(q, g, acc, 0.05f, 1e-6f);
                    c.optimizer().adagrad(dq, dg, dacc, 0.05f, 1e-6f);
                    REF.optimizer().sgd(q, g, 0.1f, 0.01f);
                    c.optimizer().sgd(dq, dg, 0.1f, 0.01f);
                }
                assertClose("adam p n=" + n, p, down(c, f.arena, dp), ATOL, RTOL);
                assertClose("adam m n=" + n, m, down(c, f.arena, dm), ATOL, RTOL);
                assertClose("adam v n=" + n, v, down(c, f.arena, dv), ATOL, RTOL);
                assertClose("adagrad+sgd n=" + n, q, down(c, f.arena, dq), ATOL, RTOL);
                assertClose("adagrad acc n=" + n, acc, down(c, f.arena, dacc), ATOL, RTOL);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("io.din4j.backend.cuda.Dev#names")
    void sparseUpdatesTouchOnlyTheirRows(String name) {
        CudaBackend c = Dev.backend(name);
        int v = 50, dd = 17, n = 40;
        try (OpFixture f = new OpFixture(7); TensorArena d = c.newArena()) {
            Tensor table = f.random(1, v, dd), freq = f.arena.f32(v);
            for (int i = 0; i < v; i++) {
                freq.setFloat(i, f.rnd.nextInt(5));  // includes 0, which counts as 1
            }
            Tensor m = f.arena.f32(v, dd), s = f.arena.f32(v, dd), acc = f.arena.f32(v, dd);
            Tensor dTable = up(c, d, table), dm = up(c, d, m), ds = up(c, d, s), dacc = up(c, d, acc), dFreq = up(c, d, freq);
            Tensor t2 = f.copy(table);
            Tensor dT2 = up(c, d, t2);
            for (int step = 1; step <= 3; step++) {
                Tensor ids = f.arena.i32(n);
                for (int i = 0; i < n; i++) {
                    ids.setInt(i, f.rnd.nextInt(v / 2) * 2);  // only even rows: odd rows must stay bit-identical
                }
                Tensor dOut = f.random(1, n, dd);
                SparseGrad gRef = REF.embedding().newSparseGrad(f.arena, v, dd, n);
                SparseGrad g = c.embedding().newSparseGrad(d, v, dd, n);
                REF.embedding().gatherBackward(ids, dOut, gRef);
                c.embedding().gatherBackward(up(c, d, ids), up(c, d, dOut), g);
                REF.optimizer().mbaRegularize(table, gRef, freq, 0.05f);
                c.optimizer().mbaRegularize(dTable, g, dFreq, 0.05f);
                REF.optimizer().adamSparse(table, gRef, m, s, 0.01f, 0.9f, 0.999f, 1e-8f, step);
                c.optimizer().adamSparse(dTable, g, dm, ds, 0.01f, 0.9f, 0.999f, 1e-8f, step);
                REF.optimizer().adagradSparse(t2, gRef, acc, 0.05f, 1e-6f);
                c.optimizer().adagradSparse(dT2, g, dacc, 0.05f, 1e-6f);
                REF.optimizer().sgdSparse(t2, gRef, 0.1f);
                c.optimizer().sgdSparse(dT2, g, 0.1f);
            }
            Tensor hTable = down(c, f.arena, dTable);
            Tensor hT2 = down(c, f.arena, dT2);
            assertClose("adamSparse+mba table", table, hTable, ATOL, RTOL);
            assertClose("adamSparse m", m, down(c, f.arena, dm), ATOL, RTOL);
            assertClose("adamSparse v", s, down(c, f.arena, ds), ATOL, RTOL);
            assertClose("adagradSparse+sgdSparse table", t2, hT2, ATOL, RTOL);
            assertClose("adagradSparse acc", acc, down(c, f.arena, dacc), ATOL, RTOL);
            for (int r = 1; r < v; r += 2) {
                for (int k = 0; k < dd; k++) {
                    long i = (long) r * dd + k;
                    if (Float.floatToRawIntBits(hTable.getFloat(i)) != Float.floatToRawIntBits(table.getFloat(i))) {
                        org.junit.jupiter.api.Assertions.fail("untouched row " + r + " changed at column " + k);
                    }
                }
            }
        }
    }
}
