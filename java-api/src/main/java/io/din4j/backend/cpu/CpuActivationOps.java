package io.din4j.backend.cpu;

import io.din4j.backend.ActivationOps;
import io.din4j.backend.Dice;
import io.din4j.backend.DiceBuffers;
import io.din4j.backend.DiceState;
import io.din4j.backend.ValueChecks;
import io.din4j.tensor.DType;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * ActivationOps of the cpu backend. Element-wise activations run over blocks of the flat range; PReLU over rows with
 * α loaded per column vector; Dice's batch statistics over vectors of channels (each thread owns whole channels, so
 * the sums over rows are the same for any thread count).
 */
final class CpuActivationOps implements ActivationOps {
    private static final VectorSpecies<Float> S = VectorIsa.SPECIES;
    private static final int L = S.length();
    /**
     * The Dice row loops call the Vector API's segment loads and stores directly, not through {@link Lanes}: those
     * are {@code @ForceInline} and C2 inlines them whatever the method's size, where a small helper of ours is
     * dropped once the method reaches C2's node limit (NodeCountInliningCutoff), and its vectors are then boxed.
     */
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(NO);
    /** Elements per task for row-parallel loops. */
    private static final int GRAIN = 1 << 14;

    private final Parallel parallel;

    CpuActivationOps(Parallel parallel) {
        this.parallel = parallel;
    }

    private static void pair(String xName, Tensor x, String yName, Tensor y) {
        ValueChecks.value(xName, x, false);
        ValueChecks.value(yName, y, false);
        ValueChecks.sameShape(yName, y, xName, x);
    }

    @Override
    public void relu(Tensor x, Tensor y) {
        pair("x", x, "y", y);
        MemorySegment xs = x.segment();
        MemorySegment ys = y.segment();
        ElementRanges.run(parallel, x.size(), (from, to) -> {
            long i = from;
            for (; i + L <= to; i += L) {
                // scalar math: y = x ≤ 0 ? 0 : x  (the bits of max(x, 0), −0 and NaN included; a compare and a blend,
                // where FloatVector.max keeps Java's NaN and −0 rules at several instructions on AVX2)
                FloatVector v = Lanes.load(xs, i);
                Lanes.store(v.blend(0f, v.compare(VectorOperators.LE, 0f)), ys, i);
            }
            if (i < to) {
                VectorMask<Float> m = Lanes.tail(i, to);
                FloatVector v = Lanes.load(xs, i, m);
                Lanes.store(v.blend(0f, v.compare(VectorOperators.LE, 0f)), ys, i, m);
            }
        });
    }

    @Override
    public void reluBackward(Tensor x, Tensor dy, Tensor dx) {
        pair("x", x, "dy", dy);
        pair("x", x, "dx", dx);
        MemorySegment xs = x.segment();
        MemorySegment gs = dy.segment();
        MemorySegment ds = dx.segment();
        ElementRanges.run(parallel, x.size(), (from, to) -> {
            long i = from;
            for (; i + L <= to; i += L) {
                // scalar math: dx += x > 0 ? dy : 0
                FloatVector g = Lanes.load(gs, i).blend(0f, Lanes.load(xs, i).compare(VectorOperators.LE, 0f));
                Lanes.store(Lanes.load(ds, i).add(g), ds, i);
            }
            if (i < to) {
                VectorMask<Float> m = Lanes.tail(i, to);
                FloatVector g = Lanes.load(gs, i, m).blend(0f, Lanes.load(xs, i, m).compare(VectorOperators.LE, 0f));
                Lanes.store(Lanes.load(ds, i, m).add(g), ds, i, m);
            }
        });
    }

    @Override
    public void sigmoid(Tensor x, Tensor y) {
        pair("x", x, "y", y);
        MemorySegment xs = x.segment();
        MemorySegment ys = y.segment();
        ElementRanges.run(parallel, x.size(), (from, to) -> CpuMath.sigmoid(xs, from, ys, from, to - from));
    }

    @Override
    public void sigmoidBackward(Tensor y, Tensor dy, Tensor dx) {
        pair("y", y, "dy", dy);
        pair("y", y, "dx", dx);
        MemorySegment ys = y.segment();
        MemorySegment gs = dy.segment();
        MemorySegment ds = dx.segment();
        ElementRanges.run(parallel, y.size(), (from, to) -> {
            long i = from;
            for (; i + L <= to; i += L) {
                // scalar math: dx += dy · y · (1 − y)
                FloatVector s = Lanes.load(ys, i);
                FloatVector g = Lanes.load(gs, i).mul(s).mul(s.neg().add(1f));
                Lanes.store(Lanes.load(ds, i).add(g), ds, i);
            }
            if (i < to) {
                VectorMask<Float> m = Lanes.tail(i, to);
                FloatVector s = Lanes.load(ys, i, m);
                FloatVector g = Lanes.load(gs, i, m).mul(s).mul(s.neg().add(1f));
                Lanes.store(Lanes.load(ds, i, m).add(g), ds, i, m);
            }
        });
    }

