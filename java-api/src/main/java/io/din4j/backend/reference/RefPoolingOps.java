package io.din4j.backend.reference;

import io.din4j.backend.*;
import io.din4j.tensor.Tensor;

/** PoolingOps of the reference backend. Not implemented yet. */
final class RefPoolingOps implements PoolingOps {
    @Override
    public void weightedSum(Tensor weights, Tensor keys, Tensor lengths, Tensor out) {
        throw new UnsupportedOperationException("reference PoolingOps not implemented yet");
    }

    @Override
    public void weightedSumBackward(Tensor weights, Tensor keys, Tensor lengths, Tensor dOut, Tensor dWeights, Tensor dKeys) {
        throw new UnsupportedOperationException("reference PoolingOps not implemented yet");
    }

    @Override
    public void maskedSoftmax(Tensor scores, Tensor lengths, Tensor out) {
        throw new UnsupportedOperationException("reference PoolingOps not implemented yet");
    }

    @Override
    public void maskedSoftmaxBackward(Tensor out, Tensor lengths, Tensor dOut, Tensor dScores) {
        throw new UnsupportedOperationException("reference PoolingOps not implemented yet");
    }

    @Override
    public void sum(Tensor keys, Tensor lengths, Tensor out) {
        throw new UnsupportedOperationException("reference PoolingOps not implemented yet");
    }

    @Override
    public void sumBackward(Tensor lengths, Tensor dOut, Tensor dKeys) {
        throw new UnsupportedOperationException("reference PoolingOps not implemented yet");
    }

}
