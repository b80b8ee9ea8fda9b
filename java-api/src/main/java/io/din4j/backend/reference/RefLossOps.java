package io.din4j.backend.reference;

import io.din4j.backend.LossOps;
import io.din4j.backend.ValueChecks;
import io.din4j.tensor.Tensor;

/** LossOps of the reference backend. */
final class RefLossOps implements LossOps {
    @Override
    public double bceWithLogits(Tensor logits, Tensor labels, Tensor weights, float scale, Tensor dLogits) {
        long b = ValueChecks.bce(logits, labels, weights, dLogits, true);
        double sumW = 0;
        double sumL = 0;
        for (long i = 0; i < b; i++) {
            double w = weights == null ? 1 : weights.get(i);
            if (w < 0) {
                throw new IllegalArgumentException("weights: element " + i + " is negative (" + w + ")");
            }
            double z = logits.get(i);
            double y = labels.get(i);
            sumW += w;
            sumL += w * (Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z))));
        }
        if (sumW == 0) {
            return 0;
        }
        if (dLogits != null) {
            for (long i = 0; i < b; i++) {
                double w = weights == null ? 1 : weights.get(i);
                double r = RefActivationOps.sigmoid(logits.get(i)) - labels.get(i);
                double g = Math.abs(r) < RESIDUAL_MIN ? 0 : scale * w * r / sumW;
                dLogits.set(i, dLogits.get(i) + g);
            }
        }
        return sumL / sumW;
    }
}
