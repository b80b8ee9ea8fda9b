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
}
