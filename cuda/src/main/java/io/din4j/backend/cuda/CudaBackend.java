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
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

/**
 * The cuda backend: din4j's kernels (kernels/src/main/cuda) on a {@link Device} — a real GPU through JCuda and
 * cuBLAS, or the host emulator for tests. Tensors from {@link #newArena()} live on the device; move data with
 * {@link #copyFromHost}/{@link #copyToHost}. Ops are issued in order on one stream and are asynchronous on a GPU,
 * except those that return a host value (loss, sums of squares, sparse-gradient row counts, argument checks on
 * ids and lengths), which synchronise.
 *
 * <p>Thread-safe by serialising: every op (a call on any op family, or {@link #attentionPoolFused}) runs alone on
 * the backend, because ops share the backend's scratch buffers and device status words between their launches;
 * each caller keeps its own tensors and workspaces (a {@code Session} per thread, as {@code Predictor} does). Ops
 * from different threads interleave on the one stream, which orders them.
 */
public final class CudaBackend implements Backend {
    private final Device device;
    private final String name;
    private final Kernels k;
    /** Held by every op: see the class comment. */
    private final Object opLock = new Object();
    private final CudaAttentionOps attentionImpl;
    private final TensorOps tensor;
    private final EmbeddingOps embedding;
    private final ActivationOps activation;
    private final AttentionOps attention;
    private final PoolingOps pooling;
    private final DenseOps dense;
    private final GateOps gate;
    private final LossOps loss;
    private final OptimizerOps optimizer;
    private boolean closed;

    /** A cuda backend on {@code device}, which it owns and closes. */
    public CudaBackend(Device device) {
        this.device = device;
        this.name = device.emulated() ? "cuda-emu" : "cuda";
        this.k = new Kernels(device);
        CudaActivationOps act = new CudaActivationOps(k);
        this.attentionImpl = new CudaAttentionOps(k, act);
        this.tensor = serialized(TensorOps.class, new CudaTensorOps(k));
        this.embedding = serialized(EmbeddingOps.class, new CudaEmbeddingOps(k));
        this.activation = serialized(ActivationOps.class, act);
        this.attention = serialized(AttentionOps.class, attentionImpl);
        this.pooling = serialized(PoolingOps.class, new CudaPoolingOps(k));
        this.dense = serialized(DenseOps.class, new CudaDenseOps(k));
        this.gate = serialized(GateOps.class, new CudaGateOps(k));
        this.loss = serialized(LossOps.class, new CudaLossOps(k));
        this.optimizer = serialized(OptimizerOps.class, new CudaOptimizerOps(k));
    }

    /** {@code ops} behind a proxy whose every call holds {@link #opLock}; exceptions pass through unwrapped. */
    private <T> T serialized(Class<T> type, T ops) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            synchronized (opLock) {
                try {
                    return method.invoke(ops, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            }
        }));
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
        synchronized (opLock) {
            attentionImpl.fusedGatherPool(unit, params, q, table, ids, lengths, ws, scores, pooled);
        }
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
            synchronized (opLock) {
                k.free();
            }
            device.close();
        }
    }
}
