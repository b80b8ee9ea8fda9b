package io.din4j.metrics;

import java.util.Arrays;

/**
 * Exact area under the ROC curve by the rank-sum (Mann–Whitney) formula, {@code (R₊ − P(P+1)/2) / (P·N)}, where
 * tied scores share the average of their ranks: a positive and a negative with equal scores count one half, as
 * the trapezoidal ROC area does.
 */
public final class Auc {
    private Auc() {
    }

    /** AUC of {@code scores} against 0/1 {@code labels}; NaN when either class is absent. */
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
        long pos = 0;
        for (Integer i : idx) {
            float y = labels[i];
            if (y != 0f && y != 1f) {
                throw new IllegalArgumentException("labels[" + i + "] = " + y + " is not 0 or 1");
            }
            if (Float.isNaN(scores[i])) {
                throw new IllegalArgumentException("scores[" + i + "] is NaN");
            }
            if (y == 1f) {
                pos++;
            }
        }
        long neg = n - pos;
        if (pos == 0 || neg == 0) {
            return Double.NaN;
        }
        Arrays.sort(idx, (a, b) -> Float.compare(scores[a], scores[b]));
        double rankSumPos = 0;
        int i = 0;
        while (i < n) {
            int j = i;
            long posInGroup = 0;
            while (j < n && scores[idx[j]] == scores[idx[i]]) {
                if (labels[idx[j]] == 1f) {
                    posInGroup++;
                }
                j++;
            }
            // ranks i+1 .. j (1-based) share their average
            double avgRank = (i + 1 + j) / 2.0;
            rankSumPos += avgRank * posInGroup;
            i = j;
        }
        return (rankSumPos - pos * (pos + 1) / 2.0) / ((double) pos * neg);
    }
}
