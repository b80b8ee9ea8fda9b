package io.din4j.data;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.data.synth.SyntheticWorld;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchStreamTest {
    private static final SyntheticWorld WORLD = SyntheticWorld.of(SyntheticWorld.Config.defaults().withUsers(40));

    /** A row source that counts how often it is read. */
    private static final class Counting implements Iterable<Row> {
        final List<Row> rows;
        int passes;

        Counting(List<Row> rows) {
            this.rows = rows;
        }

        @Override
        public Iterator<Row> iterator() {
            passes++;
            return rows.iterator();
        }
    }

    /** Each pass's rows, identified by (group, candidate item, history length, first behaviour). */
    private static List<String> pass(BatchStream s) {
        List<String> ids = new ArrayList<>();
        for (Batch b : s) {
            for (int i = 0; i < b.size(); i++) {
                int len = b.lengths()[i];
                ids.add(b.groups()[i] + "/" + b.sparse(1)[i] + "/" + len + "/" + (len > 0 ? b.sequence(0)[i * b.history()] : -1)
                        + "/" + b.labels(0)[i]);
            }
        }
        return ids;
    }

    /** Two passes hold the same rows, in another order. */
    private static void assertSameRowsReshuffled(List<String> first, List<String> second) {
        List<String> a = new ArrayList<>(first);
        List<String> b = new ArrayList<>(second);
        a.sort(null);
        b.sort(null);
        assertEquals(a, b, "the same rows every pass");
        assertNotEquals(first, second);
    }

    @Test
    void aSourceThatFitsTheShuffleBufferIsReadOnceAndShuffledAnewEachPass() {
        List<Row> rows = WORLD.rows(false);
        BatchBuilder builder = new BatchBuilder(Vocabularies.build(WORLD.schema(), rows.iterator(), 1), 0);
        Counting src = new Counting(rows);
        for (int prefetch : new int[] {0, 2}) {
            src.passes = 0;
            try (BatchStream s = new BatchStream(src, builder, 32, rows.size(), Long.MAX_VALUE, 4, 3, prefetch)) {
                List<String> first = pass(s);
                assertTrue(s.cached());
                List<String> second = pass(s);
                List<String> third = pass(s);
                assertEquals(1, src.passes, "read once");
                assertEquals(rows.size(), first.size());
                assertSameRowsReshuffled(first, second);
                assertNotEquals(second, third);
                try (BatchStream again = new BatchStream(src, builder, 32, rows.size(), Long.MAX_VALUE, 4, 3, prefetch)) {
                    assertEquals(first, pass(again));
                    assertEquals(second, pass(again), "the same seed gives the same passes");
                }
            }
        }
    }

    @Test
    void aSourceOverTheBuffersBytesIsReadEveryPass() {
        List<Row> rows = WORLD.rows(false);
        BatchBuilder builder = new BatchBuilder(Vocabularies.build(WORLD.schema(), rows.iterator(), 1), 0);
        long oneRow = builder.encode(rows.get(0)).bytes();
        Counting src = new Counting(rows);
        try (BatchStream s = new BatchStream(src, builder, 32, rows.size(), 50 * oneRow, 4, 3, 0)) {
            assertEquals(rows.size(), pass(s).size());
            assertFalse(s.cached());
            assertEquals(rows.size(), pass(s).size());
            assertEquals(2, src.passes, "read every pass");
        }
    }

    @Test
    void aSourceOverTheBuffersRowCountButWithinItsBytesIsReadOnce() {
        List<Row> rows = WORLD.rows(false);
        BatchBuilder builder = new BatchBuilder(Vocabularies.build(WORLD.schema(), rows.iterator(), 1), 0);
        Counting src = new Counting(rows);
        try (BatchStream s = new BatchStream(src, builder, 32, rows.size() / 10, Long.MAX_VALUE, 0, 3, 2)) {
            List<String> first = pass(s);
            assertTrue(s.cached());
            List<String> second = pass(s);
            assertEquals(1, src.passes, "read once");
            assertSameRowsReshuffled(first, second);
        }
    }
}
