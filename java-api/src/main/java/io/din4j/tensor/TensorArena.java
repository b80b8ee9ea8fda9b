package io.din4j.tensor;

/**
 * Owns the memory of the tensors allocated from it; closing it frees them all at once. Whoever plans the buffers
 * (a model for its maximum batch size, a test, a predictor) owns the arena. Fresh tensors are zero-filled.
 */
public interface TensorArena extends AutoCloseable {
    /** A new zero-filled tensor. */
    Tensor allocate(DType dtype, long... shape);

    default Tensor f32(long... shape) {
        return allocate(DType.F32, shape);
    }

    default Tensor f64(long... shape) {
        return allocate(DType.F64, shape);
    }

    default Tensor i32(long... shape) {
        return allocate(DType.I32, shape);
    }

    /** Bytes allocated so far and not yet freed (for memory accounting and leak tests). */
    long allocatedBytes();

    /** Frees every tensor of this arena. Idempotent. */
    @Override
    void close();
}