    private static int channels(Tensor x, Tensor alpha) {
        return Math.toIntExact(ValueChecks.channels(x, alpha, false));
    }

    @Override
    public void prelu(Tensor x, Tensor alpha, Tensor y) {
        int c = channels(x, alpha);
        pair("x", x, "y", y);
        MemorySegment xs = x.segment();
        MemorySegment as = alpha.segment();
        MemorySegment ys = y.segment();
        int n = Math.toIntExact(x.size() / c);
        parallel.forRange(n, Math.max(1, GRAIN / c), (worker, from, to) -> {
            for (int r = from; r < to; r++) {
                long row = (long) r * c;
                int j = 0;
                for (; j + L <= c; j += L) {
                    // scalar math: y = x > 0 ? x : α_c·x
                    FloatVector v = Lanes.load(xs, row + j);
                    FloatVector neg = v.mul(Lanes.load(as, j));
                    Lanes.store(v.blend(neg, v.compare(VectorOperators.LE, 0f)), ys, row + j);
                }
                if (j < c) {
                    VectorMask<Float> m = Lanes.tail(j, c);
                    FloatVector v = Lanes.load(xs, row + j, m);
                    FloatVector neg = v.mul(Lanes.load(as, j, m));
                    Lanes.store(v.blend(neg, v.compare(VectorOperators.LE, 0f)), ys, row + j, m);
                }
            }
        });
    }

    @Override
    public void preluBackward(Tensor x, Tensor alpha, Tensor dy, Tensor dx, Tensor dAlpha) {
        int c = channels(x, alpha);
        pair("x", x, "dy", dy);
        pair("x", x, "dx", dx);
        ValueChecks.value("dAlpha", dAlpha, false, c);
        MemorySegment xs = x.segment();
        MemorySegment as = alpha.segment();
        MemorySegment gs = dy.segment();
        MemorySegment ds = dx.segment();
        MemorySegment das = dAlpha.segment();
        int n = Math.toIntExact(x.size() / c);
        int cv = (c + L - 1) / L;
        // Split over channel vectors so each thread owns its dAlpha lanes; rows are summed in order.
        parallel.forRange(cv, Math.max(1, GRAIN / Math.max(1, n * L)), (worker, from, to) -> {
            for (int v = from; v < to; v++) {
                int j = v * L;
                VectorMask<Float> m = Lanes.tail(j, c);
                // Per-row loads and stores unmasked when the channels fill the vector (all of them at L = 8 for DIN's widths):
                // C2 prunes the masked branch it never saw taken; the masked helpers, when not inlined, boxed a vector and a
                // mask per row (JFR, docs/architecture.md).
                boolean full = j + L <= c;
                FloatVector a = Lanes.load(as, j, m);
                FloatVector sum = FloatVector.zero(S);
                for (int r = 0; r < n; r++) {
                    // scalar math: dx += dy·(x > 0 ? 1 : α); dα += dy·(x ≤ 0 ? x : 0)
                    long i = (long) r * c + j;
                    FloatVector xv = full ? Lanes.load(xs, i) : Lanes.load(xs, i, m);
                    FloatVector g = full ? Lanes.load(gs, i) : Lanes.load(gs, i, m);
                    VectorMask<Float> neg = xv.compare(VectorOperators.LE, 0f);
                    if (full) {
                        Lanes.store(Lanes.load(ds, i).add(g.blend(g.mul(a), neg)), ds, i);
                    } else {
                        Lanes.store(Lanes.load(ds, i, m).add(g.blend(g.mul(a), neg)), ds, i, m);
                    }
                    sum = sum.add(FloatVector.zero(S).blend(g.mul(xv), neg));
                }
                Lanes.store(Lanes.load(das, j, m).add(sum), das, j, m);
            }
        });
    }

    /** Rows per strip of Dice's gate values p, computed in one sigmoid pass over a small L1-resident buffer. */
    private static final int STRIP_ROWS = 64;
    private static final ThreadLocal<float[]> STRIP = ThreadLocal.withInitial(() -> new float[STRIP_ROWS * L + 32]);

    @Override
    public DiceState newDiceState(TensorArena arena, int channels) {
        return new DiceBuffers(arena, DType.F32, channels);
    }

    /*
     * Dice's loops are one static method per vector of channels, called with segments and scalars only. Written
     * inside the parallel lambdas, the loops made methods so large that C2 stopped inlining at its node limit
     * (NodeCountInliningCutoff): Lanes.load/store became calls, and every call boxed a vector and a mask — on the
     * AVX2 host most of a DIN training step's garbage. A vector never crosses these methods' boundaries.
     */

