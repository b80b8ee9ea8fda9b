package io.din4j.backend;

import io.din4j.tensor.DType;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import java.lang.foreign.MemorySegment;

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
