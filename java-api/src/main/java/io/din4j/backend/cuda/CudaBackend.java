package io.din4j.backend.cuda;

import io.din4j.backend.ActivationOps;
import io.din4j.backend.AttentionOps;
import io.din4j.backend.AttentionParams;
import io.din4j.backend.AttentionUnit;
import io.din4j.backend.AttentionWorkspace;
import io.din4j.backend.Backend;
import io.din4j.backend.DenseOps;
import io.din4j.backend.EmbeddingOps;
import io.din4j.backend.GateOps;
import io.din4j.backend.LossOps;
import io.din4j.backend.OptimizerOps;
import io.din4j.backend.PoolingOps;
import io.din4j.backend.TensorOps;
import io.din4j.tensor.DType;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import java.lang.foreign.MemorySegment;

/**
 * The cuda backend: din4j's kernels (kernels/src/main/cuda) on a {@link Device} — a real GPU through JCuda and
 * cuBLAS, or the host emulator for tests. Tensors from {@link #newArena()} live on the device; move data with
 * {@link #copyFromHost}/{@link #copyToHost}. Ops are issued in order on one stream and are asynchronous on a GPU,
 * except those that return a host value (loss, sums of squares, sparse-gradient row counts, argument checks on
 * ids and lengths), which synchronise. Not thread-safe: one thread drives one backend.
 */
public final class CudaBackend implements Backend {
    private final Device device;
    private final String name;
    private final Kernels k;
    private final CudaTensorOps tensor;
    private final CudaEmbeddingOps embedding;
    private final CudaActivationOps activation;
    private final CudaAttentionOps attention;
    private final CudaPoolingOps pooling;
    private final CudaDenseOps dense;
    private final CudaGateOps gate;
    private final CudaLossOps loss;
    private final CudaOptimizerOps optimizer;
    private boolean closed;

    /** A cuda backend on {@code device}, which it owns and closes. */
    public CudaBackend(Device device) {
        this.device = device;
        this.name = device.emulated() ? "cuda-emu" : "cuda";
        this.k = new Kernels(device);
        this.tensor = new CudaTensorOps(k);
        this.embedding = new CudaEmbeddingOps(k);
        this.activation = new CudaActivationOps(k);
        this.attention = new CudaAttentionOps(k, activation);
        this.pooling = new CudaPoolingOps(k);
        this.dense = new CudaDenseOps(k);
        this.gate = new CudaGateOps(k);
        this.loss = new CudaLossOps(k);
        this.optimizer = new CudaOptimizerOps(k);
    }

    /** The cuda backend on GPU 0; throws {@link CudaException} saying why when no GPU, driver or kernels exist. */
    public static CudaBackend gpu() {
        return new CudaBackend(JCudaDevice.open(0));
    }

    /** The cuda backend on the host emulator (tests); throws {@link IllegalStateException} when it is not built. */
    public static CudaBackend emulated() {
        return new CudaBackend(EmulatedDevice.open());
    }

    /** The device this backend runs on. */
    public Device device() {
        return device;
    }

    /** {@code cuda} on a GPU, {@code cuda-emu} on the emulator. */
    @Override
    public String name() {
        return name;
    }

    @Override
    public DType valueType() {
        return DType.F32;
    }

    @Override
    public int threads() {
        return 1;
    }

    @Override
    public TensorArena newArena() {
        return new DeviceArena(device);
    }

    @Override
    public void copyFromHost(MemorySegment src, Tensor dst) {
        Kernels.dev("dst", dst, dst.dtype());
        if (src.byteSize() < dst.byteSize()) {
            throw new IllegalArgumentException("src holds " + src.byteSize() + " bytes, dst " + dst + " needs " + dst.byteSize());
        }
        if (dst.byteSize() > 0) {
            device.copyToDevice(src, dst.deviceAddress(), dst.byteSize());
        }
    }

    @Override
    public void copyToHost(Tensor src, MemorySegment dst) {
        Kernels.dev("src", src, src.dtype());
        if (dst.byteSize() < src.byteSize()) {
            throw new IllegalArgumentException("dst holds " + dst.byteSize() + " bytes, src " + src + " has " + src.byteSize());
        }
        if (src.byteSize() > 0) {
            device.copyToHost(src.deviceAddress(), dst, src.byteSize());
        }
    }

    @Override
    public void synchronize() {
        device.synchronize();
    }

    /**
     * DIN inference in one kernel: gather → attention MLP → weighted-sum pooling (see
     * {@link CudaAttentionOps#fusedGatherPool}); {@code scores} may be null.
     */
    public void attentionPoolFused(AttentionUnit unit, AttentionParams params, Tensor q, Tensor table, Tensor ids,
                                   Tensor lengths, AttentionWorkspace ws, Tensor scores, Tensor pooled) {
        attention.fusedGatherPool(unit, params, q, table, ids, lengths, ws, scores, pooled);
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
        if (!closed) {
            closed = true;
            k.free();
            device.close();
        }
    }
}
