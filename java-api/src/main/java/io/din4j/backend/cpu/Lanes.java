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
        if (m == null) {
            v.intoMemorySegment(s, i * 4, NO);
        } else {
            v.intoMemorySegment(s, i * 4, NO, m);
        }
    }
}
