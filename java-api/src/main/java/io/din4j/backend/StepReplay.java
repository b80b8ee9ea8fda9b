package io.din4j.backend;

import io.din4j.tensor.Tensor;

/**
 * What a device backend offers to take the host out of a training step: regions of ops recorded once and replayed
 * with one host call (CUDA graphs), and optimizer updates whose per-step scalars live on the device so that a
 * replayed update stays right as the learning rate and Adam's bias corrections change. {@link Backend#replay()}
 * returns it, or null on backends with nothing to replay (the host ones).
 *
 * <p>A recorded region must be replayable: its ops, their grid sizes, their tensors and every scalar argument are
 * the same whenever its key is the same, and it reads nothing back to the host. Whatever changes from call to call
 * is either in the key (a new recording) or in device memory (the {@code scalars} tensors below, which the
 * trainer uploads with the batch).
 */
public interface StepReplay {
    /**
     * Runs {@code work}, or replays the device work that an earlier call with an equal {@code key} recorded
     * without running {@code work}'s host code. The first call with a key runs eagerly (it sizes the backend's
     * scratch buffers), the second records and runs the recording, later ones replay it. A backend forgets a
     * recording when memory it may reference is freed, and keeps a bounded number. The backend reapplies the host
     * state its own objects changed inside the region (a sparse gradient's row bound); the caller's host state is
     * the caller's: it must not depend on {@code work} having run.
     *
     * @return true when replayed (work did not run)
     */
    boolean run(Object key, Runnable work);

    /** {@link OptimizerOps#sgd} with {@code lr = scalars[0]} read on the device. */
    void sgd(Tensor param, Tensor grad, Tensor scalars, float weightDecay);

    /** {@link OptimizerOps#adagrad} with {@code lr = scalars[0]}. */
    void adagrad(Tensor param, Tensor grad, Tensor accum, Tensor scalars, float eps);

    /**
     * {@link OptimizerOps#adam} with {@code lr = scalars[0]} and the bias corrections {@code scalars[1..3)} (as
     * {@link #adamBiasCorrections} gives them for the step).
     */
    void adam(Tensor param, Tensor grad, Tensor m, Tensor v, Tensor scalars, float beta1, float beta2, float eps);

    /** {@link OptimizerOps#sgdSparse} with {@code lr = scalars[0]}. */
    void sgdSparse(Tensor table, SparseGrad grad, Tensor scalars);

    /** {@link OptimizerOps#adagradSparse} with {@code lr = scalars[0]}. */
    void adagradSparse(Tensor table, SparseGrad grad, Tensor accum, Tensor scalars, float eps);

    /** {@link OptimizerOps#adamSparse} with {@code lr = scalars[0]} and the bias corrections {@code scalars[1..3)}. */
    void adamSparse(Tensor table, SparseGrad grad, Tensor m, Tensor v, Tensor scalars, float beta1, float beta2, float eps);

    /** {@link OptimizerOps#mbaRegularize} with {@code λ = scalars[0]}. */
    void mbaRegularize(Tensor table, SparseGrad grad, Tensor frequency, Tensor scalars);

    /**
     * Adam's bias corrections {@code {1 − β1^step, 1 − β2^step}} at 1-based {@code step}, computed in double and
     * rounded to float: what the backends' {@code adam(…, step)} use.
     */
    static float[] adamBiasCorrections(float beta1, float beta2, long step) {
        if (step < 1) {
            throw new IllegalArgumentException("step must be >= 1 (1-based), got " + step);
        }
        return new float[] {(float) (1 - Math.pow(beta1, step)), (float) (1 - Math.pow(beta2, step))};
    }
}
