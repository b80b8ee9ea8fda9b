package io.din4j.backend.reference;

import io.din4j.backend.*;
import io.din4j.tensor.Tensor;

/** DenseOps of the reference backend. Not implemented yet. */
final class RefDenseOps implements DenseOps {
    @Override
    public void linear(Tensor x, Tensor w, Tensor b, Tensor y) {
        throw new UnsupportedOperationException("reference DenseOps not implemented yet");
    }

    @Override
    public void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dW, Tensor db) {
        throw new UnsupportedOperationException("reference DenseOps not implemented yet");
    }

}
