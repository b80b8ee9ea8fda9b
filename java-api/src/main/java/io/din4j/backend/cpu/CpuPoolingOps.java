package io.din4j.backend.cpu;

import io.din4j.backend.*;
import io.din4j.tensor.Tensor;

/** PoolingOps of the cpu backend. Not implemented yet. */
final class CpuPoolingOps implements PoolingOps {
    private final Parallel parallel;

    CpuPoolingOps(Parallel parallel) {
        this.parallel = parallel;
    }

    @Override
    public void weightedSum(Tensor weights, Tensor keys, Tensor lengths, Tensor out) {
        throw new UnsupportedOperationException("cpu PoolingOps not implemented yet");
    }

    @Override
    public void weightedSumBackward(Tensor weights, Tensor keys, Tensor lengths, Tensor dOut, Tensor dWeights, Tensor dKeys) {
        throw new UnsupportedOperationException("cpu PoolingOps not implemented yet");
    }

    @Override
    public void maskedSoftmax(Tensor scores, Tensor lengths, Tensor out) {
        throw new UnsupportedOperationException("cpu PoolingOps not implemented yet");
    }

    @Override
    public void maskedSoftmaxBackward(Tensor out, Tensor lengths, Tensor dOut, Tensor dScores) {
        throw new UnsupportedOperationException("cpu PoolingOps not implemented yet");
    }

    @Override
    public void sum(Tensor keys, Tensor lengths, Tensor out) {
        throw new UnsupportedOperationException("cpu PoolingOps not implemented yet");
    }

    @Override
    public void sumBackward(Tensor lengths, Tensor dOut, Tensor dKeys) {
        throw new UnsupportedOperationException("cpu PoolingOps not implemented yet");
    }

}
