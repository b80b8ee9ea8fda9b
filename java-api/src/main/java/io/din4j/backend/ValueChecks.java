package io.din4j.backend;

import io.din4j.tensor.DType;
import io.din4j.tensor.Tensor;
import java.util.List;

/**
 * Argument checks shared by the backends' dense, activation, gate, loss, optimizer and tensor ops, so that every
 * backend rejects the same bad arguments with the same messages (each names the argument and the value).
 */
public final class ValueChecks {
    private ValueChecks() {
    }

    /**
     * A host value tensor: f32, or f64 too when {@code allowF64} (the reference backend computes in double).
     */
    public static Tensor value(String what, Tensor t, boolean allowF64) {
        if (t == null) {
            throw new IllegalArgumentException(what + ": must not be null");
        }
        if (!t.isHost()) {
            throw new IllegalArgumentException(what + ": expected a host tensor, got " + t);
        }
        if (t.dtype() != DType.F32 && !(allowF64 && t.dtype() == DType.F64)) {
            throw new IllegalArgumentException(what + ": expected " + (allowF64 ? "an F32 or F64" : "an F32")
                    + " tensor, got " + t);
        }
        return t;
    }

    /** A host value tensor of exactly {@code shape}. */
    public static Tensor value(String what, Tensor t, boolean allowF64, long... shape) {
        value(what, t, allowF64);
        if (!java.util.Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(what + ": expected shape " + java.util.Arrays.toString(shape) + ", got " + t);
        }
        return t;
    }

    /** A host value tensor of rank at least 1 whose last dimension is {@code cols} (any rank is read as rows). */
    public static long rowsOf(String what, Tensor t, boolean allowF64, long cols) {
        value(what, t, allowF64);
        if (t.rank() < 1 || t.dim(-1) != cols) {
            throw new IllegalArgumentException(what + ": expected last dimension " + cols + ", got " + t);
        }
        return cols == 0 ? 0 : t.size() / cols;
    }

    /** Same element count. */
    public static void sameSize(String what, Tensor t, String otherName, Tensor other) {
        if (t.size() != other.size()) {
            throw new IllegalArgumentException(what + ": expected " + other.size() + " elements like " + otherName + " "
                    + other + ", got " + t);
        }
    }

    /** Same shape. */
    public static void sameShape(String what, Tensor t, String otherName, Tensor other) {
        if (!java.util.Arrays.equals(t.shape(), other.shape())) {
            throw new IllegalArgumentException(what + ": expected the shape of " + otherName + " " + other + ", got " + t);
        }
    }

    /** Checks that a sparse gradient belongs to {@code table [V, D]} and that its row ids lie in {@code [0, V)}. */
    public static void sparse(String what, SparseGrad grad, Tensor table, boolean allowF64) {
        if (grad == null) {
            throw new IllegalArgumentException(what + ": must not be null");
        }
        value("table", table, allowF64);
        if (table.rank() != 2) {
            throw new IllegalArgumentException("table: expected [V, D], got " + table);
        }
        if (grad.width() != table.dim(1) || grad.tableRows() != table.dim(0)) {
            throw new IllegalArgumentException(what + ": gradient of a [" + grad.tableRows() + ", " + grad.width()
                    + "] table does not match table " + table);
        }
        int count = grad.count();
        if (count < 0 || count > grad.capacity()) {
            throw new IllegalArgumentException(what + ": count " + count + " outside [0, " + grad.capacity() + "]");
        }
        Tensor rows = grad.rows();
        long v = table.dim(0);
        for (int i = 0; i < count; i++) {
            int r = rows.getInt(i);
            if (r < 0 || r >= v) {
                throw new IllegalArgumentException(what + ": row id " + r + " at " + i + " outside [0, " + v + ")");
            }
        }
    }

    /** Checks a gate's expert selection against {@code Etot} experts. */
    public static void selected(int[] selected, int e, long eTot) {
        if (selected == null || selected.length != e) {
            throw new IllegalArgumentException("selected: expected " + e + " expert indices, got "
                    + (selected == null ? "null" : java.util.Arrays.toString(selected)));
        }
        for (int i = 0; i < e; i++) {
            if (selected[i] < 0 || selected[i] >= eTot) {
                throw new IllegalArgumentException("selected[" + i + "] = " + selected[i] + " outside [0, " + eTot + ")");
            }
        }
    }

