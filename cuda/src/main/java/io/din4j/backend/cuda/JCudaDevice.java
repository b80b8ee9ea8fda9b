package io.din4j.backend.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuFuncSetAttribute;
import static jcuda.driver.JCudaDriver.cuGraphDestroy;
import static jcuda.driver.JCudaDriver.cuGraphExecDestroy;
import static jcuda.driver.JCudaDriver.cuGraphInstantiate;
import static jcuda.driver.JCudaDriver.cuGraphLaunch;
import static jcuda.driver.JCudaDriver.cuStreamBeginCapture;
import static jcuda.driver.JCudaDriver.cuStreamEndCapture;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;

import io.din4j.ffi.Cublas;
import io.din4j.ffi.CudaDriver;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.JCudaDriver;

/**
 * A real GPU: JCuda's driver API loads the fatbin ({@code cuModuleLoadData}) and launches kernels
 * ({@code cuLaunchKernel}) on the primary context; memory and copies go through the driver via Panama
 * ({@link CudaDriver}, raw 64-bit addresses), GEMMs through cuBLAS ({@link Cublas}, whichever libcublas is
 * installed) or the tiled kernel when none is. Every driver status is checked and turned into a
 * {@link CudaException} naming the call, the kernel and the sizes.
 *
 * <p>Only construct it after {@link CudaSupport#gpuAvailable()}: this class links JCuda's natives.
 * Set {@code -Ddin4j.cuda.syncLaunches=true} to synchronise after every launch, so that a faulting kernel is
 * reported by name.
 */
public final class JCudaDevice implements Device {
    private static final boolean SYNC_LAUNCHES = Boolean.getBoolean("din4j.cuda.syncLaunches");
    private static final Logger LOG = Logger.getLogger(JCudaDevice.class.getName());

    private final CudaDriver driver;
    private final CUcontext context = new CUcontext();
    private final CUdevice device = new CUdevice();
    private final CUmodule module = new CUmodule();
    // concurrent: workspaces and sparse gradients launch outside the backend's op lock
    private final Map<String, CUfunction> functions = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<Long, CUevent> events = new HashMap<>();
    private final Map<Long, Stream> streams = new HashMap<>();
    /**
     * The legacy default stream as an object: its handle is 0. Work goes on {@link #stream} when one is set, else
     * here; never a Java null, which some JCuda calls (cuGraphLaunch) refuse with a NullPointerException although
     * the driver takes a 0 handle.
     */
    private static final Stream DEFAULT_STREAM = new Stream();
    private Stream stream = DEFAULT_STREAM;

    /** A CUstream whose raw handle can be read, so cuBLAS (bound through Panama) can run on it too. */
    private static final class Stream extends CUstream {
        long raw() {
            return getNativePointer();
        }
    }
    private final AtomicLong nextEvent = new AtomicLong(1);
    private final String description;
    private final int maxShared;
    private final int sms;
    private final Cublas.Handle cublas;
    private final String cublasLibrary;
    private String lastKernel = "(none)";
    private boolean closed;
    private final DeviceCounters counters = new DeviceCounters();
    /**
     * Stream capture: the thread capturing (or null), the stream it captures on (created once, non-blocking, so
     * work other threads put on the legacy default stream meanwhile neither joins the capture nor invalidates it),
     * the kernels recorded so far, and the instantiated graphs with their kernel counts.
     */
    private volatile Thread captureThread;
    private Stream captureStream;
    private long captureKernels;
    private final Map<Long, Graph> graphs = new java.util.concurrent.ConcurrentHashMap<>();

    private record Graph(CUgraphExec exec, long kernels) {
    }

