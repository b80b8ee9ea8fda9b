package io.din4j.data;

import java.util.Iterator;

/**
 * Batches of a re-readable row source, for training loops that iterate once per epoch. With a shuffle buffer each
 * pass mixes rows differently (the seed advances per pass) but reproducibly. With prefetching, batches are built on
 * a background thread while the model computes; starting a new pass (or {@link #close()}) stops the previous one.
 */
public final class BatchStream implements Iterable<Batch>, AutoCloseable {
    private final Iterable<Row> rows;
    private final BatchBuilder builder;
    private final int batchSize;
    private final int shuffleBuffer;
    private final long seed;
    private final int prefetch;
    private int passes;
    private Prefetcher current;

    /** @param shuffleBuffer rows held by the shuffle buffer, 0 to keep file order */
    public BatchStream(Iterable<Row> rows, BatchBuilder builder, int batchSize, int shuffleBuffer, long seed) {
        this(rows, builder, batchSize, shuffleBuffer, seed, 0);
    }

    /**
     * @param shuffleBuffer rows held by the shuffle buffer, 0 to keep file order
     * @param prefetch      batches built ahead on a background thread, 0 to build them on the caller's thread
     */
    public BatchStream(Iterable<Row> rows, BatchBuilder builder, int batchSize, int shuffleBuffer, long seed, int prefetch) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize = " + batchSize + " must be >= 1");
        }
        if (prefetch < 0) {
            throw new IllegalArgumentException("prefetch = " + prefetch + " must be >= 0");
        }
        if (shuffleBuffer < 0) {
            throw new IllegalArgumentException("shuffleBuffer = " + shuffleBuffer + " must be >= 0");
        }
        this.rows = rows;
        this.builder = builder;
        this.batchSize = batchSize;
        this.shuffleBuffer = shuffleBuffer;
        this.seed = seed;
        this.prefetch = prefetch;
    }

    @Override
    public Iterator<Batch> iterator() {
        // Encode before shuffling: the buffer then holds compact int rows, not strings.
        Iterator<BatchBuilder.Encoded> it = builder.encoded(rows.iterator());
        if (shuffleBuffer > 1) {
            it = new ShuffleBuffer<>(it, shuffleBuffer, seed + 0x9E3779B97F4A7C15L * passes);
        }
        passes++;
        Iterator<Batch> batches = builder.encodedBatches(it, batchSize);
        if (prefetch == 0) {
            return batches;
        }
        close();
        current = new Prefetcher(batches, prefetch);
        return current;
    }

    /** Stops a background pass still running (when the consumer left it early). */
    @Override
    public void close() {
        if (current != null) {
            current.close();
            current = null;
        }
    }

    public int batchSize() {
        return batchSize;
    }
}
