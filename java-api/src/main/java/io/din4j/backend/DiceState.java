package io.din4j.backend;

import io.din4j.tensor.Tensor;

/**
 * Per-layer Dice state: the running statistics (parameters of the model, saved with it, not trained) and the
 * batch statistics saved by a training forward pass for its backward pass.
 */
public interface DiceState {
    /** Channels (C). */
    int channels();

    /** Running mean {@code [C]}, used in inference. */
    Tensor runningMean();

    /** Running (biased) variance {@code [C]}, used in inference; starts at 1. */
    Tensor runningVar();
}
