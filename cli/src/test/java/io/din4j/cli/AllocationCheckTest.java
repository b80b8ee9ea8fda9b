package io.din4j.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The allocation check counts what a step allocates and names where: a step that allocates a known array per call
 * must fail a bound below it and be named as the site; a step that allocates nothing must pass. No timing involved:
 * the counts come from the JVM's per-thread allocation counters.
 */
class AllocationCheckTest {
    private static final int FLOATS = 10_000;
    private static Object sink;

    /** Allocates one float[10,000] (40,016 bytes with its header) per call. */
    private static void allocating() {
        sink = new float[FLOATS];
    }

    @Test
    void aStepThatAllocatesFailsAndIsNamed() {
        AllocationCheck.Result r = AllocationCheck.measure(AllocationCheckTest::allocating, 2000, 1, 1024);
        assertTrue(r.bytesPerSample() >= 4.0 * FLOATS, "bytes per sample " + r.bytesPerSample());
        assertFalse(r.passed());
        assertTrue(r.sites().keySet().stream().anyMatch(k -> k.startsWith("[F at AllocationCheckTest.allocating")), r.sites().toString());
    }

    @Test
    void aStepThatAllocatesNothingPasses() {
        float[] a = new float[1024];
        Runnable step = () -> {
            for (int i = 0; i < a.length; i++) {
                a[i] = a[i] * 0.5f + 1f;
            }
        };
        for (int i = 0; i < 20_000; i++) {
            step.run();
        }
        // 2,000 steps of 256 samples: other threads of the test JVM may allocate a little meanwhile, and that is
        // counted too, so the bound is a few bytes per sample, far below the 40 KB per call of the other case.
        AllocationCheck.Result r = AllocationCheck.measure(step, 2000, 256, 64);
        assertTrue(r.passed(), "bytes per sample " + r.bytesPerSample() + ", sites " + r.sites());
    }
}
