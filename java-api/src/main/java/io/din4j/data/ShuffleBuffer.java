package io.din4j.data;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;

/**
 * Shuffles a stream with bounded memory: holds {@code capacity} elements and emits a uniformly chosen one, refilling
 * its slot from the source. With capacity ≥ the stream's length this is a full uniform shuffle; smaller capacities
 * mix rows within a window, which is enough to break up runs of one user in a file sorted by user.
 */
public final class ShuffleBuffer<T> implements Iterator<T> {
    private final Iterator<T> source;
    private final Object[] buffer;
    private final SplittableRandom random;
    private int size;

    public ShuffleBuffer(Iterator<T> source, int capacity, long seed) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity = " + capacity + " must be >= 1");
        }
        this.source = source;
        this.buffer = new Object[capacity];
        this.random = new SplittableRandom(seed);
        while (size < capacity && source.hasNext()) {
            buffer[size++] = source.next();
        }
    }

    @Override
    public boolean hasNext() {
        return size > 0;
    }

    @Override
    @SuppressWarnings("unchecked")
    public T next() {
        if (size == 0) {
            throw new NoSuchElementException();
        }
        int j = random.nextInt(size);
        T out = (T) buffer[j];
        if (source.hasNext()) {
            buffer[j] = source.next();
        } else {
            buffer[j] = buffer[--size];
            buffer[size] = null;
        }
        return out;
    }
}
