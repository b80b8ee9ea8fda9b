package io.din4j.backend.cpu;

import io.din4j.backend.LossOps;
import io.din4j.backend.ValueChecks;
import io.din4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * LossOps of the cpu backend: one vectorised pass for the weighted loss sum and a second for the gradient (it
 * needs Σw first). A batch is a few thousand logits, so it runs on the calling thread.
 */
final class CpuLossOps implements LossOps {
    private static final VectorSpecies<Float> S = VectorIsa.SPECIES;
    private static final int L = S.length();

    private static final int BLOCK_SIZE = 1024;
    /** e^−|z| for a block of logits, then (from {@code BLOCK_SIZE + 32}) log(1 + e^−|z|) for the same block. */
    private static final ThreadLocal<float[]> BLOCK = ThreadLocal.withInitial(() -> new float[2 * (BLOCK_SIZE + 32)]);
    private static final int LOG1P_AT = BLOCK_SIZE + 32;

    private final Parallel parallel;

    CpuLossOps(Parallel parallel) {
        this.parallel = parallel;
    }

    @Override
    public double bceWithLogits(Tensor logits, Tensor labels, Tensor weights, float scale, Tensor dLogits) {
        int b = Math.toIntExact(ValueChecks.bce(logits, labels, weights, dLogits, false));
        MemorySegment zs = logits.segment();
        MemorySegment ys = labels.segment();
        MemorySegment ws = weights == null ? null : weights.segment();
        // Σw first (the gradient is divided by it), then one pass per block: e = e^−|z| once, from which both
        // log(1 + e^−|z|) and σ(z) follow.
        double totalW = b;
        if (ws != null) {
            FloatVector sumW = FloatVector.zero(S);
            VectorMask<Float> negative = S.maskAll(false);
            for (int i = 0; i < b; i += L) {
                FloatVector w = Lanes.load(ws, i, Lanes.tail(i, b));
                negative = negative.or(w.compare(VectorOperators.LT, 0f));
                sumW = sumW.add(w);
            }
            if (negative.anyTrue()) {
                for (int i = 0; i < b; i++) {
                    if (weights.getFloat(i) < 0) {
                        throw new IllegalArgumentException("weights: element " + i + " is negative (" + weights.getFloat(i) + ")");
                    }
                }
            }
            totalW = Lanes.sum(sumW);
        }
        if (totalW == 0) {
            return 0;
        }
        MemorySegment ds = dLogits == null ? null : dLogits.segment();
        float k = (float) (scale / totalW);
        float[] e = BLOCK.get();
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector sumL = FloatVector.zero(S);
        for (int b0 = 0; b0 < b; b0 += BLOCK_SIZE) {
            int nb = Math.min(BLOCK_SIZE, b - b0);
            CpuMath.expNegAbs(zs, b0, e, nb);
            // log1p in scalars, once per logit: the Vector API's LOG1P ran in its Java fallback here (every vector op
            // of this loop showed as a fallback allocation site under --alloc-check), and a batch is only B values.
            for (int i = 0; i < nb; i++) {
                e[LOG1P_AT + i] = (float) Math.log1p(e[i]);
            }
            for (int i = 0; i < nb; i += L) {
                // scalar math: ℓ = max(z, 0) − z·y + log1p(e); σ = z ≥ 0 ? 1/(1+e) : e/(1+e); dz += k·w·(σ − y)
                //              (0 where |σ − y| < RESIDUAL_MIN)
                VectorMask<Float> m = Lanes.tail(i, nb);
                FloatVector z = Lanes.load(zs, b0 + i, m);
                FloatVector y = Lanes.load(ys, b0 + i, m);
                FloatVector ev = FloatVector.fromArray(S, e, i);
                FloatVector l = z.max(0f).sub(z.mul(y)).add(FloatVector.fromArray(S, e, LOG1P_AT + i));
                FloatVector w = ws == null ? one : Lanes.load(ws, b0 + i, m);
                sumL = w.fma(FloatVector.zero(S).blend(l, m), sumL);
                if (ds != null) {
                    // scalar math: r = σ − y, 0 where |r| < RESIDUAL_MIN
                    FloatVector sig = ev.blend(1f, z.compare(VectorOperators.GE, 0f)).div(ev.add(1f));
                    FloatVector g = Lanes.flushBelow(sig.sub(y), RESIDUAL_MIN).mul(k).mul(w);
                    Lanes.store(Lanes.load(ds, b0 + i, m).add(g), ds, b0 + i, m);
                }
            }
        }
        return Lanes.sum(sumL) / totalW;
    }
}
