package io.din4j.backend;

import io.din4j.tensor.DType;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The host implementation of {@link SparseGrad} shared by the reference and cpu backends, so both keep rows in
 * the same order. Row ids map to slots through an open-addressing (linear probing) index sized to the capacity,
 * never to the table: a table of 10⁹ rows costs nothing here. {@link #clear()} is O(1) by bumping a generation
 * stamp instead of wiping the index.
 *
 * <p>Backends fill it in two passes: {@link #reserve} every id (rolled back with {@link #rollbackTo} if the
 * capacity overflows, so a failed call leaves the gradient as it was), then add rows at {@link #slot}; or take
 * every position's slot from {@link #reserveSlots}, which reserves a whole batch of ids in one pass. Optimizers
 * walk the rows in table order through {@link #slotsInRowOrder()}.
 */
public final class RowSparseGrad implements SparseGrad {
    private final long tableRows;
    private final int width;
    private final int capacity;
    private final Tensor rows;
    private final Tensor values;
    /**
     * The open-addressing index, one entry of {@link #ENTRY} ints per bucket: stamp, key, slot. One array rather than
     * three, so a probe touches one cache line: at B = 1024, T = 50 the index holds 2¹⁷ buckets, more than L2.
     */
    private final int[] index;
    private final int mask;
    private int generation = 1;
    private int count;
    /** Bumped by every change of the row set, so {@link #slotsInRowOrder()} knows when its order is stale. */
    private long changes;
    /** Row id of each slot, on the heap: the index and the sort read it without going through the tensor. */
    private int[] idOfSlot = new int[16];
    /** Slots in ascending row id, valid for {@link #sortedAt}; {@link #sortScratch} is the radix sort's other buffer. */
    private int[] sorted = new int[0];
    private int[] sortScratch = new int[0];
    private long sortedAt = -1;
    private final int[] digitCounts = new int[(1 << RADIX_BITS) + 1];
    /** Slot of each position of the last {@link #reserveSlots} call. */
    private int[] positionSlots = new int[0];
    /** The ids of the positions {@link #reserveSlots} reserves together (a sample's, up to this many at a time). */
    private final int[] blockIds = new int[32];
    /** Where {@link #reserveSlots} leaves the sum of its early bucket reads, so that the compiler keeps them. */
    @SuppressWarnings("unused")
    private int touchSink;

    private static final int ENTRY = 4;
    private static final int STAMP = 0;
    private static final int KEY = 1;
    private static final int SLOT = 2;
    private static final int RADIX_BITS = 11;

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
        this.index = new int[size * ENTRY];
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
        changes++;
        if (++generation == 0) {
            Arrays.fill(index, 0);
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
            int e = i * ENTRY;
            if (index[e + STAMP] != generation) {
                return -1;
            }
            if (index[e + KEY] == id) {
                return index[e + SLOT];
            }
        }
    }

    /**
     * The slot of row {@code id}, appending it (with a zero gradient row) if new; −1 when the gradient is full and
     * {@code id} is new.
     */
    public int reserve(int id) {
        int before = count;
        int slot = reserveUnzeroed(id);
        if (count > before) {
            zeroValues(before, count);
        }
        return slot;
    }

    /** {@link #reserve} without zeroing a new row's values: the caller zeroes the rows it appended in one fill. */
    private int reserveUnzeroed(int id) {
        int i = hash(id) & mask;
        for (; index[i * ENTRY + STAMP] == generation; i = (i + 1) & mask) {
            int e = i * ENTRY;
            if (index[e + KEY] == id) {
                return index[e + SLOT];
            }
        }
        if (count == capacity) {
            return -1;
        }
        int e = i * ENTRY;
        index[e + STAMP] = generation;
        index[e + KEY] = id;
        index[e + SLOT] = count;
        if (count == idOfSlot.length) {
            idOfSlot = Arrays.copyOf(idOfSlot, (int) Math.min(capacity, 2L * count));
        }
        idOfSlot[count] = id;
        rows.setInt(count, id);
        changes++;
        return count++;
    }

    private void zeroValues(int fromSlot, int toSlot) {
        values.segment().asSlice((long) fromSlot * width * Float.BYTES, (long) (toSlot - fromSlot) * width * Float.BYTES)
                .fill((byte) 0);
    }

    /**
     * Forgets the rows appended after the gradient held {@code mark} rows. Removing in reverse insertion order
     * restores the linear-probing index exactly, since no later key can have probed past a removed one.
     */
    public void rollbackTo(int mark) {
        while (count > mark) {
            int id = idOfSlot[--count];
            changes++;
            for (int i = hash(id) & mask; ; i = (i + 1) & mask) {
                int e = i * ENTRY;
                if (index[e + STAMP] == generation && index[e + KEY] == id) {
                    index[e + STAMP] = generation - 1;
                    break;
                }
            }
        }
    }

    /**
     * Reserves the rows of every valid id, in input order: {@code ids [N]} when {@code lengths} is null, else
     * {@code ids [B, T]} over {@code t < lengths[b]}; returns the slot of every position {@code i·T + t} (−1 past a
     * sample's length) in an array this gradient owns and reuses, valid until the next call, so a backend that adds
     * the rows itself needs no second lookup per position. On overflow the gradient is left as it was and the call
     * throws. The ids must have been range-checked already.
     */
    public int[] reserveSlots(Tensor ids, Tensor lengths) {
        return reserveSlots(ids, lengths, true);
    }

    /**
     * {@link #reserveSlots} without zeroing the rows it appends: at the position where a new row first occurs the
     * array reads {@code −2 − slot}, and the caller must write that row there instead of adding to it, as
     * {@code 0 + x} so that its bits are those of an add to a zero row (−0 becomes +0). The cpu backend's row adds:
     * the zeroing was a pass of stores over every new row just before the adds read them back.
     */
    public int[] reserveSlotsUnzeroed(Tensor ids, Tensor lengths) {
        return reserveSlots(ids, lengths, false);
    }

    private int[] reserveSlots(Tensor ids, Tensor lengths, boolean zero) {
        // Flat ids [N] are read as one sequence of N, so that their blocks are full too.
        long b = lengths == null ? 1 : ids.dim(0);
        long t = lengths == null ? ids.dim(0) : ids.dim(1);
        if (positionSlots.length < b * t) {
            positionSlots = new int[Math.toIntExact(b * t)];
        }
        int mark = count;
        int[] block = blockIds;
        int touched = 0;
        for (long i = 0; i < b; i++) {
            int len = lengths == null ? (int) t : lengths.getInt(i);
            int first = (int) (i * t);
            for (int j0 = 0; j0 < len; j0 += block.length) {
                int n = Math.min(block.length, len - j0);
                MemorySegment.copy(ids.segment(), ValueLayout.JAVA_INT, (long) (first + j0) * Integer.BYTES, block, 0, n);
                // The home bucket of every id of the block is read before any is inserted: the index is cold after
                // the rest of a training step, and independent loads wait for memory together where the inserts'
                // dependent probes waited one miss at a time. Cold index, one thread: 44 against 29 ns a position
                // at B = 256, T = 39, and 46 against 27 at B = 1024, T = 50 (12 and 11 ns when it is in cache).
                for (int k = 0; k < n; k++) {
                    touched += index[(hash(block[k]) & mask) * ENTRY + STAMP];
                }
                for (int k = 0; k < n; k++) {
                    int before = count;
                    int slot = reserveUnzeroed(block[k]);
                    if (slot < 0) {
                        rollbackTo(mark);
                        throw new IllegalArgumentException("grad: " + (lengths == null ? "ids[" + (j0 + k) + "]" : "ids[" + i + ", " + (j0 + k) + "]")
                                + " = " + block[k] + " would be unique row " + (capacity + 1) + " but the sparse gradient's capacity is "
                                + capacity);
                    }
                    positionSlots[first + j0 + k] = zero || count == before ? slot : -2 - slot;
                }
            }
            Arrays.fill(positionSlots, first + len, (int) (first + t), -1);
        }
        touchSink = touched;
        if (zero && count > mark) {
            zeroValues(mark, count);
        }
        return positionSlots;
    }

    /**
     * The slots {@code [0, count)} ordered by ascending row id, in an array this gradient owns (the first
     * {@link #count()} entries; recomputed after the rows change). An optimizer that updates a dense share of the
     * table in this order walks the table and its state forwards instead of jumping between random rows, and the
     * hardware prefetchers fetch ahead (the cpu backend's sparse updates: {@code CpuOptimizerOps}). An LSD radix
     * sort, one pass over the rows per {@value #RADIX_BITS} bits of row id.
     */
    public int[] slotsInRowOrder() {
        if (sortedAt == changes) {
            return sorted;
        }
        if (sorted.length < count) {
            sorted = new int[count];
            sortScratch = new int[count];
        }
        int[] src = sorted;
        int[] dst = sortScratch;
        for (int i = 0; i < count; i++) {
            src[i] = i;
        }
        // LSD radix sort of the slots by id, RADIX_BITS per pass; ids are below tableRows (ints, never negative).
        int idBits = 32 - Integer.numberOfLeadingZeros((int) Math.min(Integer.MAX_VALUE, Math.max(1, tableRows - 1)));
        int digitMask = (1 << RADIX_BITS) - 1;
        for (int shift = 0; shift < idBits; shift += RADIX_BITS) {
            Arrays.fill(digitCounts, 0);
            for (int i = 0; i < count; i++) {
                digitCounts[((idOfSlot[src[i]] >>> shift) & digitMask) + 1]++;
            }
            for (int k = 1; k < digitCounts.length; k++) {
                digitCounts[k] += digitCounts[k - 1];
            }
            for (int i = 0; i < count; i++) {
                int slot = src[i];
                dst[digitCounts[(idOfSlot[slot] >>> shift) & digitMask]++] = slot;
            }
            int[] swap = src;
            src = dst;
            dst = swap;
        }
        sorted = src;
        sortScratch = dst;
        sortedAt = changes;
        return sorted;
    }

    /** The row id held at {@code slot} ({@code slot < count}). */
    public int rowOfSlot(int slot) {
        return idOfSlot[slot];
    }

    /** What a backend does with one valid position: add row {@code pos} of dOut into gradient row {@code slot}. */
    @FunctionalInterface
    public interface RowAdd {
        void add(long pos, int slot);
    }

    /**
     * Reserves every valid id's row ({@link #reserveSlots}), then calls {@code add} for each valid position in input
     * order, so rows are summed in that order.
     */
    public void addRows(Tensor ids, Tensor lengths, RowAdd add) {
        int[] slots = reserveSlots(ids, lengths);
        long positions = lengths == null ? ids.dim(0) : ids.dim(0) * ids.dim(1);
        for (int pos = 0; pos < positions; pos++) {
            if (slots[pos] >= 0) {
                add.add(pos, slots[pos]);
            }
        }
    }
}
