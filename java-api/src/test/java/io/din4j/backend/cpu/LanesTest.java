package io.din4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import org.junit.jupiter.api.Test;

/**
 * Masked loads and stores against a lane-by-lane reading of the mask, inside a segment and at its very end; the
 * lane sums of a stored vector against the vector's own.
 */
class LanesTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /**
     * {@code Lanes.sum(float[], int)} gives the bits of {@code Lanes.sum(FloatVector)} (the same pairwise order), at
     * any offset, and leaves the array as it was. Values of mixed sign and magnitude, so that another order of the
     * adds would round differently.
     */
    @Test
    void storedLanesSumInTheVectorsOrder() {
        int l = Lanes.L;
        java.util.Random r = new java.util.Random(5);
        for (int round = 0; round < 200; round++) {
            int at = r.nextInt(3 * l);
            float[] t = new float[at + l + 2];
            for (int i = 0; i < t.length; i++) {
                t[i] = (float) ((r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(8) - 2));
            }
            float[] before = t.clone();
            float want = Lanes.sum(FloatVector.fromArray(Lanes.S, t, at));
            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(Lanes.sum(t, at)), "round " + round + " at " + at);
            org.junit.jupiter.api.Assertions.assertArrayEquals(before, t, "round " + round);
        }
    }

    @Test
    void maskedLoadsAndStoresTouchOnlyTheMaskedLanes() {
        int l = Lanes.L;
        try (Arena arena = Arena.ofConfined()) {
            for (int n = 1; n <= 3 * l + 1; n++) {
                MemorySegment s = arena.allocate((long) n * 4, 4);
                for (int i = 0; i < n; i++) {
                    s.setAtIndex(F, i, i + 1f);
                }
                for (int i = 0; i < n; i++) {
                    VectorMask<Float> m = Lanes.tail(i, n);
                    float[] got = Lanes.load(s, i, m).toArray();
                    for (int lane = 0; lane < l; lane++) {
                        float want = i + lane < n ? i + lane + 1f : 0f;
                        assertEquals(want, got[lane], "n=" + n + " i=" + i + " lane " + lane);
                    }
                    MemorySegment t = arena.allocate((long) n * 4, 4);
                    t.fill((byte) 0x7f);
                    Lanes.store(FloatVector.broadcast(Lanes.S, -1f), t, i, m);
                    for (int e = 0; e < n; e++) {
                        float want = e >= i && e < i + l ? -1f : Float.intBitsToFloat(0x7f7f7f7f);
                        assertEquals(want, t.getAtIndex(F, e), "store n=" + n + " i=" + i + " element " + e);
                    }
                    // distinct lane values: each lane lands at its own element, also on the end-of-segment path
                    float[] distinct = new float[l];
                    for (int lane = 0; lane < l; lane++) {
                        distinct[lane] = 100f + lane;
                    }
                    MemorySegment u = arena.allocate((long) n * 4, 4);
                    Lanes.store(FloatVector.fromArray(Lanes.S, distinct, 0), u, i, m);
                    for (int e = i; e < Math.min(n, i + l); e++) {
                        assertEquals(100f + (e - i), u.getAtIndex(F, e), "store lanes n=" + n + " i=" + i + " element " + e);
                    }
                }
            }
        }
    }
}
