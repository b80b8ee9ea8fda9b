package io.din4j.backend.cpu;

import io.din4j.backend.OptimizerOps;
import io.din4j.backend.RowSparseGrad;
import io.din4j.backend.SparseGrad;
import io.din4j.backend.ValueChecks;
import io.din4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * OptimizerOps of the cpu backend. Dense updates run over blocks of the flat range; sparse updates over the
 * touched rows (unique, so threads never share a row), each row as vectors of its D columns. One update rule per
 * optimizer serves both: it takes the element offsets of the parameter, its state and its gradient.
 */
final class CpuOptimizerOps implements OptimizerOps {
    private static final VectorSpecies<Float> S = VectorIsa.SPECIES;
    private static final int L = S.length();
    /** Rows per task for sparse updates. */
    private static final int ROW_GRAIN = 64;
    /**
     * Touched rows from which a sparse update walks them in table order: the sort costs about what it saves at a few
     * thousand rows. In-JVM A/B, two threads, {@code UseAVX=2} on an AVX-512 host, lazy Adam at D = 32: 40,640 of
     * 100,000 rows 3.90 → 2.30 ms; 46,863 of 1,000,000 (power-law ids) 5.49 → 5.44; 5,437 of 2,000,000
     * 0.121 → 0.143; 849 of 100,000 0.013 → 0.037.
     */
    private static final int SORT_MIN_ROWS = 2048;
    /** ... and the share of the table they must make up (1/8), so that walking in order is close to a stream. */
    private static final int SORT_MAX_TABLE_PER_ROW = 8;

    private final Parallel parallel;

    CpuOptimizerOps(Parallel parallel) {
        this.parallel = parallel;
    }

    private static void same(Tensor param, String name, Tensor t) {
        ValueChecks.like(name, t, "param", param, false);
    }

    // ---- update rules over n elements: parameter/state at p + i, gradient at g + i ----

    private static void sgdRange(MemorySegment ps, long p, MemorySegment gs, long g, long n, float lr, float wd) {
        long i = 0;
        for (; i + L <= n; i += L) {
            // scalar math: p −= lr·(g + wd·p)
            FloatVector pv = Lanes.load(ps, p + i);
            FloatVector gv = pv.mul(wd).add(Lanes.load(gs, g + i));
            Lanes.store(pv.sub(gv.mul(lr)), ps, p + i);
        }
        if (i < n) {
            VectorMask<Float> m = Lanes.tail(i, n);
            FloatVector pv = Lanes.load(ps, p + i, m);
            FloatVector gv = pv.mul(wd).add(Lanes.load(gs, g + i, m));
            Lanes.store(pv.sub(gv.mul(lr)), ps, p + i, m);
        }
    }

    private static void adagradRange(MemorySegment ps, MemorySegment as, long p, MemorySegment gs, long g, long n, float lr, float eps) {
        float squareMin = squareBound(eps);
        long i = 0;
        for (; i + L <= n; i += L) {
            // scalar math: acc += g² (none for |g| < squareMin: FLUSH_MIN_EPS); p −= lr·g / (sqrt(acc) + eps)
            FloatVector gv = Lanes.load(gs, g + i);
            FloatVector gq = Lanes.flushBelow(gv, squareMin);
            FloatVector acc = gq.fma(gq, Lanes.load(as, p + i));
            Lanes.store(acc, as, p + i);
            FloatVector step = gv.mul(lr).div(acc.lanewise(VectorOperators.SQRT).add(eps));
            Lanes.store(Lanes.load(ps, p + i).sub(step), ps, p + i);
        }
        if (i < n) {
            VectorMask<Float> m = Lanes.tail(i, n);
            FloatVector gv = Lanes.load(gs, g + i, m);
            FloatVector gq = Lanes.flushBelow(gv, squareMin);
            FloatVector acc = gq.fma(gq, Lanes.load(as, p + i, m));
            Lanes.store(acc, as, p + i, m);
            FloatVector step = gv.mul(lr).div(acc.lanewise(VectorOperators.SQRT).add(eps));
            Lanes.store(Lanes.load(ps, p + i, m).sub(step), ps, p + i, m);
        }
    }

    /**
     * The least ε for which the optimizers flush tiny values ({@link #tinyBound}): x86 computes on subnormal floats
     * (below 1.2e-38) in microcode, ~100 cycles an instruction instead of one, and Java cannot set the
     * flush-to-zero mode. Adam's moments decay geometrically wherever the gradient is zero (a ReLU unit no sample of
     * the batch reached, an expert a saturated gate no longer weighs), m by β1 = 0.9 a step, through the subnormal
     * range on its way to 0; and v's {@code (1 − β2)·g²} of a gradient of 1e-20 is subnormal as it is computed.
     * After ~5,000 PLE training steps at B = 1, 72,000 of the moments were subnormal and the dense Adam took 36% of
     * a B = 64 step against 9% on a fresh model (JFR, 512 bits); with the moments flushed but v's squares still
     * computed it took 22% (64,000 of the 309,000 dense gradients were below 1e-19). The flushed values matter only
     * beside a tiny ε: a v below 1.2e-38 adds at most ~3e-18 to √v̂ + ε (k2 ≤ 1,000 at step 1), a gradient below
     * 1e-17 at most ~3e-16, against ε ≥ 1e-11; a moment below 1.2e-38 moves a weight by less than 1e-26. Below that
     * ε the values are kept, slow or not. NaN stays NaN.
     */
    private static final float FLUSH_MIN_EPS = 1e-11f;

