package io.din4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.cli.Training.WarmupEnd;
import java.util.function.IntToLongFunction;
import org.junit.jupiter.api.Test;

/**
 * When `din4j train`'s kernel warm-up ends (Training.warmupEnd, tinyPhaseOver, fullStepFloor): decided from the steps
 * done, the first batch's readiness and elapsed time passed in, so it is tested here on a virtual clock.
 */
class WarmupEndTest {
    private static final long S = 1_000_000_000L;
    private static final int FLOOR = Training.WARMUP_FULL_STEPS;

    @Test
    void theTinyPhaseEndsWhenQuietAtItsStepCountOrAtItsCap() {
        assertTrue(Training.tinyPhaseOver(true, 40, 2 * S), "quiet");
        assertFalse(Training.tinyPhaseOver(false, Training.WARMUP_TINY_STEPS - 1, 30 * S), "not quiet, below the count, before the cap");
        assertTrue(Training.tinyPhaseOver(false, Training.WARMUP_TINY_STEPS, S), "the count, however soon");
        assertTrue(Training.tinyPhaseOver(false, 20, Training.WARMUP_TINY_CAP_NANOS), "the cap, however few steps");
        assertTrue(Training.WARMUP_TINY_CAP_NANOS > 15 * S, "a starved JVM is no longer moved on at the old 15 s");
    }

    @Test
    void theFullSizeFloorIsNeverMoreThanOneEpochOfBatches() {
        assertEquals(150, FLOOR);
        assertEquals(FLOOR, Training.fullStepFloor(60_000, 256), "60,000 rows are 235 batches");
        assertEquals(50, Training.fullStepFloor(50 * 256, 256));
        assertEquals(51, Training.fullStepFloor(50 * 256 + 1, 256), "a last partial batch counts");
        assertEquals(FLOOR, Training.fullStepFloor(10_000_000_000L, 8192), "no overflow on large data");
    }

    @Test
    void itNeverEndsBeforeTheFirstBatchAndTheMinimumSecondsExceptAtTheHardCap() {
        assertNull(Training.warmupEnd(true, 100 * S, 0, false, true, true, 500, FLOOR), "converged, but the reader has no batch yet");
        assertNull(Training.warmupEnd(false, S, 0, false, false, false, 0, FLOOR), "small data waits for the reader too");
        assertNull(Training.warmupEnd(true, 10 * S, 20 * S, true, true, true, 500, FLOOR), "--warmup-seconds 20 not yet passed");
        assertEquals(WarmupEnd.CONVERGED, Training.warmupEnd(true, 20 * S, 20 * S, true, true, true, 500, FLOOR));
        assertEquals(WarmupEnd.CAP, Training.warmupEnd(true, Training.WARMUP_MAX_NANOS, 0, false, false, false, 0, FLOOR), "a very slow reader");
        assertEquals(WarmupEnd.CAP, Training.warmupEnd(true, Training.WARMUP_MAX_NANOS, 200 * S, true, true, false, 10, FLOOR),
                "the hard cap bounds --warmup-seconds too");
    }

    @Test
    void smallDataEndsAsSoonAsTheFirstBatchIsReady() {
        assertEquals(WarmupEnd.SMALL_DATA, Training.warmupEnd(false, S / 10, 0, true, false, false, 0, 40));
        assertEquals("data under 50 batches", WarmupEnd.SMALL_DATA.text);
    }

    @Test
    void largeDataEndsConvergedAtTheStepFloorOrAtTheSafetyCap() {
        assertEquals(WarmupEnd.CONVERGED, Training.warmupEnd(true, 5 * S, 0, true, true, true, 12, FLOOR), "quiet before the floor");
        assertNull(Training.warmupEnd(true, 5 * S, 0, true, false, true, 0, FLOOR), "the tiny phase is not over yet");
        assertNull(Training.warmupEnd(true, 30 * S, 0, true, true, false, FLOOR - 1, FLOOR),
                "a starved warm-up is not cut at the old 30 s with the full-size steps still to do");
        assertEquals(WarmupEnd.STEP_FLOOR, Training.warmupEnd(true, 30 * S, 0, true, true, false, FLOOR, FLOOR));
        assertEquals(WarmupEnd.STEP_FLOOR, Training.warmupEnd(true, 4 * S, 0, true, true, false, FLOOR + 2, FLOOR),
                "fast steps that never go quiet end at the floor, well before any cap");
        assertNull(Training.warmupEnd(true, Training.WARMUP_CAP_NANOS - 1, 0, true, true, false, FLOOR - 1, FLOOR));
        assertEquals(WarmupEnd.CAP, Training.warmupEnd(true, Training.WARMUP_CAP_NANOS, 0, true, true, false, 20, FLOOR));
        assertEquals(WarmupEnd.CAP, Training.warmupEnd(true, Training.WARMUP_CAP_NANOS, 0, true, false, false, 0, FLOOR),
                "the cap also ends a tiny phase that never finished");
    }

    /** The loop of Training.warmedUp on a virtual clock: windows as it runs them, the JIT never quiet (a loaded host). */
    private record Run(WarmupEnd end, double seconds, int tiny, int full) {
    }

    private static Run simulate(IntToLongFunction tinyStepNanos, IntToLongFunction fullStepNanos, int floor) {
        long now = 0;
        int tiny = 0;
        int full = 0;
        boolean tinyOver = false;
        WarmupEnd end;
        while ((end = Training.warmupEnd(true, now, 0, true, tinyOver, false, full, floor)) == null) {
            long w0 = now;
            if (!tinyOver) {
                for (int i = 0; i < 20 || now - w0 < 200_000_000L; i++) {
                    now += tinyStepNanos.applyAsLong(tiny++);
                }
                tinyOver = Training.tinyPhaseOver(false, tiny, now);
            } else {
                for (int i = 0; i < 3 || now - w0 < 300_000_000L; i++) {
                    now += fullStepNanos.applyAsLong(full++);
                }
            }
        }
        return new Run(end, now / 1e9, tiny, full);
    }

