package io.din4j.backend.cuda;

import io.din4j.backend.SparseGrad;
import io.din4j.tensor.DType;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;

/**
 * A sparse embedding gradient on the device: rows/values as the SPI describes, plus an open-addressing hash
 * table row id → slot (twice the capacity, a power of two), 64-bit fixed-point accumulators and per-slot
 * statistics used by the deterministic accumulation (see kernels/src/main/cuda/embedding.cu).
 *
 * <p>The row count lives on the device ({@code meta[0]}, with the overflow flags in {@code meta[4..8)}), and every
 * kernel that walks the rows reads it there; the host keeps only a bound ({@link #countBound()}: the positions
 * accumulated since the last clear, capped by the capacity), which sizes the grids. Outside a
 * {@link io.din4j.backend.Backend#hostValidated} scope every backward call reads the count back (and throws on
 * overflow) as before; inside one nothing is read back until {@link #count()} is asked for.
 */
final class CudaSparseGrad implements SparseGrad {
    private final Kernels k;
    private final long tableRows;
    private final int width;
    private final int capacity;
    private final int hashCap;
    final Tensor rows;
    final Tensor values;
    final Tensor keys;
    final Tensor vals;
    final Tensor acc;
    final Tensor slotCount;
    final Tensor slotMax;
    /** [0] = the row count, [4..8) = the status word (kernels/src/main/cuda/embedding.cu: [6] table full, [7] capacity exceeded). */
    final Tensor meta;
    /** meta[0]. */
    final Tensor countDev;
    /** meta[4..8). */
    final Tensor statusDev;
    /** The count when {@link #countKnown}. */
    int count;
    boolean countKnown = true;
    /** An upper bound on the count: positions accumulated since the last clear, at most the capacity. */
    int bound;

    CudaSparseGrad(Kernels k, TensorArena arena, long tableRows, int width, int capacity) {
        if (tableRows <= 0 || width <= 0 || capacity <= 0) {
            throw new IllegalArgumentException("sparse gradient needs positive tableRows, width and capacity, got "
                    + tableRows + ", " + width + ", " + capacity);
        }
        if (capacity > (1 << 29)) {
            throw new IllegalArgumentException("capacity " + capacity + " is too large (at most 2^29 rows)");
        }
        this.k = k;
        this.tableRows = tableRows;
        this.width = width;
        this.capacity = capacity;
        this.hashCap = Math.max(64, Integer.highestOneBit(2 * capacity - 1) << 1);
        rows = arena.allocate(DType.I32, capacity);
        values = arena.allocate(DType.F32, capacity, width);
        keys = arena.allocate(DType.I32, hashCap);
        vals = arena.allocate(DType.I32, hashCap);
        acc = arena.allocate(DType.F64, capacity, width);  // 64-bit integer accumulators, typed F64 for size only
        slotCount = arena.allocate(DType.I32, capacity);
        slotMax = arena.allocate(DType.I32, capacity);
        meta = arena.allocate(DType.I32, 8);
        countDev = meta.rows(0, 1);
        statusDev = meta.rows(4, 8);
        resetTable(0);
    }

    int hashMask() {
        return hashCap - 1;
    }

    /** Empties the table, the first {@code touched} value rows, the count and the status word: one launch, no copy. */
    private void resetTable(int touched) {
        k.elementwise("sparse_clear_forward", Math.max(hashCap, (long) touched * width),
                KernelArgs.of().ptr(keys).ptr(vals).i32(hashCap).ptr(values).i32(touched).i32(width).ptr(countDev)
                        .ptr(statusDev));
        k.hostEffect(() -> {
            count = 0;
            countKnown = true;
            bound = 0;
        });
    }

    /** Records a backward call over {@code positions} positions (before its kernels run): the bound grows. */
    void accumulating(long positions) {
        int b = (int) Math.min(capacity, bound + positions);
        k.hostEffect(() -> {  // the value, not "add positions": a replay sets what running the code would
            bound = b;
            countKnown = false;
        });
    }

    /**
     * Reads the count and status back (one read-back), throwing {@link IllegalStateException} when a backward call
     * since the last clear overflowed the capacity.
     */
    void readCount() {
        int[] m = k.readInts(meta.deviceAddress(), 8);
        if (m[6] != 0 || m[7] != 0) {
            throw new IllegalStateException("sparse gradient capacity " + capacity + " exceeded: the batch touches more"
                    + " unique rows (plan the capacity for the largest batch's unique ids)");
        }
        count = m[0];
        countKnown = true;
    }

    @Override
    public long tableRows() {
        return tableRows;
    }

    @Override
    public int width() {
        return width;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    /** The count; reads it back from the device (once) when a deferred backward call changed it. */
    @Override
    public int count() {
        if (!countKnown) {
            readCount();
        }
        return count;
    }

    @Override
    public int countBound() {
        return countKnown ? count : bound;
    }

    @Override
    public Tensor rows() {
        return rows;
    }

    @Override
    public Tensor values() {
        return values;
    }

    @Override
    public void clear() {
        resetTable(countBound());
    }
}
