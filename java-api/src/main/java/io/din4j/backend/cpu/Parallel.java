package io.din4j.backend.cpu;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fixed pool sized to the cores that splits a loop over the batch into one contiguous chunk per thread; the
 * calling thread runs the first chunk. Chunks are static so results do not depend on scheduling.
 */
final class Parallel implements AutoCloseable {
    /** Body of a parallel loop over {@code [from, to)}; {@code worker} is in {@code [0, threads)}. */
    @FunctionalInterface
    interface RangeBody {
        void run(int worker, int from, int to);
    }

    private static final AtomicInteger POOL_ID = new AtomicInteger();

    private final int threads;
    private final ExecutorService pool;

    Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        int id = POOL_ID.incrementAndGet();
        AtomicInteger n = new AtomicInteger();
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "din4j-cpu-" + id + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    int threads() {
        return threads;
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into at most {@code threads} chunks of at least {@code minChunk}
     * items each. Exceptions from any chunk are rethrown in the caller.
     */
    void forRange(int n, int minChunk, RangeBody body) {
        int chunks = Math.max(1, Math.min(threads, n / Math.max(1, minChunk)));
        if (chunks == 1 || pool == null) {
            body.run(0, 0, n);
            return;
        }
        @SuppressWarnings("unchecked")
        Future<?>[] futures = new Future<?>[chunks - 1];
        for (int c = 1; c < chunks; c++) {
            int worker = c;
            int from = (int) ((long) n * c / chunks);
            int to = (int) ((long) n * (c + 1) / chunks);
            futures[c - 1] = pool.submit(() -> body.run(worker, from, to));
        }
        RuntimeException failure = null;
        try {
            body.run(0, 0, (int) ((long) n / chunks));
        } catch (RuntimeException e) {
            failure = e;
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for a parallel op", e);
            } catch (java.util.concurrent.ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
