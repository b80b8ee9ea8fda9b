package io.din4j.backend;

import java.util.Arrays;

/**
 * Shape of DIN's local activation unit (paper Fig. 2): for a candidate {@code q} and each behaviour {@code k} of
 * width D, the input {@code [q, k, q − k, q ⊙ k]} (width 4D) goes through hidden layers {@code hidden[0..L)} with
 * {@code activation}, then a linear layer to one score.
 *
 * @param width      D, the width of the candidate and behaviour embeddings (e.g. item ⊕ category = 2·32)
 * @param hidden     hidden widths, the paper's default {@code {80, 40}}; at least one layer
 * @param activation hidden activation (Dice in the paper)
 */
public record AttentionUnit(int width, int[] hidden, Activation activation) {
    public AttentionUnit {
        if (width <= 0) {
            throw new IllegalArgumentException("attention width must be positive, got " + width);
        }
        if (hidden == null || hidden.length == 0) {
            throw new IllegalArgumentException("attention unit needs at least one hidden layer");
        }
        for (int h : hidden) {
            if (h <= 0) {
                throw new IllegalArgumentException("attention hidden sizes must be positive, got " + Arrays.toString(hidden));
            }
        }
        hidden = hidden.clone();
    }

    /** Hidden layers (L). */
    public int layers() {
        return hidden.length;
    }

    /** Input width of layer {@code l} ({@code 4D} for the first, the previous hidden width after). */
    public int inputWidth(int l) {
        return l == 0 ? 4 * width : hidden[l - 1];
    }

    @Override
    public int[] hidden() {
        return hidden.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AttentionUnit u && u.width == width && Arrays.equals(u.hidden, hidden) && u.activation == activation;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + Arrays.hashCode(hidden)) + activation.hashCode();
    }

    @Override
    public String toString() {
        return "AttentionUnit[width=" + width + ", hidden=" + Arrays.toString(hidden) + ", activation=" + activation + "]";
    }
}
