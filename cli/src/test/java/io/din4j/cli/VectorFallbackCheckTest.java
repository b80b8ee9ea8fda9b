package io.din4j.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/**
 * The fallback check must see the Vector API's Java fallback when it runs. A masked load whose vector would run
 * past the end of its segment always takes the fallback ({@code ldLongOp}), compiled or not, so a loop of them
 * must be reported, with its caller.
 */
class VectorFallbackCheckTest {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    @Test
    void maskedLoadsPastTheSegmentEndAreReportedAsFallback() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(4L * (S.length() + 1), 4);
            VectorMask<Float> oneLane = S.indexInRange(0, 1);
            float[] sink = new float[1];
            VectorFallbackCheck.Result r = VectorFallbackCheck.sample(() -> {
                for (int i = 0; i < 20_000; i++) {
                    sink[0] += FloatVector.fromMemorySegment(S, seg, 4L * S.length(), ByteOrder.nativeOrder(), oneLane).lane(0);
                }
            }, 1.0);
            assertTrue(r.samples() > 20, "too few samples: " + r);
            assertTrue(r.share() > 0.1, "fallback share " + r.share() + " in " + r);
            assertFalse(r.passed(), r.toString());
            assertTrue(r.fallbackCallers().keySet().stream().anyMatch(k -> k.contains(VectorFallbackCheckTest.class.getName())),
                    "callers " + r.fallbackCallers());
        }
    }
}
