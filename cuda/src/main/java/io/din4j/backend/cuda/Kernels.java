package io.din4j.backend.cuda;

import io.din4j.tensor.DType;
import io.din4j.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;

/**
 * Launch helpers shared by the op families: grid sizing, the backend's scratch buffers and the deterministic
 * reductions (partials per chunk, then one ordered pass).
 */
final class Kernels {
    static final int THREADS = 256;
    /**
     * A column reduction splits its rows into at most MAX_CHUNKS chunks of at least 32 rows: enough blocks to keep
     * many loads in flight over B·T = 6.5M rows, few enough partials for one ordered pass per column.
     */
    private static final int MAX_CHUNKS = 4096;

    /**
     * Whether ops that read lengths check them on the device first (one small device-to-host read each). On by
     * default, as the SPI requires; {@code -Ddin4j.cuda.checkLengths=false} drops the check for benchmarks.
     */
    private static final boolean CHECK_LENGTHS =
            Boolean.parseBoolean(System.getProperty("din4j.cuda.checkLengths", "true"));

    final Device device;
    /**
     * Per thread: the depth of {@link io.din4j.backend.Backend#hostValidated} scopes it is in. Per thread because
     * the backend is shared (a {@code Predictor}'s sessions) and only the thread whose inputs were validated may
     * skip their checks.
     */
    private final ThreadLocal<int[]> validatedDepth = ThreadLocal.withInitial(() -> new int[1]);
    private final Map<String, long[]> scratch = new HashMap<>();
    /** Dynamic shared memory each kernel has been opted in to (absent: the 48 KiB default). */
    private final Map<String, Integer> sharedOptIn = new HashMap<>();

    /**
     * While a region is being recorded as a graph ({@link CudaReplay}): the host-state changes the backend's own
     * objects made in it, in order, to be reapplied whenever the graph replays instead of the region's code.
     */
    private java.util.List<Runnable> effects;

    Kernels(Device device) {
        this.device = device;
    }

    /**
     * Applies a change to host state that a device region implies (a sparse gradient's row bound after a backward
     * call), and keeps it when the region is being recorded, so a replay leaves the host exactly as running the
     * region's code would.
     */
    void hostEffect(Runnable change) {
        change.run();
        if (effects != null && device.capturing()) {
            effects.add(change);
        }
    }

    /** Starts collecting {@link #hostEffect}s (a recording begins). */
    void startEffects() {
        effects = new java.util.ArrayList<>();
    }

    /** The collected effects, and stops collecting. */
    java.util.List<Runnable> takeEffects() {
        java.util.List<Runnable> e = effects == null ? java.util.List.of() : java.util.List.copyOf(effects);
        effects = null;
        return e;
    }