    private JCudaDevice(int ordinal) {
        this.driver = CudaDriver.get().orElseThrow(() -> new CudaException("no CUDA driver"));
        JCudaDriver.setExceptionsEnabled(false);
        check("cuInit", cuInit(0));
        check("cuDeviceGet(" + ordinal + ")", cuDeviceGet(device, ordinal));
        check("cuDevicePrimaryCtxRetain", cuDevicePrimaryCtxRetain(context, device));
        // From here on a failure must give back what was taken, or the retained context (and the module) leak.
        boolean moduleLoaded = false;
        try {
            check("cuCtxSetCurrent", cuCtxSetCurrent(context));
            byte[] fatbin = CudaSupport.fatbin().orElseThrow(() -> new CudaException("kernels not built (no fatbin resource)"));
            check("cuModuleLoadData (" + fatbin.length + "-byte fatbin)", cuModuleLoadData(module, fatbin));
            moduleLoaded = true;
            byte[] name = new byte[256];
            cuDeviceGetName(name, name.length, device);
            String n = new String(name, StandardCharsets.US_ASCII).trim().replace("\0", "");
            int major = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
            int minor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
            this.maxShared = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
            this.sms = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
            long[] mem = driver.memInfo();
            this.description = n + " (sm_" + major + minor + ", " + sms + " SMs, " + (mem[1] >> 30) + " GiB)";
            // never throws: without cuBLAS (missing, or cublasCreate failing) GEMMs use the built-in kernel
            CublasChoice.Choice gemms = CublasChoice.choose(Cublas.configured(), JCudaDevice::createHandle, LOG::warning);
            this.cublas = gemms.handle();
            this.cublasLibrary = gemms.library();
        } catch (RuntimeException | Error e) {
            if (moduleLoaded) {
                cuModuleUnload(module);
            }
            cuDevicePrimaryCtxRelease(device);
            throw e;
        }
    }

    private static Cublas.Handle createHandle(Cublas lib) {
        Cublas.Handle h = lib.create();
        try {
            if (Boolean.getBoolean("din4j.cuda.tf32")) {
                h.setMathMode(Cublas.MATH_TF32);
            }
            return h;
        } catch (RuntimeException e) {
            h.close();
            throw e;
        }
    }

    /** Opens device {@code ordinal}; throws {@link CudaException} when no GPU, driver or kernels are present. */
    public static JCudaDevice open(int ordinal) {
        CudaSupport.unavailableReason().ifPresent(r -> {
            throw new CudaException("cuda device unavailable: " + r);
        });
        return new JCudaDevice(ordinal);
    }

    private int attribute(int attr) {
        int[] v = new int[1];
        check("cuDeviceGetAttribute(" + attr + ")", cuDeviceGetAttribute(v, attr, device));
        return v[0];
    }

    private void check(String what, int rc) {
        if (rc != CUresult.CUDA_SUCCESS) {
            throw new CudaException(what + " failed: " + CUresult.stringFor(rc) + " (" + rc + ")");
        }
    }

    private void checkDriver(String what, int rc) {
        if (rc != 0) {
            throw new CudaException(what + " failed: " + driver.describe(rc) + " (last kernel: " + lastKernel + ")");
        }
    }

    private boolean capturingHere() {
        return captureThread == Thread.currentThread();
    }

    /** The stream this thread's work goes on: the capture stream while it captures, else the current stream. */
    private Stream issueStream() {
        return capturingHere() ? captureStream : stream;
    }

    /**
     * Refuses a call a capture cannot hold before the driver sees it: in thread-local capture mode the driver would
     * fail it too (or, for a synchronous copy on the legacy stream, invalidate the capture), with a less clear
     * message.
     */
    private void refuseWhileCapturing(String call) {
        if (capturingHere()) {
            throw new CudaException(call + " during stream capture: CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED (a captured"
                    + " graph cannot hold host synchronisations, host copies, allocations or frees)");
        }
    }

    private void bind() {
        if (closed) {
            throw new IllegalStateException("device is closed");
        }
        cuCtxSetCurrent(context);
    }

    @Override
    public String description() {
        return description + (cublas == null ? ", no cuBLAS (built-in GEMM)" : ", " + cublasLibrary);
    }

    @Override
    public boolean emulated() {
        return false;
    }

    @Override
    public int maxSharedBytes() {
        return maxShared;
    }

    @Override
    public int gridStrideBlocks() {
        return sms * 16;
    }

    @Override
    public void setMaxDynamicSharedBytes(String kernel, int bytes) {
        bind();
        if (bytes > maxShared) {
            throw new CudaException(kernel + ": MAX_DYNAMIC_SHARED_SIZE_BYTES " + bytes + " exceeds the device's opt-in"
                    + " maximum of " + maxShared + " bytes");
        }
        check(kernel + ": cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES, " + bytes + ")",
                cuFuncSetAttribute(function(kernel), CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes));
    }

    /** Whether GEMMs run on cuBLAS. */
    public boolean hasCublas() {
        return cublas != null;
    }

