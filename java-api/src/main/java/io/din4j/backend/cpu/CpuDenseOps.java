package io.din4j.backend.cpu;

import io.din4j.backend.*;
import io.din4j.tensor.Tensor;

/** DenseOps of the cpu backend. Not implemented yet. */
final class CpuDenseOps implements DenseOps {
    private final Parallel parallel;

    CpuDenseOps(Parallel parallel) {
        this.parallel = parallel;
    }

    @Override
    public void linear(Tensor x, Tensor w, Tensor b, Tensor y) {
        throw new UnsupportedOperationException("cpu DenseOps not implemented yet");
    }

    @Override
    public void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dW, Tensor db) {
        throw new UnsupportedOperationException("cpu DenseOps not implemented yet");
    }

}
