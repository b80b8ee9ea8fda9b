package io.din4j.backend.reference;

import io.din4j.backend.*;
import io.din4j.tensor.DType;
import io.din4j.tensor.HostArena;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import java.lang.foreign.MemorySegment;

/**
 * The specification: every op as plain scalar loops, single-threaded, never optimised. Tests compare the fast
 * backends with it. It reads and writes f32 and f64 tensors alike (computing in double), so gradient checks can
 * run whole models in double precision.
 */
public final class ReferenceBackend implements Backend {
    private final DType valueType;
    private final TensorOps tensor = new RefTensorOps();
    private final EmbeddingOps embedding = new RefEmbeddingOps();
    private final AttentionOps attention = new RefAttentionOps();
    private final PoolingOps pooling = new RefPoolingOps();
    private final DenseOps dense = new RefDenseOps();
    private final ActivationOps activation;
    private final GateOps gate = new RefGateOps();
    private final LossOps loss = new RefLossOps();
    private final OptimizerOps optimizer = new RefOptimizerOps();

    /** A reference backend computing on f32 value tensors. */
    public ReferenceBackend() {
        this(DType.F32);
    }

    /** A reference backend whose models allocate value tensors of {@code valueType} (f32 or f64). */
    public ReferenceBackend(DType valueType) {
        if (!valueType.isFloating()) {
            throw new IllegalArgumentException("valueType must be F32 or F64, got " + valueType);
        }
        this.valueType = valueType;
        this.activation = new RefActivationOps(valueType);
    }

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public DType valueType() {
        return valueType;
    }

    @Override
    public int threads() {
        return 1;
    }

    @Override
    public TensorArena newArena() {
        return new HostArena();
    }

    @Override
    public void copyFromHost(MemorySegment src, Tensor dst) {
        MemorySegment.copy(src, 0, dst.segment(), 0, dst.byteSize());
    }

    @Override
    public void copyToHost(Tensor src, MemorySegment dst) {
        MemorySegment.copy(src.segment(), 0, dst, 0, src.byteSize());
    }

    @Override
    public TensorOps tensor() {
        return tensor;
    }

    @Override
    public EmbeddingOps embedding() {
        return embedding;
    }

    @Override
    public AttentionOps attention() {
        return attention;
    }

    @Override
    public PoolingOps pooling() {
        return pooling;
    }

    @Override
    public DenseOps dense() {
        return dense;
    }

    @Override
    public ActivationOps activation() {
        return activation;
    }

    @Override
    public GateOps gate() {
        return gate;
    }

    @Override
    public LossOps loss() {
        return loss;
    }

    @Override
    public OptimizerOps optimizer() {
        return optimizer;
    }

    @Override
    public void close() {
    }
}
