package io.din4j.data;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.function.ToLongFunction;

/**
 * Shuffles a stream with bounded memory: holds up to {@code capacity} elements, and at most {@code maxBytes} of them
 * by the weigher's estimate (plus the one element read ahead that did not fit), and emits a uniformly chosen one, refilling from the source. With room for the whole
 * stream this is a full uniform shuffle; smaller buffers mix rows within a window, which is enough to break up runs
 * of one user in a file sorted by user.
 *
 * <p>The byte bound is what keeps a run inside its heap whatever the data: a row count alone holds ten times the
 * memory when histories are ten times longer. The buffer always holds at least one element, so an element heavier
 * than the bound still passes through.
 */
public final class ShuffleBuffer<T> implements Iterator<T> {
    private final Iterator<T> source;
    private final Object[] buffer;
    private final long[] weights;
    private final long maxBytes;
    private final ToLongFunction<? super T> weigher;
    private final SplittableRandom random;
    private int size;
    private long bytes;
    /** The next element of the source, read but not yet admitted (it did not fit), or null. */
    private T pending;
    private long pendingWeight;
    private boolean started;

    /** A buffer bounded by element count only. */
    public ShuffleBuffer(Iterator<T> source, int capacity, long seed) {
        this(source, capacity, Long.MAX_VALUE, x -> 0, seed);
    }

    /**
     * @param capacity most elements held
     * @param maxBytes most bytes held, by {@code weigher}'s estimate of each element's retained size
     */
    public ShuffleBuffer(Iterator<T> source, int capacity, long maxBytes, ToLongFunction<? super T> weigher, long seed) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity = " + capacity + " must be >= 1");
        }
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes = " + maxBytes + " must be >= 1");
        }
        this.source = source;
        this.buffer = new Object[capacity];
        this.weights = new long[capacity];
        this.maxBytes = maxBytes;
        this.weigher = weigher;
        this.random = new SplittableRandom(seed);
    }

    /**
     * Reads from the source until the buffer is full. The first fill happens on the first {@link #hasNext()}, not in
     * the constructor, so that it runs on the thread that consumes the buffer (a prefetch thread), not the one that
     * built it.
     */
    private void fill() {
        started = true;
        while (size < buffer.length) {
            if (pending == null) {
                if (!source.hasNext()) {
                    return;
                }
                pending = source.next();
                pendingWeight = weigher.applyAsLong(pending);
            }
            if (size > 0 && bytes + pendingWeight > maxBytes) {
                return;
            }
            buffer[size] = pending;
            weights[size] = pendingWeight;
            bytes += pendingWeight;
            size++;
            pending = null;
        }
    }

    /** Elements held now (0 before the first {@link #hasNext()}). */
    public int size() {
        return size;
    }

    /** Estimated bytes held now. */
    public long bytes() {
        return bytes;
    }

    @Override
    public boolean hasNext() {
        if (!started) {
            fill();
        }
        return size > 0;
    }

    @Override
    @SuppressWarnings("unchecked")
    public T next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        int j = random.nextInt(size);
        T out = (T) buffer[j];
        bytes -= weights[j];
        size--;
        buffer[j] = buffer[size];
        weights[j] = weights[size];
        buffer[size] = null;
        fill();
        return out;
    }
}
