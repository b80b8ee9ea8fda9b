package io.din4j.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * f32 vector loads and stores on segments at element offsets, with an optional tail mask (null for a full
 * vector), so element-wise loops handle their last partial vector with the same code as the others.
 */
final class Lanes {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();

    private Lanes() {
    }

    /** Mask for the vector at element {@code i} of a range ending at {@code to}; null when the vector is full. */
    static VectorMask<Float> tail(long i, long to) {
        return i + L <= to ? null : S.indexInRange(0, (int) (to - i));
    }

    static FloatVector load(MemorySegment s, long i, VectorMask<Float> m) {
        return m == null ? FloatVector.fromMemorySegment(S, s, i * 4, NO) : FloatVector.fromMemorySegment(S, s, i * 4, NO, m);
    }

    static void store(FloatVector v, MemorySegment s, long i, VectorMask<Float> m) {
        if (m == null) {
            v.intoMemorySegment(s, i * 4, NO);
        } else {
            v.intoMemorySegment(s, i * 4, NO, m);
        }
    }
}
