package io.din4j.backend.cuda;

import java.lang.foreign.MemorySegment;

/**
 * The small surface the cuda backend needs from a GPU: memory, copies, kernel launches by name, GEMM, streams and
 * events. Two implementations: {@link JCudaDevice} (a real GPU through JCuda's driver API and cuBLAS) and
 * {@link EmulatedDevice} (the same kernels compiled for the host, for tests without a GPU).
 *
 * <p>Work is issued in order on the current stream; {@link #synchronize()} waits for it. Errors surface as
 * {@link CudaException}s naming the call or kernel and the sizes involved.
 */
public interface Device extends AutoCloseable {
    /** Human-readable description, e.g. {@code NVIDIA H200 (sm_90, 139 GiB)} or {@code emulator}. */
    String description();

    /** True for the host emulator. */
    boolean emulated();

    /**
     * Largest dynamic shared memory one block may use, in bytes, after {@link #setMaxDynamicSharedBytes}: the
     * device's opt-in maximum (227 KiB on an H100/H200). Without the opt-in a launch may use 48 KiB.
     */
    int maxSharedBytes();

    /** The dynamic shared memory a launch may use without {@link #setMaxDynamicSharedBytes}: 48 KiB. */
    int DEFAULT_SHARED_BYTES = 48 * 1024;

    /**
     * Lets launches of {@code kernel} use up to {@code bytes} of dynamic shared memory
     * ({@code cuFuncSetAttribute(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES)}); a launch above 48 KiB without
     * it fails, as on a GPU. Throws {@link CudaException} above {@link #maxSharedBytes()}.
     */
    void setMaxDynamicSharedBytes(String kernel, int bytes);

    /** Blocks worth launching for a grid-stride kernel over many elements (more only adds overhead). */
    int gridStrideBlocks();

    /** Allocates {@code bytes} bytes (zero-filled); throws {@link CudaException} naming the size when out of memory. */
    long malloc(long bytes);

    void free(long address);

    void copyToDevice(MemorySegment src, long dst, long bytes);

    void copyToHost(long src, MemorySegment dst, long bytes);

    void copyOnDevice(long src, long dst, long bytes);

    /**
     * Asynchronous upload of {@code bytes} bytes from {@code pinnedSrc} ({@link #allocPinned}) on the current
     * stream: returns at once on a GPU, so the host prepares the next batch while the device works. The source must
     * not change until the stream has passed the copy (a {@link #synchronize} or a read-back after it). Counted as
     * an upload.
     */
    void copyToDeviceAsync(MemorySegment pinnedSrc, long dst, long bytes);

    /** Page-locked host memory (the source of fast, asynchronous uploads); free with {@link #freePinned}. */
    MemorySegment allocPinned(long bytes);

    void freePinned(MemorySegment pinned);

    /** Launches {@code kernel} on the current stream. */
    void launch(String kernel, Dim3 grid, Dim3 block, int sharedBytes, KernelArgs args);

    /**
     * Row-major SGEMM on device pointers: {@code C[M, N] = alpha·op(A)·op(B) + beta·C}, A read as {@code [K, M]}
     * when {@code transA} and B as {@code [N, K]} when {@code transB}; beta 0 never reads C.
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
              float beta, long c, int ldc);

    /**
     * A new stream (blocking with respect to the legacy default stream, so synchronous copies still order with
     * it); 0 on devices without streams.
     */
    long createStream();

    /** Issues later launches and GEMMs on {@code stream} (0: the default stream). */
    void setStream(long stream);

    void destroyStream(long stream);

    /** A new event (for timing). */
    long createEvent();

    /** Records {@code event} on the current stream. */
    void recordEvent(long event);

    /** Milliseconds between two recorded events (waits for the second). */
    float elapsedMillis(long start, long end);

    void destroyEvent(long event);

    /**
     * Starts recording the calling thread's work into a graph instead of running it — CUDA stream capture
     * ({@code cuStreamBeginCapture} in thread-local mode, on a capture stream of the device's own: capture is not
     * allowed on the legacy default stream). Kernel launches, GEMMs and device-to-device copies are recorded with
     * their arguments as they are now; nothing runs until {@link #launchGraph}. Anything a graph cannot hold fails
     * at once with a {@link CudaException} saying {@code CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED}, as the driver
     * would: a host synchronisation, a copy to or from host memory, an allocation or a free. The caller then calls
     * {@link #abortCapture}. Other threads' work is not recorded. One capture at a time per device.
     */
    void beginCapture();

    /** Ends the capture begun on this thread and instantiates it: a handle for {@link #launchGraph}. */
    long endCapture();

    /** Ends a capture (after a failure inside it) and discards what it recorded; nothing when none is active. */
    void abortCapture();

    /** Whether the calling thread is capturing. */
    boolean capturing();

    /**
     * Runs a graph from {@link #endCapture} on the current stream, ordered with the work around it: one host call
     * for all its kernels (counted as one graph launch and as its kernels). The addresses recorded in it must still
     * be allocated (a graph recorded before a {@link #free} of memory it uses must not run).
     */
    void launchGraph(long graph);

    /** Frees a graph; 0 and unknown handles are ignored. */
    void destroyGraph(long graph);

    /** Kernels (GEMMs included) in {@code graph}. */
    long graphKernels(long graph);

    /** What this device has done so far: kernels, host synchronisations, uploads (see {@link DeviceCounters}). */
    DeviceCounters counters();

    /** Waits for all issued work; reports asynchronous kernel faults. */
    void synchronize();

    /** Releases the device. Idempotent. */
    @Override
    void close();
}