    @Override
    public void dice(Tensor x, Tensor alpha, DiceState state, boolean training, Tensor y) {
        int c = channels(x, alpha);
        pair("x", x, "y", y);
        DiceBuffers st = DiceBuffers.of(state, c);
        ValueChecks.value("state.runningMean", st.runningMean(), false);
        int n = Math.toIntExact(x.size() / c);
        if (training && n < 1) {
            throw new IllegalArgumentException("x: a training-mode Dice needs at least one row, got " + x);
        }
        MemorySegment xs = x.segment();
        MemorySegment as = alpha.segment();
        MemorySegment ys = y.segment();
        MemorySegment rm = st.runningMean().segment();
        MemorySegment rv = st.runningVar().segment();
        MemorySegment bm = st.batchMean().segment();
        MemorySegment bv = st.batchVar().segment();
        int cv = (c + L - 1) / L;
        float invN = 1f / Math.max(1, n);
        float mom = (float) Dice.MOMENTUM;
        float eps = (float) Dice.EPSILON;
        parallel.forRange(cv, Math.max(1, GRAIN / Math.max(1, n * L)), (worker, from, to) -> {
            float[] p = STRIP.get();
            for (int v = from; v < to; v++) {
                int j = v * L;
                if (training) {
                    diceStatistics(xs, c, n, j, invN, mom, bm, bv, rm, rv);
                }
                // The batch statistics just stored (training) or the running ones (inference).
                diceApply(xs, as, ys, c, n, j, training ? bm : rm, training ? bv : rv, eps, p);
            }
        });
        if (training) {
            st.markSaved(n);
        }
    }

    /**
     * Batch mean and variance of channels {@code [j, j + L)} into bm, bv; the running statistics updated. The row
     * loops are methods of their own that leave their results in an array, as in {@link #diceApply}: with the whole
     * and the partial vector's loads in one loop ({@code full ? load : masked load}), a 128-bit JVM boxed every row's
     * vector (JFR allocation samples at the loop's add).
     */
    private static void diceStatistics(MemorySegment xs, int c, int n, int j, float invN, float mom, MemorySegment bm,
            MemorySegment bv, MemorySegment rm, MemorySegment rv) {
        VectorMask<Float> m = Lanes.tail(j, c);
        float[] k = SUMS.get();
        if (j + L <= c) {
            diceMoments(xs, c, n, j, invN, k);
        } else {
            diceMomentsMasked(xs, c, n, j, invN, k);
        }
        FloatVector mean = FloatVector.fromArray(S, k, 0);
        FloatVector var = FloatVector.fromArray(S, k, L);
        Lanes.store(mean, bm, j, m);
        Lanes.store(var, bv, j, m);
        // scalar math: running = (1 − m)·running + m·batch
        Lanes.store(Lanes.load(rm, j, m).mul(1f - mom).add(mean.mul(mom)), rm, j, m);
        Lanes.store(Lanes.load(rv, j, m).mul(1f - mom).add(var.mul(mom)), rv, j, m);
    }

    /**
     * Mean and variance of a whole vector of channels over the n rows, into {@code k[0..L)} and {@code k[L..2L)}. Two
     * passes (mean, then squared deviations) to keep the variance accurate in f32; the mean sums x − x_0, so a channel
     * far from zero does not lose its spread to rounding.
     */
    private static void diceMoments(MemorySegment xs, int c, int n, int j, float invN, float[] k) {
        FloatVector x0 = FloatVector.fromMemorySegment(S, xs, (long) j * 4, NO);
        FloatVector s = FloatVector.zero(S);
        for (int r = 1; r < n; r++) {
            s = s.add(FloatVector.fromMemorySegment(S, xs, ((long) r * c + j) * 4, NO).sub(x0));
        }
        FloatVector mean = s.mul(invN).add(x0);
        FloatVector q = FloatVector.zero(S);
        for (int r = 0; r < n; r++) {
            FloatVector d = FloatVector.fromMemorySegment(S, xs, ((long) r * c + j) * 4, NO).sub(mean);
            q = d.fma(d, q);
        }
        mean.intoArray(k, 0);
        q.mul(invN).intoArray(k, L);
    }

    /**
     * {@link #diceMoments} for the last, partial vector of channels. A whole vector's load blended with zero where
     * the vector lies inside the segment, and the row copied into an array ({@link #readRow}) where it would run past
     * the segment's end, so that no masked-load helper is left for C2 to inline: in a small method called rarely it
     * may stay out of line and box every row's vector (JFR at 512 bits, 200 channels: 2 GB/s of garbage).
     */
    private static void diceMomentsMasked(MemorySegment xs, int c, int n, int j, float invN, float[] k) {
        float[] row = ROW.get();
        int w = c - j;
        VectorMask<Float> m = Lanes.tail(j, c);
        int safe = inBounds(xs, c, j, 0, n);
        FloatVector x0 = FloatVector.fromArray(S, readRow(xs, j, w, row), 0);
        FloatVector s = FloatVector.zero(S);
        for (int r = 1; r < n; r++) {
            long i = (long) r * c + j;
            FloatVector xv = r < safe
                    ? FloatVector.zero(S).blend(FloatVector.fromMemorySegment(S, xs, i * 4, NO), m)
                    : FloatVector.fromArray(S, readRow(xs, i, w, row), 0);
            s = s.add(xv.sub(x0));
        }
        FloatVector mean = s.mul(invN).add(x0);
        FloatVector q = FloatVector.zero(S);
        for (int r = 0; r < n; r++) {
            long i = (long) r * c + j;
            FloatVector xv = r < safe
                    ? FloatVector.zero(S).blend(FloatVector.fromMemorySegment(S, xs, i * 4, NO), m)
                    : FloatVector.fromArray(S, readRow(xs, i, w, row), 0);
            FloatVector d = xv.sub(mean);
            q = d.fma(d, q);
        }
        mean.intoArray(k, 0);
        q.mul(invN).intoArray(k, L);
    }

