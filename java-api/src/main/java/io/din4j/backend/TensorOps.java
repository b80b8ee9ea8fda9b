package io.din4j.backend;

import io.din4j.tensor.Tensor;
import java.util.List;

/** Element-wise utilities over whole tensors. */
public interface TensorOps {
    /** Sets every element of {@code t} to {@code value}. */
    void fill(Tensor t, float value);

    /** {@code dst = src}; same element count and type. */
    void copy(Tensor src, Tensor dst);

    /** {@code dst += src}; same element count. */
    void addInto(Tensor dst, Tensor src);

    /** {@code t *= s}. */
    void scale(Tensor t, float s);

    /**
     * Concatenates along the last dimension: parts {@code [N, d_i]} into {@code out [N, Σ d_i]}. Parts of higher
     * rank are read as {@code [size / d_i, d_i]}.
     */
    void concatColumns(List<Tensor> parts, Tensor out);

    /**
     * The inverse of {@link #concatColumns}: the column blocks of {@code x [N, Σ d_i]} copied into {@code parts}
     * ({@code [N, d_i]}, none null). This default zeroes the parts and adds the blocks in.
     */
    default void splitColumns(Tensor x, List<Tensor> parts) {
        ValueChecks.columnBlocks("parts", parts, "x", x);
        for (Tensor p : parts) {
            fill(p, 0f);
        }
        splitColumnsAdd(x, parts);
    }

    /**
     * Backward of {@link #concatColumns}: adds the column blocks of {@code dOut [N, Σ d_i]} into {@code dParts};
     * {@code null} entries are skipped (their block has no consumer). The width of a null block is inferred from
     * the others, so at most one entry may be null here; use {@link #splitColumnsAdd(Tensor, List, int[])} when
     * several are.
     */
    void splitColumnsAdd(Tensor dOut, List<Tensor> dParts);

    /**
     * {@link #splitColumnsAdd(Tensor, List)} with the column widths given explicitly, so any number of entries of
     * {@code dParts} may be null.
     */
    void splitColumnsAdd(Tensor dOut, List<Tensor> dParts, int[] widths);

    /** Σ x²; NaN or infinite when any element is. Used for gradient norms and numerical-fault checks. */
    double sumSquares(Tensor t);

    /**
     * {@link #sumSquares(Tensor)} into {@code out[0]} (a {@code [1]} tensor of this backend, f64): a device backend
     * leaves it on the device (see {@link LossOps#bceWithLogits(Tensor, Tensor, Tensor, float, Tensor, Tensor)}).
     */
    default void sumSquares(Tensor t, Tensor out) {
        out.set(0, sumSquares(t));
    }
}
