package io.din4j.data;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.data.synth.SyntheticWorld;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PrefetcherTest {
    private static final SyntheticWorld WORLD = SyntheticWorld.of(SyntheticWorld.Config.defaults().withUsers(50).withTwoTasks(true));

    private static void assertSameBatches(List<Batch> want, List<Batch> got) {
        assertEquals(want.size(), got.size());
        for (int i = 0; i < want.size(); i++) {
            Batch a = want.get(i);
            Batch b = got.get(i);
            assertEquals(a.size(), b.size(), "batch " + i);
            assertEquals(a.history(), b.history(), "batch " + i);
            assertArrayEquals(a.lengths(), b.lengths(), "batch " + i);
            for (int s = 0; s < a.sequenceFields(); s++) {
                assertArrayEquals(a.sequence(s), b.sequence(s), "batch " + i + " sequence " + s);
            }
            for (int k = 0; k < a.tasks(); k++) {
                assertArrayEquals(a.labelMask(k), b.labelMask(k), "batch " + i + " task " + k);
            }
            assertArrayEquals(a.groups(), b.groups(), "batch " + i);
        }
    }

    @Test
    void prefetchedPassesEqualDirectOnesEpochAfterEpoch() {
        List<Row> rows = WORLD.rows(false);
        BatchBuilder builder = new BatchBuilder(Vocabularies.build(WORLD.schema(), rows.iterator(), 1), 0);
        for (int depth : new int[] {1, 3}) {
            try (BatchStream direct = new BatchStream(rows, builder, 37, 200, 5);
                 BatchStream ahead = new BatchStream(rows, builder, 37, 200, 5, depth)) {
                for (int epoch = 0; epoch < 2; epoch++) {
                    List<Batch> a = new ArrayList<>();
                    direct.forEach(a::add);
                    List<Batch> b = new ArrayList<>();
                    ahead.forEach(b::add);
                    assertSameBatches(a, b);
                }
            }
        }
    }

    private static Batch tiny(int i) {
        return new Batch(1, 0, new int[][] {{i}}, new int[0][], new int[1], new float[0][], new float[][] {{0}}, new float[][] {{1}}, null);
    }

    @Test
    void aProducerFailureReachesTheConsumerAfterTheBatchesBeforeIt() {
        Iterator<Batch> failing = new Iterator<>() {
            int n;

            @Override
            public boolean hasNext() {
                return true;
            }

            @Override
            public Batch next() {
                if (n == 3) {
                    throw new DataException("train.csv", 42, "label", "column label: 'x' is not a number");
                }
                return tiny(n++);
            }
        };
        try (Prefetcher p = new Prefetcher(failing, 2)) {
            for (int i = 0; i < 3; i++) {
                assertEquals(i, p.next().sparse(0)[0]);
            }
            DataException e = assertThrows(DataException.class, p::hasNext);
            assertEquals("train.csv:42: column label: 'x' is not a number", e.getMessage());
            assertFalse(p.hasNext());
        }
    }

    @Test
    void closingStopsAProducerLeftEarly() throws InterruptedException {
        AtomicInteger made = new AtomicInteger();
        Iterator<Batch> endless = new Iterator<>() {
            @Override
            public boolean hasNext() {
                return true;
            }

            @Override
            public Batch next() {
                return tiny(made.getAndIncrement());
            }
        };
        Prefetcher p = new Prefetcher(endless, 2);
        assertEquals(0, p.next().sparse(0)[0]);
        p.close();
        // Liveness, not speed: wait (up to 10 s on a loaded machine) until the producer has stopped.
        int after = -1;
        for (int i = 0; i < 100 && after != made.get(); i++) {
            after = made.get();
            Thread.sleep(100);
        }
        Thread.sleep(300);
        assertEquals(after, made.get(), "the producer keeps producing after close");
        assertTrue(after <= 5, "a bounded queue holds at most depth batches ahead: " + Arrays.toString(new int[] {after}));
    }
}
