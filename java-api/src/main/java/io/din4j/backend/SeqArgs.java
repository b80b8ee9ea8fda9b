package io.din4j.backend;

import io.din4j.tensor.DType;
import io.din4j.tensor.Tensor;

/**
 * Argument checks shared by the backends' embedding, attention and pooling ops (value tensors through
 * {@link ValueChecks}), so that every backend rejects the same inputs with the same messages, before writing
 * anything. Not part of the model-facing API.
 */
public final class SeqArgs {
    private SeqArgs() {
    }

    /** Which floating types a backend computes in: the reference accepts f32 and f64, the cpu backend f32 only. */
    public enum Values {
        F32_ONLY, F32_OR_F64
    }

    /** Checks a host floating tensor of exactly {@code shape} (the message names {@code what}). */
    public static void values(String what, Tensor t, Values v, long... shape) {
        ValueChecks.value(what, t, v == Values.F32_OR_F64, shape);
    }

    /** Checks a host floating tensor of rank {@code rank}. */
    public static void valuesRank(String what, Tensor t, Values v, int rank) {
        ValueChecks.value(what, t, v == Values.F32_OR_F64);
        if (t.rank() != rank) {
            throw new IllegalArgumentException(what + ": expected a rank-" + rank + " tensor, got " + t);
        }
    }

    /** Checks {@code lengths [B]} i32 with every entry in {@code [0, T]}. */
    public static void lengths(Tensor lengths, long b, long t) {
        if (lengths == null) {
            throw new IllegalArgumentException("lengths: missing (null)");
        }
        lengths.require("lengths", DType.I32, b);
        for (long i = 0; i < b; i++) {
            int len = lengths.getInt(i);
            if (len < 0 || len > t) {
                throw new IllegalArgumentException("lengths[" + i + "] = " + len + " is outside [0, T=" + t + "]");
            }
        }
    }

    /** Checks {@code ids [N]} i32 with every entry in {@code [0, V)}. */
    public static void ids(Tensor ids, long tableRows) {
        if (ids == null) {
            throw new IllegalArgumentException("ids: missing (null)");
        }
        ids.requireRank("ids", DType.I32, 1);
        long n = ids.dim(0);
        for (long i = 0; i < n; i++) {
            int id = ids.getInt(i);
            if (id < 0 || id >= tableRows) {
                throw new IllegalArgumentException("ids[" + i + "] = " + id + " is outside the table of " + tableRows + " rows");
            }
        }
    }

    /** Checks {@code ids [B, T]} i32 with every valid position ({@code t < lengths[b]}) in {@code [0, V)}. */
    public static void sequenceIds(Tensor ids, Tensor lengths, long tableRows) {
        if (ids == null) {
            throw new IllegalArgumentException("ids: missing (null)");
        }
        ids.requireRank("ids", DType.I32, 2);
        long b = ids.dim(0);
        long t = ids.dim(1);
        lengths(lengths, b, t);
        for (long i = 0; i < b; i++) {
            int len = lengths.getInt(i);
            for (long j = 0; j < len; j++) {
                int id = ids.getInt(i * t + j);
                if (id < 0 || id >= tableRows) {
                    throw new IllegalArgumentException("ids[" + i + ", " + j + "] = " + id + " is outside the table of "
                            + tableRows + " rows");
                }
            }
        }
    }

    /**
     * Checks the arguments of {@link EmbeddingOps#gatherInto} and returns {@code {rows, T, D, W}}: rows is N (T = 1)
     * for one id per row, B for a sequence.
     */
    public static long[] gatherInto(Tensor table, Tensor ids, Tensor lengths, Tensor out, long column, Values v) {
        valuesRank("table", table, v, 2);
        long d = table.dim(1);
        long rows;
        long t;
        if (lengths == null) {
            ids(ids, table.dim(0));
            rows = ids.dim(0);
            t = 1;
            valuesRank("out", out, v, 2);
        } else {
            sequenceIds(ids, lengths, table.dim(0));
            rows = ids.dim(0);
            t = ids.dim(1);
            valuesRank("out", out, v, 3);
        }
        long w = out.dim(-1);
        if (column < 0 || column + d > w) {
            throw new IllegalArgumentException("gatherInto: columns [" + column + ", " + (column + d) + ") of a table of width " + d
                    + " do not fit out " + out);
        }
        if (lengths == null) {
            values("out", out, v, rows, w);
        } else {
            values("out", out, v, rows, t, w);
        }
        return new long[] {rows, t, d, w};
    }

