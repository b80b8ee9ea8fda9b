package io.din4j.backend.reference;

import io.din4j.backend.*;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;

/** AttentionOps of the reference backend. Not implemented yet. */
final class RefAttentionOps implements AttentionOps {
    @Override
    public AttentionWorkspace newWorkspace(AttentionUnit unit, TensorArena arena, int maxBatch, int maxHistory) {
        throw new UnsupportedOperationException("reference AttentionOps not implemented yet");
    }

    @Override
    public void forward(AttentionUnit unit, AttentionParams params, Tensor q, Tensor keys, Tensor lengths, AttentionWorkspace ws, Tensor scores, boolean training) {
        throw new UnsupportedOperationException("reference AttentionOps not implemented yet");
    }

    @Override
    public void backward(AttentionUnit unit, AttentionParams params, Tensor q, Tensor keys, Tensor lengths, AttentionWorkspace ws, Tensor dScores, Tensor dq, Tensor dKeys, AttentionParams grads) {
        throw new UnsupportedOperationException("reference AttentionOps not implemented yet");
    }

}
