package io.din4j.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * f32 vector loads and stores on segments at element offsets, with a tail mask (all set for a full vector), so element-wise loops handle their last partial vector with the same code as the others.
 */
final class Lanes {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();

    private Lanes() {
    }

    /**
     * Mask for the vector at element {@code i} of a range ending at {@code to} (all lanes set for a full vector).
     * Never null: a mask that is null on some paths becomes a heap object that C2 must allocate every iteration.
     */
    static VectorMask<Float> tail(long i, long to) {
        return S.indexInRange(0, (int) Math.min(L, to - i));
    }

    /** Full-vector load; loops use it up to their last whole vector (a masked load costs more even with all lanes set). */
    static FloatVector load(MemorySegment s, long i) {
        return FloatVector.fromMemorySegment(S, s, i * 4, NO);
    }

    static void store(FloatVector v, MemorySegment s, long i) {
        v.intoMemorySegment(s, i * 4, NO);
    }

    static FloatVector load(MemorySegment s, long i, VectorMask<Float> m) {
        return FloatVector.fromMemorySegment(S, s, i * 4, NO, m);
    }

    /**
     * The sum of the lanes of {@code v} in a fixed pairwise order. {@code reduceLanes(ADD)} on floats may add in any
     * order, "which may even vary over time" (its javadoc): the JIT's intrinsic and the interpreter's fallback round
     * differently, so gradients would depend on warm-up and differ between processes, and a resumed training run
     * would not reproduce an uninterrupted one bit for bit.
     */
    static float sum(FloatVector v) {
        // scalar math: Σ_i v[i], as v[i] += v[i + h] for h = L/2, L/4, ..., 1, then v[0]
        for (int h = v.length() / 2; h > 0; h /= 2) {
            v = v.add(v.slice(h));
        }
        return v.lane(0);
    }

    static void store(FloatVector v, MemorySegment s, long i, VectorMask<Float> m) {
        v.intoMemorySegment(s, i * 4, NO, m);
    }
}