    @Test
    void aStarvedMachineStillReachesTheFloorOfFullSizeSteps() {
        // Like the starved runs measured under load 6-9.5 on 2 cores: tiny steps at 0.2 s until the kernels are
        // compiled (here the 100th), then 5 ms; full-size steps at 1.5 s for the first 20, then 80 ms. The old
        // rule (tiny phase 15 s, warm-up 30 s) ended it with 80 tiny and 10 full-size steps, still uncompiled, as
        // measured ("80 + 9"); now it goes on to the floor, about a minute.
        Run r = simulate(i -> i < 100 ? S / 5 : 5_000_000L, i -> i < 20 ? 3 * S / 2 : 80_000_000L, FLOOR);
        assertEquals(WarmupEnd.STEP_FLOOR, r.end(), r.toString());
        assertTrue(r.full() >= FLOOR && r.tiny() >= Training.WARMUP_TINY_STEPS, r.toString());
        assertTrue(r.seconds() > 30 && r.seconds() < Training.WARMUP_CAP_NANOS / 1e9, r.toString());
    }

    @Test
    void stepsThatTakeSecondsEvenCompiledEndAtTheCap() {
        Run r = simulate(i -> S, i -> 3 * S, FLOOR);
        assertEquals(WarmupEnd.CAP, r.end(), r.toString());
        assertTrue(r.full() < FLOOR, r.toString());
        // Ended within one window (three steps) of the cap.
        assertTrue(r.seconds() < Training.WARMUP_CAP_NANOS / 1e9 + 9, r.toString());
    }

    @Test
    void aFastMachineThatNeverGoesQuietStopsAtTheFloorInSeconds() {
        Run r = simulate(i -> 1_000_000L, i -> 33_000_000L, FLOOR);
        assertEquals(WarmupEnd.STEP_FLOOR, r.end(), r.toString());
        assertTrue(r.seconds() < 10, "500 tiny steps at 1 ms and 150 full-size at 33 ms: " + r);
    }

    @Test
    void afterTheFloorTheDrainEndsOnQuietWindowsOrItsOwnFloorOrTheCap() {
        assertTrue(Training.drainGoesOn(0, 0, FLOOR, S), "just past the floor");
        assertTrue(Training.drainGoesOn(Training.DRAIN_QUIET_WINDOWS - 1, 10, FLOOR, S), "one quiet window is not the end");
        assertFalse(Training.drainGoesOn(Training.DRAIN_QUIET_WINDOWS, 10, FLOOR, S), "quiet windows in a row");
        assertFalse(Training.drainGoesOn(0, FLOOR, FLOOR, S), "as many steps again as the floor, quiet or not");
        assertFalse(Training.drainGoesOn(0, 10, FLOOR, Training.WARMUP_CAP_NANOS), "the warm-up's cap");
    }

    @Test
    void aDrainWindowIsQuietWhenC2HasNothingLeftAndTheJitWasIdle() {
        assertTrue(Training.drainWindowQuiet(0, 0, 200));
        assertTrue(Training.drainWindowQuiet(0, 4, 200), "2% of the window");
        assertFalse(Training.drainWindowQuiet(0, 5, 200), "more than 2%");
        assertFalse(Training.drainWindowQuiet(1, 0, 200), "a method still compiling or queued");
        assertTrue(Training.drainWindowQuiet(-1, 0, 200), "an unreadable queue leaves the JIT's time to decide");
        assertFalse(Training.drainWindowQuiet(-1, 50, 200));
    }

    @Test
    void theFullSizeWarmUpRowsSpanEveryHistoryLengthUpToTheLongest() {
        io.din4j.data.FeatureSchema schema = io.din4j.data.FeatureSchema.canonical(java.util.List.of("click", "buy"));
        int[] sizes = new int[schema.sparse().size()];
        java.util.Arrays.fill(sizes, 50);
        sizes[sizes.length - 1] = 1;  // a table with only its out-of-vocabulary row
        int longest = 30;
        java.util.List<io.din4j.data.BatchBuilder.Encoded> rows =
                Training.warmUpRows(schema, 2000, longest, sizes, new java.util.SplittableRandom(3));
        assertEquals(2000, rows.size());
        int[] seen = new int[longest + 1];
        int[] seqTables = io.din4j.data.Vocabularies.sequenceTables(schema);
        for (io.din4j.data.BatchBuilder.Encoded r : rows) {
            int len = r.historyLength();
            seen[len]++;
            assertEquals(schema.tasks().size(), r.labels().length);
            for (int f = 0; f < sizes.length; f++) {
                assertTrue(r.sparse()[f] >= (sizes[f] > 1 ? 1 : 0) && r.sparse()[f] < sizes[f], "field " + f + ": " + r.sparse()[f]);
            }
            for (int q = 0; q < seqTables.length; q++) {
                assertEquals(len, r.sequences()[q].length);
                for (int id : r.sequences()[q]) {
                    assertTrue(id >= 0 && id < sizes[seqTables[q]], "sequence " + q + ": " + id);
                }
            }
        }
        for (int len = 0; len <= longest; len++) {
            assertTrue(seen[len] > 0, "no row of history " + len);
        }
    }
}
