package io.din4j.backend.cpu;

import static io.din4j.backend.OpFixture.assertBadArgument;
import static io.din4j.backend.OpFixture.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.din4j.backend.Backend;
import io.din4j.backend.OpFixture;
import io.din4j.backend.OpFixture.TestSparseGrad;
import io.din4j.backend.RowSparseGrad;
import io.din4j.backend.SparseGrad;
import io.din4j.tensor.DType;
import io.din4j.tensor.Tensor;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** cpu optimizer updates against the reference; sparse updates leave untouched rows bit-identical. */
class CpuOptimizerOpsTest extends CpuOpsTestBase {
    // One update is a few f32 roundings of values ≤ 1 away from the double reference.
    private static final double ATOL = 1e-6;
    private static final double RTOL = 1e-5;

    @Test
    void denseUpdatesMatchReference() {
        long seed = 0;
        int[] sizes = {1, 15, 17, 257, (1 << 16) + 3};
        for (int n : sizes) {
            try (OpFixture f = new OpFixture(seed++)) {
                Tensor p = f.random(1, n), g = f.random(1, n);
                Tensor pr = f.copy(p), pc = f.copy(p);
                REF.optimizer().sgd(pr, g, 0.1f, 0.01f);
                cpu.optimizer().sgd(pc, g, 0.1f, 0.01f);
                assertClose("sgd n=" + n, pr, pc, ATOL, RTOL);

                Tensor acc = f.random(1, n);
                for (long i = 0; i < n; i++) {
                    acc.set(i, Math.abs(acc.get(i)));
                }
                Tensor ar = f.copy(acc), ac = f.copy(acc);
                REF.optimizer().adagrad(pr, g, ar, 0.05f, 1e-8f);
                cpu.optimizer().adagrad(pc, g, ac, 0.05f, 1e-8f);
                assertClose("adagrad accum n=" + n, ar, ac, ATOL, RTOL);
                assertClose("adagrad n=" + n, pr, pc, ATOL, RTOL);

                Tensor mr = f.random(0.1, n), mc = f.copy(mr);
                Tensor vr = f.arena.f32(n), vc = f.arena.f32(n);
                for (long step = 1; step <= 3; step++) {
                    REF.optimizer().adam(pr, g, mr, vr, 1e-3f, 0.9f, 0.999f, 1e-8f, step);
                    cpu.optimizer().adam(pc, g, mc, vc, 1e-3f, 0.9f, 0.999f, 1e-8f, step);
                }
                assertClose("adam m n=" + n, mr, mc, ATOL, RTOL);
                assertClose("adam v n=" + n, vr, vc, ATOL, RTOL);
                assertClose("adam n=" + n, pr, pc, ATOL, RTOL);
            }
        }
    }

