package io.din4j.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.din4j.tensor.DType;
import io.din4j.tensor.HostArena;
import io.din4j.tensor.Tensor;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The host sparse gradient's bookkeeping against plain collections: slots, their table order, overflow. */
class RowSparseGradTest {
    /** {@code count} distinct ids below {@code tableRows}, in random order. */
    private static int[] distinctIds(Random rnd, long tableRows, int count) {
        Set<Integer> seen = new HashSet<>();
        int[] ids = new int[count];
        for (int j = 0; j < count; ) {
            int id = (int) (rnd.nextDouble() * tableRows);
            if (seen.add(id)) {
                ids[j++] = id;
            }
        }
        return ids;
    }

    /** The slots of {@code g} sorted by their row id with a library sort. */
    private static int[] expectedOrder(RowSparseGrad g) {
        return java.util.stream.IntStream.range(0, g.count()).boxed()
                .sorted((a, b) -> Integer.compare(g.rows().getInt(a), g.rows().getInt(b)))
                .mapToInt(Integer::intValue).toArray();
    }

    @Test
    void slotsInRowOrderSortsEveryIdWidth() {
        Random rnd = new Random(3);
        // one radix pass (≤ 11 bits of id), two, three, and the largest int ids
        long[] tables = {1, 7, 2048, 100_000, (1L << 22) + 3, Integer.MAX_VALUE};
        try (HostArena arena = new HostArena()) {
            for (long tableRows : tables) {
                for (int count : new int[] {0, 1, 2, 17, 5000}) {
                    if (count > tableRows) {
                        continue;
                    }
                    RowSparseGrad g = new RowSparseGrad(arena, tableRows, 3, Math.max(1, count));
                    for (int id : distinctIds(rnd, tableRows, count)) {
                        g.reserve(id);
                    }
                    int[] order = Arrays.copyOf(g.slotsInRowOrder(), g.count());
                    assertArrayEquals(expectedOrder(g), order, "tableRows=" + tableRows + " count=" + count);
                    for (int j = 0; j < count; j++) {
                        assertEquals(g.rows().getInt(j), g.rowOfSlot(j));
                    }
                }
            }
        }
    }

    @Test
    void slotsInRowOrderFollowsEveryChangeOfTheRows() {
        try (HostArena arena = new HostArena()) {
            RowSparseGrad g = new RowSparseGrad(arena, 100, 2, 8);
            for (int id : new int[] {50, 10, 90}) {
                g.reserve(id);
            }
            assertArrayEquals(new int[] {1, 0, 2}, Arrays.copyOf(g.slotsInRowOrder(), 3));
            // Same count, different rows: the cached order must not be reused.
            g.rollbackTo(1);
            g.reserve(5);
            g.reserve(70);
            assertArrayEquals(new int[] {1, 0, 2}, Arrays.copyOf(g.slotsInRowOrder(), 3));
            assertEquals(-1, g.slot(10));
            assertEquals(-1, g.slot(90));
            g.clear();
            g.reserve(60);
            g.reserve(20);
            g.reserve(40);
            assertArrayEquals(new int[] {1, 2, 0}, Arrays.copyOf(g.slotsInRowOrder(), 3));
        }
    }

