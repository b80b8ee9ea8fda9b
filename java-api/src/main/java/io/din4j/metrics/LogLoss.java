package io.din4j.metrics;

/** Mean binary cross-entropy of probabilities against labels in [0, 1] (soft labels allowed), each clipped to {@code [1e−7, 1 − 1e−7]} so a confident miss is finite. */
public final class LogLoss {
    /** Clip applied to probabilities (f32 sigmoids saturate to exactly 0 or 1). */
    public static final double EPS = 1e-7;

    private LogLoss() {
    }

    /** Mean logloss; NaN for no samples. */
    public static double of(float[] probs, float[] labels) {
        if (probs.length != labels.length) {
            throw new IllegalArgumentException(probs.length + " probabilities but " + labels.length + " labels");
        }
        if (probs.length == 0) {
            return Double.NaN;
        }
        double s = 0;
        for (int i = 0; i < probs.length; i++) {
            double p = Math.min(1 - EPS, Math.max(EPS, probs[i]));
            double y = labels[i];
            s -= y * Math.log(p) + (1 - y) * Math.log1p(-p);
        }
        return s / probs.length;
    }
}
