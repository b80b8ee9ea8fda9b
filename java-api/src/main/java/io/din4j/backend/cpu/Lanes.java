package io.din4j.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * f32 vector loads and stores on segments at element offsets, with a tail mask (all set for a full vector), so element-wise loops handle their last partial vector with the same code as the others.
 */
final class Lanes {
    static final VectorSpecies<Float> S = VectorIsa.SPECIES;
    static final int L = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(NO);

    private Lanes() {
    }

    /** {@code PREFIX[k]}: the first {@code k} lanes set, {@code k = 0 .. L}. */
    private static final VectorMask<Float>[] PREFIX = prefixMasks(S);

    /**
     * The masks with the first {@code k} lanes of {@code s} set, {@code k = 0 .. s.length()}, built once. Kernels
     * take their tail masks from such a table rather than calling {@code indexInRange} per use: that call is an
     * intrinsic only where C2 manages to inline it late ({@code VectorSupport.indexPartiallyInUpperRange}); in a
     * large kernel it may not ("callee is too large" in {@code -XX:+PrintInlining}), and then every call runs the
     * Java fallback (an iota, a compare, a boxed mask). JFR showed exactly that in the GEMM's tail stores on the
     * AVX2 host. A mask read from the table is one load, whatever the inliner decides.
     */
    @SuppressWarnings("unchecked")
    static VectorMask<Float>[] prefixMasks(VectorSpecies<Float> s) {
        VectorMask<Float>[] m = new VectorMask[s.length() + 1];
        for (int k = 0; k <= s.length(); k++) {
            m[k] = s.indexInRange(0, k);
        }
        return m;
    }

    /** The first {@code min(k, L)} lanes set (none for {@code k <= 0}). */
    static VectorMask<Float> prefix(long k) {
        return PREFIX[(int) Math.max(0, Math.min(L, k))];
    }

    /**
     * Mask for the vector at element {@code i} of a range ending at {@code to} (all lanes set for a full vector,
     * none past the end). Never null: a mask that is null on some paths becomes a heap object that C2 must
     * allocate every iteration.
     */
    static VectorMask<Float> tail(long i, long to) {
        return prefix(to - i);
    }

    /**
     * {@code x}, with 0 wherever {@code |x| < bound}: the tiny values that would otherwise turn into subnormal
     * arithmetic (the optimizers' flush, the loss's {@code RESIDUAL_MIN}; docs/architecture.md).
     */
    static FloatVector flushBelow(FloatVector x, float bound) {
        // scalar math: |x| < bound ? 0 : x
        return x.blend(0f, x.abs().lt(bound));
    }

    /** Full-vector load; loops use it up to their last whole vector (a masked load costs more even with all lanes set). */
    static FloatVector load(MemorySegment s, long i) {
        return FloatVector.fromMemorySegment(S, s, i * 4, NO);
    }

    static void store(FloatVector v, MemorySegment s, long i) {
        v.intoMemorySegment(s, i * 4, NO);
    }

    /**
     * Masked load: lanes outside {@code m} read as 0. Where the whole vector lies inside the segment it is a plain
     * load blended with zero — a masked load is {@code vmaskmovps} on AVX2 (no mask registers), slower than a load
     * and a blend, and it paid the shared arena's liveness check on every call in the Dice loops (~4% of a DIN
     * training step on the AVX2 host). Only a vector that would run past the segment's end is read lane by lane:
     * the Vector API would otherwise fall back to its Java implementation ({@code ldLongOp}) there.
     */
    static FloatVector load(MemorySegment s, long i, VectorMask<Float> m) {
        return loadAt(s, i * 4, m);
    }

    /** {@link #load(MemorySegment, long, VectorMask)} at a byte offset. */
    static FloatVector loadAt(MemorySegment s, long off, VectorMask<Float> m) {
        if (off + (long) L * 4 <= s.byteSize()) {
            // zero.blend(v, m), not v.blend(0, m.not()): the mask's not() ran in its Java fallback in compiled Dice
            // and loss loops, a boolean[] per call (--alloc-check: Float512Mask.xor under Lanes.loadAt).
            return FloatVector.zero(S).blend(FloatVector.fromMemorySegment(S, s, off, NO), m);
        }
        return FloatVector.fromArray(S, readLanes(s, off, m.toLong()), 0);
    }

    /**
     * The rare end-of-segment case of {@link #loadAt}: the mask's lanes (as bits) read into a new array, kept out of
     * line so that loadAt stays small enough for C2 to inline into already-compiled callers ({@code InlineSmallCode}).
     * Only scalars and an array cross the call, never a vector: a vector returned by a call C2 did not inline is a
     * heap object, and where it meets the in-segment loads — {@code full ? load(x, i) : load(x, i, m)} in the Dice
     * loops, whose last row of a partial vector takes this path once per call — C2 boxed every row's vector, 11 KB
     * of garbage per sample of a DIN training step on an AVX-512 host (JFR allocation samples at
     * {@code Lanes.load}).
     */
    private static float[] readLanes(MemorySegment s, long off, long lanes) {
        float[] a = new float[L];
        // The loop stops at the highest lane set, never at L: C2 hoists the segment's bounds check out of the loop
        // for every iteration the loop may run (a "profile predicate"), and with L as the bound that check covered
        // lanes past the segment's end, failed, and sent the method back to the interpreter to be compiled again —
        // hundreds of times a run (-Xlog:deoptimization=debug: trap_bci in readLanes, "profile_predicate
        // maybe_recompile"), which kept the JIT busy for minutes and made the DIN B=256 training step's timings
        // differ between runs.
        int end = highestLane(lanes);
        for (int l = 0; l < end; l++) {
            if ((lanes >>> l & 1L) != 0) {
                a[l] = s.get(F, off + 4L * l);
            }
        }
        return a;
    }

