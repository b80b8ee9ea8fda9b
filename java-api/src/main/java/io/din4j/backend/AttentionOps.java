package io.din4j.backend;

import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;

/**
 * DIN's local activation unit over padded behaviour sequences. Only the first {@code lengths[b]} behaviours of
 * sample b are evaluated; padding positions score 0 and get no gradient. With Dice, the training statistics of
 * each hidden layer are taken over all valid (b, t) rows of the batch.
 */
public interface AttentionOps {
    AttentionWorkspace newWorkspace(AttentionUnit unit, TensorArena arena, int maxBatch, int maxHistory);

    /**
     * Scores every valid behaviour against its sample's candidate.
     *
     * @param q       candidate {@code [B, D]}
     * @param keys    behaviours {@code [B, T, D]}
     * @param lengths {@code [B]} i32 in {@code [0, T]}
     * @param scores  output {@code [B, T]}, 0 at padding positions
     * @param training whether Dice uses (and updates) batch statistics and the workspace keeps what backward needs
     */
    void forward(AttentionUnit unit, AttentionParams params, Tensor q, Tensor keys, Tensor lengths,
                 AttentionWorkspace ws, Tensor scores, boolean training);

    /**
     * Inference {@link #forward} ({@code training} false) and DIN's weighted-sum pooling of its scores in one pass:
     * {@code scores} as {@link #forward} writes them, and {@code pooled [B, D]} as
     * {@link PoolingOps#weightedSum}{@code (scores, keys, lengths, pooled)} would (0 where a sample has no
     * behaviours). A backend that pools while each sample's behaviours are still in its cache saves reading them
     * all again. Returns false, having written nothing, where the backend does not fuse the two: the caller then runs
     * them one after the other.
     */
    default boolean forwardPooled(AttentionUnit unit, AttentionParams params, Tensor q, Tensor keys, Tensor lengths,
                                  AttentionWorkspace ws, Tensor scores, Tensor pooled) {
        return false;
    }

    /**
     * {@link #forwardPooled} for one key sequence shared by every row: {@code keys [1, T, D]} (one user's behaviours)
     * against {@code q [B, D]} (B candidate items), row b scored over the first {@code lengths[b]} keys — what
     * {@code forwardPooled} computes on those keys copied into every row, with no copy. Serving one user against 200
     * candidates at T = 100 spent 10% of its time copying the user's behaviours into every row and 3% more reading
     * them back per candidate (cpu backend, JFR at 256 bits). Returns false, having written nothing, where the backend
     * has no such path (see {@link #sharesKeys()}).
     */
    default boolean forwardPooledSharedKeys(AttentionUnit unit, AttentionParams params, Tensor q, Tensor keys,
                                            Tensor lengths, AttentionWorkspace ws, Tensor scores, Tensor pooled) {
        return false;
    }

    /** Whether {@link #forwardPooledSharedKeys} is implemented, so a graph can plan without the copies. */
    default boolean sharesKeys() {
        return false;
    }

    /**
     * Backward of the last training {@link #forward} on the same inputs: adds into {@code dq [B, D]},
     * {@code dKeys [B, T, D]} and every tensor of {@code grads} (whose {@code dice} entries are ignored).
     */
    void backward(AttentionUnit unit, AttentionParams params, Tensor q, Tensor keys, Tensor lengths,
                  AttentionWorkspace ws, Tensor dScores, Tensor dq, Tensor dKeys, AttentionParams grads);
}
