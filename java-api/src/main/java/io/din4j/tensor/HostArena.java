package io.din4j.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Host memory arena backed by a shared {@link Arena}: tensors may be used from any thread, and after
 * {@link #close()} every access throws instead of touching freed memory. Allocations are 64-byte aligned
 * (one cache line, one AVX-512 vector).
 */
public final class HostArena implements TensorArena {
    /** Native bytes held by all open host arenas of this process, for leak tests and diagnostics. */
    private static final AtomicLong LIVE_BYTES = new AtomicLong();
    private static final AtomicLong PEAK_BYTES = new AtomicLong();

    private final Arena arena = Arena.ofShared();
    private long allocated;
    private boolean closed;

    @Override
    public synchronized Tensor allocate(DType dtype, long... shape) {
        if (closed) {
            throw new IllegalStateException("arena is closed");
        }
        long bytes = Math.multiplyExact(Shape.count(shape), (long) dtype.bytes());
        MemorySegment seg;
        try {
            seg = arena.allocate(Math.max(bytes, 1), 64).asSlice(0, bytes);
        } catch (OutOfMemoryError e) {
            // A failed native allocation leaves the Java heap intact: report it as a recoverable error.
            throw new IllegalStateException("cannot allocate " + bytes + " bytes of host memory for a " + dtype + " tensor of shape "
                    + Shape.toString(shape) + " (" + LIVE_BYTES.get() + " bytes held by open arenas)", e);
        }
        allocated += bytes;
        long live = LIVE_BYTES.addAndGet(bytes);
        PEAK_BYTES.accumulateAndGet(live, Math::max);
        return Tensor.wrap(dtype, seg, shape);
    }

    @Override
    public synchronized long allocatedBytes() {
        return allocated;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            LIVE_BYTES.addAndGet(-allocated);
            arena.close();
        }
    }

    /** Native bytes held by all open host arenas of this process. */
    public static long liveBytes() {
        return LIVE_BYTES.get();
    }

    /** The most native bytes held at once since the last {@link #resetPeak()} (for allocation-bound tests). */
    public static long peakBytes() {
        return PEAK_BYTES.get();
    }

    /** Starts a new peak measurement from the bytes held now. */
    public static void resetPeak() {
        PEAK_BYTES.set(LIVE_BYTES.get());
    }
}
