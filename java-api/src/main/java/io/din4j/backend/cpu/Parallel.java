package io.din4j.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fixed set of worker threads sized to the cores that splits a loop over the batch into one contiguous chunk per
 * thread. The chunks are static — chunk {@code c} always covers the same range and always runs with index
 * {@code c}, whatever thread runs it — so per-chunk partial sums are combined in chunk order and results do not
 * depend on scheduling.
 *
 * <p>Which thread runs a chunk is not fixed: every thread, the caller included, claims unclaimed chunks from a shared
 * counter until none is left. When a worker is descheduled (another process competes for the cores) or slow to
 * wake, the caller runs its chunk instead of waiting a whole time slice for it; with static assignment one
 * descheduled worker stretched every op to the next slice, and two threads ran slower than one under load.
 *
 * <p>Why not an {@code ExecutorService}: a model step is dozens of short ops, and parking/unparking a pool thread
 * per op cost more than the ops themselves here (PLE inference at B=64 took 1.69 ms on two threads against
 * 0.38 ms on one). Workers therefore spin briefly on a volatile generation counter after each op before they
 * park, and the caller spins while it waits, so back-to-back ops hand off in well under a microsecond.
 *
 * <p>One caller uses the workers at a time (a lock, so concurrent callers — e.g. predictor threads sharing a
 * backend — queue and keep the same chunking). A call made from inside a chunk runs inline on its thread.
 */
final class Parallel implements AutoCloseable {
    /** Body of a parallel loop over {@code [from, to)}; {@code worker} is the chunk index, in {@code [0, threads)}. */
    @FunctionalInterface
    interface RangeBody {
        void run(int worker, int from, int to);
    }

    /** How long an idle worker (and a waiting caller) spins before parking: a few ops' worth of hand-offs. */
    private static final long SPIN_NANOS = 200_000;
    private static final AtomicInteger POOL_ID = new AtomicInteger();

    private final int threads;
    private final Worker[] workers;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile boolean closed;
    /** The op being run, published to the workers by the volatile {@link #generation}. */
    private Op op;
    private volatile long generation;

    Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        int id = POOL_ID.incrementAndGet();
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker("din4j-cpu-" + id + "-" + (i + 1));
            workers[i].start();
        }
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
        if (chunks == 1 || closed || lock.isHeldByCurrentThread() || Thread.currentThread() instanceof Worker) {
            body.run(0, 0, n);
            return;
        }
        run(new Op(body, n, chunks));
    }

    private void run(Op o) {
        lock.lock();
        try {
            op = o;
            generation = generation + 1;
            for (int w = 0; w < Math.min(workers.length, o.chunks - 1); w++) {
                workers[w].wake();
            }
            o.drain();
            o.awaitAll();
            Throwable t = o.failure;
            if (t instanceof RuntimeException re) {
                throw re;
            } else if (t instanceof Error e) {
                throw e;
            } else if (t != null) {
                throw new IllegalStateException(t);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs {@code body} over {@code [0, n)} cut into chunks of about {@code chunk} items — more chunks than threads —
     * that every thread, the caller included, claims in turn until none is left. Where {@link #forRange}'s one chunk
     * per thread leaves the caller waiting for a slower or descheduled worker, here the faster thread takes more
     * chunks. The chunks depend only on {@code n} and {@code chunk}, never on the thread count. The body's first
     * argument is the chunk index, which may exceed the thread count: bodies that keep per-thread state indexed by
     * it must use {@link #forRange}.
     */
    void forChunks(int n, int chunk, RangeBody body) {
        int chunks = Math.max(1, (n + Math.max(1, chunk) - 1) / Math.max(1, chunk));
        if (threads == 1 || chunks == 1 || closed || lock.isHeldByCurrentThread() || Thread.currentThread() instanceof Worker) {
            body.run(0, 0, n);
            return;
        }
        run(new Op(body, n, chunks));
    }

    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) {
            LockSupport.unpark(w);
        }
    }

    /** One parallel loop: chunks are claimed from {@code next} by whichever thread gets there first. */
    private final class Op {
        final RangeBody body;
        final int n;
        final int chunks;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger unfinished;
        final Thread caller = Thread.currentThread();
        volatile Throwable failure;

        Op(RangeBody body, int n, int chunks) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.unfinished = new AtomicInteger(chunks);
        }

        /** Runs unclaimed chunks until none is left. */
        void drain() {
            for (int c; (c = next.getAndIncrement()) < chunks; ) {
                try {
                    body.run(c, (int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
                } catch (Throwable t) {
                    if (failure == null) {
                        failure = t;
                    }
                }
                if (unfinished.decrementAndGet() == 0 && Thread.currentThread() != caller) {
                    LockSupport.unpark(caller);
                }
            }
        }

        /** Waits until every chunk has finished, wherever it ran. */
        void awaitAll() {
            long start = System.nanoTime();
            while (unfinished.get() != 0) {
                if (closed && !anyAlive()) {
                    throw new IllegalStateException("the cpu backend was closed while an op was running");
                }
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(this, 50_000);
                }
            }
        }
    }

    private boolean anyAlive() {
        for (Worker w : workers) {
            if (w.isAlive()) {
                return true;
            }
        }
        return false;
    }

    /** A worker thread: runs chunks of each new op, then spins briefly and parks until the next. */
    private final class Worker extends Thread {
        Worker(String name) {
            super(name);
            setDaemon(true);
        }

        void wake() {
            LockSupport.unpark(this);
        }

        @Override
        public void run() {
            long seen = 0;
            long idleSince = System.nanoTime();
            while (!closed) {
                long g = generation;
                if (g != seen) {
                    seen = g;
                    // The volatile read of generation publishes op; an op already drained by others is a no-op.
                    Op o = op;
                    if (o != null) {
                        o.drain();
                    }
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
        }
    }
}
