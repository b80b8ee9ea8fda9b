package io.din4j.data;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Batches of a re-readable row source, for training loops that iterate once per epoch. With a shuffle buffer each
 * pass mixes rows differently (the seed advances per pass) but reproducibly; with a sort window, batches group rows
 * of similar history length so that each is padded about as far as its own rows need. When a pass finds that
 * the whole source's encoded rows fit the shuffle buffer's memory bound, later passes shuffle those rows in memory
 * instead of reading the source again: parsing then costs the first epoch only. The buffer's row count does not
 * limit this: it bounds how far a streaming pass mixes rows, while the kept rows are already in memory. With prefetching, batches are built on
 * a background thread while the model computes; starting a new pass (or {@link #close()}) stops the previous one.
 */
public final class BatchStream implements Iterable<Batch>, AutoCloseable {
    private final Iterable<Row> rows;
    private final BatchBuilder builder;
    private final int batchSize;
    private final int shuffleBuffer;
    private final long shuffleBytes;
    private final int sortWindow;
    private final long seed;
    private final int prefetch;
    private int passes;
    /** Every row of the source, encoded, once a pass found that they all fit the shuffle buffer's bytes; else null. */
    private volatile BatchBuilder.Encoded[] cache;
    /** A pass begun by {@link #startPass()} that the next {@link #iterator()} hands out. */
    private Iterator<Batch> started;
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
        this(rows, builder, batchSize, shuffleBuffer, Long.MAX_VALUE, 0, seed, prefetch);
    }

    /**
     * @param shuffleBuffer most rows held by the shuffle buffer, 0 to keep file order
     * @param shuffleBytes  most bytes of encoded rows held by the shuffle buffer ({@link BatchBuilder.Encoded#bytes()})
     * @param sortWindow    batches' worth of shuffled rows sorted by history length before batching, so that a batch
     *                      is padded to about its rows' own length ({@link BatchBuilder#lengthSortedBatches}); 0 or
     *                      1 for batches in shuffled order
     * @param prefetch      batches built ahead on a background thread, 0 to build them on the caller's thread; with a
     *                      sort window, the window's batches come on top
     */
    public BatchStream(Iterable<Row> rows, BatchBuilder builder, int batchSize, int shuffleBuffer, long shuffleBytes,
                       int sortWindow, long seed, int prefetch) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize = " + batchSize + " must be >= 1");
        }
        if (prefetch < 0) {
            throw new IllegalArgumentException("prefetch = " + prefetch + " must be >= 0");
        }
        if (shuffleBuffer < 0) {
            throw new IllegalArgumentException("shuffleBuffer = " + shuffleBuffer + " must be >= 0");
        }
        if (shuffleBytes < 1) {
            throw new IllegalArgumentException("shuffleBytes = " + shuffleBytes + " must be >= 1");
        }
        if (sortWindow < 0) {
            throw new IllegalArgumentException("sortWindow = " + sortWindow + " must be >= 0");
        }
        this.rows = rows;
        this.builder = builder;
        this.batchSize = batchSize;
        this.shuffleBuffer = shuffleBuffer;
        this.shuffleBytes = shuffleBytes;
        this.sortWindow = sortWindow;
        this.seed = seed;
        this.prefetch = prefetch;
    }

    /**
     * Starts the next pass now (with prefetching, its thread starts reading) and returns it; the next
     * {@link #iterator()} returns this same pass, so a caller can do other work while the first batches are built
     * and then hand the stream to a training loop.
     */
    public Iterator<Batch> startPass() {
        Iterator<Batch> it = iterator();
        started = it;
        return it;
    }

    @Override
    public Iterator<Batch> iterator() {
        if (started != null) {
            Iterator<Batch> it = started;
            started = null;
            return it;
        }
        long passSeed = seed + 0x9E3779B97F4A7C15L * passes;
        Iterator<BatchBuilder.Encoded> it;
        BatchBuilder.Encoded[] all = cache;
        if (all != null) {
            it = permuted(all, passSeed);
        } else {
            // Encode before shuffling: the buffer then holds compact int rows, not strings.
            it = builder.encoded(rows.iterator());
            if (shuffleBuffer > 1) {
                it = new ShuffleBuffer<>(new Recorder(it), shuffleBuffer, shuffleBytes, BatchBuilder.Encoded::bytes, passSeed);
            }
        }
        passes++;
        Iterator<Batch> batches = builder.lengthSortedBatches(it, batchSize, sortWindow, passSeed ^ 0x5DEECE66DL);
        if (prefetch == 0) {
            return batches;
        }
        close();
        // With a sort window the producer works in bursts: it reads a whole window before the window's first batch
        // and then emits its batches at once. A queue that holds a window's batches lets it read the next window
        // while the model works through the current one; with only a few slots the model waited for every window
        // (measured: 68% of the synthetic step instead of 72% without sorting, tools/PipelineAB.java).
        current = new Prefetcher(batches, prefetch + (sortWindow > 1 ? sortWindow : 0));
        return current;
    }

    /** Whether later passes read the rows from memory instead of the source (the whole source fit the buffer's bytes). */
    public boolean cached() {
        return cache != null;
    }

    /** A uniform permutation of {@code all} drawn from {@code seed} (Fisher–Yates on a copy). */
    private static Iterator<BatchBuilder.Encoded> permuted(BatchBuilder.Encoded[] all, long seed) {
        BatchBuilder.Encoded[] order = all.clone();
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        for (int i = order.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            BatchBuilder.Encoded t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return java.util.Arrays.asList(order).iterator();
    }

    /**
     * Passes a pass's encoded rows through and keeps them while their bytes stay within the shuffle buffer's memory
     * bound; when the source ends within it, later passes shuffle the kept rows in memory instead of reading,
     * parsing and mapping the file again. The kept rows and the buffer's share the same objects, so a pass holds
     * no more than that bound of rows either way. Not the buffer's row count: a file of 196,000 rows (the 100,000-row
     * default) was parsed again every epoch, and on two cores the parsing took a core from the step (a pass read
     * from the file ran at 60–67% of the synthetic step, from memory at 90–99%; docs/cli.md, bench).
     */
    private final class Recorder implements Iterator<BatchBuilder.Encoded> {
        private final Iterator<BatchBuilder.Encoded> source;
        private List<BatchBuilder.Encoded> kept = new ArrayList<>();
        private long bytes;

        Recorder(Iterator<BatchBuilder.Encoded> source) {
            this.source = source;
        }

        @Override
        public boolean hasNext() {
            boolean more = source.hasNext();
            if (!more && kept != null) {
                cache = kept.toArray(BatchBuilder.Encoded[]::new);
                kept = null;
            }
            return more;
        }

        @Override
        public BatchBuilder.Encoded next() {
            BatchBuilder.Encoded e = source.next();
            if (kept != null) {
                bytes += e.bytes();
                if (bytes > shuffleBytes) {
                    kept = null;
                } else {
                    kept.add(e);
                }
            }
            return e;
        }
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
