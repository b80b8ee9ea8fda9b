package io.din4j.data;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Runs a batch iterator on a background thread, {@code depth} batches ahead, so that parsing, shuffling and id
 * mapping overlap the model's step instead of adding to it. A failure in the producer (e.g. a {@link DataException}
 * naming a line) is rethrown by the consumer's next call; {@link #close()} stops the producer when the consumer
 * stops early.
 */
public final class Prefetcher implements Iterator<Batch>, AutoCloseable {
    private static final Object END = new Object();

    private record Failure(Throwable error) {
    }

    private final BlockingQueue<Object> queue;
    private final Thread producer;
    private volatile boolean closed;
    private Object next;

    public Prefetcher(Iterator<Batch> source, int depth) {
        if (depth < 1) {
            throw new IllegalArgumentException("depth = " + depth + " must be >= 1");
        }
        this.queue = new ArrayBlockingQueue<>(depth);
        this.producer = Thread.ofPlatform().daemon().name("din4j-batches").start(() -> {
            try {
                while (!closed && source.hasNext()) {
                    put(source.next());
                }
                put(END);
            } catch (Throwable t) {
                put(new Failure(t));
            }
        });
    }

    private void put(Object o) {
        try {
            while (!closed && !queue.offer(o, 50, TimeUnit.MILLISECONDS)) {
                // the consumer is busy; look again unless closed
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether {@link #next()} would return without waiting (a batch, the end or a failure is queued). */
    public boolean ready() {
        return next != null || !queue.isEmpty();
    }

    @Override
    public boolean hasNext() {
        if (next == null) {
            try {
                next = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the next batch", e);
            }
        }
        if (next instanceof Failure f) {
            next = END;
            if (f.error() instanceof RuntimeException r) {
                throw r;
            }
            if (f.error() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(f.error());
        }
        return next != END;
    }

    @Override
    public Batch next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        Batch b = (Batch) next;
        next = null;
        return b;
    }

    /** Stops the producer (it finishes the batch it is building) and drops what was prefetched. */
    @Override
    public void close() {
        closed = true;
        producer.interrupt();
        queue.clear();
    }
}
