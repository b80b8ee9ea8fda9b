package io.din4j.backend.cpu;

import io.din4j.backend.*;
import io.din4j.tensor.Tensor;

/** LossOps of the cpu backend. Not implemented yet. */
final class CpuLossOps implements LossOps {
    private final Parallel parallel;

    CpuLossOps(Parallel parallel) {
        this.parallel = parallel;
    }

    @Override
    public double bceWithLogits(Tensor logits, Tensor labels, Tensor weights, float scale, Tensor dLogits) {
        throw new UnsupportedOperationException("cpu LossOps not implemented yet");
    }

}