    /**
     * Adam's moments never hold a subnormal (x86 computes on those in microcode, ~100× slower): a moment that decays
     * below the smallest normal float becomes 0, and a gradient too small to square into a normal float adds nothing
     * to v. Everything stays within tolerance of the reference, which keeps the subnormals; normal values are the
     * reference's. Sizes with a partial last vector, dense and sparse.
     */
    @Test
    void adamFlushesSubnormalMomentsToZero() {
        float[] m0 = {1.3e-38f, -1.3e-38f, 1e-39f, -1e-40f, 0.25f, 0f, 1e-30f};
        float[] g0 = {0f, 0f, 0f, 0f, 0.5f, 1e-20f, -3e-19f};
        for (int n : new int[] {m0.length, 2 * Gemm.L + 3}) {
            try (OpFixture f = new OpFixture(n)) {
                Tensor p = f.random(1, n), g = f.arena.f32(n), m = f.arena.f32(n), v = f.arena.f32(n);
                for (int i = 0; i < n; i++) {
                    m.setFloat(i, m0[i % m0.length]);
                    g.setFloat(i, g0[i % g0.length]);
                    v.setFloat(i, i % 2 == 0 ? 1.5e-38f : 0f);
                }
                Tensor pr = f.copy(p), mr = f.copy(m), vr = f.copy(v);
                REF.optimizer().adam(pr, g, mr, vr, 1e-3f, 0.9f, 0.999f, 1e-8f, 3);
                cpu.optimizer().adam(p, g, m, v, 1e-3f, 0.9f, 0.999f, 1e-8f, 3);
                assertClose("adam m n=" + n, mr, m, ATOL, RTOL);
                assertClose("adam v n=" + n, vr, v, ATOL, RTOL);
                assertClose("adam n=" + n, pr, p, ATOL, RTOL);
                for (int i = 0; i < n; i++) {
                    assertNormalOrZero("m[" + i + "] n=" + n, m.getFloat(i));
                    assertNormalOrZero("v[" + i + "] n=" + n, v.getFloat(i));
                    if (Math.abs(mr.getFloat(i)) >= Float.MIN_NORMAL) {
                        assertEquals(mr.getFloat(i), m.getFloat(i), Math.ulp(mr.getFloat(i)), "normal m[" + i + "] n=" + n);
                    }
                }
                // the sparse update runs the same rule on its rows
                Tensor table = f.random(1, 2, n), tm = f.arena.f32(2, n), tv = f.arena.f32(2, n);
                TestSparseGrad sg = new TestSparseGrad(f.arena, DType.F32, 2, n, 2);
                sg.set(new int[] {1}, f.rnd);
                for (int i = 0; i < n; i++) {
                    tm.setFloat(n + i, m0[i % m0.length]);
                    sg.values().setFloat(i, g0[i % g0.length]);
                }
                cpu.optimizer().adamSparse(table, sg, tm, tv, 1e-3f, 0.9f, 0.999f, 1e-8f, 3);
                for (int i = 0; i < n; i++) {
                    assertNormalOrZero("sparse m[" + i + "] n=" + n, tm.getFloat(n + i));
                    assertNormalOrZero("sparse v[" + i + "] n=" + n, tv.getFloat(n + i));
                }
            }
        }
    }

    /**
     * Adagrad leaves gradients too small to square into a normal float out of its accumulator, and still steps by
     * them: within tolerance of the reference, which adds their subnormal squares, and no subnormal accumulator.
     */
    @Test
    void adagradLeavesTinySquaresOut() {
        float[] g0 = {1e-20f, -3e-19f, 0.5f, 0f, 1e-30f};
        int n = 2 * Gemm.L + 3;
        try (OpFixture f = new OpFixture(n)) {
            Tensor p = f.random(1, n), g = f.arena.f32(n), acc = f.arena.f32(n);
            for (int i = 0; i < n; i++) {
                g.setFloat(i, g0[i % g0.length]);
            }
            Tensor pr = f.copy(p), ar = f.copy(acc);
            REF.optimizer().adagrad(pr, g, ar, 0.05f, 1e-8f);
            cpu.optimizer().adagrad(p, g, acc, 0.05f, 1e-8f);
            assertClose("adagrad accum", ar, acc, ATOL, RTOL);
            assertClose("adagrad", pr, p, ATOL, RTOL);
            for (int i = 0; i < n; i++) {
                assertNormalOrZero("accum[" + i + "]", acc.getFloat(i));
            }
        }
    }

    /**
     * Beside a tiny ε the same tiny values decide the step, so they are kept: with ε = 1e-30 the cpu Adam keeps the
     * reference's subnormal moments and its steps (a flushed v of 1e-39 would make a step 3e10 times too large).
     */
    @Test
    void adamKeepsTinyMomentsBesideATinyEpsilon() {
        float[] m0 = {1.3e-38f, 1e-39f, 0.25f, 1e-30f};
        float[] g0 = {0f, 1e-20f, 0.5f, -3e-19f};
        int n = 2 * Gemm.L + 3;
        try (OpFixture f = new OpFixture(n)) {
            Tensor p = f.random(1, n), g = f.arena.f32(n), m = f.arena.f32(n), v = f.arena.f32(n);
            for (int i = 0; i < n; i++) {
                m.setFloat(i, m0[i % m0.length]);
                g.setFloat(i, g0[i % g0.length]);
                v.setFloat(i, 1e-39f);
            }
            Tensor pr = f.copy(p), mr = f.copy(m), vr = f.copy(v);
            REF.optimizer().adam(pr, g, mr, vr, 1e-3f, 0.9f, 0.999f, 1e-30f, 3);
            cpu.optimizer().adam(p, g, m, v, 1e-3f, 0.9f, 0.999f, 1e-30f, 3);
            assertClose("adam, eps 1e-30", pr, p, ATOL, RTOL);
            for (int i = 0; i < n; i++) {
                assertEquals(mr.getFloat(i), m.getFloat(i), Math.max(Float.MIN_VALUE, Math.ulp(mr.getFloat(i))), "m[" + i + "]");
                assertEquals(vr.getFloat(i), v.getFloat(i), Math.max(Float.MIN_VALUE, Math.ulp(vr.getFloat(i))), "v[" + i + "]");
            }
        }
    }

