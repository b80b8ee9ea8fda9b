package io.din4j.backend;

import io.din4j.tensor.DType;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;

/**
 * The host implementation of {@link SparseGrad} shared by the reference and cpu backends, so both keep rows in
 * the same order. Row ids map to slots through an open-addressing (linear probing) index sized to the capacity,
 * never to the table: a table of 10⁹ rows costs nothing here. {@link #clear()} is O(1) by bumping a generation
 * stamp instead of wiping the index.
 *
 * <p>Backends fill it in two passes: {@link #reserve} every id (rolled back with {@link #rollbackTo} if the
 * capacity overflows, so a failed call leaves the gradient as it was), then add rows at {@link #slot}.
 */
public final class RowSparseGrad implements SparseGrad {
    private final long tableRows;
    private final int width;
    private final int capacity;
    private final Tensor rows;
    private final Tensor values;
    private final int[] keys;
    private final int[] slots;
    private final int[] stamps;
    private final int mask;
    private int generation = 1;
    private int count;

    public RowSparseGrad(TensorArena arena, long tableRows, int width, int capacity) {
        if (tableRows <= 0) {
            throw new IllegalArgumentException("tableRows must be positive, got " + tableRows);
        }
        if (width <= 0) {
            throw new IllegalArgumentException("width must be positive, got " + width);
        }
        if (capacity <= 0 || capacity > (1 << 29)) {
            throw new IllegalArgumentException("capacity must be in [1, 2^29], got " + capacity);
        }
        this.tableRows = tableRows;
        this.width = width;
        this.capacity = capacity;
        this.rows = arena.allocate(DType.I32, capacity);
        this.values = arena.allocate(DType.F32, capacity, width);
        // Load factor ≤ 1/2 keeps linear-probing chains short.
        int size = Integer.highestOneBit(Math.max(2, capacity) * 2 - 1) << 1;
        this.keys = new int[size];
        this.slots = new int[size];
        this.stamps = new int[size];
        this.mask = size - 1;
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
        count = 0;
        if (++generation == 0) {
            java.util.Arrays.fill(stamps, 0);
            generation = 1;
        }
    }

    private static int hash(int id) {
        int h = id * 0x9E3779B1;
        return h ^ (h >>> 15);
    }

    /** The slot of row {@code id}, or −1 if absent. */
    public int slot(int id) {
        for (int i = hash(id) & mask; ; i = (i + 1) & mask) {
            if (stamps[i] != generation) {
                return -1;
            }
            if (keys[i] == id) {
                return slots[i];
            }
        }
    }

    /**
     * The slot of row {@code id}, appending it (with a zero gradient row) if new; −1 when the gradient is full and
     * {@code id} is new.
     */
    public int reserve(int id) {
        int i = hash(id) & mask;
        for (; stamps[i] == generation; i = (i + 1) & mask) {
            if (keys[i] == id) {
                return slots[i];
            }
        }
        if (count == capacity) {
            return -1;
        }
        stamps[i] = generation;
        keys[i] = id;
        slots[i] = count;
        rows.setInt(count, id);
        values.segment().asSlice((long) count * width * Float.BYTES, (long) width * Float.BYTES).fill((byte) 0);
        return count++;
    }

    /**
     * Forgets the rows appended after the gradient held {@code mark} rows. Removing in reverse insertion order
     * restores the linear-probing index exactly, since no later key can have probed past a removed one.
     */
    public void rollbackTo(int mark) {
        while (count > mark) {
            int id = rows.getInt(--count);
            for (int i = hash(id) & mask; ; i = (i + 1) & mask) {
                if (stamps[i] == generation && keys[i] == id) {
                    stamps[i] = generation - 1;
                    break;
                }
            }
        }
    }

    /**
     * Reserves the rows of every valid id, in input order: {@code ids [N]} when {@code lengths} is null, else
     * {@code ids [B, T]} over {@code t < lengths[b]}. On overflow the gradient is left as it was and the call throws.
     * The ids must have been range-checked already.
     */
    public void reserveAll(Tensor ids, Tensor lengths) {
        int mark = count;
        long b = ids.dim(0);
        long t = lengths == null ? 1 : ids.dim(1);
        for (long i = 0; i < b; i++) {
            long len = lengths == null ? 1 : lengths.getInt(i);
            for (long j = 0; j < len; j++) {
                int id = ids.getInt(i * t + j);
                if (reserve(id) < 0) {
                    rollbackTo(mark);
                    throw new IllegalArgumentException("grad: " + (lengths == null ? "ids[" + i + "]" : "ids[" + i + ", " + j + "]")
                            + " = " + id + " would be unique row " + (capacity + 1) + " but the sparse gradient's capacity is "
                            + capacity);
                }
            }
        }
    }

    /** What a backend does with one valid position: add row {@code pos} of dOut into gradient row {@code slot}. */
    @FunctionalInterface
    public interface RowAdd {
        void add(long pos, int slot);
    }

    /**
     * Reserves every valid id's row ({@link #reserveAll}), then calls {@code add} for each valid position in input
     * order, so rows are summed in that order.
     */
    public void addRows(Tensor ids, Tensor lengths, RowAdd add) {
        reserveAll(ids, lengths);
        long b = ids.dim(0);
        long t = lengths == null ? 1 : ids.dim(1);
        for (long i = 0; i < b; i++) {
            long len = lengths == null ? 1 : lengths.getInt(i);
            for (long j = 0; j < len; j++) {
                long pos = i * t + j;
                add.add(pos, slot(ids.getInt(pos)));
            }
        }
    }
}