    /** Below this a gradient is left out of v and out of Adagrad's accumulator (see {@link #FLUSH_MIN_EPS}). */
    private static final float SQUARE_MIN = 1e-17f;

    /** The bound below which a moment is stored as 0: the smallest normal float, or 0 (none) for a tiny ε. */
    private static float tinyBound(float eps) {
        return eps >= FLUSH_MIN_EPS ? Float.MIN_NORMAL : 0f;
    }

    /** The bound below which a gradient is not squared into v: {@link #SQUARE_MIN}, or 0 (none) for a tiny ε. */
    private static float squareBound(float eps) {
        return eps >= FLUSH_MIN_EPS ? SQUARE_MIN : 0f;
    }

    /** {@link Lanes#flushBelow} for a value that is never negative (Adam's v): no absolute value needed. */
    private static FloatVector flushBelowNonNegative(FloatVector x, float bound) {
        // scalar math: x < bound ? 0 : x
        return x.blend(0f, x.lt(bound));
    }

    private static void adamRange(MemorySegment ps, MemorySegment ms, MemorySegment vs, long p, MemorySegment gs, long g, long n,
            float lr, float b1, float b2, float eps, float k1, float k2) {
        float tiny = tinyBound(eps);
        float squareMin = squareBound(eps);
        long i = 0;
        for (; i + L <= n; i += L) {
            // scalar math: m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; p −= lr·(m·k1) / (sqrt(v·k2) + eps)
            //              (m, v below `tiny` stored as 0; g below `squareMin` not squared into v: FLUSH_MIN_EPS)
            FloatVector gv = Lanes.load(gs, g + i);
            FloatVector mv = Lanes.flushBelow(Lanes.load(ms, p + i).mul(b1).add(gv.mul(1f - b1)), tiny);
            FloatVector gq = Lanes.flushBelow(gv, squareMin);
            FloatVector vv = flushBelowNonNegative(Lanes.load(vs, p + i).mul(b2).add(gq.mul(gq).mul(1f - b2)), tiny);
            Lanes.store(mv, ms, p + i);
            Lanes.store(vv, vs, p + i);
            FloatVector step = mv.mul(k1 * lr).div(vv.mul(k2).lanewise(VectorOperators.SQRT).add(eps));
            Lanes.store(Lanes.load(ps, p + i).sub(step), ps, p + i);
        }
        if (i < n) {
            VectorMask<Float> mk = Lanes.tail(i, n);
            FloatVector gv = Lanes.load(gs, g + i, mk);
            FloatVector mv = Lanes.flushBelow(Lanes.load(ms, p + i, mk).mul(b1).add(gv.mul(1f - b1)), tiny);
            FloatVector gq = Lanes.flushBelow(gv, squareMin);
            FloatVector vv = flushBelowNonNegative(Lanes.load(vs, p + i, mk).mul(b2).add(gq.mul(gq).mul(1f - b2)), tiny);
            Lanes.store(mv, ms, p + i, mk);
            Lanes.store(vv, vs, p + i, mk);
            FloatVector step = mv.mul(k1 * lr).div(vv.mul(k2).lanewise(VectorOperators.SQRT).add(eps));
            Lanes.store(Lanes.load(ps, p + i, mk).sub(step), ps, p + i, mk);
        }
    }

    @Override
    public void sgd(Tensor param, Tensor grad, float lr, float weightDecay) {
        ValueChecks.value("param", param, false);
        same(param, "grad", grad);
        MemorySegment ps = param.segment();
        MemorySegment gs = grad.segment();
        ElementRanges.run(parallel, param.size(), (from, to) -> sgdRange(ps, from, gs, from, to - from, lr, weightDecay));
    }

    @Override
    public void adagrad(Tensor param, Tensor grad, Tensor accum, float lr, float eps) {
        ValueChecks.value("param", param, false);
        same(param, "grad", grad);
        same(param, "accum", accum);
        MemorySegment ps = param.segment();
        MemorySegment gs = grad.segment();
        MemorySegment as = accum.segment();
        ElementRanges.run(parallel, param.size(), (from, to) -> adagradRange(ps, as, from, gs, from, to - from, lr, eps));
    }