    /** Column widths of {@code concatColumns}' parts (a null part's width is inferred when it is the only one). */
    public static int[] columnWidths(String what, java.util.List<Tensor> parts, Tensor whole, boolean allowF64) {
        value(what.equals("parts") ? "out" : "dOut", whole, allowF64);
        if (parts == null || parts.isEmpty()) {
            throw new IllegalArgumentException(what + ": expected at least one tensor");
        }
        long total = whole.rank() == 0 ? 1 : whole.dim(-1);
        long n = total == 0 ? 0 : whole.size() / total;
        int[] widths = new int[parts.size()];
        int nulls = 0;
        int nullAt = -1;
        long sum = 0;
        for (int i = 0; i < parts.size(); i++) {
            Tensor p = parts.get(i);
            if (p == null) {
                nulls++;
                nullAt = i;
                continue;
            }
            value(what + "[" + i + "]", p, allowF64);
            long d = p.rank() == 0 ? 1 : p.dim(-1);
            if (d == 0 ? p.size() != 0 : p.size() != n * d) {
                throw new IllegalArgumentException(what + "[" + i + "]: expected " + n + " rows of " + d + ", got " + p);
            }
            widths[i] = Math.toIntExact(d);
            sum += d;
        }
        if (nulls > 1) {
            throw new IllegalArgumentException(what + ": " + nulls + " null entries; a null block's width is inferred "
                    + "only when it is the only one (use the overload with explicit widths)");
        }
        if (nulls == 1) {
            if (sum > total) {
                throw new IllegalArgumentException(what + ": widths sum to " + sum + " > " + total);
            }
            widths[nullAt] = Math.toIntExact(total - sum);
            sum = total;
        }
        if (sum != total) {
            throw new IllegalArgumentException(what + ": widths sum to " + sum + ", expected the last dimension of " + whole);
        }
        return widths;
    }

    /**
     * Shapes only, on any placement: {@code parts} (none null) are {@code [N, d_i]} blocks of {@code whole}'s last
     * dimension, {@code Σ d_i} wide, as {@code splitColumns} needs them.
     */
    public static void columnBlocks(String what, java.util.List<Tensor> parts, String wholeName, Tensor whole) {
        if (whole == null) {
            throw new IllegalArgumentException(wholeName + ": must not be null");
        }
        if (parts == null || parts.isEmpty()) {
            throw new IllegalArgumentException(what + ": expected at least one tensor");
        }
        long total = whole.rank() == 0 ? 1 : whole.dim(-1);
        long n = total == 0 ? 0 : whole.size() / total;
        long sum = 0;
        for (int i = 0; i < parts.size(); i++) {
            Tensor p = parts.get(i);
            if (p == null) {
                throw new IllegalArgumentException(what + "[" + i + "]: null");
            }
            long d = p.rank() == 0 ? 1 : p.dim(-1);
            if (d == 0 ? p.size() != 0 : p.size() != n * d) {
                throw new IllegalArgumentException(what + "[" + i + "]: expected " + n + " rows of " + d + ", got " + p);
            }
            sum += d;
        }
        if (sum != total) {
            throw new IllegalArgumentException(what + ": widths sum to " + sum + ", expected the last dimension of " + whole);
        }
    }

    /** Column widths given explicitly (for {@code splitColumnsAdd} with several null blocks). */
    public static void columnWidths(String what, java.util.List<Tensor> parts, int[] widths, Tensor whole, boolean allowF64) {
        value("dOut", whole, allowF64);
        if (parts == null || widths == null || parts.size() != widths.length) {
            throw new IllegalArgumentException(what + ": expected one width per part, got "
                    + (widths == null ? "null" : java.util.Arrays.toString(widths)));
        }
        long total = whole.rank() == 0 ? 1 : whole.dim(-1);
        long n = total == 0 ? 0 : whole.size() / total;
        long sum = 0;
        for (int i = 0; i < widths.length; i++) {
            if (widths[i] < 0) {
                throw new IllegalArgumentException("widths[" + i + "] = " + widths[i] + " is negative");
            }
            Tensor p = parts.get(i);
            if (p != null) {
                value(what + "[" + i + "]", p, allowF64);
                if (p.size() != n * widths[i]) {
                    throw new IllegalArgumentException(what + "[" + i + "]: expected " + n + " rows of " + widths[i] + ", got " + p);
                }
            }
            sum += widths[i];
        }
        if (sum != total) {
            throw new IllegalArgumentException("widths: sum to " + sum + ", expected the last dimension of " + whole);
        }
    }

    /**
     * Checks {@code x [N, in]}, {@code w [out, in]} and {@code other [N, out]} (skipped when null) of a linear layer;
     * returns {@code {N, in, out}}.
     */
    public static long[] linear(Tensor x, Tensor w, String otherName, Tensor other, boolean allowF64) {
        value("w", w, allowF64);
        if (w.rank() != 2) {
            throw new IllegalArgumentException("w: expected [out, in], got " + w);
        }
        long out = w.dim(0);
        long in = w.dim(1);
        long n = rowsOf("x", x, allowF64, in);
        if (other != null) {
            rows(otherName, other, allowF64, n, out);
        }
        return new long[] {n, in, out};
    }

