package io.din4j.backend;

import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;

/** Element-wise activations over {@code [N, C]} (any rank is read as rows of its last dimension C). */
public interface ActivationOps {
    void relu(Tensor x, Tensor y);

    /** {@code dx += dy · [x > 0]}. */
    void reluBackward(Tensor x, Tensor dy, Tensor dx);

    /** {@code y = 1 / (1 + e^−x)}, accurate for |x| up to 1e4 (no overflow). */
    void sigmoid(Tensor x, Tensor y);

    /** {@code dx += dy · y · (1 − y)} from the forward output {@code y}. */
    void sigmoidBackward(Tensor y, Tensor dy, Tensor dx);

    /** {@code y = x > 0 ? x : α_c·x} with {@code alpha [C]}. */
    void prelu(Tensor x, Tensor alpha, Tensor y);

    /** {@code dx += dy·(x > 0 ? 1 : α_c)}, {@code dAlpha_c += Σ_n dy·(x ≤ 0 ? x : 0)}. */
    void preluBackward(Tensor x, Tensor alpha, Tensor dy, Tensor dx, Tensor dAlpha);

    /** A Dice state for {@code channels} channels, running mean 0 and running variance 1. */
    DiceState newDiceState(TensorArena arena, int channels);

    /**
     * Dice. In training the statistics are the batch's (biased variance over the N rows), saved in
     * {@code state} for the backward pass, and the running statistics move towards them by
     * {@link Dice#MOMENTUM}; in inference the running statistics are used and nothing is updated.
     */
    void dice(Tensor x, Tensor alpha, DiceState state, boolean training, Tensor y);

    /**
     * Backward of a training-mode {@link #dice} call on the same {@code x}, including the gradient through the
     * batch mean and variance.
     */
    void diceBackward(Tensor x, Tensor alpha, DiceState state, Tensor dy, Tensor dx, Tensor dAlpha);
}