    /**
     * Checks {@code gatherIntoBackward}'s arguments: ids (and lengths) against the gradient's table, {@code dOut}
     * holding their rows, and the column window {@code [column, column + D)} inside its width W. Returns
     * {@code {rows, T (1 without lengths), D, W}}.
     */
    public static long[] gatherIntoBackward(Tensor ids, Tensor lengths, Tensor dOut, long column, SparseGrad grad, Values v) {
        if (grad == null) {
            throw new IllegalArgumentException("grad: missing (null)");
        }
        long d = grad.width();
        long t = 1;
        if (lengths == null) {
            ids(ids, grad.tableRows());
            valuesRank("dOut", dOut, v, 2);
        } else {
            sequenceIds(ids, lengths, grad.tableRows());
            t = ids.dim(1);
            valuesRank("dOut", dOut, v, 3);
        }
        long w = dOut.dim(-1);
        if (column < 0 || column + d > w) {
            throw new IllegalArgumentException("gatherIntoBackward: columns [" + column + ", " + (column + d)
                    + ") of a gradient of width " + d + " do not fit dOut " + dOut);
        }
        if (lengths == null) {
            values("dOut", dOut, v, ids.dim(0), w);
        } else {
            values("dOut", dOut, v, ids.dim(0), t, w);
        }
        return new long[] {ids.dim(0), t, d, w};
    }

    /** Checks a sparse gradient against an expected width. */
    public static void sparseGrad(SparseGrad grad, long width) {
        if (grad == null) {
            throw new IllegalArgumentException("grad: missing (null)");
        }
        if (grad.width() != width) {
            throw new IllegalArgumentException("grad: width " + grad.width() + " does not match dOut width " + width);
        }
    }

    /**
     * Checks the tensors of a local activation unit ({@code what} is "params" or "grads"); for gradients the
     * Dice states are not needed.
     */
    public static void attentionParams(String what, AttentionUnit unit, AttentionParams p, Values v, boolean gradient) {
        if (p == null) {
            throw new IllegalArgumentException(what + ": missing (null)");
        }
        int layers = unit.layers();
        int[] hidden = unit.hidden();
        if (p.weights() == null || p.weights().length != layers + 1 || p.biases() == null || p.biases().length != layers + 1) {
            throw new IllegalArgumentException(what + ": expected " + (layers + 1) + " weights and biases for " + unit);
        }
        boolean alpha = unit.activation().hasAlpha();
        boolean dice = unit.activation() == Activation.DICE && !gradient;
        if (alpha && (p.alphas() == null || p.alphas().length < layers)) {
            throw new IllegalArgumentException(what + ": " + unit.activation() + " needs " + layers + " alphas");
        }
        if (dice && (p.dice() == null || p.dice().length < layers)) {
            throw new IllegalArgumentException(what + ": DICE needs " + layers + " Dice states");
        }
        for (int l = 0; l < layers; l++) {
            values(what + ".weights[" + l + "]", p.weights()[l], v, hidden[l], unit.inputWidth(l));
            values(what + ".biases[" + l + "]", p.biases()[l], v, hidden[l]);
            if (alpha) {
                values(what + ".alphas[" + l + "]", p.alphas()[l], v, hidden[l]);
            }
            if (dice) {
                DiceState s = p.dice()[l];
                if (s == null || s.channels() != hidden[l]) {
                    throw new IllegalArgumentException(what + ".dice[" + l + "]: expected a Dice state of " + hidden[l]
                            + " channels, got " + (s == null ? "null" : s.channels() + " channels"));
                }
                values(what + ".dice[" + l + "].runningMean", s.runningMean(), v, hidden[l]);
                values(what + ".dice[" + l + "].runningVar", s.runningVar(), v, hidden[l]);
            }
        }
        values(what + ".weights[" + layers + "]", p.weights()[layers], v, 1, hidden[layers - 1]);
        values(what + ".biases[" + layers + "]", p.biases()[layers], v, 1);
    }

