package io.din4j.backend.cpu;

import io.din4j.backend.*;
import io.din4j.tensor.Tensor;

/** GateOps of the cpu backend. Not implemented yet. */
final class CpuGateOps implements GateOps {
    private final Parallel parallel;

    CpuGateOps(Parallel parallel) {
        this.parallel = parallel;
    }

    @Override
    public void softmaxMix(Tensor logits, Tensor experts, int[] selected, Tensor probs, Tensor out) {
        throw new UnsupportedOperationException("cpu GateOps not implemented yet");
    }

    @Override
    public void softmaxMixBackward(Tensor probs, Tensor experts, int[] selected, Tensor dOut, Tensor dLogits, Tensor dExperts) {
        throw new UnsupportedOperationException("cpu GateOps not implemented yet");
    }

}