    @Override
    public long malloc(long bytes) {
        refuseWhileCapturing("cuMemAlloc(" + bytes + " bytes)");
        bind();
        long[] r = driver.alloc(Math.max(bytes, 1));
        if (r[0] != 0) {
            long[] info = driver.memInfo();
            throw new CudaException("cuMemAlloc(" + bytes + " bytes) failed: " + driver.describe((int) r[0])
                    + " (free " + info[0] + " of " + info[1] + " bytes)");
        }
        checkDriver("cuMemsetD8(" + bytes + " bytes)", driver.memset(r[1], (byte) 0, Math.max(bytes, 1)));
        return r[1];
    }

    @Override
    public void free(long address) {
        refuseWhileCapturing("cuMemFree");
        counters.free();
        bind();
        checkDriver("cuMemFree", driver.free(address));
    }

    @Override
    public void copyToDevice(MemorySegment src, long dst, long bytes) {
        refuseWhileCapturing("cuMemcpyHtoD(" + bytes + " bytes)");
        counters.upload(bytes);
        bind();
        checkDriver("cuMemcpyHtoD(" + bytes + " bytes)", driver.copyToDevice(src, dst, bytes));
    }

    @Override
    public void copyToHost(long src, MemorySegment dst, long bytes) {
        refuseWhileCapturing("cuMemcpyDtoH(" + bytes + " bytes)");
        counters.download(bytes);
        bind();
        checkDriver("cuMemcpyDtoH(" + bytes + " bytes)", driver.copyToHost(src, dst, bytes));
    }

    @Override
    public void copyToDeviceAsync(MemorySegment pinnedSrc, long dst, long bytes) {
        refuseWhileCapturing("cuMemcpyHtoDAsync(" + bytes + " bytes)");  // uploads stay outside graphs (counted)
        counters.upload(bytes);
        bind();
        checkDriver("cuMemcpyHtoDAsync(" + bytes + " bytes)",
                driver.copyToDeviceAsync(pinnedSrc, dst, bytes, stream.raw()));
    }

    @Override
    public void copyOnDevice(long src, long dst, long bytes) {
        bind();
        if (capturingHere()) {
            checkDriver("cuMemcpyDtoDAsync(" + bytes + " bytes, captured)",
                    driver.copyOnDeviceAsync(src, dst, bytes, captureStream.raw()));
            return;
        }
        checkDriver("cuMemcpyDtoD(" + bytes + " bytes)", driver.copyOnDevice(src, dst, bytes));
    }

    private CUfunction function(String name) {
        return functions.computeIfAbsent(name, k -> {
            CUfunction f = new CUfunction();
            check("cuModuleGetFunction(" + k + ")", cuModuleGetFunction(f, module, k));
            return f;
        });
    }

    @Override
    public void launch(String kernel, Dim3 grid, Dim3 block, int sharedBytes, KernelArgs args) {
        bind();
        CUfunction f = function(kernel);
        Pointer params = LaunchCells.CELLS.get().fill(args);
        lastKernel = kernel;
        boolean capturing = capturingHere();
        int rc = cuLaunchKernel(f, grid.x(), grid.y(), grid.z(), block.x(), block.y(), block.z(), sharedBytes,
                capturing ? captureStream : stream, params, null);
        if (rc != CUresult.CUDA_SUCCESS) {
            throw new CudaException("cuLaunchKernel(" + kernel + ", grid " + grid + ", block " + block + ", shared "
                    + sharedBytes + " B, args " + args + ")" + (capturing ? " during capture" : "") + " failed: "
                    + CUresult.stringFor(rc));
        }
        if (capturing) {
            captureKernels++;  // counted when the graph runs
            return;
        }
        counters.kernel();
        if (SYNC_LAUNCHES) {
            findFaults();
        }
    }

    /**
     * A thread's launch parameters, built once: one 8-byte cell per argument in a direct buffer, and the pointer
     * array to them that cuLaunchKernel takes. A launch only writes the values (an int or float into the low bytes
     * of its cell, which is what the kernel reads on a little-endian host): no per-launch arrays or Pointer
     * objects. cuLaunchKernel copies the parameters before it returns, so the next launch may overwrite them.
     */
    private static final class LaunchCells {
        static final ThreadLocal<LaunchCells> CELLS = ThreadLocal.withInitial(() -> new LaunchCells(32));
        private final java.nio.ByteBuffer cells;
        private final Pointer[] byArity;
        private final int capacity;

