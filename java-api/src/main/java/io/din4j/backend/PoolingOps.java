package io.din4j.backend;

import io.din4j.tensor.Tensor;

/** Pooling of padded behaviour sequences {@code [B, T, D]} over each sample's valid positions. */
public interface PoolingOps {
    /**
     * DIN's weighted-sum pooling (paper eq. 3, no normalisation): {@code out[b] = Σ_{t < len_b} w[b, t]·keys[b, t]}.
     * A sample with no behaviours pools to zero.
     */
    void weightedSum(Tensor weights, Tensor keys, Tensor lengths, Tensor out);

    /** Adds {@code dWeights[b, t] += dOut[b]·keys[b, t]} and {@code dKeys[b, t] += w[b, t]·dOut[b]} on valid positions. */
    void weightedSumBackward(Tensor weights, Tensor keys, Tensor lengths, Tensor dOut, Tensor dWeights, Tensor dKeys);

    /** Softmax over the valid positions of each row of {@code scores [B, T]}; 0 at padding. */
    void maskedSoftmax(Tensor scores, Tensor lengths, Tensor out);

    /** Adds the softmax backward {@code dScores += p ⊙ (dOut − Σ p ⊙ dOut)} on valid positions. */
    void maskedSoftmaxBackward(Tensor out, Tensor lengths, Tensor dOut, Tensor dScores);

    /** BaseModel's sum pooling: {@code out[b] = Σ_{t < len_b} keys[b, t]}. */
    void sum(Tensor keys, Tensor lengths, Tensor out);

    /** Adds {@code dOut[b]} into {@code dKeys[b, t]} for every valid position. */
    void sumBackward(Tensor lengths, Tensor dOut, Tensor dKeys);
}
