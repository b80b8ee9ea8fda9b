package io.din4j.backend;

import io.din4j.tensor.Tensor;

/** Fully connected layers with PyTorch's {@code nn.Linear} weight layout {@code [out, in]}. */
public interface DenseOps {
    /**
     * {@code y = x·Wᵀ + b}.
     *
     * @param x {@code [N, in]}
     * @param w {@code [out, in]}
     * @param b {@code [out]} or {@code null}
     * @param y {@code [N, out]}
     */
    void linear(Tensor x, Tensor w, Tensor b, Tensor y);

    /**
     * {@code y = max(x·Wᵀ + b, 0)} in one pass, when this backend fuses the ReLU into the product (the cpu backend
     * applies it as the GEMM writes each tile of y, saving a read and a write of y): returns true. A backend that
     * does not returns false and writes nothing; the caller then runs {@link #linear} and the ReLU itself. Used by
     * inference graphs, which keep no pre-activation for a backward pass.
     */
    default boolean linearRelu(Tensor x, Tensor w, Tensor b, Tensor y) {
        return false;
    }

    /**
     * Backward of {@link #linear}: {@code dx += dy·W} (skipped when {@code dx} is null), {@code dW += dyᵀ·x},
     * {@code db += Σ_n dy} (skipped when {@code db} is null).
     */
    void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dW, Tensor db);
}
