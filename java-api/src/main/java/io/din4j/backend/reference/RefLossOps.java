package io.din4j.backend.reference;

import io.din4j.backend.*;
import io.din4j.tensor.Tensor;

/** LossOps of the reference backend. Not implemented yet. */
final class RefLossOps implements LossOps {
    @Override
    public double bceWithLogits(Tensor logits, Tensor labels, Tensor weights, float scale, Tensor dLogits) {
        throw new UnsupportedOperationException("reference LossOps not implemented yet");
    }

}
