package io.din4j.backend.reference;

import io.din4j.backend.*;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;

/** EmbeddingOps of the reference backend. Not implemented yet. */
final class RefEmbeddingOps implements EmbeddingOps {
    @Override
    public SparseGrad newSparseGrad(TensorArena arena, long tableRows, int width, int capacity) {
        throw new UnsupportedOperationException("reference EmbeddingOps not implemented yet");
    }

    @Override
    public void gather(Tensor table, Tensor ids, Tensor out) {
        throw new UnsupportedOperationException("reference EmbeddingOps not implemented yet");
    }

    @Override
    public void gatherSequence(Tensor table, Tensor ids, Tensor lengths, Tensor out) {
        throw new UnsupportedOperationException("reference EmbeddingOps not implemented yet");
    }

    @Override
    public void gatherBackward(Tensor ids, Tensor dOut, SparseGrad grad) {
        throw new UnsupportedOperationException("reference EmbeddingOps not implemented yet");
    }

    @Override
    public void gatherSequenceBackward(Tensor ids, Tensor lengths, Tensor dOut, SparseGrad grad) {
        throw new UnsupportedOperationException("reference EmbeddingOps not implemented yet");
    }

}
