package io.din4j.backend;

import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import java.util.List;

/** Embedding lookup and its sparse gradient. */
public interface EmbeddingOps {
    /** A sparse gradient for a {@code [tableRows, width]} table holding at most {@code capacity} unique rows. */
    SparseGrad newSparseGrad(TensorArena arena, long tableRows, int width, int capacity);

    /**
     * {@code out[n, :] = table[ids[n], :]}.
     *
     * @param table {@code [V, D]} values
     * @param ids   {@code [N]} i32, each in {@code [0, V)}
     * @param out   {@code [N, D]}
     */
    void gather(Tensor table, Tensor ids, Tensor out);

    /**
     * Padded-sequence lookup: {@code out[b, t, :] = table[ids[b, t], :]} for {@code t < lengths[b]}, zero for the
     * padding positions (whose ids are ignored).
     *
     * @param ids     {@code [B, T]} i32
     * @param lengths {@code [B]} i32, each in {@code [0, T]}
     * @param out     {@code [B, T, D]}
     */
    void gatherSequence(Tensor table, Tensor ids, Tensor lengths, Tensor out);

    /**
     * Backward of {@link #gather}: for each n, adds {@code dOut[n, :]} to the row of {@code ids[n]} in
     * {@code grad}, appending the row if it is new. Rows are summed in the order of {@code n}, so the result is
     * deterministic.
     */
    void gatherBackward(Tensor ids, Tensor dOut, SparseGrad grad);

    /** Backward of {@link #gatherSequence}: as {@link #gatherBackward} over the valid positions only. */
    void gatherSequenceBackward(Tensor ids, Tensor lengths, Tensor dOut, SparseGrad grad);

    /**
     * Whether this backend implements {@link #gatherInto} and its backward {@link #gatherIntoBackward}. Where it does
     * not, a graph gathers each table into a buffer of its own and concatenates them.
     */
    default boolean gathersIntoColumns() {
        return false;
    }

    /**
     * {@link #gather} (when {@code lengths} is null) or {@link #gatherSequence} writing into the columns
     * {@code [column, column + D)} of a wider output, and nothing else of it: the lookups of several tables side by
     * side in one buffer without the copy a concatenation makes (the multi-task models' input, DIN's behaviours).
     * Padding positions of a sequence ({@code t ≥ lengths[b]}) get zeros in those columns.
     *
     * @param ids     {@code [N]} i32, or {@code [B, T]} with {@code lengths}
     * @param lengths {@code [B]} i32, each in {@code [0, T]}; null for one id per row
     * @param out     {@code [N, W]}, or {@code [B, T, W]} with {@code lengths}; {@code column + D ≤ W}
     * @throws UnsupportedOperationException where {@link #gathersIntoColumns} is false
     */
    default void gatherInto(Tensor table, Tensor ids, Tensor lengths, Tensor out, long column) {
        throw new UnsupportedOperationException("this backend does not gather into a column window");
    }

    /**
     * Backward of {@link #gatherInto}: {@link #gatherBackward} (when {@code lengths} is null) or
     * {@link #gatherSequenceBackward} reading each position's gradient from the columns {@code [column, column + D)}
     * of a wider {@code dOut}, D the gradient's width: the gradient of a concatenation of lookups goes to each table
     * without first being split into buffers of its own. Rows are added in input order, as those methods add them.
     *
     * @param dOut {@code [N, W]}, or {@code [B, T, W]} with {@code lengths}; {@code column + D ≤ W}
     * @throws UnsupportedOperationException where {@link #gathersIntoColumns} is false
     */
    default void gatherIntoBackward(Tensor ids, Tensor lengths, Tensor dOut, long column, SparseGrad grad) {
        throw new UnsupportedOperationException("this backend does not gather from a column window");
    }

    /**
     * Whether this backend implements {@link #gatherSumPool} and its backward. Where it does not, the graph runs
     * {@link #gatherSequence} and sum pooling as two ops with the {@code [B, T, D]} sequence between them.
     */
    default boolean fusesGatherSumPool() {
        return false;
    }

    /**
     * {@link #gatherSequence} and sum pooling in one pass: {@code out[b, :] = Σ_{t < lengths[b]} table[ids[b, t], :]},
     * summed in the order of t, without the {@code [B, T, D]} sequence the two ops write and read back (the sum-pooled
     * behaviours of the multi-task models, where nothing else reads the sequence).
     *
     * @param ids     {@code [B, T]} i32
     * @param lengths {@code [B]} i32, each in {@code [0, T]}
     * @param out     {@code [B, D]}
     * @throws UnsupportedOperationException where {@link #fusesGatherSumPool} is false
     */
    default void gatherSumPool(Tensor table, Tensor ids, Tensor lengths, Tensor out) {
        throw new UnsupportedOperationException("this backend does not fuse the sequence gather with sum pooling");
    }

    /**
     * Backward of {@link #gatherSumPool}: for each valid position (b, t), in input order, adds {@code dOut[b, :]} to the
     * row of {@code ids[b, t]} in {@code grad}: {@link #gatherSequenceBackward} of the pooling's backward.
     *
     * @param dOut {@code [B, D]}
     */
    default void gatherSumPoolBackward(Tensor ids, Tensor lengths, Tensor dOut, SparseGrad grad) {
        throw new UnsupportedOperationException("this backend does not fuse the sequence gather with sum pooling");
    }

    /** One backward pass into {@code grad}: a call of one of this interface's backward methods, run when asked. */
    record SparseBackward(SparseGrad grad, Runnable pass) {
    }

    /**
     * Runs {@code passes} with the result of running them one after the other in list order: the passes into one
     * gradient keep their order, so every row is summed in the same order; passes into different gradients are
     * independent of each other. The default runs them in order; the cpu backend runs different gradients on
     * different threads (one gradient's pass is serial: its row index is one thread's).
     */
    default void backward(List<SparseBackward> passes) {
        for (SparseBackward p : passes) {
            p.pass().run();
        }
    }
}
