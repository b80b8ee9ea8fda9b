package io.din4j.backend;

import io.din4j.tensor.Tensor;

/**
 * The gates of MMoE/PLE: a softmax over a gate's experts and the batched mix
 * {@code out[b] = Σ_e g[b, e]·experts[b, sel[e], :]} (the "gate bmm"), fused.
 */
public interface GateOps {
    /**
     * @param logits   gate logits {@code [B, E]}
     * @param experts  outputs of all experts of a level {@code [B, Etot, H]}
     * @param selected which of the {@code Etot} experts this gate mixes, length E, each in {@code [0, Etot)}
     * @param probs    output, the gate probabilities {@code [B, E]} (kept for the backward pass and for reports)
     * @param out      output {@code [B, H]}
     */
    void softmaxMix(Tensor logits, Tensor experts, int[] selected, Tensor probs, Tensor out);

    /** Backward of {@link #softmaxMix}: adds into {@code dLogits [B, E]} and the selected rows of {@code dExperts}. */
    void softmaxMixBackward(Tensor probs, Tensor experts, int[] selected, Tensor dOut, Tensor dLogits, Tensor dExperts);
}
