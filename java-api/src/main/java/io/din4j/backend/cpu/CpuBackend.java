package io.din4j.backend.cpu;

import io.din4j.backend.*;
import io.din4j.tensor.DType;
import io.din4j.tensor.HostArena;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.VectorSpecies;

/**
 * The CPU backend: Vector API kernels (one species, {@code VectorIsa.SPECIES}: the preferred one unless
 * {@code din4j.cpu.vectorBits} says otherwise; masked tails), parallel over the batch on a fixed pool sized to the
 * cores. Value tensors are f32.
 */
public final class CpuBackend implements Backend {
    private final DType valueType;
    private final TensorOps tensor;
    private final EmbeddingOps embedding;
    private final AttentionOps attention;
    private final PoolingOps pooling;
    private final DenseOps dense;
    private final ActivationOps activation;
    private final GateOps gate;
    private final LossOps loss;
    private final OptimizerOps optimizer;

    private final Parallel parallel;

    /**
     * The vector ISA the kernels were shaped for at start-up, in one line (e.g. {@code "256-bit vectors (8 f32
     * lanes), 16 registers, amd64, UseAVX=2"}), for logs and benchmark reports.
     */
    public static String vectorIsa() {
        return VectorIsa.describe();
    }

    /**
     * The one vector species the kernels compute in. Code that runs vector loops beside the backend in the same
     * process (a host probe, a peak measurement) takes this one, so the process keeps one species even where
     * {@code din4j.cpu.vectorBits} makes it differ from the preferred (docs/architecture.md, "One vector species").
     */
    public static VectorSpecies<Float> vectorSpecies() {
        return VectorIsa.SPECIES;
    }

    /** A cpu backend with one thread per available processor. */
    public CpuBackend() {
        this(Runtime.getRuntime().availableProcessors());
    }

    /** A cpu backend using {@code threads} threads per op. */
    public CpuBackend(int threads) {
        this.parallel = new Parallel(threads);
        this.valueType = DType.F32;
        this.tensor = new CpuTensorOps(parallel);
        this.embedding = new CpuEmbeddingOps(parallel);
        this.attention = new CpuAttentionOps(parallel);
        this.pooling = new CpuPoolingOps(parallel);
        this.dense = new CpuDenseOps(parallel);
        this.activation = new CpuActivationOps(parallel);
        this.gate = new CpuGateOps(parallel);
        this.loss = new CpuLossOps(parallel);
        this.optimizer = new CpuOptimizerOps(parallel);
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public DType valueType() {
        return valueType;
    }

    @Override
    public int threads() {
        return parallel.threads();
    }

    @Override
    public int concurrentParts() {
        return parallel.threads();
    }

    @Override
    public void forEachPart(int parts, java.util.function.IntConsumer body) {
        // One part per chunk, claimed by whichever thread is free; ops called inside a chunk run inline.
        parallel.forChunks(parts, 1, (unused, from, to) -> {
            for (int i = from; i < to; i++) {
                body.accept(i);
            }
        });
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
        parallel.close();
    }
}
