package io.din4j.backend.reference;

import io.din4j.backend.*;
import io.din4j.tensor.Tensor;

/** GateOps of the reference backend. Not implemented yet. */
final class RefGateOps implements GateOps {
    @Override
    public void softmaxMix(Tensor logits, Tensor experts, int[] selected, Tensor probs, Tensor out) {
        throw new UnsupportedOperationException("reference GateOps not implemented yet");
    }

    @Override
    public void softmaxMixBackward(Tensor probs, Tensor experts, int[] selected, Tensor dOut, Tensor dLogits, Tensor dExperts) {
        throw new UnsupportedOperationException("reference GateOps not implemented yet");
    }

}
