package io.din4j.graph;

/** One step of a {@link Graph}: reads and writes the current views of its buffers. */
public interface Op {
    /** Computes this op's outputs; {@code training} selects batch statistics (Dice) and saving for backward. */
    void forward(boolean training);

    /** Adds this op's input (and parameter) gradients; called in reverse order after a training forward. */
    void backward();
}
