package io.din4j.backend.cpu;

/**
 * Splits element-wise work over {@code long} element counts into fixed blocks for {@link Parallel}: the block
 * boundaries depend only on the size, never on the thread count, so per-block partial sums are deterministic.
 */
final class ElementRanges {
    /** Elements per block: 64 Ki floats, 256 KiB, enough to amortise a task hand-off. */
    static final long BLOCK = 1L << 16;

    @FunctionalInterface
    interface Body {
        void run(long from, long to);
    }

    @FunctionalInterface
    interface IndexedBody {
        void run(int block, long from, long to);
    }

    private ElementRanges() {
    }

    static int blocks(long size) {
        return Math.toIntExact((size + BLOCK - 1) / BLOCK);
    }

    /** Runs {@code body} over {@code [0, size)} in blocks, in parallel when there is more than one block. */
    static void run(Parallel parallel, long size, Body body) {
        runIndexed(parallel, size, (blk, from, to) -> body.run(from, to));
    }

    /** As {@link #run}, telling the body which block it runs. */
    static void runIndexed(Parallel parallel, long size, IndexedBody body) {
        int blocks = blocks(size);
        if (blocks <= 1) {
            body.run(0, 0, size);
            return;
        }
        parallel.forRange(blocks, 1, (worker, from, to) -> {
            for (int b = from; b < to; b++) {
                body.run(b, b * BLOCK, Math.min(size, (b + 1) * BLOCK));
            }
        });
    }
}