    private static void assertNormalOrZero(String what, float x) {
        org.junit.jupiter.api.Assertions.assertTrue(x == 0 || Math.abs(x) >= Float.MIN_NORMAL || Float.isNaN(x),
                what + " is subnormal: " + x);
    }

    @Test
    void sparseUpdatesTouchOnlyTheirRows() {
        long seed = 50;
        for (int d : new int[] {1, 16, 17, 33}) {
            try (OpFixture f = new OpFixture(seed++)) {
                int[] ids = {7, 0, 199, 64, 65, 3, 150, 151, 152, 98, 11};
                sparseUpdatesMatchReference(f, 200, d, ids, new TestSparseGrad(f.arena, DType.F32, 200, d, 16).set(ids, f.rnd));
            }
        }
    }

    /**
     * A dense share of a table through the cpu backend's own gradient: enough rows (≥ 2,048, ≥ 1/8 of the table)
     * for the updates to walk them in table order (CpuOptimizerOps.forRows), in a random first-appearance order.
     */
    @Test
    void sparseUpdatesInTableOrderMatchReference() {
        long seed = 70;
        for (int d : new int[] {8, 17}) {
            try (OpFixture f = new OpFixture(seed++)) {
                int v = 5000;
                int[] perm = IntStream.range(0, v).toArray();
                for (int i = v - 1; i > 0; i--) {
                    int j = f.rnd.nextInt(i + 1);
                    int x = perm[i];
                    perm[i] = perm[j];
                    perm[j] = x;
                }
                int[] ids = Arrays.copyOf(perm, 3001);
                RowSparseGrad grad = (RowSparseGrad) cpu.embedding().newSparseGrad(f.arena, v, d, ids.length);
                for (int j = 0; j < ids.length; j++) {
                    assertEquals(j, grad.reserve(ids[j]));
                    for (int k = 0; k < d; k++) {
                        grad.values().set((long) j * d + k, f.rnd.nextDouble() * 2 - 1);
                    }
                }
                sparseUpdatesMatchReference(f, v, d, ids, grad);
            }
        }
    }