        private LaunchCells(int capacity) {
            this.capacity = capacity;
            cells = java.nio.ByteBuffer.allocateDirect(8 * capacity).order(java.nio.ByteOrder.nativeOrder());
            Pointer base = Pointer.to(cells);
            Pointer[] each = new Pointer[capacity];
            for (int i = 0; i < capacity; i++) {
                each[i] = base.withByteOffset(8L * i);
            }
            // one kernelParams array per argument count, so cuLaunchKernel's array is exactly the kernel's length
            byArity = new Pointer[capacity + 1];
            for (int n = 0; n <= capacity; n++) {
                byArity[n] = Pointer.to(java.util.Arrays.copyOf(each, n));
            }
        }

        Pointer fill(KernelArgs args) {
            int n = args.size();
            if (n > capacity) {
                LaunchCells bigger = new LaunchCells(Math.max(n, 2 * capacity));
                CELLS.set(bigger);
                return bigger.fill(args);
            }
            for (int i = 0; i < n; i++) {
                long v = args.bits(i);
                switch (args.kind(i)) {
                    case PTR, I64, F64 -> cells.putLong(8 * i, v);
                    case I32, F32 -> cells.putInt(8 * i, (int) v);
                }
            }
            return byArity[n];
        }
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
                     float beta, long c, int ldc) {
        bind();
        if (cublas == null) {
            Gemms.tiled(this, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        lastKernel = "cublasSgemm(M=" + m + ", N=" + n + ", K=" + k + ")";
        boolean capturing = capturingHere();
        if (capturing) {
            captureKernels++;  // cuBLAS is on the capture stream (beginCapture set it); counted when the graph runs
        } else {
            counters.kernel();
        }
        try {
            cublas.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } catch (RuntimeException e) {
            throw new CudaException(e.getMessage(), e);
        }
        if (SYNC_LAUNCHES && !capturing) {
            findFaults();  // a fault inside cuBLAS is then reported naming this GEMM, as for a kernel
        }
    }

    @Override
    public long createStream() {
        bind();
        Stream s = new Stream();
        check("cuStreamCreate", cuStreamCreate(s, 0));
        long id = nextEvent.getAndIncrement();
        streams.put(id, s);
        return id;
    }

    @Override
    public void setStream(long id) {
        bind();
        Stream s = id == 0 ? DEFAULT_STREAM : streams.get(id);
        if (id != 0 && s == null) {
            throw new IllegalArgumentException("no stream " + id + " on this device");
        }
        stream = s;
        if (cublas != null) {
            cublas.setStream(s.raw());
        }
    }

    @Override
    public void destroyStream(long id) {
        Stream s = streams.remove(id);
        if (s != null) {
            bind();
            if (stream == s) {
                setStream(0);
            }
            cuStreamDestroy(s);
        }
    }

    @Override
    public long createEvent() {
        bind();
        CUevent e = new CUevent();
        check("cuEventCreate", cuEventCreate(e, 0));
        long id = nextEvent.getAndIncrement();
        events.put(id, e);
        return id;
    }

    @Override
    public void recordEvent(long event) {
        bind();
        check("cuEventRecord", cuEventRecord(events.get(event), issueStream()));
    }

    @Override
    public float elapsedMillis(long start, long end) {
        refuseWhileCapturing("cuEventSynchronize");
        counters.sync();
        bind();
        check("cuEventSynchronize (last kernel: " + lastKernel + ")", cuEventSynchronize(events.get(end)));
        float[] ms = new float[1];
        check("cuEventElapsedTime", cuEventElapsedTime(ms, events.get(start), events.get(end)));
        return ms[0];
    }

    @Override
    public void destroyEvent(long event) {
        CUevent e = events.remove(event);
        if (e != null) {
            bind();
            cuEventDestroy(e);
        }
    }

    @Override
    public DeviceCounters counters() {
        return counters;
    }

    @Override
    public void synchronize() {
        refuseWhileCapturing("cuCtxSynchronize");
        counters.sync();
        findFaults();
    }

    /**
     * Waits for the device and reports a fault naming the last kernel. Called by {@link #synchronize} and, under
     * {@code din4j.cuda.syncLaunches}, after every launch; those extra waits are not the program's synchronisations
     * and are not counted, so the counters (and the tests that bound them) read the same in both modes.
     */
    private void findFaults() {
        bind();
        int rc = cuCtxSynchronize();
        if (rc != CUresult.CUDA_SUCCESS) {
            throw new CudaException("kernel fault detected at synchronize (last kernel launched: " + lastKernel + "): "
                    + CUresult.stringFor(rc));
        }
    }

    @Override
    public synchronized void beginCapture() {
        bind();
        if (captureThread != null) {
            throw new CudaException("cuStreamBeginCapture: a capture is already active on this device");
        }
        if (captureStream == null) {
            Stream s = new Stream();
            check("cuStreamCreate(CU_STREAM_NON_BLOCKING)", cuStreamCreate(s, jcuda.driver.CUstream_flags.CU_STREAM_NON_BLOCKING));
            captureStream = s;
        }
        // Thread-local mode: a call from this thread that is unsafe during capture fails instead of silently
        // synchronising; other threads are unaffected (they issue to their own streams and are never recorded).
        check("cuStreamBeginCapture", cuStreamBeginCapture(captureStream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL));
        captureKernels = 0;
        captureThread = Thread.currentThread();
        if (cublas != null) {
            cublas.setStream(captureStream.raw());
        }
    }

    /** Ends the capture on this thread: the raw graph (the caller destroys it), or a CudaException. */
    private CUgraph finishCapture() {
        captureThread = null;
        if (cublas != null) {
            cublas.setStream(stream.raw());
        }
        CUgraph g = new CUgraph();
        check("cuStreamEndCapture", cuStreamEndCapture(captureStream, g));
        return g;
    }

    @Override
    public synchronized long endCapture() {
        if (!capturingHere()) {
            throw new CudaException("cuStreamEndCapture: this thread is not capturing");
        }
        bind();
        long kernels = captureKernels;
        CUgraph g = finishCapture();
        try {
            CUgraphExec exec = new CUgraphExec();
            check("cuGraphInstantiate (" + kernels + " kernels)", cuGraphInstantiate(exec, g, 0));
            long id = nextEvent.getAndIncrement();
            graphs.put(id, new Graph(exec, kernels));
            return id;
        } finally {
            cuGraphDestroy(g);  // the executable graph is independent of the graph it was made from
        }
    }

    @Override
    public synchronized void abortCapture() {
        if (capturingHere()) {
            bind();
            try {
                cuGraphDestroy(finishCapture());
            } catch (CudaException e) {
                // an invalidated capture ends with an error and no graph: nothing to free
            }
        }
    }

    @Override
    public boolean capturing() {
        return capturingHere();
    }

    @Override
    public void launchGraph(long graph) {
        refuseWhileCapturing("cuGraphLaunch");
        bind();
        Graph g = graphs.get(graph);
        if (g == null) {
            throw new CudaException("cuGraphLaunch: no graph " + graph + " on this device");
        }
        lastKernel = "graph " + graph + " (" + g.kernels() + " kernels)";
        // On the current stream (the legacy default one unless set): ordered with the eager work around it.
        check("cuGraphLaunch (" + g.kernels() + " kernels)", cuGraphLaunch(g.exec(), stream));
        counters.graph(g.kernels());
        if (SYNC_LAUNCHES) {
            findFaults();
        }
    }

    @Override
    public void destroyGraph(long graph) {
        Graph g = graphs.remove(graph);
        if (g != null) {
            bind();
            cuGraphExecDestroy(g.exec());
        }
    }

    @Override
    public long graphKernels(long graph) {
        Graph g = graphs.get(graph);
        return g == null ? 0 : g.kernels();
    }

    @Override
    public MemorySegment allocPinned(long bytes) {
        refuseWhileCapturing("cuMemAllocHost(" + bytes + " bytes)");
        bind();
        return driver.allocHost(bytes);
    }

    @Override
    public void freePinned(MemorySegment pinned) {
        refuseWhileCapturing("cuMemFreeHost");
        bind();
        driver.freeHost(pinned);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        bind();
        closed = true;
        for (Graph g : graphs.values()) {
            cuGraphExecDestroy(g.exec());
        }
        graphs.clear();
        if (captureStream != null) {
            cuStreamDestroy(captureStream);
        }
        for (CUevent e : events.values()) {
            cuEventDestroy(e);
        }
        events.clear();
        for (Stream s : streams.values()) {
            cuStreamDestroy(s);
        }
        streams.clear();
        if (cublas != null) {
            cublas.close();
        }
        cuModuleUnload(module);
        cuDevicePrimaryCtxRelease(device);
    }
}
