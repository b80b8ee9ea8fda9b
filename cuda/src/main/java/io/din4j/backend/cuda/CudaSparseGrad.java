package io.din4j.backend.cuda;

import io.din4j.backend.SparseGrad;
import io.din4j.tensor.DType;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;

/**
 * A sparse embedding gradient on the device: rows/values as the SPI describes, plus an open-addressing hash
 * table row id → slot (twice the capacity, a power of two), 64-bit fixed-point accumulators and per-slot
 * statistics used by the deterministic accumulation (see kernels/src/main/cuda/embedding.cu). The row count is
 * mirrored on the host after every backward call.
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
    /** [0] = count on the device. */
    final Tensor countDev;
    int count;

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
        countDev = arena.allocate(DType.I32, 1);
        resetTable(0);
    }

    int hashMask() {
        return hashCap - 1;
    }

    private void resetTable(int touched) {
        k.elementwise("sparse_clear_forward", Math.max(hashCap, (long) touched * width),
                KernelArgs.of().ptr(keys).ptr(vals).i32(hashCap).ptr(values).i32(touched).i32(width));
        k.writeInts(countDev.deviceAddress(), 0);
        count = 0;
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

    @Override
    public int count() {
        return count;
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
        resetTable(count);
    }
}
