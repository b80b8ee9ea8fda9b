package io.din4j.backend.reference;

import io.din4j.backend.*;
import io.din4j.tensor.Tensor;
import java.util.List;

/** TensorOps of the reference backend. Not implemented yet. */
final class RefTensorOps implements TensorOps {
    @Override
    public void fill(Tensor t, float value) {
        throw new UnsupportedOperationException("reference TensorOps not implemented yet");
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        throw new UnsupportedOperationException("reference TensorOps not implemented yet");
    }

    @Override
    public void addInto(Tensor dst, Tensor src) {
        throw new UnsupportedOperationException("reference TensorOps not implemented yet");
    }

    @Override
    public void scale(Tensor t, float s) {
        throw new UnsupportedOperationException("reference TensorOps not implemented yet");
    }

    @Override
    public void concatColumns(List<Tensor> parts, Tensor out) {
        throw new UnsupportedOperationException("reference TensorOps not implemented yet");
    }

    @Override
    public void splitColumnsAdd(Tensor dOut, List<Tensor> dParts) {
        throw new UnsupportedOperationException("reference TensorOps not implemented yet");
    }

    @Override
    public double sumSquares(Tensor t) {
        throw new UnsupportedOperationException("reference TensorOps not implemented yet");
    }

}
