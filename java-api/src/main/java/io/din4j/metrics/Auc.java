package io.din4j.metrics;

import java.util.Arrays;

/**
 * Exact area under the ROC curve: the share of (positive, negative) pairs ranked correctly, a tie counting one half
 * (the trapezoidal ROC area; equal to the Mann–Whitney rank-sum formula with average ranks). A soft label
 * {@code y ∈ (0, 1)} — which the CSV reader accepts — counts as weight {@code y} of a positive and {@code 1 − y} of a
 * negative, so the pair (i, j) weighs {@code y_i·(1 − y_j)}; with 0/1 labels this is the usual AUC.
 */
public final class Auc {
    private Auc() {
    }

    /** AUC of {@code scores} against {@code labels} in [0, 1]; NaN when either class has no weight. */
    public static double of(float[] scores, float[] labels) {
        return of(scores, labels, 0, scores.length);
    }

    /** AUC over {@code [from, from + n)}. */
    public static double of(float[] scores, float[] labels, int from, int n) {
        if (scores.length != labels.length) {
            throw new IllegalArgumentException(scores.length + " scores but " + labels.length + " labels");
        }
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) {
            idx[i] = from + i;
        }
        return ofIndices(scores, labels, idx);
    }

    /** AUC over the samples listed in {@code idx} (reordered in place). */
    static double ofIndices(float[] scores, float[] labels, Integer[] idx) {
        int n = idx.length;
        double pos = 0;
        double neg = 0;
        for (Integer i : idx) {
            float y = labels[i];
            if (!(y >= 0f && y <= 1f)) {
                throw new IllegalArgumentException("labels[" + i + "] = " + y + " is not in [0, 1]");
            }
            if (Float.isNaN(scores[i])) {
                throw new IllegalArgumentException("scores[" + i + "] is NaN");
            }
            pos += y;
            neg += 1.0 - y;
        }
        if (pos == 0 || neg == 0) {
            return Double.NaN;
        }
        Arrays.sort(idx, (a, b) -> Float.compare(scores[a], scores[b]));
        // Ascending sweep over groups of equal scores: a group's positive weight beats all negative weight below it
        // and ties half of its own. With 0/1 labels every sum is an integer, exact in double.
        double correct = 0;
        double negBelow = 0;
        int i = 0;
        while (i < n) {
            int j = i;
            double groupPos = 0;
            double groupNeg = 0;
            while (j < n && scores[idx[j]] == scores[idx[i]]) {
                groupPos += labels[idx[j]];
                groupNeg += 1.0 - labels[idx[j]];
                j++;
            }
            correct += groupPos * (negBelow + 0.5 * groupNeg);
            negBelow += groupNeg;
            i = j;
        }
        return correct / (pos * neg);
    }
}