    @Override
    public void adam(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, long step) {
        ValueChecks.value("param", param, false);
        same(param, "grad", grad);
        same(param, "m", m);
        same(param, "v", v);
        ValueChecks.step(step);
        float k1 = (float) (1 / (1 - Math.pow(beta1, step)));
        float k2 = (float) (1 / (1 - Math.pow(beta2, step)));
        MemorySegment ps = param.segment();
        MemorySegment gs = grad.segment();
        MemorySegment ms = m.segment();
        MemorySegment vs = v.segment();
        ElementRanges.run(parallel, param.size(),
                (from, to) -> adamRange(ps, ms, vs, from, gs, from, to - from, lr, beta1, beta2, eps, k1, k2));
    }

    /** Runs {@code body(table element offset of the row, gradient element offset)} for every touched row. */
    private void forRows(SparseGrad grad, long d, RowBody body) {
        if (grad instanceof RowSparseGrad g && g.count() >= SORT_MIN_ROWS
                && (long) g.count() * SORT_MAX_TABLE_PER_ROW >= g.tableRows()) {
            // A dense share of the table: in ascending row order (RowSparseGrad.slotsInRowOrder), so the table and
            // its optimizer state are read and written forwards and the prefetchers run ahead; each thread a
            // contiguous run of that order. The gradient rows are then read out of order, but they are one array
            // against the table's two or three.
            int[] order = g.slotsInRowOrder();
            parallel.forRange(g.count(), ROW_GRAIN, (worker, from, to) -> {
                for (int j = from; j < to; j++) {
                    int slot = order[j];
                    body.run(g.rowOfSlot(slot) * d, slot * d);
                }
            });
            return;
        }
        Tensor rows = grad.rows();
        parallel.forRange(grad.count(), ROW_GRAIN, (worker, from, to) -> {
            for (int j = from; j < to; j++) {
                body.run(rows.getInt(j) * d, j * d);
            }
        });
    }

    @FunctionalInterface
    private interface RowBody {
        void run(long tableOffset, long gradOffset);
    }

    private static MemorySegment values(SparseGrad grad) {
        return ValueChecks.value("grad.values", grad.values(), false).segment();
    }

    @Override
    public void sgdSparse(Tensor table, SparseGrad grad, float lr) {
        ValueChecks.sparse("grad", grad, table, false);
        long d = table.dim(1);
        MemorySegment ts = table.segment();
        MemorySegment gs = values(grad);
        forRows(grad, d, (t, g) -> sgdRange(ts, t, gs, g, d, lr, 0f));
    }

    @Override
    public void adagradSparse(Tensor table, SparseGrad grad, Tensor accum, float lr, float eps) {
        ValueChecks.sparse("grad", grad, table, false);
        same(table, "accum", accum);
        long d = table.dim(1);
        MemorySegment ts = table.segment();
        MemorySegment as = accum.segment();
        MemorySegment gs = values(grad);
        forRows(grad, d, (t, g) -> adagradRange(ts, as, t, gs, g, d, lr, eps));
    }

    @Override
    public void adamSparse(Tensor table, SparseGrad grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, long step) {
        ValueChecks.sparse("grad", grad, table, false);
        same(table, "m", m);
        same(table, "v", v);
        ValueChecks.step(step);
        float k1 = (float) (1 / (1 - Math.pow(beta1, step)));
        float k2 = (float) (1 / (1 - Math.pow(beta2, step)));
        long d = table.dim(1);
        MemorySegment ts = table.segment();
        MemorySegment ms = m.segment();
        MemorySegment vs = v.segment();
        MemorySegment gs = values(grad);
        forRows(grad, d, (t, g) -> adamRange(ts, ms, vs, t, gs, g, d, lr, beta1, beta2, eps, k1, k2));
    }

    @Override
    public void mbaRegularize(Tensor table, SparseGrad grad, Tensor frequency, float lambda) {
        ValueChecks.sparse("grad", grad, table, false);
        ValueChecks.value("frequency", frequency, false, table.dim(0));
        long d = table.dim(1);
        MemorySegment ts = table.segment();
        MemorySegment gs = values(grad);
        forRows(grad, d, (t, g) -> {
            // DIN eq. 4: the row's L2 penalty is scaled by 1/n_j (its occurrence count), and only rows present in
            // the mini-batch are regularized.
            float k = lambda / Math.max(1f, frequency.getFloat(t / d));
            long i = 0;
            for (; i + L <= d; i += L) {
                // scalar math: grad_j += (λ / n_j)·w_j
                Lanes.store(Lanes.load(ts, t + i).mul(k).add(Lanes.load(gs, g + i)), gs, g + i);
            }
            if (i < d) {
                VectorMask<Float> mk = Lanes.tail(i, d);
                Lanes.store(Lanes.load(ts, t + i, mk).mul(k).add(Lanes.load(gs, g + i, mk)), gs, g + i, mk);
            }
        });
    }
}
