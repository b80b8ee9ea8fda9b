package io.din4j.backend.reference;

import io.din4j.backend.GateOps;
import io.din4j.backend.ValueChecks;
import io.din4j.tensor.Tensor;

/** GateOps of the reference backend. */
final class RefGateOps implements GateOps {
    @Override
    public void softmaxMix(Tensor logits, Tensor experts, int[] selected, Tensor probs, Tensor out) {
        long[] d = ValueChecks.gate("logits", logits, experts, selected, true);
        long b = d[0], e = d[1], eTot = d[2], h = d[3];
        ValueChecks.value("probs", probs, true, b, e);
        ValueChecks.value("out", out, true, b, h);
        for (long r = 0; r < b; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (long j = 0; j < e; j++) {
                max = Math.max(max, logits.get(r * e + j));
            }
            double sum = 0;
            for (long j = 0; j < e; j++) {
                sum += Math.exp(logits.get(r * e + j) - max);
            }
            for (long j = 0; j < e; j++) {
                double q = Math.exp(logits.get(r * e + j) - max) / sum;
                probs.set(r * e + j, q < PROBABILITY_MIN ? 0 : q);
            }
            for (long k = 0; k < h; k++) {
                double s = 0;
                for (int j = 0; j < e; j++) {
                    s += probs.get(r * e + j) * experts.get((r * eTot + selected[j]) * h + k);
                }
                out.set(r * h + k, s);
            }
        }
    }

    @Override
    public void softmaxMixBackward(Tensor probs, Tensor experts, int[] selected, Tensor dOut, Tensor dLogits, Tensor dExperts) {
        long[] d = ValueChecks.gate("probs", probs, experts, selected, true);
        long b = d[0], e = d[1], eTot = d[2], h = d[3];
        ValueChecks.value("dOut", dOut, true, b, h);
        ValueChecks.value("dLogits", dLogits, true, b, e);
        ValueChecks.value("dExperts", dExperts, true, b, eTot, h);
        double[] dp = new double[(int) e];
        for (long r = 0; r < b; r++) {
            double dot = 0;
            for (int j = 0; j < e; j++) {
                double s = 0;
                for (long k = 0; k < h; k++) {
                    s += dOut.get(r * h + k) * experts.get((r * eTot + selected[j]) * h + k);
                }
                dp[j] = s;
                dot += probs.get(r * e + j) * s;
            }
            for (int j = 0; j < e; j++) {
                double p = probs.get(r * e + j);
                // softmax Jacobian: ∂p_j/∂z_i = p_j(δ_ij − p_i), so dz_j = p_j (dp_j − Σ_i p_i dp_i).
                dLogits.set(r * e + j, dLogits.get(r * e + j) + p * (dp[j] - dot));
                for (long k = 0; k < h; k++) {
                    long at = (r * eTot + selected[j]) * h + k;
                    dExperts.set(at, dExperts.get(at) + p * dOut.get(r * h + k));
                }
            }
        }
    }
}
