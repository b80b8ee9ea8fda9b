package io.din4j.backend;

import io.din4j.tensor.Tensor;

/** Binary cross-entropy on logits. */
public interface LossOps {
    /**
     * {@value}: 2⁻⁶⁴, the least residual {@code |σ(z) − y|} that yields a gradient. A row its model predicts to its
     * label within this bound (a negative row at z below about −44.4) adds nothing to dLogits, as a positive row
     * already adds nothing once σ(z) rounds to 1 in f32 (z above about 17.3). Without the bound, a saturated negative
     * row's residual (e^z, down to 1e-38 and below) went on through the backward GEMMs, whose products of such values
     * are subnormal: x86 computes those in microcode, ~100 cycles an instruction, and Java cannot set flush-to-zero.
     * A PLE trained on random labels until its ctr tower saturated took 6.2 ms a B = 64 step against 1.9 ms before it
     * saturated, and 1.7 ms in the same state with the threads' MXCSR set to flush-to-zero (docs/architecture.md,
     * "Saturated rows give no gradient"). A residual below 2⁻⁶⁴ moves a weight by at most ~5e-20·lr per unit of the
     * chain's factors under SGD, and ~5e-12·lr under Adam or Adagrad with ε ≥ 1e-8.
     */
    float RESIDUAL_MIN = 0x1p-64f;

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
     * @param dLogits {@code [B]}, receives {@code += scale·w_b·r_b / Σ w} with {@code r = σ(z) − y}, taken as 0
     *                where {@code |r| < }{@link #RESIDUAL_MIN} (see there); may be null
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
