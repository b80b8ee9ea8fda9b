package io.din4j.backend;

import io.din4j.tensor.Tensor;
import java.util.List;

/**
 * The gates of MMoE/PLE: a softmax over a gate's experts and the batched mix
 * {@code out[b] = Σ_e g[b, e]·experts[b, sel[e], :]} (the "gate bmm"), fused.
 */
public interface GateOps {
    /**
     * {@value}: 2⁻⁶⁴, the least gate probability that is kept; a smaller one is stored (and mixed) as 0, and the
     * others are not renormalised (their sum moves by less than E·2⁻⁶⁴, far below f32 precision). A gate whose logits
     * are ~80 apart weighs an expert by ~1e-35; that weight scaled the expert's gradient and the gate's own logit
     * gradient into subnormal floats, which x86 computes in microcode at ~1% of the normal speed
     * (docs/architecture.md, "Saturated rows give no gradient"; the loss's residuals were the other source). With the
     * probability 0 those gradients are exactly 0; the mix's output changes by less than 2⁻⁶⁴ of the expert's values.
     */
    float PROBABILITY_MIN = 0x1p-64f;

    /**
     * Probabilities below {@link #PROBABILITY_MIN} are 0 in {@code probs} and in the mix.
     *
     * @param logits   gate logits {@code [B, E]}
     * @param experts  outputs of all experts of a level {@code [B, Etot, H]}
     * @param selected which of the {@code Etot} experts this gate mixes, length E, each in {@code [0, Etot)}
     * @param probs    output, the gate probabilities {@code [B, E]} (kept for the backward pass and for reports)
     * @param out      output {@code [B, H]}
     */
    void softmaxMix(Tensor logits, Tensor experts, int[] selected, Tensor probs, Tensor out);

    /**
     * Several gates over the same experts, each exactly as {@link #softmaxMix} computes it alone: gate {@code i} reads
     * {@code logits.get(i)} and {@code selected.get(i)} and writes {@code probs.get(i)} and {@code outs.get(i)}. A
     * level of PLE has one gate per task and a shared one, all over the level's experts; a backend may run them row
     * by row, so that each sample's expert outputs are read once from memory for all of its gates rather than once per
     * gate. This default runs the gates one after another.
     */
    default void softmaxMixes(List<Tensor> logits, Tensor experts, List<int[]> selected, List<Tensor> probs,
            List<Tensor> outs) {
        ValueChecks.gateShapes(logits, experts, selected, probs, outs);
        for (int i = 0; i < logits.size(); i++) {
            softmaxMix(logits.get(i), experts, selected.get(i), probs.get(i), outs.get(i));
        }
    }

    /** Backward of {@link #softmaxMix}: adds into {@code dLogits [B, E]} and the selected rows of {@code dExperts}. */
    void softmaxMixBackward(Tensor probs, Tensor experts, int[] selected, Tensor dOut, Tensor dLogits, Tensor dExperts);
}
