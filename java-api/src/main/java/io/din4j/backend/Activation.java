package io.din4j.backend;

/** Hidden-layer activations of the papers. */
public enum Activation {
    /** Dice (DIN paper eq. 9): {@code p·x + (1 − p)·α·x}, {@code p = σ((x − E[x]) / sqrt(Var[x] + ε))}. */
    DICE,
    /** PReLU with one learned slope per channel. */
    PRELU,
    SIGMOID,
    RELU;

    /** Whether the activation has a learned per-channel α. */
    public boolean hasAlpha() {
        return this == DICE || this == PRELU;
    }

    /** Parses {@code dice|prelu|sigmoid|relu}, case-insensitive. */
    public static Activation parse(String s) {
        for (Activation a : values()) {
            if (a.name().equalsIgnoreCase(s.trim())) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown activation '" + s + "' (expected dice, prelu, sigmoid or relu)");
    }
}
