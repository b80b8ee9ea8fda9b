package io.din4j.backend.cpu;

import io.din4j.backend.*;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;

/** AttentionOps of the cpu backend. Not implemented yet. */
final class CpuAttentionOps implements AttentionOps {
    private final Parallel parallel;

    CpuAttentionOps(Parallel parallel) {
        this.parallel = parallel;
    }

    @Override
    public AttentionWorkspace newWorkspace(AttentionUnit unit, TensorArena arena, int maxBatch, int maxHistory) {
        throw new UnsupportedOperationException("cpu AttentionOps not implemented yet");
    }

    @Override
    public void forward(AttentionUnit unit, AttentionParams params, Tensor q, Tensor keys, Tensor lengths, AttentionWorkspace ws, Tensor scores, boolean training) {
        throw new UnsupportedOperationException("cpu AttentionOps not implemented yet");
    }

    @Override
    public void backward(AttentionUnit unit, AttentionParams params, Tensor q, Tensor keys, Tensor lengths, AttentionWorkspace ws, Tensor dScores, Tensor dq, Tensor dKeys, AttentionParams grads) {
        throw new UnsupportedOperationException("cpu AttentionOps not implemented yet");
    }

}