    /**
     * Checks the inputs of an attention forward/backward: q {@code [B, D]}, keys {@code [B, T, D]}, lengths, and a
     * {@code [B, T]} tensor named {@code scoresName}; B and T within the workspace. Returns {@code {B, T}}.
     */
    public static int[] attentionInputs(AttentionUnit unit, Tensor q, Tensor keys, Tensor lengths, AttentionWorkspace ws,
                                        String scoresName, Tensor scores, Values v) {
        present(unit, ws);
        valuesRank("keys", keys, v, 3);
        long b = keys.dim(0);
        long t = keys.dim(1);
        values("keys", keys, v, b, t, unit.width());
        values("q", q, v, b, unit.width());
        values(scoresName, scores, v, b, t);
        if (b > ws.maxBatch() || t > ws.maxHistory()) {
            throw new IllegalArgumentException("keys: batch " + b + " × history " + t + " exceeds the workspace's "
                    + ws.maxBatch() + " × " + ws.maxHistory());
        }
        lengths(lengths, b, t);
        return new int[] {(int) b, (int) t};
    }

    private static void present(AttentionUnit unit, AttentionWorkspace ws) {
        if (unit == null) {
            throw new IllegalArgumentException("unit: missing (null)");
        }
        if (ws == null) {
            throw new IllegalArgumentException("ws: missing (null)");
        }
    }

    /**
     * Checks the arguments of {@link AttentionOps#forwardPooledSharedKeys}: {@code [1, T, D]} keys, {@code [B, D]} q,
     * {@code [B, T]} scores, {@code [B, D]} pooled and {@code lengths [B]} inside {@code [0, T]}; returns
     * {@code {B, T}}.
     */
    public static int[] attentionSharedKeys(AttentionUnit unit, Tensor q, Tensor keys, Tensor lengths,
                                            AttentionWorkspace ws, Tensor scores, Tensor pooled, Values v) {
        present(unit, ws);
        valuesRank("keys", keys, v, 3);
        long t = keys.dim(1);
        values("keys", keys, v, 1, t, unit.width());
        valuesRank("q", q, v, 2);
        long b = q.dim(0);
        values("q", q, v, b, unit.width());
        values("scores", scores, v, b, t);
        values("pooled", pooled, v, b, unit.width());
        if (b > ws.maxBatch() || t > ws.maxHistory()) {
            throw new IllegalArgumentException("q: batch " + b + " × history " + t + " exceeds the workspace's "
                    + ws.maxBatch() + " × " + ws.maxHistory());
        }
        lengths(lengths, b, t);
        return new int[] {(int) b, (int) t};
    }

    /** Checks {@code [B, T]} weights, {@code [B, T, D]} keys and {@code lengths}; returns {@code {B, T, D}}. */
    public static int[] pooled(String wName, Tensor w, Tensor keys, Tensor lengths, Values v) {
        valuesRank("keys", keys, v, 3);
        long b = keys.dim(0);
        long t = keys.dim(1);
        if (w != null) {
            values(wName, w, v, b, t);
        }
        lengths(lengths, b, t);
        return new int[] {(int) b, (int) t, Math.toIntExact(keys.dim(2))};
    }

    /**
     * Checks the arguments of {@link EmbeddingOps#gatherSumPool}: a {@code [V, D]} table, {@code [B, T]} ids inside it
     * at the valid positions, {@code lengths} and a {@code [B, D]} out; returns {@code {B, T, D}}.
     */
    public static int[] gatherSumPool(Tensor table, Tensor ids, Tensor lengths, Tensor out, Values v) {
        valuesRank("table", table, v, 2);
        sequenceIds(ids, lengths, table.dim(0));
        int b = ids.dimInt(0);
        int d = table.dimInt(1);
        values("out", out, v, b, d);
        return new int[] {b, ids.dimInt(1), d};
    }

    /** Checks the arguments of {@link EmbeddingOps#gatherSumPoolBackward}: {@code dOut [B, D]} as wide as {@code grad}. */
    public static void gatherSumPoolBackward(Tensor ids, Tensor lengths, Tensor dOut, SparseGrad grad, Values v) {
        valuesRank("dOut", dOut, v, 2);
        sparseGrad(grad, dOut.dim(1));
        sequenceIds(ids, lengths, grad.tableRows());
        values("dOut", dOut, v, ids.dim(0), grad.width());
    }
}
