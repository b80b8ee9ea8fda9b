package io.din4j.backend;

import io.din4j.tensor.Tensor;

/**
 * Parameter updates, dense and sparse. Sparse updates change only the rows listed in a {@link SparseGrad}; every
 * other row of the table (and of its optimizer state) stays bit-identical.
 */
public interface OptimizerOps {
    /** {@code p −= lr·(g + weightDecay·p)}. */
    void sgd(Tensor param, Tensor grad, float lr, float weightDecay);

    /** {@code acc += g²; p −= lr·g / (sqrt(acc) + eps)}. */
    void adagrad(Tensor param, Tensor grad, Tensor accum, float lr, float eps);

    /**
     * Adam with bias correction at 1-based {@code step}: {@code m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
     * p −= lr·m̂ / (sqrt(v̂) + eps)}.
     */
    void adam(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, long step);

    /** SGD on the touched rows of {@code table [V, D]}. */
    void sgdSparse(Tensor table, SparseGrad grad, float lr);

    /** Adagrad on the touched rows; {@code accum [V, D]}. */
    void adagradSparse(Tensor table, SparseGrad grad, Tensor accum, float lr, float eps);

    /**
     * Lazy Adam on the touched rows: only those rows' moments decay and update (untouched rows keep stale
     * moments, as in TensorFlow's LazyAdam); bias correction uses the global {@code step}.
     */
    void adamSparse(Tensor table, SparseGrad grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, long step);

    /**
     * Mini-batch aware regularization (DIN paper eq. 4): for each touched row j, {@code grad_j += λ·w_j / n_j}
     * where {@code n_j = frequency[j]} is the row's occurrence count in the training data (values below 1 count
     * as 1). Untouched rows are not regularized.
     *
     * @param frequency {@code [V]} f32
     */
    void mbaRegularize(Tensor table, SparseGrad grad, Tensor frequency, float lambda);
}