    /** T = 13 fits one of reserveSlots' blocks of positions; 70 takes two whole ones and a part. */
    @ParameterizedTest
    @ValueSource(ints = {13, 70})
    void reserveSlotsGivesEachPositionItsSlotAndZeroesNewRows(int t) {
        Random rnd = new Random(11);
        try (HostArena arena = new HostArena()) {
            int b = 37, d = 5, rowsInTable = 60 + 3 * t;
            RowSparseGrad g = new RowSparseGrad(arena, rowsInTable, d, b * t);
            // Leave garbage in the value rows, then clear: new rows must come back zeroed.
            for (int id = 0; id < rowsInTable; id++) {
                g.reserve(id);
            }
            for (long i = 0; i < (long) rowsInTable * d; i++) {
                g.values().setFloat(i, 1f + i);
            }
            g.clear();
            g.reserve(42);
            g.values().setFloat(0, 7f); // an existing row keeps its sum

            Tensor ids = arena.allocate(DType.I32, b, t);
            Tensor lengths = arena.allocate(DType.I32, b);
            for (int i = 0; i < b; i++) {
                lengths.setInt(i, i == 0 ? 0 : i == 1 ? t : rnd.nextInt(t + 1));
                for (int j = 0; j < t; j++) {
                    // padding positions hold ids too; they must be ignored
                    ids.setInt((long) i * t + j, rnd.nextInt(rowsInTable));
                }
            }
            int[] slots = g.reserveSlots(ids, lengths);

            Map<Integer, Integer> firstSeen = new LinkedHashMap<>();
            firstSeen.put(42, 0);
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < t; j++) {
                    int pos = i * t + j;
                    if (j < lengths.getInt(i)) {
                        int id = ids.getInt(pos);
                        firstSeen.putIfAbsent(id, firstSeen.size());
                        assertEquals((int) firstSeen.get(id), slots[pos], "position " + pos);
                        assertEquals(g.slot(id), slots[pos]);
                    } else {
                        assertEquals(-1, slots[pos], "padding position " + pos);
                    }
                }
            }
            assertEquals(firstSeen.size(), g.count());
            int slot = 0;
            for (int id : firstSeen.keySet()) {
                assertEquals(id, g.rows().getInt(slot++));
            }
            assertEquals(7f, g.values().getFloat(0));
            for (long i = d; i < (long) g.count() * d; i++) {
                assertEquals(0f, g.values().getFloat(i), "value " + i);
            }
        }
    }

    @Test
    void overflowLeavesTheGradientAsItWas() {
        try (HostArena arena = new HostArena()) {
            RowSparseGrad g = new RowSparseGrad(arena, 1000, 2, 4);
            g.reserve(9);
            g.reserve(3);
            int[] sortedBefore = Arrays.copyOf(g.slotsInRowOrder(), 2);
            Tensor ids = arena.allocate(DType.I32, 5);
            int[] values = {3, 100, 200, 300, 400};
            for (int i = 0; i < values.length; i++) {
                ids.setInt(i, values[i]);
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> g.reserveSlots(ids, null));
            assertTrue(e.getMessage().contains("ids[3] = 300"), e.getMessage());
            assertEquals(2, g.count());
            assertEquals(-1, g.slot(100));
            assertEquals(-1, g.slot(200));
            assertEquals(1, g.slot(3));
            assertArrayEquals(sortedBefore, Arrays.copyOf(g.slotsInRowOrder(), 2));
            // and it still takes new rows in the freed room
            assertEquals(2, g.reserve(500));
        }
    }

    @Test
    void overflowInALaterBlockOfASequenceNamesItsPosition() {
        try (HostArena arena = new HostArena()) {
            int t = 40;
            RowSparseGrad g = new RowSparseGrad(arena, 1000, 2, 36);
            Tensor ids = arena.allocate(DType.I32, 2, t);
            Tensor lengths = arena.allocate(DType.I32, 2);
            lengths.setInt(0, 3);
            lengths.setInt(1, t);
            for (int j = 0; j < t; j++) {
                ids.setInt(j, j % 3);
                ids.setInt(t + j, 100 + j);
            }
            // 3 rows from sample 0, then sample 1's 33rd new id (j = 33, in its second block) is one too many.
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> g.reserveSlots(ids, lengths));
            assertTrue(e.getMessage().contains("ids[1, 33] = 133"), e.getMessage());
            assertEquals(0, g.count());

            // Flat ids are read in blocks too: the 37th new id is in the second block.
            Tensor flat = arena.allocate(DType.I32, t);
            for (int j = 0; j < t; j++) {
                flat.setInt(j, 500 + j);
            }
            IllegalArgumentException f = assertThrows(IllegalArgumentException.class, () -> g.reserveSlots(flat, null));
            assertTrue(f.getMessage().contains("ids[36] = 536"), f.getMessage());
            assertEquals(0, g.count());
        }
    }
}
