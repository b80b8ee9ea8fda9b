package io.din4j.backend.cpu;

import io.din4j.backend.*;
import io.din4j.tensor.Tensor;

/** OptimizerOps of the cpu backend. Not implemented yet. */
final class CpuOptimizerOps implements OptimizerOps {
    private final Parallel parallel;

    CpuOptimizerOps(Parallel parallel) {
        this.parallel = parallel;
    }

    @Override
    public void sgd(Tensor param, Tensor grad, float lr, float weightDecay) {
        throw new UnsupportedOperationException("cpu OptimizerOps not implemented yet");
    }

    @Override
    public void adagrad(Tensor param, Tensor grad, Tensor accum, float lr, float eps) {
        throw new UnsupportedOperationException("cpu OptimizerOps not implemented yet");
    }

    @Override
    public void adam(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, long step) {
        throw new UnsupportedOperationException("cpu OptimizerOps not implemented yet");
    }

    @Override
    public void sgdSparse(Tensor table, SparseGrad grad, float lr) {
        throw new UnsupportedOperationException("cpu OptimizerOps not implemented yet");
    }

    @Override
    public void adagradSparse(Tensor table, SparseGrad grad, Tensor accum, float lr, float eps) {
        throw new UnsupportedOperationException("cpu OptimizerOps not implemented yet");
    }

    @Override
    public void adamSparse(Tensor table, SparseGrad grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, long step) {
        throw new UnsupportedOperationException("cpu OptimizerOps not implemented yet");
    }

    @Override
    public void mbaRegularize(Tensor table, SparseGrad grad, Tensor frequency, float lambda) {
        throw new UnsupportedOperationException("cpu OptimizerOps not implemented yet");
    }

}