    /** Checks that {@code t} holds {@code n} rows of {@code cols} (any rank, read as rows of its last dimension). */
    public static void rows(String what, Tensor t, boolean allowF64, long n, long cols) {
        if (rowsOf(what, t, allowF64, cols) != n) {
            throw new IllegalArgumentException(what + ": expected " + n + " rows of " + cols + ", got " + t);
        }
    }

    /** Checks {@code x [N, C]} (C ≥ 1) and a per-channel {@code alpha [C]}; returns C. */
    public static long channels(Tensor x, Tensor alpha, boolean allowF64) {
        value("x", x, allowF64);
        if (x.rank() < 1 || x.dim(-1) < 1) {
            throw new IllegalArgumentException("x: expected [N, C] with C >= 1, got " + x);
        }
        long c = x.dim(-1);
        value("alpha", alpha, allowF64, c);
        return c;
    }

    /**
     * Checks a gate's {@code [B, E]} logits or probabilities, {@code experts [B, Etot, H]} and the selection;
     * returns {@code {B, E, Etot, H}}.
     */
    public static long[] gate(String lpName, Tensor lp, Tensor experts, int[] selected, boolean allowF64) {
        value(lpName, lp, allowF64);
        if (lp.rank() != 2 || lp.dim(1) < 1) {
            throw new IllegalArgumentException(lpName + ": expected [B, E] with E >= 1, got " + lp);
        }
        value("experts", experts, allowF64);
        if (experts.rank() != 3 || experts.dim(0) != lp.dim(0)) {
            throw new IllegalArgumentException("experts: expected [" + lp.dim(0) + ", Etot, H], got " + experts);
        }
        long e = lp.dim(1);
        selected(selected, Math.toIntExact(e), experts.dim(1));
        return new long[] {lp.dim(0), e, experts.dim(1), experts.dim(2)};
    }

    /** Checks that a {@code softmaxMixes} call gives every gate its logits, selection, probabilities and output. */
    public static void gates(List<Tensor> logits, List<int[]> selected, List<Tensor> probs, List<Tensor> outs) {
        int n = logits.size();
        if (n == 0 || selected.size() != n || probs.size() != n || outs.size() != n) {
            throw new IllegalArgumentException("gates: expected as many selections, probs and outs as logits (at least one), got "
                    + n + " logits, " + selected.size() + " selections, " + probs.size() + " probs and " + outs.size() + " outs");
        }
    }

    /**
     * The shapes of a {@code softmaxMixes} call on any backend, host or device: gate {@code i}'s logits and
     * probabilities {@code [B, E_i]} with {@code E_i} its selection's length, every selection inside
     * {@code experts [B, Etot, H]}, every output {@code [B, H]}. A backend's own checks of each gate (placement,
     * dtype) come after; these make a bad gate fail before the first gate writes anything.
     */
    public static void gateShapes(List<Tensor> logits, Tensor experts, List<int[]> selected, List<Tensor> probs,
            List<Tensor> outs) {
        gates(logits, selected, probs, outs);
        if (experts == null || experts.rank() != 3) {
            throw new IllegalArgumentException("experts: expected [B, Etot, H], got " + experts);
        }
        long b = experts.dim(0);
        for (int i = 0; i < logits.size(); i++) {
            if (selected.get(i) == null) {
                throw new IllegalArgumentException("selected[" + i + "]: must not be null");
            }
            int e = selected.get(i).length;
            shape("logits[" + i + "]", logits.get(i), b, e);
            selected(selected.get(i), e, experts.dim(1));
            shape("probs[" + i + "]", probs.get(i), b, e);
            shape("outs[" + i + "]", outs.get(i), b, experts.dim(2));
        }
    }

    private static void shape(String what, Tensor t, long... shape) {
        if (t == null || !java.util.Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(what + ": expected shape " + java.util.Arrays.toString(shape) + ", got " + t);
        }
    }

    /** Checks the tensors of {@code bceWithLogits} (weights and dLogits may be null); returns B. */
    public static long bce(Tensor logits, Tensor labels, Tensor weights, Tensor dLogits, boolean allowF64) {
        value("logits", logits, allowF64);
        if (logits.rank() != 1) {
            throw new IllegalArgumentException("logits: expected [B], got " + logits);
        }
        long b = logits.dim(0);
        value("labels", labels, allowF64, b);
        if (weights != null) {
            value("weights", weights, allowF64, b);
        }
        if (dLogits != null) {
            value("dLogits", dLogits, allowF64, b);
        }
        return b;
    }

    /** A value tensor {@code t} of the same shape as {@code ref} (optimizer state and gradients). */
    public static void like(String what, Tensor t, String refName, Tensor ref, boolean allowF64) {
        value(what, t, allowF64);
        sameShape(what, t, refName, ref);
    }

    /** Checks Adam's 1-based step. */
    public static void step(long step) {
        if (step < 1) {
            throw new IllegalArgumentException("step: expected >= 1 (1-based), got " + step);
        }
    }
}
