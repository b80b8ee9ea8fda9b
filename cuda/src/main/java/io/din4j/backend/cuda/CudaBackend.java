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
import java.lang.foreign.ValueLayout;
import java.util.List;
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
    private final CudaReplay replay;
    private boolean closed;
    /**
     * The batched upload's two staging buffers (pinned host memory and its device twin), used in turn: the host
     * fills one while a copy from the other may still be in flight. {@code stagedAtSync[i]} is the device's host
     * synchronisation count when buffer i's copy was issued: once a later synchronisation has happened (the
     * training step's read-back), that copy has finished and the buffer may be refilled without waiting.
     */
    private final MemorySegment[] pinned = new MemorySegment[2];
    private final long[] staged = new long[2];
    private final long[] stagedAtSync = {-1, -1};
    private int nextStaging;

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
        CudaOptimizerOps opt = new CudaOptimizerOps(k);
        this.optimizer = serialized(OptimizerOps.class, opt);
        this.replay = new CudaReplay(k, opt, opLock);
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

    /**
     * One upload for many tensors: the pieces are packed behind a descriptor table into a pinned staging buffer,
     * copied asynchronously in one transfer, and a single kernel ({@code scatter_copy_forward}) moves each piece
     * to its tensor. A batch's dozen inputs thus cost one copy and one launch.
     */
    @Override
    public void copyFromHost(List<MemorySegment> srcs, List<Tensor> dsts) {
        if (srcs.size() != dsts.size()) {
            throw new IllegalArgumentException(srcs.size() + " sources for " + dsts.size() + " destinations");
        }
        int n = 0;
        long header = 24L * srcs.size();
        long total = align16(header);
        for (int i = 0; i < srcs.size(); i++) {
            Tensor dst = dsts.get(i);
            Kernels.dev("dsts[" + i + "]", dst, dst.dtype());
            if (srcs.get(i).byteSize() < dst.byteSize()) {
                throw new IllegalArgumentException("srcs[" + i + "] holds " + srcs.get(i).byteSize() + " bytes, "
                        + dst + " needs " + dst.byteSize());
            }
            if (dst.byteSize() % 4 != 0) {
                throw new IllegalArgumentException("dsts[" + i + "]: " + dst + " is not a whole number of 4-byte words");
            }
            if (dst.byteSize() > 0) {
                n++;
                total += align16(dst.byteSize());
            }
        }
        if (n == 0) {
            return;
        }
        synchronized (opLock) {
            int buf = nextStaging;
            nextStaging ^= 1;
            long syncs = device.counters().snapshot().hostSyncs();
            if (stagedAtSync[buf] >= 0 && syncs <= stagedAtSync[buf]) {
                device.synchronize();  // no synchronisation since this buffer's last copy: it may still be in flight
            }
            if (pinned[buf] == null || pinned[buf].byteSize() < total) {
                long size = Math.max(total + total / 4, 1 << 16);
                if (pinned[buf] != null) {
                    device.synchronize();  // queued scatter launches may still read the old device buffer
                    device.freePinned(pinned[buf]);
                    device.free(staged[buf]);
                    pinned[buf] = null;
                }
                staged[buf] = device.malloc(size);
                pinned[buf] = device.allocPinned(size);
            }
            MemorySegment p = pinned[buf];
            long at = align16(24L * n);
            int piece = 0;
            for (int i = 0; i < srcs.size(); i++) {
                Tensor dst = dsts.get(i);
                long bytes = dst.byteSize();
                if (bytes == 0) {
                    continue;
                }
                p.setAtIndex(ValueLayout.JAVA_LONG, 3L * piece, dst.deviceAddress());
                p.setAtIndex(ValueLayout.JAVA_LONG, 3L * piece + 1, at);
                p.setAtIndex(ValueLayout.JAVA_LONG, 3L * piece + 2, bytes);
                MemorySegment.copy(srcs.get(i), 0, p, at, bytes);
                at += align16(bytes);
                piece++;
            }
            device.copyToDeviceAsync(p, staged[buf], at);
            device.launch("scatter_copy_forward", Dim3.of(Math.min(n, 65535)), Dim3.of(Kernels.THREADS), 0,
                    KernelArgs.of().ptr(staged[buf]).i32(n));
            stagedAtSync[buf] = device.counters().snapshot().hostSyncs();
        }
    }

    private static long align16(long bytes) {
        return (bytes + 15) & ~15L;
    }

    @Override
    public Scope hostValidated() {
        return k.enterHostValidated();
    }

    @Override
    public void synchronize() {
        device.synchronize();
    }

    /** CUDA graphs of training-step regions, and device-side optimizer scalars (see {@link CudaReplay}). */
    @Override
    public io.din4j.backend.StepReplay replay() {
        return replay;
    }

    /** The same, with its counts (tests). */
    CudaReplay graphs() {
        return replay;
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

    /** The attention ops behind the serialising proxy (tests switch the fused training path with it). */
    CudaAttentionOps attentionImpl() {
        return attentionImpl;
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
                replay.free();
                k.free();
                for (int i = 0; i < 2; i++) {
                    if (pinned[i] != null) {
                        device.synchronize();
                        device.freePinned(pinned[i]);
                        device.free(staged[i]);
                        pinned[i] = null;
                    }
                }
            }
            device.close();
        }
    }
}
