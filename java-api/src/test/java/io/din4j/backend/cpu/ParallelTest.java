package io.din4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The hand-off: every index runs exactly once, chunks depend only on the sizes, failures reach the caller. */
class ParallelTest {
    private interface Split {
        void run(Parallel p, int n, int grain, Parallel.RangeBody body);
    }

    private static void coversEveryIndexOnce(Split split) {
        for (int threads : new int[] {1, 2, 3}) {
            try (Parallel p = new Parallel(threads)) {
                for (int n : new int[] {0, 1, 2, 5, 11, 64, 171, 1000}) {
                    for (int grain : new int[] {1, 2, 7, 16, 2000}) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(1, n));
                        split.run(p, n, grain, (chunk, from, to) -> {
                            assertTrue(0 <= from && from <= to && to <= n, "range [" + from + ", " + to + ") of " + n);
                            for (int i = from; i < to; i++) {
                                hits.incrementAndGet(i);
                            }
                        });
                        for (int i = 0; i < n; i++) {
                            assertEquals(1, hits.get(i), "index " + i + " of n=" + n + " grain=" + grain + " threads=" + threads);
                        }
                    }
                }
            }
        }
    }

    @Test
    void forRangeCoversEveryIndexOnce() {
        coversEveryIndexOnce(Parallel::forRange);
    }

    @Test
    void forChunksCoversEveryIndexOnce() {
        coversEveryIndexOnce(Parallel::forChunks);
    }

    @Test
    void forChunksCutsTheSameChunksWhateverTheThreadCount() {
        // chunk index -> range, recorded with 1 and 3 threads: equal, so per-chunk results never depend on threads
        int n = 171;
        int grain = 16;
        int chunks = (n + grain - 1) / grain;
        long[][] seen = new long[2][chunks];
        int[] threadCounts = {2, 3};
        for (int t = 0; t < threadCounts.length; t++) {
            long[] row = seen[t];
            try (Parallel p = new Parallel(threadCounts[t])) {
                p.forChunks(n, grain, (chunk, from, to) -> row[chunk] = ((long) from << 32) | to);
            }
        }
        for (int c = 0; c < chunks; c++) {
            assertEquals(seen[0][c], seen[1][c], "chunk " + c);
            assertTrue(seen[0][c] != 0 || c == 0, "chunk " + c + " ran");
        }
    }

    @Test
    void aChunkFailureReachesTheCallerAfterEveryChunkFinished() {
        try (Parallel p = new Parallel(2)) {
            AtomicInteger ran = new AtomicInteger();
            IllegalStateException boom = new IllegalStateException("boom");
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> p.forChunks(100, 10, (c, from, to) -> {
                ran.incrementAndGet();
                if (c == 3) {
                    throw boom;
                }
            }));
            assertSame(boom, thrown);
            assertEquals(10, ran.get());
        }
    }

    @Test
    void aNestedCallRunsInline() {
        try (Parallel p = new Parallel(2)) {
            AtomicInteger inner = new AtomicInteger();
            p.forChunks(8, 2, (c, from, to) -> p.forChunks(10, 1, (c2, f2, t2) -> {
                assertEquals(0, c2);
                inner.addAndGet(t2 - f2);
            }));
            assertEquals(40, inner.get());
        }
    }
}
