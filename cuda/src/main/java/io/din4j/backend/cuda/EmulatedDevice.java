package io.din4j.backend.cuda;

import io.din4j.ffi.Emulator;
import io.din4j.ffi.NativeError;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The emulated device: din4j's CUDA kernels compiled for the host ({@code libdin4j_emu.so}), run synchronously
 * with each block's threads as fibers. Device memory is host memory. Exact CUDA semantics for the kernel subset
 * documented in kernels/README.md; slow (for tests, not for training).
 */
public final class EmulatedDevice implements Device {
    private final Emulator emu;
    private boolean closed;
    private final DeviceCounters counters = new DeviceCounters();
    /** The thread capturing (see {@link #beginCapture}), or null; only its work is recorded. */
    private volatile Thread captureThread;
    private java.util.List<Node> recording;
    private long recordingKernels;
    private final java.util.Map<Long, Recorded> graphs = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong nextGraph = new java.util.concurrent.atomic.AtomicLong(1);

    /** One recorded operation: a kernel launch (arguments copied at record time) or a device-to-device copy. */
    private sealed interface Node permits LaunchNode, CopyNode {
    }

    private record LaunchNode(String kernel, Dim3 grid, Dim3 block, int sharedBytes, KernelArgs args) implements Node {
    }

    private record CopyNode(long src, long dst, long bytes) implements Node {
    }

    private record Recorded(java.util.List<Node> nodes, long kernels) {
    }

    private EmulatedDevice(Emulator emu) {
        this.emu = emu;
    }

    /** The emulated device; throws {@link IllegalStateException} saying why when its library is unavailable. */
    public static EmulatedDevice open() {
        return new EmulatedDevice(Emulator.get().orElseThrow(() -> new IllegalStateException(unavailableReason())));
    }

    /** Whether the emulator library is on the class path for this platform. */
    public static boolean available() {
        return Emulator.get().isPresent();
    }

    static String unavailableReason() {
        return "the kernel emulator library (" + Emulator.RESOURCE + ") is not on the class path: it is built by "
                + "din4j-kernels with g++ on linux-x86_64 only";
    }

    @Override
    public String description() {
        return "emulator (" + emu.path() + ")";
    }

    @Override
    public boolean emulated() {
        return true;
    }

    @Override
    public int maxSharedBytes() {
        return emu.maxSharedOptIn();
    }

    @Override
    public void setMaxDynamicSharedBytes(String kernel, int bytes) {
        try {
            emu.setMaxDynamicShared(kernel, bytes);
        } catch (NativeError e) {
            throw new CudaException(e.getMessage(), e);
        }
    }

    @Override
    public int gridStrideBlocks() {
        return 8;
    }

    /** Whether the calling thread is recording. */
    private boolean recordingHere() {
        return captureThread == Thread.currentThread();
    }

    /** What the driver answers to a call a capturing stream cannot hold. */
    private void refuseWhileCapturing(String call) {
        if (recordingHere()) {
            throw new CudaException(call + " during stream capture: CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED (a captured"
                    + " graph cannot hold host synchronisations, host copies, allocations or frees)");
        }
    }

    @Override
    public long malloc(long bytes) {
        refuseWhileCapturing("malloc(" + bytes + " bytes)");
        long p = emu.malloc(bytes);
        if (p == 0) {
            throw new CudaException("emulated device: out of memory allocating " + bytes + " bytes");
        }
        return p;
    }

    @Override
    public void free(long address) {
        refuseWhileCapturing("free");
        counters.free();
        emu.free(address);
    }

    private static MemorySegment at(long address, long bytes) {
        return MemorySegment.ofAddress(address).reinterpret(bytes);
    }

    @Override
    public void copyToDevice(MemorySegment src, long dst, long bytes) {
        refuseWhileCapturing("copyToDevice(" + bytes + " bytes)");
        counters.upload(bytes);
        MemorySegment.copy(src, 0, at(dst, bytes), 0, bytes);
    }

    @Override
    public void copyToHost(long src, MemorySegment dst, long bytes) {
        refuseWhileCapturing("copyToHost(" + bytes + " bytes)");
        counters.download(bytes);
        MemorySegment.copy(at(src, bytes), 0, dst, 0, bytes);
    }

    @Override
    public void copyToDeviceAsync(MemorySegment pinnedSrc, long dst, long bytes) {
        copyToDevice(pinnedSrc, dst, bytes);  // launches and copies are synchronous here
    }

    @Override
    public MemorySegment allocPinned(long bytes) {
        return at(malloc(Math.max(1, bytes)), bytes);  // host memory is all the emulator has
    }

    @Override
    public void freePinned(MemorySegment pinned) {
        free(pinned.address());
    }

    @Override
    public void copyOnDevice(long src, long dst, long bytes) {
        if (recordingHere()) {
            recording.add(new CopyNode(src, dst, bytes));
            return;
        }
        MemorySegment.copy(at(src, bytes), 0, at(dst, bytes), 0, bytes);
    }

