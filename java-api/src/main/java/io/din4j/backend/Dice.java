package io.din4j.backend;

/** Constants of Dice shared by every backend, so that all of them compute the same function. */
public final class Dice {
    private Dice() {
    }

    /** ε under the square root (DIN paper: 1e-8). */
    public static final double EPSILON = 1e-8;

    /**
     * Weight of the current batch in the running statistics: {@code running = (1 − m)·running + m·batch}. The
     * running variance tracks the biased batch variance, the one used for normalisation in training.
     */
    public static final double MOMENTUM = 0.01;
}