    /** Opens a host-validated scope on the calling thread (see {@link io.din4j.backend.Backend#hostValidated}). */
    io.din4j.backend.Backend.Scope enterHostValidated() {
        int[] depth = validatedDepth.get();
        depth[0]++;
        return new io.din4j.backend.Backend.Scope() {
            private boolean closed;

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    depth[0]--;
                }
            }
        };
    }

    /** Whether the calling thread is inside a host-validated scope: skip device-side argument checks, defer read-backs. */
    boolean hostValidated() {
        return validatedDepth.get()[0] > 0;
    }

    /** Blocks for a grid-stride kernel over {@code n} elements. */
    int blocks(long n) {
        long b = (n + THREADS - 1) / THREADS;
        return (int) Math.max(1, Math.min(b, device.gridStrideBlocks()));
    }

    /** A grid-stride launch over {@code n} elements (skipped when n is 0). */
    void elementwise(String kernel, long n, KernelArgs args) {
        if (n > 0) {
            device.launch(kernel, Dim3.of(blocks(n)), Dim3.of(THREADS), 0, args);
        }
    }

    /**
     * Launches {@code kernel} with {@code sharedBytes} of dynamic shared memory, first opting the kernel in to it
     * when it is above the 48 KiB a launch may use by default (once per kernel and size).
     */
    void launchShared(String kernel, Dim3 grid, Dim3 block, int sharedBytes, KernelArgs args) {
        if (sharedBytes > Device.DEFAULT_SHARED_BYTES && sharedOptIn.getOrDefault(kernel, 0) < sharedBytes) {
            device.setMaxDynamicSharedBytes(kernel, sharedBytes);
            sharedOptIn.put(kernel, sharedBytes);
        }
        device.launch(kernel, grid, block, sharedBytes, args);
    }

    /** A device scratch buffer of at least {@code bytes} bytes, reused by name. */
    long scratch(String name, long bytes) {
        long[] s = scratch.get(name);
        if (s == null || s[1] < bytes) {
            if (device.capturing()) {
                throw new CudaException("scratch buffer '" + name + "' must grow to " + bytes + " bytes during stream"
                        + " capture: CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED (an eager run of the same shape sizes it first)");
            }
            if (s != null) {
                device.synchronize();  // queued kernels may still read the old buffer
                device.free(s[0]);
            }
            long size = Math.max(bytes, 256);
            s = new long[] {device.malloc(size), size};
            scratch.put(name, s);
        }
        return s[0];
    }

    /** Chunking of a reduction over {@code rows} rows: {@code {rowsPerChunk, chunks}}. */
    static long[] chunks(long rows) {
        long per = Math.max(32, (rows + MAX_CHUNKS - 1) / MAX_CHUNKS);
        return new long[] {per, Math.max(1, (rows + per - 1) / per)};
    }

    /** Threads for a kernel whose threads span {@code width} columns. */
    static int columnThreads(int width) {
        return Math.min(THREADS, Math.max(32, (width + 31) / 32 * 32));
    }

    /** Reduces partials [chunks, width] (double) into sums [width] (double) in chunk order. */
    void reducePartials(long partial, int chunks, int width, long sums) {
        int threads = Math.min(THREADS, (chunks + 31) / 32 * 32);
        device.launch("reduce_partials_forward", Dim3.of(Math.min(width, 65535)), Dim3.of(threads), 0,
                KernelArgs.of().ptr(partial).i32(chunks).i32(width).ptr(sums));
    }

    /** {@code out[c] += scale·Σ_{valid rows} x[r, c]} for x [rows, C]; lengths/T mask rows (lengths 0 = all). */
    void columnSumInto(long x, long rows, int c, long lengths, int t, float scale, long out) {
        if (rows == 0 || c == 0) {
            return;
        }
        long[] ch = chunks(rows);
        long partial = scratch("colsum.partial", ch[1] * c * 8);
        long sums = scratch("colsum.sums", (long) c * 8);
        device.launch("column_sum_forward", Dim3.of((int) ch[1]), Dim3.of(columnThreads(c)), 0,
                KernelArgs.of().ptr(x).i64(rows).i32(c).ptr(lengths).i32(t).i64(ch[0]).ptr(partial));
        reducePartials(partial, (int) ch[1], c, sums);
        device.launch("add_scaled_sums_forward", Dim3.of((c + THREADS - 1) / THREADS), Dim3.of(THREADS), 0,
                KernelArgs.of().ptr(sums).i32(c).f32(scale).ptr(out));
    }

    /** Reads {@code n} doubles from device memory. */
    double[] readDoubles(long address, int n) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(8L * n, 8);
            device.copyToHost(address, m, 8L * n);
            return m.toArray(ValueLayout.JAVA_DOUBLE);
        }
    }

    /** Reads {@code n} ints from device memory. */
    int[] readInts(long address, int n) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(4L * n, 4);
            device.copyToHost(address, m, 4L * n);
            return m.toArray(ValueLayout.JAVA_INT);
        }
    }

    /** Writes ints to device memory. */
    void writeInts(long address, int... values) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocateFrom(ValueLayout.JAVA_INT, values);
            device.copyToDevice(m, address, 4L * values.length);
        }
    }

    void fill(long address, long n, float value) {
        elementwise("fill_forward", n, KernelArgs.of().ptr(address).f32(value).i64(n));
    }

    /**
     * Checks ids (at valid positions) against {@code [0, V)} and lengths against {@code [0, T]} on the device,
     * throwing {@link IllegalArgumentException} naming the first offender before any output is written.
     */
    void checkIds(String what, Tensor ids, long n, long v, Tensor lengths, int t) {
        if (n == 0 || hostValidated()) {
            return;
        }
        long status = scratch("check.status", 16);
        int nMax = (int) Math.min(Integer.MAX_VALUE, n);
        int bMax = lengths == null ? 0 : (int) lengths.dim(0);
        writeInts(status, nMax, bMax);
        elementwise("check_ids_forward", n, KernelArgs.of().ptr(ids).i64(n).i64(v).ptr(lengths).i32(t).ptr(status));
        int[] s = readInts(status, 2);
        if (lengths != null && s[1] < bMax) {
            int bad = readInts(lengths.deviceAddress() + 4L * s[1], 1)[0];
            throw new IllegalArgumentException("lengths[" + s[1] + "] = " + bad + " is outside [0, " + t + "]");
        }
        if (s[0] < nMax) {
            int bad = readInts(ids.deviceAddress() + 4L * s[0], 1)[0];
            String pos = lengths == null ? "[" + s[0] + "]" : "[" + (s[0] / t) + ", " + (s[0] % t) + "]";
            throw new IllegalArgumentException(what + pos + " = " + bad + " is outside the table [0, " + v + ")");
        }
    }

    /** Checks lengths [B] against [0, T] on the device; IllegalArgumentException naming the first offender. */
    void checkLengths(Tensor lengths, int t) {
        int b = (int) lengths.dim(0);
        if (b == 0 || !CHECK_LENGTHS || hostValidated()) {
            return;
        }
        long status = scratch("check.status", 16);
        writeInts(status, 0, b);
        elementwise("check_lengths_forward", b, KernelArgs.of().ptr(lengths).i32(b).i32(t).ptr(status));
        int bad = readInts(status, 2)[1];
        if (bad < b) {
            int v = readInts(lengths.deviceAddress() + 4L * bad, 1)[0];
            throw new IllegalArgumentException("lengths[" + bad + "] = " + v + " is outside [0, " + t + "]");
        }
    }

    void free() {
        for (long[] s : scratch.values()) {
            device.free(s[0]);
        }
        scratch.clear();
    }

    // ---- argument checks (host-side, on shapes and types only) ----

    static Tensor dev(String what, Tensor t, DType type) {
        if (t == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
        if (t.isHost()) {
            throw new IllegalArgumentException(what + ": expected a cuda device tensor, got host tensor " + t
                    + " (allocate it from the cuda backend's arena)");
        }
        if (t.dtype() != type) {
            throw new IllegalArgumentException(what + ": expected " + type + ", got " + t);
        }
        return t;
    }

    static Tensor f32(String what, Tensor t) {
        return dev(what, t, DType.F32);
    }

    static Tensor i32(String what, Tensor t) {
        return dev(what, t, DType.I32);
    }

    static void sameSize(String what, Tensor a, Tensor b) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException(what + ": " + a + " and " + b + " differ in element count");
        }
    }

    static void shape(String what, Tensor t, long... expected) {
        if (!java.util.Arrays.equals(t.shape(), expected)) {
            throw new IllegalArgumentException(what + ": expected shape " + java.util.Arrays.toString(expected) + ", got " + t);
        }
    }
}
