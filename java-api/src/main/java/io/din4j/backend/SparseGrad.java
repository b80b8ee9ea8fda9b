package io.din4j.backend;

import io.din4j.tensor.Tensor;

/**
 * The gradient of an embedding table as the rows a batch touched: {@link #count()} unique row ids in
 * {@link #rows()} (i32, order of first appearance) with their summed gradient rows in {@link #values()}
 * ({@code [capacity, D]}, the first {@code count} rows valid). Never a dense table-sized gradient.
 *
 * <p>Created by {@link EmbeddingOps#newSparseGrad}; filled by the embedding backward ops; consumed by the sparse
 * optimizer updates. {@link #clear()} before each backward pass.
 */
public interface SparseGrad {
    /** Rows of the table this gradient belongs to (V). */
    long tableRows();

    /** Embedding width (D). */
    int width();

    /** Maximum number of unique rows. */
    int capacity();

    /** Number of unique rows currently held. */
    int count();

    /**
     * An upper bound on {@link #count()} known without asking the device (at most {@link #capacity()}); the value
     * rows from {@code count()} up to it are zero, so a reduction over the first {@code countBound()} rows equals
     * one over the first {@code count()}. {@code count()} itself where that costs nothing.
     */
    default int countBound() {
        return count();
    }

    /** Row ids, i32 {@code [capacity]}; the first {@link #count()} are valid. */
    Tensor rows();

    /** Summed gradient rows, {@code [capacity, D]}; the first {@link #count()} are valid. */
    Tensor values();

    /** Forgets every row. */
    void clear();
}
