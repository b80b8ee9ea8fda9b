package io.din4j.backend;

import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;

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
}
