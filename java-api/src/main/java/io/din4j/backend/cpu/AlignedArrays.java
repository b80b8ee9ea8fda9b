package io.din4j.backend.cpu;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.ref.WeakReference;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code float[]} arrays whose element 0 starts a 64-byte cache line, and a cheap test of whether the garbage
 * collector may have moved them since.
 *
 * <p><b>Why.</b> A Java array starts wherever the allocator put it, 8-byte aligned: at 512 bits nearly every vector
 * load from a {@code float[]} then straddles two cache lines, at 256 bits every other one. On the Intel host, old
 * and new builds in one JVM, two threads, DIN serving (200 candidates, T = 100) ran 0.88–0.95× the time at 512 bits
 * with the attention unit's arrays and the GEMM's panels aligned, 0.92–0.98× at 256 bits; the 6 × 4 GEMM tile
 * alone in L1 ran ~9% faster reading B from an aligned segment than from one 16 bytes off (docs/architecture.md,
 * "Cache-line alignment of the scratch arrays").
 *
 * <p><b>How.</b> The JVM tells no address and takes no alignment request for heap arrays. Two facts make one:
 * <ul>
 *   <li>A downcall linked with {@link Linker.Option#critical(boolean) critical(true)} may take a heap segment, and
 *       {@code memset(p, 0, 0)} returns {@code p}: the address of the array's element 0, now.</li>
 *   <li>Objects are allocated by bumping a pointer in the thread's buffer, so after two empty probe arrays the next
 *       object's place is known; a filler {@code int[]} of the right length puts the array's element 0 on a line.
 *       The result is checked, and the allocation retried a few times (a new buffer may start between).</li>
 * </ul>
 * A collection may move the array again: {@link #gcEpoch()} changes after every collection (a weakly held canary
 * object is cleared), and owners of long-lived arrays re-check then ({@link #aligned(float[])}) and copy
 * ({@link #realigned(float[])}) at a point where no other thread uses them. Alignment only changes speed, never a
 * result: every kernel reads the same elements either way.
 *
 * <p>Off where it cannot work, leaving plain arrays as before: when native access is not enabled for this module
 * (the downcall would print the JVM's warning; the library's documented flags include
 * {@code --enable-native-access=ALL-UNNAMED}), when element 0 can never be on a line (object headers that are not a
 * multiple of 8 bytes), for arrays over {@link #MAX_FLOATS} (G1 gives them a region of their own, which a filler
 * cannot move), and with {@code -Ddin4j.cpu.alignArrays=false}.
 */
final class AlignedArrays {
    /** Cache line, in bytes. */
    static final int LINE = 64;
    /**
     * The largest array allocated aligned, 256 KiB. Larger ones go where a filler does not move them: G1 gives an
     * object of half a region or more (regions are 1 MiB at least) regions of its own, ZGC puts objects over 256 KiB
     * on medium pages, and on a 300 MiB G1 heap 400 KB arrays missed the predicted place 95% of the time. Up to
     * 256 KiB, 3,000 allocations per size missed none under G1 (default, 64 MiB and 300 MiB heaps), Parallel,
     * Serial, ZGC and Shenandoah.
     */
    static final int MAX_FLOATS = (256 << 10) / Float.BYTES - 64;
    static final String PROPERTY = "din4j.cpu.alignArrays";
    private static final MethodHandle ADDRESS_OF = addressOf();
    private static final long EMPTY_ARRAY_BYTES = emptyArrayBytes();
    /** Whether arrays are allocated aligned in this JVM. */
    static final boolean ENABLED = headersAllowAlignment() && EMPTY_ARRAY_BYTES % 8 == 0 && EMPTY_ARRAY_BYTES > 0
            && EMPTY_ARRAY_BYTES <= LINE;
    private static final int ATTEMPTS = 8;

    private static final AtomicInteger EPOCH = new AtomicInteger();
    private static volatile WeakReference<Object> canary = new WeakReference<>(new Object());
    /** Keeps the fillers allocated: an array that escapes nowhere could be removed by the JIT. */
    @SuppressWarnings("unused")
    private static volatile Object filler;

    private AlignedArrays() {
    }

    /** {@code memset(p, 0, 0)}, which returns p, linked to take heap segments; null where that is not allowed. */
    private static MethodHandle addressOf() {
        if (!Boolean.parseBoolean(System.getProperty(PROPERTY, "true"))
                || !AlignedArrays.class.getModule().isNativeAccessEnabled()) {
            return null;
        }
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("memset")
                    .map(f -> linker.downcallHandle(f, FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG), Linker.Option.critical(true)))
                    .orElse(null);
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    /**
     * Whether an array's element 0 can start a line at all: its header is a whole number of 8-byte words (then
     * the header is an empty array's whole size).
     */
    private static boolean headersAllowAlignment() {
        return ADDRESS_OF != null && Math.floorMod(address(new float[0]), 8) == 0;
    }

    /** The size of an empty float[] in bytes, its header (two allocated back to back, then measured). */
    private static long emptyArrayBytes() {
        if (ADDRESS_OF == null) {
            return 0;
        }
        float[] first = new float[0];
        float[] second = new float[0];
        return address(second) - address(first);
    }

    /** Whether addresses can be read in this JVM (native access enabled and the downcall linked). */
    static boolean linked() {
        return ADDRESS_OF != null;
    }

    /** Where element 0 of {@code a} is now (where it would be, for an empty array). */
    static long address(float[] a) {
        try {
            return ((MemorySegment) ADDRESS_OF.invokeExact(MemorySegment.ofArray(a), 0, 0L)).address();
        } catch (Throwable e) {
            throw new IllegalStateException("memset downcall failed", e);
        }
    }

    /**
     * How many floats from element 0 of {@code a} the first cache line starts, now: 0–15, and 0 where addresses
     * cannot be read. For arrays of any size (data placed from that index on, as Gemm's packed panels are).
     */
    static int floatsToLine(float[] a) {
        if (ADDRESS_OF == null) {
            return 0;
        }
        long address = address(a);
        return address % Float.BYTES != 0 ? 0 : (int) (Math.floorMod(-address, LINE) / Float.BYTES);
    }

    /** Whether element 0 of {@code a} starts a cache line now (true when that cannot be known or arranged). */
    static boolean aligned(float[] a) {
        return !ENABLED || a.length == 0 || a.length > MAX_FLOATS || address(a) % LINE == 0;
    }

    /** A new zeroed array of {@code n} floats, element 0 on a cache line where {@link #ENABLED} and n allow. */
    static float[] floats(int n) {
        float[] a = new float[n];
        if (!ENABLED || n == 0 || n > MAX_FLOATS) {
            return a;
        }
        long d0 = address(a);
        for (int attempt = 0; attempt < ATTEMPTS && d0 % LINE != 0; attempt++) {
            // A second array of the same length lands one stride after the first: the first's size plus what one
            // address() call allocated, in the thread's buffer or (a large array) in the shared space, wherever
            // the allocator puts this length. The next array lands one more stride on, and a filler of the same
            // kind, n + 2j floats (the array's size plus 8j bytes), moves it by its own size. Nothing else may be
            // allocated between, so the addresses are read once each.
            float[] b = new float[n];
            long d1 = address(b);
            if (d1 % LINE == 0) {
                return b;
            }
            long fillerBase = EMPTY_ARRAY_BYTES + ((4L * n + 7) & ~7L);
            int j = (int) (Math.floorMod(-(d1 + (d1 - d0) + fillerBase), LINE) / 8);
            filler = new float[n + 2 * j];
            a = new float[n];
            d0 = address(a);
        }
        filler = null;
        return a;
    }

    /** {@code a} itself when it is {@link #aligned}, else an aligned copy of it. */
    static float[] realigned(float[] a) {
        if (a == null || aligned(a)) {
            return a;
        }
        float[] b = floats(a.length);
        System.arraycopy(a, 0, b, 0, a.length);
        return b;
    }

    /** Every element of {@code arrays} {@link #realigned} in place. */
    static void realign(float[][] arrays) {
        if (arrays != null) {
            for (int i = 0; i < arrays.length; i++) {
                arrays[i] = realigned(arrays[i]);
            }
        }
    }

    /**
     * A number that changes after every garbage collection (at the first call after it), so owners of aligned
     * arrays check them only then: one read of a weak reference per call otherwise.
     */
    static int gcEpoch() {
        if (canary.get() == null) {
            synchronized (AlignedArrays.class) {
                if (canary.get() == null) {
                    canary = new WeakReference<>(new Object());
                    EPOCH.incrementAndGet();
                }
            }
        }
        return EPOCH.get();
    }
}
