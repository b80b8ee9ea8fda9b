package io.din4j.backend.cpu;

import io.din4j.backend.*;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;

/** EmbeddingOps of the cpu backend. Not implemented yet. */
final class CpuEmbeddingOps implements EmbeddingOps {
    private final Parallel parallel;

    CpuEmbeddingOps(Parallel parallel) {
        this.parallel = parallel;
    }

    @Override
    public SparseGrad newSparseGrad(TensorArena arena, long tableRows, int width, int capacity) {
        throw new UnsupportedOperationException("cpu EmbeddingOps not implemented yet");
    }

    @Override
    public void gather(Tensor table, Tensor ids, Tensor out) {
        throw new UnsupportedOperationException("cpu EmbeddingOps not implemented yet");
    }

    @Override
    public void gatherSequence(Tensor table, Tensor ids, Tensor lengths, Tensor out) {
        throw new UnsupportedOperationException("cpu EmbeddingOps not implemented yet");
    }

    @Override
    public void gatherBackward(Tensor ids, Tensor dOut, SparseGrad grad) {
        throw new UnsupportedOperationException("cpu EmbeddingOps not implemented yet");
    }

    @Override
    public void gatherSequenceBackward(Tensor ids, Tensor lengths, Tensor dOut, SparseGrad grad) {
        throw new UnsupportedOperationException("cpu EmbeddingOps not implemented yet");
    }

}
