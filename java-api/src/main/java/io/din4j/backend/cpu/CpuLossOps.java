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
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

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
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector sumW = FloatVector.zero(S);
        FloatVector sumL = FloatVector.zero(S);
        VectorMask<Float> negative = S.maskAll(false);
        for (int i = 0; i < b; i += L) {
            // scalar math: ℓ = max(z, 0) − z·y + log(1 + e^−|z|); Σ w·ℓ; Σ w
            VectorMask<Float> m = i + L <= b ? null : S.indexInRange(i, b);
            FloatVector z = Lanes.load(zs, i, m);
            FloatVector y = Lanes.load(ys, i, m);
            FloatVector w = ws == null ? (m == null ? one : one.blend(0f, m.not())) : Lanes.load(ws, i, m);
            negative = negative.or(w.compare(VectorOperators.LT, 0f));
            FloatVector soft = CpuMath.exp(z.abs().neg()).lanewise(VectorOperators.LOG1P);
            FloatVector l = z.max(0f).sub(z.mul(y)).add(soft);
            sumW = sumW.add(w);
            sumL = w.fma(l, sumL);
        }
        if (negative.anyTrue()) {
            for (int i = 0; i < b; i++) {
                if (weights.getFloat(i) < 0) {
                    throw new IllegalArgumentException("weights: element " + i + " is negative (" + weights.getFloat(i) + ")");
                }
            }
        }
        double totalW = sumW.reduceLanes(VectorOperators.ADD);
        if (totalW == 0) {
            return 0;
        }
        if (dLogits != null) {
            MemorySegment ds = dLogits.segment();
            float k = (float) (scale / totalW);
            for (int i = 0; i < b; i += L) {
                // scalar math: dz += scale·w·(σ(z) − y) / Σw
                VectorMask<Float> m = i + L <= b ? null : S.indexInRange(i, b);
                FloatVector z = Lanes.load(zs, i, m);
                FloatVector g = CpuMath.sigmoid(z).sub(Lanes.load(ys, i, m)).mul(k);
                if (ws != null) {
                    g = g.mul(Lanes.load(ws, i, m));
                }
                Lanes.store(Lanes.load(ds, i, m).add(g), ds, i, m);
            }
        }
        return sumL.reduceLanes(VectorOperators.ADD) / totalW;
    }
}