    /** How many of the rows {@code r0 .. r0 + rows} have their vector at channel j wholly inside {@code s}. */
    private static int inBounds(MemorySegment s, int c, int j, int r0, int rows) {
        long last = s.byteSize() / 4 - L - j;  // the highest r·c with a whole vector at j
        return last < 0 ? 0 : (int) Math.max(0, Math.min(rows, last / c - r0 + 1));
    }

    /**
     * A row's {@code w < L} channels from element {@code i} into {@code row}, its other lanes 0 (as a masked load
     * reads them; another partial width may have left values there). Arrays only cross this call and
     * {@link #writeRow}, never a vector: a vector passed to or returned from a call C2 does not inline is boxed.
     */
    private static float[] readRow(MemorySegment s, long i, int w, float[] row) {
        MemorySegment.copy(s, F, i * 4, row, 0, w);
        java.util.Arrays.fill(row, w, L, 0f);
        return row;
    }

    /** Writes {@code row[0..w)} to the segment from element {@code i}. */
    private static void writeRow(float[] row, MemorySegment s, long i, int w) {
        MemorySegment.copy(row, 0, s, F, i * 4, w);
    }

    /** A row of L floats for {@link #readRow}. */
    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[L]);

    /**
     * Dice's gates for one strip: {@code p[r·L ..] = σ((x[r0 + r][j ..] − μ)·inv)} over {@code rows} rows, with μ and
     * inv read from {@code k} at {@code meanAt} and {@code meanAt + L}. The exponent {@code u = (x − μ)·inv·(−log₂e)}
     * is written first, clamped to ±{@link #GATE_LIMIT}; then one call turns the whole strip into p, σ in base 2
     * ({@link CpuMath#reciprocalOnePlusExp2InPlace}, as the attention unit's Dice). A partial vector of channels is
     * loaded as in {@link #diceMomentsMasked}. Only arrays, segments and scalars cross this call.
     */
    private static void gates(MemorySegment xs, int c, int j, float[] k, int meanAt, float[] p, int r0, int rows) {
        FloatVector mean = FloatVector.fromArray(S, k, meanAt);
        FloatVector inv = FloatVector.fromArray(S, k, meanAt + L).mul(SeqKernels.MINUS_LOG2E);
        // The clamp's bounds broadcast here, written out below: a shared helper taking the scalar limit
        // (x.blend(limit, x.compare(GT, limit)).blend(−limit, ...), also for the attention unit's sigmoid) made
        // DiceBench.backward 1.22–1.30× slower (JarAB, four JVMs in both orders, AVX2 server, 2026-12-07).
        FloatVector hi = FloatVector.broadcast(S, GATE_LIMIT);
        FloatVector lo = FloatVector.broadcast(S, -GATE_LIMIT);
        if (j + L <= c) {
            for (int r = 0; r < rows; r++) {
                // scalar math: u = clamp((x − μ)·inv·(−log₂e), ±GATE_LIMIT)
                long i = (long) (r0 + r) * c + j;
                FloatVector u = FloatVector.fromMemorySegment(S, xs, i * 4, NO).sub(mean).mul(inv);
                u.blend(hi, u.compare(VectorOperators.GT, GATE_LIMIT)).blend(lo, u.compare(VectorOperators.LT, -GATE_LIMIT))
                        .intoArray(p, r * L);
            }
        } else {
            float[] row = ROW.get();
            int w = c - j;
            VectorMask<Float> m = Lanes.tail(j, c);
            int safe = inBounds(xs, c, j, r0, rows);
            for (int r = 0; r < rows; r++) {
                long i = (long) (r0 + r) * c + j;
                FloatVector xv = r < safe
                        ? FloatVector.zero(S).blend(FloatVector.fromMemorySegment(S, xs, i * 4, NO), m)
                        : FloatVector.fromArray(S, readRow(xs, i, w, row), 0);
                FloatVector u = xv.sub(mean).mul(inv);
                u.blend(hi, u.compare(VectorOperators.GT, GATE_LIMIT)).blend(lo, u.compare(VectorOperators.LT, -GATE_LIMIT))
                        .intoArray(p, r * L);
            }
        }
        CpuMath.reciprocalOnePlusExp2InPlace(p, rows * L);
    }

    /**
     * Where the gates' exponent is clamped: 1/(1 + 2^125) ≈ 2.4e−38 is still a normal float, and further out p would
     * be subnormal (slow in every product that takes it, as in the attention unit's sigmoid); ±∞ (an overflowed x)
     * gives p of ~0 and 1 instead of NaN, as σ did before.
     */
    private static final float GATE_LIMIT = 125f;

    /**
     * y = x·(α + (1 − α)·σ((x − μ)·inv)) for channels {@code [j, j + L)} of every row (DIN eq. 9). The per-channel
     * vectors go to {@code k} and the rows to a method of their own, one for whole channel vectors and one for the
     * last partial one, as in {@link #diceBackwardStrip}: at 128 bits C2 stopped inlining inside the one method that
     * held them all (NodeCountInliningCutoff at the row loop's {@code Lanes.store}), and every row's product was
     * boxed — 13.9 KB of garbage per sample of a DIN training step (B = 1024, T = 50) in every JVM, JFR allocation
     * samples at this loop's multiply.
     */
    private static void diceApply(MemorySegment xs, MemorySegment as, MemorySegment ys, int c, int n, int j,
            MemorySegment means, MemorySegment vars, float eps, float[] p) {
        VectorMask<Float> m = Lanes.tail(j, c);
        float[] k = SUMS.get();
        Lanes.load(means, j, m).intoArray(k, 0);
        FloatVector.broadcast(S, 1f).div(Lanes.load(vars, j, m).add(eps).lanewise(VectorOperators.SQRT)).intoArray(k, L);
        FloatVector a = Lanes.load(as, j, m);
        a.intoArray(k, 2 * L);
        a.neg().add(1f).intoArray(k, 3 * L);
        for (int r0 = 0; r0 < n; r0 += STRIP_ROWS) {
            int rows = Math.min(STRIP_ROWS, n - r0);
            if (j + L <= c) {
                diceApplyRows(xs, ys, c, j, p, k, r0, rows);
            } else {
                diceApplyRowsMasked(xs, ys, c, j, p, k, r0, rows);
            }
        }
    }

    /** One strip of {@link #diceApply} for a whole vector of channels: {@code k} = μ, inv, α, 1 − α. */
    private static void diceApplyRows(MemorySegment xs, MemorySegment ys, int c, int j, float[] p, float[] k, int r0,
            int rows) {
        // first: no vector of this method is live across the call
        gates(xs, c, j, k, 0, p, r0, rows);
        FloatVector a = FloatVector.fromArray(S, k, 2 * L);
        FloatVector oneMinusA = FloatVector.fromArray(S, k, 3 * L);
        for (int r = 0; r < rows; r++) {
            // scalar math: y = x·(α + (1 − α)·p)   (DIN eq. 9)
            long i = (long) (r0 + r) * c + j;
            FloatVector pv = FloatVector.fromArray(S, p, r * L);
            FloatVector.fromMemorySegment(S, xs, i * 4, NO).mul(pv.fma(oneMinusA, a)).intoMemorySegment(ys, i * 4, NO);
        }
    }

    /** {@link #diceApplyRows} for the last, partial vector of channels, loaded as in {@link #diceMomentsMasked}. */
    private static void diceApplyRowsMasked(MemorySegment xs, MemorySegment ys, int c, int j, float[] p, float[] k,
            int r0, int rows) {
        float[] row = ROW.get();
        int w = c - j;
        VectorMask<Float> m = Lanes.tail(j, c);
        int safe = Math.min(inBounds(xs, c, j, r0, rows), inBounds(ys, c, j, r0, rows));
        // first: no vector of this method is live across the call
        gates(xs, c, j, k, 0, p, r0, rows);
        FloatVector a = FloatVector.fromArray(S, k, 2 * L);
        FloatVector oneMinusA = FloatVector.fromArray(S, k, 3 * L);
        for (int r = 0; r < rows; r++) {
            // scalar math: as above, on the first w lanes
            long i = (long) (r0 + r) * c + j;
            FloatVector xv = r < safe
                    ? FloatVector.zero(S).blend(FloatVector.fromMemorySegment(S, xs, i * 4, NO), m)
                    : FloatVector.fromArray(S, readRow(xs, i, w, row), 0);
            FloatVector y = xv.mul(FloatVector.fromArray(S, p, r * L).fma(oneMinusA, a));
            if (r < safe) {
                y.intoMemorySegment(ys, i * 4, NO, m);
            } else {
                writeRow(y.toArray(), ys, i, w);
            }
        }
    }

    @Override
    public void diceBackward(Tensor x, Tensor alpha, DiceState state, Tensor dy, Tensor dx, Tensor dAlpha) {
        int c = channels(x, alpha);
        pair("x", x, "dy", dy);
        pair("x", x, "dx", dx);
        ValueChecks.value("dAlpha", dAlpha, false, c);
        DiceBuffers st = DiceBuffers.of(state, c);
        int n = Math.toIntExact(x.size() / c);
        st.requireSaved(n);
        MemorySegment xs = x.segment();
        MemorySegment as = alpha.segment();
        MemorySegment gs = dy.segment();
        MemorySegment ds = dx.segment();
        MemorySegment das = dAlpha.segment();
        MemorySegment bm = st.batchMean().segment();
        MemorySegment bv = st.batchVar().segment();
        int cv = (c + L - 1) / L;
        float eps = (float) Dice.EPSILON;
        parallel.forRange(cv, Math.max(1, GRAIN / Math.max(1, n * L)), (worker, from, to) -> {
            float[] p = STRIP.get();
            float[] sums = SUMS.get();
            for (int v = from; v < to; v++) {
                int j = v * L;
                diceBackwardSums(xs, as, gs, das, bm, bv, c, n, j, eps, p, sums);
                diceBackwardApply(xs, as, gs, ds, bm, bv, c, n, j, eps, p, sums);
            }
        });
    }

    /**
     * Per worker: Σdxh, Σdxh·x̂ of one vector of channels, from the first backward pass to the second, then the
     * second pass's per-channel vectors ({@link #diceBackwardStrip}).
     */
    private static final ThreadLocal<float[]> SUMS = ThreadLocal.withInitial(() -> new float[7 * L + 32]);

    /** First pass: Σdxh and Σdxh·x̂ into sums, and dα += Σ dy·(1 − p)·x, for channels {@code [j, j + L)}. */
    private static void diceBackwardSums(MemorySegment xs, MemorySegment as, MemorySegment gs, MemorySegment das,
            MemorySegment bm, MemorySegment bv, int c, int n, int j, float eps, float[] p, float[] sums) {
        VectorMask<Float> m = Lanes.tail(j, c);
        // The row loops are methods of their own that keep the sums in k between strips (Σdxh at 0, Σdxh·x̂ at L,
        // Σ dy·(1 − p)·x at 5L; μ, inv, 1 − α at 2L, 3L, 4L), one for whole channel vectors and one for the last
        // partial one: with both kinds of load in one loop ({@code full ? load : masked load}) a 128-bit JVM ran
        // this loop's loads in their Java fallback, 16 GB/s of garbage in DiceBench.backward (JFR allocation samples).
        float[] k = sums;
        FloatVector zero = FloatVector.zero(S);
        zero.intoArray(k, 0);
        zero.intoArray(k, L);
        zero.intoArray(k, 5 * L);
        Lanes.load(bm, j, m).intoArray(k, 2 * L);
        FloatVector.broadcast(S, 1f).div(Lanes.load(bv, j, m).add(eps).lanewise(VectorOperators.SQRT)).intoArray(k, 3 * L);
        Lanes.load(as, j, m).neg().add(1f).intoArray(k, 4 * L);
        for (int r0 = 0; r0 < n; r0 += STRIP_ROWS) {
            int rows = Math.min(STRIP_ROWS, n - r0);
            if (j + L <= c) {
                diceSumsRows(xs, gs, c, j, p, k, r0, rows);
            } else {
                diceSumsRowsMasked(xs, gs, c, j, p, k, r0, rows);
            }
        }
        Lanes.store(Lanes.load(das, j, m).add(FloatVector.fromArray(S, k, 5 * L)), das, j, m);
    }

    /** One strip of {@link #diceBackwardSums} for a whole vector of channels. */
    private static void diceSumsRows(MemorySegment xs, MemorySegment gs, int c, int j, float[] p, float[] k, int r0,
            int rows) {
        // first: no vector of this method is live across the call
        gates(xs, c, j, k, 2 * L, p, r0, rows);
        FloatVector mean = FloatVector.fromArray(S, k, 2 * L);
        FloatVector inv = FloatVector.fromArray(S, k, 3 * L);
        FloatVector oneMinusA = FloatVector.fromArray(S, k, 4 * L);
        FloatVector sumD = FloatVector.fromArray(S, k, 0);
        FloatVector sumDX = FloatVector.fromArray(S, k, L);
        FloatVector sumA = FloatVector.fromArray(S, k, 5 * L);
        for (int r = 0; r < rows; r++) {
            // scalar math: dxh = dy·x·(1 − α)·p(1 − p); Σdxh; Σdxh·x̂; dα += Σ dy·(1 − p)·x
            long i = (long) (r0 + r) * c + j;
            FloatVector xv = FloatVector.fromMemorySegment(S, xs, i * 4, NO);
            FloatVector xh = xv.sub(mean).mul(inv);
            FloatVector pv = FloatVector.fromArray(S, p, r * L);
            FloatVector q = pv.neg().add(1f);
            FloatVector gx = FloatVector.fromMemorySegment(S, gs, i * 4, NO).mul(xv);
            FloatVector dxh = gx.mul(oneMinusA).mul(pv).mul(q);
            sumD = sumD.add(dxh);
            sumDX = dxh.fma(xh, sumDX);
            sumA = gx.fma(q, sumA);
        }
        sumD.intoArray(k, 0);
        sumDX.intoArray(k, L);
        sumA.intoArray(k, 5 * L);
    }

    /** {@link #diceSumsRows} for the last, partial vector of channels, loaded as in {@link #diceMomentsMasked}. */
    private static void diceSumsRowsMasked(MemorySegment xs, MemorySegment gs, int c, int j, float[] p, float[] k,
            int r0, int rows) {
        float[] row = ROW.get();
        int w = c - j;
        VectorMask<Float> m = Lanes.tail(j, c);
        int safe = Math.min(inBounds(xs, c, j, r0, rows), inBounds(gs, c, j, r0, rows));
        // first: no vector of this method is live across the call
        gates(xs, c, j, k, 2 * L, p, r0, rows);
        FloatVector mean = FloatVector.fromArray(S, k, 2 * L);
        FloatVector inv = FloatVector.fromArray(S, k, 3 * L);
        FloatVector oneMinusA = FloatVector.fromArray(S, k, 4 * L);
        FloatVector sumD = FloatVector.fromArray(S, k, 0);
        FloatVector sumDX = FloatVector.fromArray(S, k, L);
        FloatVector sumA = FloatVector.fromArray(S, k, 5 * L);
        for (int r = 0; r < rows; r++) {
            // scalar math: as above, on the first w lanes
            long i = (long) (r0 + r) * c + j;
            FloatVector xv = r < safe
                    ? FloatVector.zero(S).blend(FloatVector.fromMemorySegment(S, xs, i * 4, NO), m)
                    : FloatVector.fromArray(S, readRow(xs, i, w, row), 0);
            FloatVector xh = xv.sub(mean).mul(inv);
            FloatVector pv = FloatVector.fromArray(S, p, r * L);
            FloatVector q = pv.neg().add(1f);
            FloatVector gv = r < safe
                    ? FloatVector.zero(S).blend(FloatVector.fromMemorySegment(S, gs, i * 4, NO), m)
                    : FloatVector.fromArray(S, readRow(gs, i, w, row), 0);
            FloatVector gx = gv.mul(xv);
            FloatVector dxh = gx.mul(oneMinusA).mul(pv).mul(q);
            sumD = sumD.add(dxh);
            sumDX = dxh.fma(xh, sumDX);
            sumA = gx.fma(q, sumA);
        }
        sumD.intoArray(k, 0);
        sumDX.intoArray(k, L);
        sumA.intoArray(k, 5 * L);
    }

    /** Second pass: dx += dy·(α + (1 − α)·p) + inv/N·(N·dxh − Σdxh − x̂·Σ(dxh·x̂)) for channels {@code [j, j + L)}. */
    private static void diceBackwardApply(MemorySegment xs, MemorySegment as, MemorySegment gs, MemorySegment ds,
            MemorySegment bm, MemorySegment bv, int c, int n, int j, float eps, float[] p, float[] sums) {
        for (int r0 = 0; r0 < n; r0 += STRIP_ROWS) {
            int rows = Math.min(STRIP_ROWS, n - r0);
            diceBackwardStrip(xs, as, gs, ds, bm, bv, c, n, j, eps, p, sums, r0, rows);
        }
    }

    /**
     * One strip of {@link #diceBackwardApply}. The per-channel vectors go to {@code k} (7 vectors), and the row loop
     * is a method of its own that reads them back with plain array loads, one for whole channel vectors and one
     * for the last partial one: with the strip loop, the masked variants and the setup in one method, C2 reached
     * its inlining limits before the end of the row loop, and the calls left there (the add and store of dx) boxed
     * a vector and its array per row, most of the training step's remaining garbage (JFR, docs/architecture.md).
     */
    private static void diceBackwardStrip(MemorySegment xs, MemorySegment as, MemorySegment gs, MemorySegment ds,
            MemorySegment bm, MemorySegment bv, int c, int n, int j, float eps, float[] p, float[] sums, int r0, int rows) {
        VectorMask<Float> m = Lanes.tail(j, c);
        FloatVector mean = Lanes.load(bm, j, m);
        FloatVector inv = FloatVector.broadcast(S, 1f).div(Lanes.load(bv, j, m).add(eps).lanewise(VectorOperators.SQRT));
        FloatVector a = Lanes.load(as, j, m);
        float[] k = sums;  // sums holds Σdxh and Σdxh·x̂ at 0 and L; the constants go after them
        mean.intoArray(k, 2 * L);
        inv.intoArray(k, 3 * L);
        a.intoArray(k, 4 * L);
        a.neg().add(1f).intoArray(k, 5 * L);
        inv.div((float) n).intoArray(k, 6 * L);
        if (j + L <= c) {
            diceBackwardRows(xs, gs, ds, c, n, j, p, k, r0, rows);
        } else {
            diceBackwardRowsMasked(xs, gs, ds, c, n, j, p, k, r0, rows);
        }
    }

    /** The rows of a strip for a whole vector of channels: {@code k} = Σdxh, Σdxh·x̂, μ, inv, α, 1 − α, inv/N. */
    private static void diceBackwardRows(MemorySegment xs, MemorySegment gs, MemorySegment ds, int c, int n, int j,
            float[] p, float[] k, int r0, int rows) {
        // first: no vector of this method is live across the call
        gates(xs, c, j, k, 2 * L, p, r0, rows);
        FloatVector sumD = FloatVector.fromArray(S, k, 0);
        FloatVector sumDX = FloatVector.fromArray(S, k, L);
        FloatVector mean = FloatVector.fromArray(S, k, 2 * L);
        FloatVector inv = FloatVector.fromArray(S, k, 3 * L);
        FloatVector a = FloatVector.fromArray(S, k, 4 * L);
        FloatVector oneMinusA = FloatVector.fromArray(S, k, 5 * L);
        FloatVector k1 = FloatVector.fromArray(S, k, 6 * L);
        float fn = n;
        for (int r = 0; r < rows; r++) {
            // scalar math: dx += dy·(α + (1 − α)·p) + inv/N·(N·dxh − Σdxh − x̂·Σ(dxh·x̂))
            long i = (long) (r0 + r) * c + j;
            FloatVector xv = FloatVector.fromMemorySegment(S, xs, i * 4, NO);
            FloatVector xh = xv.sub(mean).mul(inv);
            FloatVector pv = FloatVector.fromArray(S, p, r * L);
            FloatVector g = FloatVector.fromMemorySegment(S, gs, i * 4, NO);
            FloatVector dxh = g.mul(xv).mul(oneMinusA).mul(pv).mul(pv.neg().add(1f));
            FloatVector direct = g.mul(pv.fma(oneMinusA, a));
            FloatVector viaNorm = dxh.mul(fn).sub(sumD).sub(xh.mul(sumDX)).mul(k1);
            FloatVector.fromMemorySegment(S, ds, i * 4, NO).add(direct).add(viaNorm).intoMemorySegment(ds, i * 4, NO);
        }
    }

    /** {@link #diceBackwardRows} for the last, partial vector of channels, loaded as in {@link #diceMomentsMasked}. */
    private static void diceBackwardRowsMasked(MemorySegment xs, MemorySegment gs, MemorySegment ds, int c, int n, int j,
            float[] p, float[] k, int r0, int rows) {
        float[] row = ROW.get();
        int w = c - j;
        VectorMask<Float> m = Lanes.tail(j, c);
        int safe = Math.min(Math.min(inBounds(xs, c, j, r0, rows), inBounds(gs, c, j, r0, rows)), inBounds(ds, c, j, r0, rows));
        // first: no vector of this method is live across the call
        gates(xs, c, j, k, 2 * L, p, r0, rows);
        FloatVector sumD = FloatVector.fromArray(S, k, 0);
        FloatVector sumDX = FloatVector.fromArray(S, k, L);
        FloatVector mean = FloatVector.fromArray(S, k, 2 * L);
        FloatVector inv = FloatVector.fromArray(S, k, 3 * L);
        FloatVector a = FloatVector.fromArray(S, k, 4 * L);
        FloatVector oneMinusA = FloatVector.fromArray(S, k, 5 * L);
        FloatVector k1 = FloatVector.fromArray(S, k, 6 * L);
        float fn = n;
        for (int r = 0; r < rows; r++) {
            // scalar math: as in diceBackwardRows, on the first w lanes
            long i = (long) (r0 + r) * c + j;
            FloatVector xv = r < safe
                    ? FloatVector.zero(S).blend(FloatVector.fromMemorySegment(S, xs, i * 4, NO), m)
                    : FloatVector.fromArray(S, readRow(xs, i, w, row), 0);
            FloatVector xh = xv.sub(mean).mul(inv);
            FloatVector pv = FloatVector.fromArray(S, p, r * L);
            FloatVector g = r < safe
                    ? FloatVector.zero(S).blend(FloatVector.fromMemorySegment(S, gs, i * 4, NO), m)
                    : FloatVector.fromArray(S, readRow(gs, i, w, row), 0);
            FloatVector dxh = g.mul(xv).mul(oneMinusA).mul(pv).mul(pv.neg().add(1f));
            FloatVector direct = g.mul(pv.fma(oneMinusA, a));
            FloatVector viaNorm = dxh.mul(fn).sub(sumD).sub(xh.mul(sumDX)).mul(k1);
            FloatVector dv = r < safe
                    ? FloatVector.zero(S).blend(FloatVector.fromMemorySegment(S, ds, i * 4, NO), m)
                    : FloatVector.fromArray(S, readRow(ds, i, w, row), 0);
            FloatVector out = dv.add(direct).add(viaNorm);
            if (r < safe) {
                out.intoMemorySegment(ds, i * 4, NO, m);
            } else {
                writeRow(out.toArray(), ds, i, w);
            }
        }
    }
}
