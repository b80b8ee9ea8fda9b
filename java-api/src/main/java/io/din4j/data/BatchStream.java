package io.din4j.data;

import java.util.Iterator;

/**
 * Batches of a re-readable row source, for training loops that iterate once per epoch. With a shuffle buffer each
 * pass mixes rows differently (the seed advances per pass) but reproducibly.
 */
public final class BatchStream implements Iterable<Batch> {
    private final Iterable<Row> rows;
    private final BatchBuilder builder;
    private final int batchSize;
    private final int shuffleBuffer;
    private final long seed;
    private int passes;

    /** @param shuffleBuffer rows held by the shuffle buffer, 0 to keep file order */
    public BatchStream(Iterable<Row> rows, BatchBuilder builder, int batchSize, int shuffleBuffer, long seed) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize = " + batchSize + " must be >= 1");
        }
        if (shuffleBuffer < 0) {
            throw new IllegalArgumentException("shuffleBuffer = " + shuffleBuffer + " must be >= 0");
        }
        this.rows = rows;
        this.builder = builder;
        this.batchSize = batchSize;
        this.shuffleBuffer = shuffleBuffer;
        this.seed = seed;
    }

    @Override
    public Iterator<Batch> iterator() {
        Iterator<Row> it = rows.iterator();
        if (shuffleBuffer > 1) {
            it = new ShuffleBuffer<>(it, shuffleBuffer, seed + 0x9E3779B97F4A7C15L * passes);
        }
        passes++;
        return builder.batches(it, batchSize);
    }

    public int batchSize() {
        return batchSize;
    }
}
