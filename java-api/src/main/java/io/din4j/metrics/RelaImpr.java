package io.din4j.metrics;

/**
 * Relative improvement over a base model (DIN paper eq. 10):
 * {@code RelaImpr = ((AUC(model) − 0.5) / (AUC(base) − 0.5) − 1) × 100%}. 0.5 is the AUC of a random guess, so
 * the ratio compares how far each model is from guessing.
 */
public final class RelaImpr {
    private RelaImpr() {
    }

    /** RelaImpr in percent; works for GAUC as well. */
    public static double percent(double model, double base) {
        if (!(base != 0.5)) {
            throw new IllegalArgumentException("base AUC " + base + " is a random guess; RelaImpr is undefined");
        }
        return ((model - 0.5) / (base - 0.5) - 1) * 100;
    }
}
