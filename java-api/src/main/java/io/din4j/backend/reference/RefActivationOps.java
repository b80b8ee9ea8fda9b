package io.din4j.backend.reference;

import io.din4j.backend.*;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;

/** ActivationOps of the reference backend. Not implemented yet. */
final class RefActivationOps implements ActivationOps {
    @Override
    public void relu(Tensor x, Tensor y) {
        throw new UnsupportedOperationException("reference ActivationOps not implemented yet");
    }

    @Override
    public void reluBackward(Tensor x, Tensor dy, Tensor dx) {
        throw new UnsupportedOperationException("reference ActivationOps not implemented yet");
    }

    @Override
    public void sigmoid(Tensor x, Tensor y) {
        throw new UnsupportedOperationException("reference ActivationOps not implemented yet");
    }

    @Override
    public void sigmoidBackward(Tensor y, Tensor dy, Tensor dx) {
        throw new UnsupportedOperationException("reference ActivationOps not implemented yet");
    }

    @Override
    public void prelu(Tensor x, Tensor alpha, Tensor y) {
        throw new UnsupportedOperationException("reference ActivationOps not implemented yet");
    }

    @Override
    public void preluBackward(Tensor x, Tensor alpha, Tensor dy, Tensor dx, Tensor dAlpha) {
        throw new UnsupportedOperationException("reference ActivationOps not implemented yet");
    }

    @Override
    public DiceState newDiceState(TensorArena arena, int channels) {
        throw new UnsupportedOperationException("reference ActivationOps not implemented yet");
    }

    @Override
    public void dice(Tensor x, Tensor alpha, DiceState state, boolean training, Tensor y) {
        throw new UnsupportedOperationException("reference ActivationOps not implemented yet");
    }

    @Override
    public void diceBackward(Tensor x, Tensor alpha, DiceState state, Tensor dy, Tensor dx, Tensor dAlpha) {
        throw new UnsupportedOperationException("reference ActivationOps not implemented yet");
    }

}