    /** One past the highest lane set in {@code bits} (0 when none is). */
    private static int highestLane(long bits) {
        return Math.min(L, 64 - Long.numberOfLeadingZeros(bits));
    }

    /**
     * The sum of the lanes of {@code v} in a fixed pairwise order. {@code reduceLanes(ADD)} on floats may add in any
     * order, "which may even vary over time" (its javadoc): the JIT's intrinsic and the interpreter's fallback round
     * differently, so gradients would depend on warm-up and differ between processes, and a resumed training run
     * would not reproduce an uninterrupted one bit for bit.
     */
    static float sum(FloatVector v) {
        // scalar math: Σ_i v[i], as v[i] += v[i + h] for h = L/2, L/4, ..., 1, then v[0]. Written out per width with
        // lane extracts: v.add(v.slice(h)) boxed a vector and a float[] per call on AVX2 (the slice's shuffle was not
        // intrinsified), ~40% of the training step's garbage. One small method per width behind a dispatch on the
        // vector's length: as one 357-byte method, the sum was past C2's size limit for inlining a hot method
        // (FreqInlineSize = 325 bytes of bytecode), so every caller boxed its accumulator to pass it (JFR: most of the
        // remaining garbage of SeqKernels.dot and CpuPoolingOps.weightedSumBackward).
        return switch (v.length()) {
            case 16 -> sum16(v);
            case 8 -> sum8(v);
            case 4 -> (v.lane(0) + v.lane(2)) + (v.lane(1) + v.lane(3));
            case 2 -> v.lane(0) + v.lane(1);
            case 1 -> v.lane(0);
            default -> sumAny(v.toArray());
        };
    }

    /**
     * {@link #sum(FloatVector)} of a vector already stored at {@code t[at..at + L)}: the same pairwise order, in
     * scalars (L is a constant to C2). For loops that sum a vector per output: stored with {@code intoArray} and
     * summed here, nothing that takes a vector is left for C2 to inline, and at 512 bits the sixteen lane extracts
     * of {@code sum16} (two or three shuffles each, all on one port) are sixteen loads.
     */
    static float sum(float[] t, int at) {
        return switch (L) {
            case 16 -> (((t[at] + t[at + 8]) + (t[at + 4] + t[at + 12])) + ((t[at + 2] + t[at + 10]) + (t[at + 6] + t[at + 14])))
                    + (((t[at + 1] + t[at + 9]) + (t[at + 5] + t[at + 13])) + ((t[at + 3] + t[at + 11]) + (t[at + 7] + t[at + 15])));
            case 8 -> ((t[at] + t[at + 4]) + (t[at + 2] + t[at + 6])) + ((t[at + 1] + t[at + 5]) + (t[at + 3] + t[at + 7]));
            case 4 -> (t[at] + t[at + 2]) + (t[at + 1] + t[at + 3]);
            case 2 -> t[at] + t[at + 1];
            default -> sumAny(java.util.Arrays.copyOfRange(t, at, at + L));
        };
    }

    private static float sum16(FloatVector v) {
        float a0 = v.lane(0) + v.lane(8), a1 = v.lane(1) + v.lane(9), a2 = v.lane(2) + v.lane(10);
        float a3 = v.lane(3) + v.lane(11), a4 = v.lane(4) + v.lane(12), a5 = v.lane(5) + v.lane(13);
        float a6 = v.lane(6) + v.lane(14), a7 = v.lane(7) + v.lane(15);
        float b0 = a0 + a4, b1 = a1 + a5, b2 = a2 + a6, b3 = a3 + a7;
        return (b0 + b2) + (b1 + b3);
    }

    private static float sum8(FloatVector v) {
        return ((v.lane(0) + v.lane(4)) + (v.lane(2) + v.lane(6))) + ((v.lane(1) + v.lane(5)) + (v.lane(3) + v.lane(7)));
    }

    /** Widths the Vector API may add later (32, 64 lanes): the same pairwise order on the lanes as an array. */
    private static float sumAny(float[] t) {
        for (int h = t.length / 2; h > 0; h /= 2) {
            for (int i = 0; i < h; i++) {
                t[i] += t[i + h];
            }
        }
        return t[0];
    }

    /**
     * Masked store: only the lanes in {@code m} are written. A full mask is a plain store; a partial one inside the
     * segment the intrinsic masked store; one that would run past the segment's end is written lane by lane (the
     * Vector API's Java fallback, {@code stLongOp}, otherwise).
     */
    static void store(FloatVector v, MemorySegment s, long i, VectorMask<Float> m) {
        storeAt(v, s, i * 4, m);
    }

    /** {@link #store(FloatVector, MemorySegment, long, VectorMask)} at a byte offset. */
    static void storeAt(FloatVector v, MemorySegment s, long off, VectorMask<Float> m) {
        if (m.allTrue()) {
            v.intoMemorySegment(s, off, NO);
        } else if (off + (long) L * 4 <= s.byteSize()) {
            v.intoMemorySegment(s, off, NO, m);
        } else {
            float[] lanes = new float[L];
            v.intoArray(lanes, 0);
            writeLanes(lanes, s, off, m.toLong());
        }
    }

    /** The rare end-of-segment case of {@link #storeAt}, out of line and vector-free for the reason at {@link #readLanes}. */
    private static void writeLanes(float[] lanes, MemorySegment s, long off, long set) {
        int end = highestLane(set);
        for (int l = 0; l < end; l++) {
            if ((set >>> l & 1L) != 0) {
                s.set(F, off + 4L * l, lanes[l]);
            }
        }
    }
}
