package io.din4j.metrics;

import io.din4j.data.Batch;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Collects per-task predictions over batches and computes AUC, GAUC and logloss. A task sees only the samples in
 * its sample space ({@link Batch#labelMask}); GAUC groups by {@link Batch#groups()} and is NaN, with
 * {@link TaskMetrics#gaucReason()} saying why, when groups are unknown or no user has both labels.
 */
public final class Evaluation {
    private final List<String> tasks;
    private final float[][] scores;
    private final float[][] labels;
    private final String[][] groups;
    private final int[] n;
    private boolean groupsKnown = true;

    /** Why GAUC is undefined when the data has no user column to group by. */
    public static final String NO_USER_COLUMN = "no user column";
    /** Why a metric is undefined when the task has no labelled sample. */
    public static final String NO_SAMPLES = "no labelled samples";

    /**
     * Metrics of one task.
     *
     * @param gaucReason null when {@code gauc} is defined, else why it is not ({@link Gauc#NO_USER_WITH_BOTH_LABELS},
     *                   {@link #NO_USER_COLUMN}, {@link #NO_SAMPLES})
     */
    public record TaskMetrics(double auc, double gauc, double logloss, long samples, long positives, String gaucReason) {
        /** Metrics whose GAUC, when NaN, has no more specific reason than "no user has both labels". */
        public TaskMetrics(double auc, double gauc, double logloss, long samples, long positives) {
            this(auc, gauc, logloss, samples, positives, Double.isNaN(gauc) ? Gauc.NO_USER_WITH_BOTH_LABELS : null);
        }

        /** GAUC as printed: four decimals, or {@code n/a (reason)} when undefined. */
        public String gaucText() {
            return Double.isFinite(gauc) ? String.format(java.util.Locale.ROOT, "%.4f", gauc)
                    : "n/a (" + (gaucReason != null ? gaucReason : Gauc.NO_USER_WITH_BOTH_LABELS) + ")";
        }

        /** The metric called {@code auc}, {@code gauc} or {@code logloss}. */
        public double get(String metric) {
            return switch (metric) {
                case "auc" -> auc;
                case "gauc" -> gauc;
                case "logloss" -> logloss;
                default -> throw new IllegalArgumentException("unknown metric '" + metric + "' (expected auc, gauc or logloss)");
            };
        }
    }

    public Evaluation(List<String> tasks) {
        this.tasks = List.copyOf(tasks);
        int k = tasks.size();
        scores = new float[k][1024];
        labels = new float[k][1024];
        groups = new String[k][1024];
        n = new int[k];
    }

    /** Adds a batch's per-task probabilities {@code [K][B]}. */
    public void add(Batch batch, float[][] probs) {
        if (probs.length != tasks.size() || batch.tasks() != tasks.size()) {
            throw new IllegalArgumentException("evaluation of " + tasks.size() + " tasks got " + probs.length
                    + " prediction columns and " + batch.tasks() + " label columns");
        }
        String[] g = batch.groups();
        if (g == null) {
            groupsKnown = false;
        }
        for (int k = 0; k < probs.length; k++) {
            float[] mask = batch.labelMask(k);
            float[] y = batch.labels(k);
            for (int b = 0; b < batch.size(); b++) {
                if (mask[b] == 0f) {
                    continue;
                }
                if (n[k] == scores[k].length) {
                    int cap = n[k] * 2;
                    scores[k] = Arrays.copyOf(scores[k], cap);
                    labels[k] = Arrays.copyOf(labels[k], cap);
                    groups[k] = Arrays.copyOf(groups[k], cap);
                }
                scores[k][n[k]] = probs[k][b];
                labels[k][n[k]] = y[b];
                groups[k][n[k]] = g == null ? null : g[b];
                n[k]++;
            }
        }
    }

    /** Metrics per task, in task order. */
    public Map<String, TaskMetrics> result() {
        Map<String, TaskMetrics> out = new LinkedHashMap<>();
        for (int k = 0; k < tasks.size(); k++) {
            float[] s = Arrays.copyOf(scores[k], n[k]);
            float[] y = Arrays.copyOf(labels[k], n[k]);
            long pos = 0;
            for (float v : y) {
                pos += v == 1f ? 1 : 0;
            }
            double gauc = groupsKnown && n[k] > 0 ? Gauc.of(s, y, Arrays.copyOf(groups[k], n[k])) : Double.NaN;
            String reason = !Double.isNaN(gauc) ? null
                    : n[k] == 0 ? NO_SAMPLES : !groupsKnown ? NO_USER_COLUMN : Gauc.NO_USER_WITH_BOTH_LABELS;
            out.put(tasks.get(k), new TaskMetrics(Auc.of(s, y), gauc, LogLoss.of(s, y), n[k], pos, reason));
        }
        return out;
    }

    /** Scores collected for task {@code k} (for tests and reports). */
    public float[] scores(int k) {
        return Arrays.copyOf(scores[k], n[k]);
    }
}