    @Override
    public void launch(String kernel, Dim3 grid, Dim3 block, int sharedBytes, KernelArgs args) {
        if (closed) {
            throw new IllegalStateException("device is closed");
        }
        if (recordingHere()) {
            // recorded, not run: the limits are checked when the graph runs (a GPU checks them at capture; either
            // way a bad launch fails before the step's results are used)
            recording.add(new LaunchNode(kernel, grid, block, sharedBytes, args.copy()));
            recordingKernels++;
            return;
        }
        // grid, block and shared-memory limits are the emulator library's to check, exactly as a GPU's launch does
        counters.kernel();
        run(kernel, grid, block, sharedBytes, args);
    }

    private void run(String kernel, Dim3 grid, Dim3 block, int sharedBytes, KernelArgs args) {
        try {
            MemorySegment params = LaunchCells.CELLS.get().fill(args);
            emu.launch(kernel, grid.x(), grid.y(), grid.z(), block.x(), block.y(), block.z(), sharedBytes, params);
        } catch (NativeError e) {
            throw new CudaException(e.getMessage() + " with arguments " + args, e);
        }
    }

    /**
     * A thread's launch parameters, allocated once: {@code cells} holds one 8-byte value per argument and
     * {@code params} the {@code void*} array pointing at them (cuLaunchKernel's layout). A launch only writes the
     * values (an int or float into the low bytes of its cell, as the kernel reads it); launches are synchronous
     * here, so the next launch may overwrite them.
     */
    private static final class LaunchCells {
        static final ThreadLocal<LaunchCells> CELLS = ThreadLocal.withInitial(() -> new LaunchCells(32));
        private final MemorySegment cells;
        private final MemorySegment params;
        private final int capacity;

        private LaunchCells(int capacity) {
            Arena a = Arena.ofAuto();
            this.capacity = capacity;
            cells = a.allocate(8L * capacity, 8);
            params = a.allocate(ValueLayout.ADDRESS, capacity);
            for (int i = 0; i < capacity; i++) {
                params.setAtIndex(ValueLayout.ADDRESS, i, cells.asSlice(8L * i, 8));
            }
        }

        MemorySegment fill(KernelArgs args) {
            int n = args.size();
            if (n > capacity) {
                LaunchCells bigger = new LaunchCells(Math.max(n, 2 * capacity));
                CELLS.set(bigger);
                return bigger.fill(args);
            }
            for (int i = 0; i < n; i++) {
                long v = args.bits(i);
                switch (args.kind(i)) {
                    case PTR, I64, F64 -> cells.setAtIndex(ValueLayout.JAVA_LONG, i, v);
                    case I32, F32 -> cells.set(ValueLayout.JAVA_INT, 8L * i, (int) v);
                }
            }
            return params;
        }
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
                     float beta, long c, int ldc) {
        Gemms.tiled(this, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    @Override
    public synchronized void beginCapture() {
        if (closed) {
            throw new IllegalStateException("device is closed");
        }
        if (captureThread != null) {
            throw new CudaException("cuStreamBeginCapture: a capture is already active on this device");
        }
        recording = new java.util.ArrayList<>();
        recordingKernels = 0;
        captureThread = Thread.currentThread();
    }

    @Override
    public synchronized long endCapture() {
        if (!recordingHere()) {
            throw new CudaException("cuStreamEndCapture: this thread is not capturing");
        }
        long id = nextGraph.getAndIncrement();
        graphs.put(id, new Recorded(java.util.List.copyOf(recording), recordingKernels));
        recording = null;
        captureThread = null;
        return id;
    }

    @Override
    public synchronized void abortCapture() {
        if (recordingHere()) {
            recording = null;
            captureThread = null;
        }
    }

    @Override
    public boolean capturing() {
        return recordingHere();
    }

    @Override
    public void launchGraph(long graph) {
        if (closed) {
            throw new IllegalStateException("device is closed");
        }
        refuseWhileCapturing("launchGraph");
        Recorded g = graphs.get(graph);
        if (g == null) {
            throw new CudaException("cuGraphLaunch: no graph " + graph + " on this device");
        }
        counters.graph(g.kernels());
        for (Node n : g.nodes()) {
            switch (n) {
                case LaunchNode l -> run(l.kernel(), l.grid(), l.block(), l.sharedBytes(), l.args());
                case CopyNode c -> MemorySegment.copy(at(c.src(), c.bytes()), 0, at(c.dst(), c.bytes()), 0, c.bytes());
            }
        }
    }

    @Override
    public void destroyGraph(long graph) {
        graphs.remove(graph);
    }

    @Override
    public long graphKernels(long graph) {
        Recorded g = graphs.get(graph);
        return g == null ? 0 : g.kernels();
    }

    @Override
    public long createStream() {
        return 0L;
    }

    @Override
    public void setStream(long stream) {
        // launches are synchronous: one implicit stream
    }

    @Override
    public void destroyStream(long stream) {
    }

    @Override
    public long createEvent() {
        return 0L;
    }

    @Override
    public void recordEvent(long event) {
        // launches are synchronous; timing an emulated kernel means nothing
    }

    @Override
    public float elapsedMillis(long start, long end) {
        refuseWhileCapturing("cuEventSynchronize");
        counters.sync();
        return 0f;
    }

    @Override
    public void destroyEvent(long event) {
    }

    @Override
    public DeviceCounters counters() {
        return counters;
    }

    @Override
    public void synchronize() {
        refuseWhileCapturing("synchronize");
        counters.sync();
    }

    @Override
    public void close() {
        closed = true;
        graphs.clear();
    }
}
