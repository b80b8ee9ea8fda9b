package io.din4j.backend.cpu;

import io.din4j.backend.*;
import io.din4j.tensor.Tensor;
import java.util.List;

/** TensorOps of the cpu backend. Not implemented yet. */
final class CpuTensorOps implements TensorOps {
    private final Parallel parallel;

    CpuTensorOps(Parallel parallel) {
        this.parallel = parallel;
    }

    @Override
    public void fill(Tensor t, float value) {
        throw new UnsupportedOperationException("cpu TensorOps not implemented yet");
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        throw new UnsupportedOperationException("cpu TensorOps not implemented yet");
    }

    @Override
    public void addInto(Tensor dst, Tensor src) {
        throw new UnsupportedOperationException("cpu TensorOps not implemented yet");
    }

    @Override
    public void scale(Tensor t, float s) {
        throw new UnsupportedOperationException("cpu TensorOps not implemented yet");
    }

    @Override
    public void concatColumns(List<Tensor> parts, Tensor out) {
        throw new UnsupportedOperationException("cpu TensorOps not implemented yet");
    }

    @Override
    public void splitColumnsAdd(Tensor dOut, List<Tensor> dParts) {
        throw new UnsupportedOperationException("cpu TensorOps not implemented yet");
    }

    @Override
    public double sumSquares(Tensor t) {
        throw new UnsupportedOperationException("cpu TensorOps not implemented yet");
    }

}
