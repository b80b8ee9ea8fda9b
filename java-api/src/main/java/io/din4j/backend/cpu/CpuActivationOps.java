package io.din4j.backend.cpu;

import io.din4j.backend.*;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;

/** ActivationOps of the cpu backend. Not implemented yet. */
final class CpuActivationOps implements ActivationOps {
    private final Parallel parallel;

    CpuActivationOps(Parallel parallel) {
        this.parallel = parallel;
    }

    @Override
    public void relu(Tensor x, Tensor y) {
        throw new UnsupportedOperationException("cpu ActivationOps not implemented yet");
    }

    @Override
    public void reluBackward(Tensor x, Tensor dy, Tensor dx) {
        throw new UnsupportedOperationException("cpu ActivationOps not implemented yet");
    }

    @Override
    public void sigmoid(Tensor x, Tensor y) {
        throw new UnsupportedOperationException("cpu ActivationOps not implemented yet");
    }

    @Override
    public void sigmoidBackward(Tensor y, Tensor dy, Tensor dx) {
        throw new UnsupportedOperationException("cpu ActivationOps not implemented yet");
    }

    @Override
    public void prelu(Tensor x, Tensor alpha, Tensor y) {
        throw new UnsupportedOperationException("cpu ActivationOps not implemented yet");
    }

    @Override
    public void preluBackward(Tensor x, Tensor alpha, Tensor dy, Tensor dx, Tensor dAlpha) {
        throw new UnsupportedOperationException("cpu ActivationOps not implemented yet");
    }

    @Override
    public DiceState newDiceState(TensorArena arena, int channels) {
        throw new UnsupportedOperationException("cpu ActivationOps not implemented yet");
    }

    @Override
    public void dice(Tensor x, Tensor alpha, DiceState state, boolean training, Tensor y) {
        throw new UnsupportedOperationException("cpu ActivationOps not implemented yet");
    }

    @Override
    public void diceBackward(Tensor x, Tensor alpha, DiceState state, Tensor dy, Tensor dx, Tensor dAlpha) {
        throw new UnsupportedOperationException("cpu ActivationOps not implemented yet");
    }

}
