package io.din4j.spark;

import java.io.Serial;
import java.io.Serializable;
import java.util.Arrays;

/**
 * What workers send back after a round, in a form that adds associatively (so Spark's tree reduction can combine
 * it in any order on executors before the driver sees it):
 * <ul>
 *   <li>dense parameters (and Dice running statistics): {@code Σ_i n_i·(w_i − w)} over workers i, with n_i the
 *       samples worker i trained on in the round and w the round's global value;</li>
 *   <li>embedding tables: for each row changed by at least one worker, {@code Σ_i (e_i − e)} over the workers that
 *       changed it, and how many did ("votes").</li>
 * </ul>
 * The new global value is {@code w + Σ n_i·Δ_i / Σ n_i} (a sample-weighted average of the replicas) and, row by
 * row, {@code e + Σ Δ_i / votes} (the average of the replicas that touched the row; other rows keep their value).
 */
final class ParamUpdate implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    long samples;
    long steps;
    /** Σ over steps of the weighted multi-task loss. */
    double lossSum;
    /** Σ of {@link #bytes()} of the workers' own updates, before any merge. */
    long sentBytes;
    /** Sharded training: embedding rows the workers received, and rows they sent back changed. */
    long rowsPulled;
    long rowsPushed;
    /** Per parameter: dense sums, or null for embedding tables. */
    final double[][] dense;
    /** Per embedding parameter: changed rows, ascending (null for dense parameters). */
    final int[][] rows;
    /** Per embedding parameter: Σ Δ of each changed row, {@code rows.length × width}. */
    final float[][] rowDelta;
    /** Per embedding parameter: workers that changed each row. */
    final int[][] votes;

    ParamUpdate(int params) {
        dense = new double[params][];
        rows = new int[params][];
        rowDelta = new float[params][];
        votes = new int[params][];
    }

    /** One worker's update: {@code local} against {@code global}; {@code width[p]} > 0 marks embedding tables. */
    static ParamUpdate of(float[][] global, float[][] local, int[] width, long samples, long steps, double lossSum) {
        ParamUpdate u = new ParamUpdate(global.length);
        u.samples = samples;
        u.steps = steps;
        u.lossSum = lossSum;
        for (int p = 0; p < global.length; p++) {
            float[] g = global[p];
            float[] l = local[p];
            if (width[p] == 0) {
                double[] d = new double[g.length];
                for (int i = 0; i < g.length; i++) {
                    d[i] = samples * ((double) l[i] - g[i]);
                }
                u.dense[p] = d;
                continue;
            }
            int w = width[p];
            int n = g.length / w;
            int changed = 0;
            int[] r = new int[n];
            for (int row = 0; row < n; row++) {
                if (!Arrays.equals(g, row * w, row * w + w, l, row * w, row * w + w)) {
                    r[changed++] = row;
                }
            }
            float[] delta = new float[changed * w];
            for (int j = 0; j < changed; j++) {
                int base = r[j] * w;
                for (int c = 0; c < w; c++) {
                    delta[j * w + c] = l[base + c] - g[base + c];
                }
            }
            int[] v = new int[changed];
            Arrays.fill(v, 1);
            u.rows[p] = Arrays.copyOf(r, changed);
            u.rowDelta[p] = delta;
            u.votes[p] = v;
        }
        u.sentBytes = u.bytes();
        return u;
    }

    /** The sum of two updates (a new object; neither input changes). */
    static ParamUpdate merge(ParamUpdate a, ParamUpdate b) {
        ParamUpdate u = new ParamUpdate(a.dense.length);
        u.samples = a.samples + b.samples;
        u.steps = a.steps + b.steps;
        u.lossSum = a.lossSum + b.lossSum;
        u.sentBytes = a.sentBytes + b.sentBytes;
        u.rowsPulled = a.rowsPulled + b.rowsPulled;
        u.rowsPushed = a.rowsPushed + b.rowsPushed;
        for (int p = 0; p < a.dense.length; p++) {
            if (a.dense[p] != null) {
                double[] d = a.dense[p].clone();
                for (int i = 0; i < d.length; i++) {
                    d[i] += b.dense[p][i];
                }
                u.dense[p] = d;
            } else {
                mergeRows(a, b, u, p);
            }
        }
        return u;
    }

    /** Sort-merge of two ascending row lists, adding deltas and votes of rows in both. */
    private static void mergeRows(ParamUpdate a, ParamUpdate b, ParamUpdate u, int p) {
        int[] ra = a.rows[p];
        int[] rb = b.rows[p];
        int na = ra.length;
        int nb = rb.length;
        int w = na > 0 ? a.rowDelta[p].length / na : nb > 0 ? b.rowDelta[p].length / nb : 0;
        int[] r = new int[na + nb];
        int[] v = new int[na + nb];
        float[] d = new float[(na + nb) * w];
        int i = 0;
        int j = 0;
        int n = 0;
        while (i < na || j < nb) {
            boolean takeA = j >= nb || (i < na && ra[i] <= rb[j]);
            boolean takeB = i >= na || (j < nb && rb[j] <= ra[i]);
            r[n] = takeA ? ra[i] : rb[j];
            if (takeA) {
                System.arraycopy(a.rowDelta[p], i * w, d, n * w, w);
                v[n] += a.votes[p][i];
            }
            if (takeB) {
                for (int c = 0; c < w; c++) {
                    d[n * w + c] += b.rowDelta[p][j * w + c];
                }
                v[n] += b.votes[p][j];
            }
            i += takeA ? 1 : 0;
            j += takeB ? 1 : 0;
            n++;
        }
        u.rows[p] = Arrays.copyOf(r, n);
        u.votes[p] = Arrays.copyOf(v, n);
        u.rowDelta[p] = Arrays.copyOf(d, n * w);
    }

    /**
     * Applies the update to the round's {@code global} values, in place.
     *
     * @return embedding rows changed
     */
    long applyTo(float[][] global, int[] width) {
        long changed = 0;
        for (int p = 0; p < global.length; p++) {
            float[] g = global[p];
            if (dense[p] != null) {
                if (samples > 0) {
                    for (int i = 0; i < g.length; i++) {
                        g[i] = (float) (g[i] + dense[p][i] / samples);
                    }
                }
                continue;
            }
            int w = width[p];
            for (int j = 0; j < rows[p].length; j++) {
                int base = rows[p][j] * w;
                for (int c = 0; c < w; c++) {
                    g[base + c] = (float) (g[base + c] + (double) rowDelta[p][j * w + c] / votes[p][j]);
                }
            }
            changed += rows[p].length;
        }
        return changed;
    }

    /** Approximate serialized size: what one worker's update weighs on the wire. */
    long bytes() {
        long n = 0;
        for (int p = 0; p < dense.length; p++) {
            n += dense[p] != null ? 8L * dense[p].length : 4L * (rows[p].length * 2L + rowDelta[p].length);
        }
        return n;
    }
}
