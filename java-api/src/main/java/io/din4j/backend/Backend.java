package io.din4j.backend;

import io.din4j.tensor.DType;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The service-provider interface every backend implements: memory, data movement and the op families the
 * models need. Models are written against this interface only and run unchanged on any backend.
 *
 * <p>Conventions shared by every op family:
 * <ul>
 *   <li>Shape letters are the papers': B batch, T history length, D embedding width, H hidden width,
 *       E experts, K tasks, V table rows.</li>
 *   <li>Forward ops overwrite their outputs.</li>
 *   <li><b>Backward ops add into every gradient output</b> (input gradients and parameter gradients alike), as
 *       autograd accumulation does: a tensor that feeds two consumers gets the sum of both contributions. The
 *       caller zeroes gradients before a backward pass.</li>
 *   <li>Batch sizes come from the tensors' first dimension, so a buffer planned for the maximum batch is used for
 *       a smaller batch through {@link Tensor#rows} views.</li>
 *   <li>Bad arguments (wrong shapes or types, ids outside a table, lengths outside {@code [0, T]}) throw
 *       {@link IllegalArgumentException} naming the argument and the value, before any output is written.</li>
 * </ul>
 *
 * <h2>Thread safety (every backend honours this)</h2>
 * <ul>
 *   <li>A backend may be called from any number of threads at once: creating arenas, copies and every op. Its
 *       own state (thread pools, per-thread scratch, what it derives from weights) is safe under concurrent calls,
 *       and results do not depend on what other threads are doing: an op gives the same bits alone or under load.</li>
 *   <li>The caller owns data races on tensors: two calls may run at once when neither writes a tensor the other
 *       reads or writes. Many threads may read the same tensors (a model's weights) at once. This is what
 *       {@link io.din4j.predict.Predictor} relies on: each thread scores in its own session (its own buffers and
 *       workspaces), and all of them only read the shared parameters.</li>
 *   <li>Data a backend derives from a tensor's values and keeps between calls (packed GEMM panels, re-laid-out
 *       attention weights) is keyed by the version in that tensor's {@link io.din4j.tensor.DerivedCache}, never by
 *       address or by comparing contents, and lives in that cache, which the tensor's owner frees (a model's
 *       parameters: the model, on close). <b>Whoever writes a parameter's values outside a forward pass bumps its
 *       version</b> ({@code Param.changed()}; the trainer, model loading and initialisation do it), so no call
 *       after the write uses data derived before it. Tensors without a cache (views, op-test tensors) are used as
 *       they are on every call.</li>
 *   <li>Closing a backend, or an arena, while calls on it are in flight is the caller's error.</li>
 * </ul>
 * The cpu and reference backends honour this (tested by {@code ThreadSafetyContractTest} and
 * {@code PredictorStressTest}); the cuda backend's side of it is the subject of its own work (docs/cuda.md).
 */
public interface Backend extends AutoCloseable {
    /** Short name: {@code reference}, {@code cpu}, {@code cuda}. */
    String name();

    /** The floating type of this backend's value tensors (f32; the reference backend can also run in f64). */
    DType valueType();

    /** Threads this backend uses for one op. */
    int threads();

    /** A new arena for tensors that this backend's ops can read and write. */
    TensorArena newArena();

    /** Copies {@code dst.byteSize()} bytes from host memory into {@code dst}. */
    void copyFromHost(MemorySegment src, Tensor dst);

    /** Copies all of {@code src} into host memory. */
    void copyToHost(Tensor src, MemorySegment dst);

    /**
     * Copies each {@code srcs[i]} into {@code dsts[i]} (as {@link #copyFromHost(MemorySegment, Tensor)} does, any
     * host segments, heap ones too): a batch's inputs in one call, which a device backend turns into one transfer.
     * The sources may be reused as soon as this returns.
     */
    default void copyFromHost(List<MemorySegment> srcs, List<Tensor> dsts) {
        if (srcs.size() != dsts.size()) {
            throw new IllegalArgumentException(srcs.size() + " sources for " + dsts.size() + " destinations");
        }
        for (int i = 0; i < srcs.size(); i++) {
            copyFromHost(srcs.get(i), dsts.get(i));
        }
    }

    /**
     * A region of the calling thread's work whose inputs were validated on the host (ids inside their tables,
     * lengths inside {@code [0, T]}: what the session's batch check does before uploading): until the scope is
     * closed, a device backend skips the argument checks that would read device data back, and defers its other
     * mid-step read-backs — a sparse gradient's row count and capacity overflow are found on the device and
     * surface at {@link SparseGrad#count()} or as a NaN in {@link SparseGrad#values()} (so a finiteness check of
     * the gradient catches them). Backends whose checks read host memory ignore it. Scopes nest.
     */
    default Scope hostValidated() {
        return Scope.NONE;
    }

    /** A region opened by {@link #hostValidated()}; close it on the thread that opened it. */
    interface Scope extends AutoCloseable {
        Scope NONE = () -> { };

        @Override
        void close();
    }

    /**
     * Recording and replay of device work (CUDA graphs) with device-side optimizer scalars, or null when this
     * backend has nothing to replay (host backends: their ops cost no launches).
     */
    default StepReplay replay() {
        return null;
    }

    /**
     * How many of {@link #forEachPart}'s parts this backend runs at once: its host threads on the cpu backend, 1
     * (in order, on the caller) elsewhere. Callers split work into parts only when this exceeds 1.
     */
    default int concurrentParts() {
        return 1;
    }

    /**
     * Runs {@code body.accept(i)} for every {@code i < parts}, each part on one thread, with every op the part calls
     * running on that thread alone; parts may run at once, in any order (so they must not share output tensors).
     * The cpu backend runs them on its threads: for inference on a large batch, a slice of rows per thread costs no
     * hand-off per op and keeps each slice's activations in that core's cache (docs/architecture.md). The first
     * exception thrown by a part is rethrown here after every part has ended. Default: in order, on the caller.
     */
    default void forEachPart(int parts, java.util.function.IntConsumer body) {
        for (int i = 0; i < parts; i++) {
            body.accept(i);
        }
    }

    /** Waits until every op issued so far has finished (a no-op on synchronous backends). */
    default void synchronize() {
    }

    TensorOps tensor();

    EmbeddingOps embedding();

    AttentionOps attention();

    PoolingOps pooling();

    DenseOps dense();

    ActivationOps activation();

    GateOps gate();

    LossOps loss();

    OptimizerOps optimizer();

    /** Releases the backend's threads and device resources. Idempotent. */
    @Override
    void close();
}
