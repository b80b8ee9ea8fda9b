package io.din4j.backend;

import io.din4j.tensor.Tensor;

/** Binary cross-entropy on logits. */
public interface LossOps {
    /**
     * Weighted mean BCE over a batch, {@code L = Σ w_b·ℓ_b / Σ w_b} with
     * {@code ℓ = max(z, 0) − z·y + log(1 + e^−|z|)} (stable for |z| up to 1e4 and beyond). {@code weights} null
     * means all ones; a 0/1 mask restricts the loss to a task's sample space. When {@code Σ w = 0} the loss is 0
     * and no gradient is added.
     *
     * @param logits  {@code [B]}
     * @param labels  {@code [B]}, 0 or 1
     * @param weights {@code [B]} non-negative, or null
     * @param scale   factor applied to the gradient (a task weight)
     * @param dLogits {@code [B]}, receives {@code += scale·w_b·(σ(z_b) − y_b) / Σ w}; may be null
     * @return the (unscaled) loss
     */
    double bceWithLogits(Tensor logits, Tensor labels, Tensor weights, float scale, Tensor dLogits);

    /**
     * {@link #bceWithLogits(Tensor, Tensor, Tensor, float, Tensor)} leaving the loss in {@code lossOut[0]} (a
     * {@code [1]} tensor of this backend, f64 for full precision) instead of returning it: a device backend keeps
     * it on the device, so a training step can read every loss and status value back at once.
     */
    default void bceWithLogits(Tensor logits, Tensor labels, Tensor weights, float scale, Tensor dLogits, Tensor lossOut) {
        lossOut.set(0, bceWithLogits(logits, labels, weights, scale, dLogits));
    }
}