    /** Every sparse update of the cpu backend against the reference on {@code grad} (rows {@code ids}), in turn. */
    private void sparseUpdatesMatchReference(OpFixture f, int v, int d, int[] ids, SparseGrad grad) {
        Tensor table = f.random(1, v, d);
        Tensor freq = f.arena.f32(v);
        for (int i = 0; i < v; i++) {
            freq.setFloat(i, i % 5); // includes 0, which counts as 1
        }
        Tensor before = f.copy(table);
        Tensor tr = f.copy(table), tc = f.copy(table);
        String s = " d=" + d + " rows=" + ids.length;

        TestSparseGrad gr = new TestSparseGrad(f.arena, DType.F32, v, d, grad.capacity()).set(ids, f.rnd);
        copyInto(grad.values(), gr.values());
        REF.optimizer().mbaRegularize(tr, gr, freq, 0.3f);
        cpu.optimizer().mbaRegularize(tc, grad, freq, 0.3f);
        assertClose("mba grad" + s, gr.values(), grad.values(), ATOL, RTOL);

        REF.optimizer().sgdSparse(tr, grad, 0.1f);
        cpu.optimizer().sgdSparse(tc, grad, 0.1f);
        assertClose("sgdSparse" + s, tr, tc, ATOL, RTOL);

        Tensor acc = f.arena.f32(v, d);
        Tensor ar = f.copy(acc), ac = f.copy(acc);
        REF.optimizer().adagradSparse(tr, grad, ar, 0.1f, 1e-8f);
        cpu.optimizer().adagradSparse(tc, grad, ac, 0.1f, 1e-8f);
        assertClose("adagradSparse" + s, tr, tc, ATOL, RTOL);
        assertClose("adagradSparse accum" + s, ar, ac, ATOL, RTOL);

        Tensor m0 = f.random(0.1, v, d), v0 = f.random(0.1, v, d);
        for (long i = 0; i < v0.size(); i++) {
            v0.set(i, Math.abs(v0.get(i)));
        }
        Tensor mr = f.copy(m0), mc = f.copy(m0), vr = f.copy(v0), vc = f.copy(v0);
        REF.optimizer().adamSparse(tr, grad, mr, vr, 1e-2f, 0.9f, 0.999f, 1e-8f, 5);
        cpu.optimizer().adamSparse(tc, grad, mc, vc, 1e-2f, 0.9f, 0.999f, 1e-8f, 5);
        assertClose("adamSparse" + s, tr, tc, ATOL, RTOL);
        assertClose("adamSparse m" + s, mr, mc, ATOL, RTOL);
        assertClose("adamSparse v" + s, vr, vc, ATOL, RTOL);

        boolean[] touched = new boolean[v];
        for (int id : ids) {
            touched[id] = true;
        }
        for (int row = 0; row < v; row++) {
            for (int k = 0; k < d; k++) {
                long i = (long) row * d + k;
                if (!touched[row]) {
                    // Bit-identical: compare the raw bits, not values within a tolerance.
                    assertEquals(Float.floatToRawIntBits(before.getFloat(i)), Float.floatToRawIntBits(tc.getFloat(i)), "table row " + row);
                    assertEquals(Float.floatToRawIntBits(m0.getFloat(i)), Float.floatToRawIntBits(mc.getFloat(i)), "m row " + row);
                    assertEquals(Float.floatToRawIntBits(v0.getFloat(i)), Float.floatToRawIntBits(vc.getFloat(i)), "v row " + row);
                    assertEquals(0, Float.floatToRawIntBits(ac.getFloat(i)), "accum row " + row);
                } else if (tc.getFloat(i) == before.getFloat(i)) {
                    throw new AssertionError("touched row " + row + " column " + k + " did not change");
                }
            }
        }
    }

    private static void copyInto(Tensor src, Tensor dst) {
        for (long i = 0; i < src.size(); i++) {
            dst.set(i, src.get(i));
        }
    }

    @Test
    void badInputsNameTheArgument() {
        for (Backend b : new Backend[] {cpu, REF}) {
            try (OpFixture f = new OpFixture(4)) {
                Tensor p = f.random(1, 10, 4);
                assertBadArgument("grad", () -> b.optimizer().sgd(p, f.arena.f32(10, 5), 0.1f, 0));
                assertBadArgument("step", () -> b.optimizer().adam(p, p, f.arena.f32(10, 4), f.arena.f32(10, 4), 0.1f, 0.9f, 0.99f, 1e-8f, 0));
                assertBadArgument("v", () -> b.optimizer().adam(p, p, f.arena.f32(10, 4), f.arena.f32(4), 0.1f, 0.9f, 0.99f, 1e-8f, 1));
                TestSparseGrad bad = new TestSparseGrad(f.arena, DType.F32, 10, 4, 3).set(new int[] {1, 10}, f.rnd);
                Tensor before = f.copy(p);
                assertBadArgument("grad", () -> b.optimizer().sgdSparse(p, bad, 0.1f));
                assertClose("nothing written", before, p, 0, 0);
                TestSparseGrad wide = new TestSparseGrad(f.arena, DType.F32, 10, 5, 3).set(new int[] {1}, f.rnd);
                assertBadArgument("grad", () -> b.optimizer().sgdSparse(p, wide, 0.1f));
                TestSparseGrad ok = new TestSparseGrad(f.arena, DType.F32, 10, 4, 3).set(new int[] {1}, f.rnd);
                assertBadArgument("frequency", () -> b.optimizer().mbaRegularize(p, ok, f.arena.f32(9), 0.1f));
            }
        }
    }
}
