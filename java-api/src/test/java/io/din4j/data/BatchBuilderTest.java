package io.din4j.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BatchBuilderTest {
    private static final FeatureSchema SCHEMA = FeatureSchema.canonical(List.of("click", "conversion"));

    private static Row row(String user, String item, String cate, String hist, String histCates, float click, float conv) {
        String[] h = hist.isEmpty() ? new String[0] : hist.split(" ");
        String[] hc = histCates.isEmpty() ? new String[0] : histCates.split(" ");
        return new Row(new float[] {click, conv}, new String[] {user, item, cate}, new String[][] {h, hc}, new float[0]);
    }

    private static final List<Row> ROWS = List.of(
            row("u1", "a", "x", "b c a", "y x x", 1, 0),
            row("u2", "b", "y", "", "", 0, Float.NaN),
            row("u1", "c", "x", "a", "x", 1, 1));

    @Test
    void sequencesShareTheCandidateTableAndUnseenIdsMapToRowZero() {
        Vocabularies v = Vocabularies.build(SCHEMA, ROWS.iterator(), 1);
        Vocabulary items = v.get("item_id");
        assertEquals(4, items.size());
        // a: candidate once + history twice
        assertEquals(3, items.count(items.indexOf("a")));
        Batch b = new BatchBuilder(v, 0).build(List.of(ROWS.get(0), row("u9", "new", "x", "new a", "q x", 0, 0)));
        assertEquals(3, b.history());
        assertArrayEquals(new int[] {3, 2}, b.lengths());
        int[] hist = b.sequence(0);
        assertEquals(items.indexOf("b"), hist[0]);
        assertEquals(items.indexOf("a"), hist[2]);
        assertEquals(Vocabulary.OOV, hist[3]);
        assertEquals(items.indexOf("a"), hist[4]);
        assertEquals(0, hist[5], "padding");
        assertEquals(Vocabulary.OOV, b.sparse(1)[1]);
        assertEquals(Vocabulary.OOV, b.sparse(0)[1]);
        assertArrayEquals(new String[] {"u1", "u9"}, b.groups());
    }

    @Test
    void labelMasksFollowEmptyCellsAndLongHistoriesKeepTheMostRecent() {
        Vocabularies v = Vocabularies.build(SCHEMA, ROWS.iterator(), 1);
        Batch b = new BatchBuilder(v, 2).build(ROWS);
        assertEquals(2, b.history(), "T is the longest kept history");
        assertArrayEquals(new int[] {2, 0, 1}, b.lengths());
        Vocabulary items = v.get("item_id");
        assertEquals(items.indexOf("c"), b.sequence(0)[0]);
        assertEquals(items.indexOf("a"), b.sequence(0)[1]);
        assertArrayEquals(new float[] {1, 0, 1}, b.labels(0));
        assertArrayEquals(new float[] {1, 0, 1}, b.labelMask(1), "conversion is unlabelled on the second row");
        assertArrayEquals(new float[] {0, 0, 1}, b.labels(1));
    }

    @Test
    void emptyHistoriesGiveTZero() {
        Vocabularies v = Vocabularies.build(SCHEMA, ROWS.iterator(), 1);
        Batch b = new BatchBuilder(v, 0).build(List.of(ROWS.get(1)));
        assertEquals(0, b.history());
        assertEquals(0, b.sequence(0).length);
    }

    @Test
    void rareIdsArePrunedIntoTheOovRow() {
        Vocabularies v = Vocabularies.build(SCHEMA, ROWS.iterator(), 2);
        Vocabulary items = v.get("item_id");
        // a: 3, b: 2, c: 2 occurrences are kept.
        assertEquals(4, items.size());
        Vocabulary users = v.get("user_id");
        assertEquals(2, users.size());
        assertEquals(Vocabulary.OOV, users.indexOf("u2"));
        assertEquals(1, users.count(Vocabulary.OOV));
    }

    @Test
    void batchesCoverEveryRowOnce() {
        List<Row> many = new ArrayList<>();
        for (int i = 0; i < 23; i++) {
            many.add(ROWS.get(i % 3));
        }
        Vocabularies v = Vocabularies.build(SCHEMA, many.iterator(), 1);
        Iterator<Batch> it = new BatchBuilder(v, 0).batches(many.iterator(), 5);
        List<Integer> sizes = new ArrayList<>();
        it.forEachRemaining(b -> sizes.add(b.size()));
        assertEquals(List.of(5, 5, 5, 5, 3), sizes);
    }

    @Test
    void shuffleBufferEmitsAPermutation() {
        List<Integer> src = IntStream.range(0, 1000).boxed().toList();
        for (int cap : new int[] {1, 7, 1000, 5000}) {
            List<Integer> out = new ArrayList<>();
            new ShuffleBuffer<>(src.iterator(), cap, 3).forEachRemaining(out::add);
            assertEquals(1000, out.size());
            assertEquals(new HashSet<>(src), Set.copyOf(out));
            if (cap == 1) {
                assertEquals(src, out);
            } else {
                assertNotEquals(src, out, "capacity " + cap);
            }
        }
        List<Integer> again = new ArrayList<>();
        new ShuffleBuffer<>(src.iterator(), 7, 3).forEachRemaining(again::add);
        List<Integer> first = new ArrayList<>();
        new ShuffleBuffer<>(src.iterator(), 7, 3).forEachRemaining(first::add);
        assertEquals(first, again, "same seed, same order");
    }

    @Test
    void shuffleBufferBoundedInBytesNeverHoldsMoreThanItsBound() {
        List<Integer> src = IntStream.range(0, 500).boxed().toList();
        // weight of element i: 1 + i % 7, so the count held varies with the elements drawn.
        ShuffleBuffer<Integer> sb = new ShuffleBuffer<>(src.iterator(), 1000, 20, i -> 1 + i % 7, 9);
        List<Integer> out = new ArrayList<>();
        int most = 0;
        while (sb.hasNext()) {
            assertTrue(sb.bytes() <= 20, "bytes held " + sb.bytes());
            most = Math.max(most, sb.size());
            out.add(sb.next());
        }
        assertEquals(new HashSet<>(src), Set.copyOf(out));
        assertEquals(500, out.size());
        assertTrue(most >= 3 && most <= 20, "held at most " + most);
        // An element heavier than the bound still passes (alone).
        List<Integer> heavy = new ArrayList<>();
        new ShuffleBuffer<>(List.of(1, 2, 3).iterator(), 10, 5, i -> 100, 1).forEachRemaining(heavy::add);
        assertEquals(List.of(1, 2, 3), heavy);
    }

    private static Row historyRow(int i, int len) {
        String[] h = new String[len];
        String[] hc = new String[len];
        for (int j = 0; j < len; j++) {
            h[j] = "i" + ((i + j) % 11);
            hc[j] = "c" + ((i + j) % 3);
        }
        return new Row(new float[] {i % 2, 0}, new String[] {"u" + i, "i" + (i % 11), "c" + (i % 3)}, new String[][] {h, hc}, new float[0]);
    }

    @Test
    void lengthSortedBatchesCoverEveryRowOncePadLessAndRepeatUnderASeed() {
        List<Row> rows = new ArrayList<>();
        java.util.SplittableRandom r = new java.util.SplittableRandom(4);
        for (int i = 0; i < 1000; i++) {
            rows.add(historyRow(i, r.nextInt(41)));
        }
        BatchBuilder builder = new BatchBuilder(Vocabularies.build(SCHEMA, rows.iterator(), 1), 0);
        List<Batch> plain = new ArrayList<>();
        builder.batches(rows.iterator(), 32).forEachRemaining(plain::add);
        for (int window : new int[] {2, 8, 100}) {
            List<Batch> sorted = new ArrayList<>();
            builder.lengthSortedBatches(builder.encoded(rows.iterator()), 32, window, 7).forEachRemaining(sorted::add);
            // Every row once: users u0..u999 are the groups.
            List<String> users = new ArrayList<>();
            long padded = 0;
            long plainPadded = 0;
            int smaller = 0;
            for (Batch b : sorted) {
                users.addAll(List.of(b.groups()));
                padded += (long) b.size() * b.history();
                smaller += b.size() < 32 ? 1 : 0;
                for (int i = 0; i < b.size(); i++) {
                    // The histories survive batching intact (row u<k> has k's own items).
                    int k = Integer.parseInt(b.groups()[i].substring(1));
                    assertEquals(rows.get(k).historyLength(), b.lengths()[i], "window " + window);
                }
            }
            for (Batch b : plain) {
                plainPadded += (long) b.size() * b.history();
            }
            assertEquals(1000, users.size());
            assertEquals(1000, Set.copyOf(users).size());
            assertEquals(1, smaller, "one partial batch, in the last window");
            assertTrue(padded < plainPadded * 0.8, "window " + window + ": padded " + padded + " vs " + plainPadded);
            if (window == 100) {
                // One window holds every row: batches are consecutive runs of the sorted lengths, so their ranges
                // of lengths overlap at most at one end.
                List<int[]> ranges = sorted.stream().map(b -> new int[] {java.util.Arrays.stream(b.lengths()).min().orElse(0),
                        b.history()}).sorted(java.util.Comparator.comparingInt((int[] x) -> x[0]).thenComparingInt(x -> x[1])).toList();
                for (int i = 1; i < ranges.size(); i++) {
                    assertTrue(ranges.get(i)[0] >= ranges.get(i - 1)[1], "overlapping batches");
                }
                // The batch order is drawn, not the sorted order.
                List<Integer> order = sorted.stream().map(Batch::history).toList();
                assertNotEquals(order.stream().sorted().toList(), order);
            }
            List<Batch> again = new ArrayList<>();
            builder.lengthSortedBatches(builder.encoded(rows.iterator()), 32, window, 7).forEachRemaining(again::add);
            assertEquals(sorted.stream().map(b -> List.of(b.groups())).toList(), again.stream().map(b -> List.of(b.groups())).toList(),
                    "same seed, same batches");
            List<Batch> other = new ArrayList<>();
            builder.lengthSortedBatches(builder.encoded(rows.iterator()), 32, window, 8).forEachRemaining(other::add);
            assertNotEquals(sorted.stream().map(b -> List.of(b.groups())).toList(), other.stream().map(b -> List.of(b.groups())).toList());
        }
    }

    @Test
    void encodedRowBytesCountTheArrays() {
        BatchBuilder.Encoded e = new BatchBuilder.Encoded(new float[1], new int[3], new int[][] {new int[10], new int[10]}, new float[0], "u12");
        // 32 record + labels 24 + sparse 32 + dense 16 + sequence refs 24 + 2 × (16 + 40 = 56) + string 24 + 24.
        assertEquals(32 + 24 + 32 + 16 + 24 + 2 * 56 + 24 + 24, e.bytes());
    }
}
