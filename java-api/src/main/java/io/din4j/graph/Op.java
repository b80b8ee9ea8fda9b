package io.din4j.graph;

import io.din4j.backend.EmbeddingOps;

/** One step of a {@link Graph}: reads and writes the current views of its buffers. */
public interface Op {
    /** Computes this op's outputs; {@code training} selects batch statistics (Dice) and saving for backward. */
    void forward(boolean training);

    /** Adds this op's input (and parameter) gradients; called in reverse order after a training forward. */
    void backward();

    /**
     * This op's backward when all it does is add into an embedding table's sparse gradient, which no other op's
     * backward reads: {@link Graph#backward} then runs it after every other op, together with the others of its
     * kind ({@link EmbeddingOps#backward(java.util.List)}); the same object every call. Null for any other op.
     */
    default EmbeddingOps.SparseBackward sparseBackward() {
        return null;
    }
}
