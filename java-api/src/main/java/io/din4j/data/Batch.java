package io.din4j.data;

import java.util.Arrays;

/**
 * A mini-batch in host memory, columnar, already mapped to vocabulary rows. This is the one shape of data that
 * readers produce and models consume.
 *
 * <ul>
 *   <li>{@code sparse[f][b]}: row of sparse field f (schema order) for sample b.</li>
 *   <li>{@code sequences[s][b·T + t]}: row of behaviour t of sample b in sequence s (schema order), oldest first,
 *       padded with 0 beyond {@code lengths[b]}; all sequences of a sample have the same length.</li>
 *   <li>{@code dense[d][b]}: dense feature d.</li>
 *   <li>{@code labels[k][b]} ∈ {0, 1} and {@code labelMask[k][b]} ∈ {0, 1}: task k's label and whether sample b
 *       is in task k's sample space (an empty label cell gives mask 0).</li>
 *   <li>{@code groups[b]}: the raw user id, for GAUC (grouping by raw id keeps unseen users apart).</li>
 * </ul>
 * T ({@link #history()}) is the longest history in the batch: batches are padded only that far.
 */
public final class Batch {
    private final int size;
    private final int history;
    private final int[][] sparse;
    private final int[][] sequences;
    private final int[] lengths;
    private final float[][] dense;
    private final float[][] labels;
    private final float[][] labelMask;
    private final String[] groups;

    public Batch(int size, int history, int[][] sparse, int[][] sequences, int[] lengths, float[][] dense,
                 float[][] labels, float[][] labelMask, String[] groups) {
        if (size < 0 || history < 0) {
            throw new IllegalArgumentException("batch size " + size + " and history " + history + " must be >= 0");
        }
        this.size = size;
        this.history = history;
        this.sparse = sparse;
        this.sequences = sequences;
        this.lengths = lengths;
        this.dense = dense;
        this.labels = labels;
        this.labelMask = labelMask;
        this.groups = groups;
        for (int f = 0; f < sparse.length; f++) {
            check("sparse[" + f + "]", sparse[f].length, size);
        }
        for (int s = 0; s < sequences.length; s++) {
            check("sequences[" + s + "] (B·T = " + size + "·" + history + ")", sequences[s].length, (long) size * history);
        }
        check("lengths", lengths.length, size);
        for (int b = 0; b < size; b++) {
            if (lengths[b] < 0 || lengths[b] > history) {
                throw new IllegalArgumentException("lengths[" + b + "] = " + lengths[b] + " is outside [0, " + history + "]");
            }
        }
        for (int d = 0; d < dense.length; d++) {
            check("dense[" + d + "]", dense[d].length, size);
        }
        if (labels.length != labelMask.length) {
            throw new IllegalArgumentException(labels.length + " label columns but " + labelMask.length + " masks");
        }
        for (int k = 0; k < labels.length; k++) {
            check("labels[" + k + "]", labels[k].length, size);
            check("labelMask[" + k + "]", labelMask[k].length, size);
        }
        if (groups != null) {
            check("groups", groups.length, size);
        }
    }

    private static void check(String what, int got, long want) {
        if (got != want) {
            throw new IllegalArgumentException(what + " has " + got + " entries, expected " + want);
        }
    }

    /** B. */
    public int size() {
        return size;
    }

    /** T, the padded history length (the longest in the batch). */
    public int history() {
        return history;
    }

    public int[] sparse(int field) {
        return sparse[field];
    }

    public int[] sequence(int seq) {
        return sequences[seq];
    }

    public int[] lengths() {
        return lengths;
    }

    public float[] dense(int feature) {
        return dense[feature];
    }

    public float[] labels(int task) {
        return labels[task];
    }

    public float[] labelMask(int task) {
        return labelMask[task];
    }

    /** Raw user ids for GAUC, or null when unknown. */
    public String[] groups() {
        return groups;
    }

    public int sparseFields() {
        return sparse.length;
    }

    public int sequenceFields() {
        return sequences.length;
    }

    public int denseFeatures() {
        return dense.length;
    }

    public int tasks() {
        return labels.length;
    }

    @Override
    public String toString() {
        return "Batch[B=" + size + ", T=" + history + ", sparse=" + sparse.length + ", sequences=" + sequences.length
                + ", dense=" + dense.length + ", tasks=" + labels.length + ", lengths=" + Arrays.toString(Arrays.copyOf(lengths, Math.min(8, size))) + "...]";
    }
}
