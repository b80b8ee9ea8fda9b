package io.din4j.data;

import java.util.Arrays;

/** Row slices of a {@link Batch}. */
public final class Batches {
    private Batches() {
    }

    /** Rows {@code [from, to)} of {@code b} as a new batch, padded to the longest history among them. */
    public static Batch slice(Batch b, int from, int to) {
        if (from < 0 || to > b.size() || from >= to) {
            throw new IllegalArgumentException("rows [" + from + ", " + to + ") of a batch of " + b.size());
        }
        int n = to - from;
        int[] lengths = Arrays.copyOfRange(b.lengths(), from, to);
        int t = 0;
        for (int l : lengths) {
            t = Math.max(t, l);
        }
        int[][] sparse = new int[b.sparseFields()][];
        for (int f = 0; f < sparse.length; f++) {
            sparse[f] = Arrays.copyOfRange(b.sparse(f), from, to);
        }
        int[][] seqs = new int[b.sequenceFields()][];
        int tb = b.history();
        for (int s = 0; s < seqs.length; s++) {
            seqs[s] = new int[n * t];
            for (int i = 0; i < n; i++) {
                System.arraycopy(b.sequence(s), (from + i) * tb, seqs[s], i * t, t);
            }
        }
        float[][] dense = new float[b.denseFeatures()][];
        for (int d = 0; d < dense.length; d++) {
            dense[d] = Arrays.copyOfRange(b.dense(d), from, to);
        }
        float[][] labels = new float[b.tasks()][];
        float[][] masks = new float[b.tasks()][];
        for (int k = 0; k < labels.length; k++) {
            labels[k] = Arrays.copyOfRange(b.labels(k), from, to);
            masks[k] = Arrays.copyOfRange(b.labelMask(k), from, to);
        }
        String[] groups = b.groups() == null ? null : Arrays.copyOfRange(b.groups(), from, to);
        return new Batch(n, t, sparse, seqs, lengths, dense, labels, masks, groups);
    }
}
