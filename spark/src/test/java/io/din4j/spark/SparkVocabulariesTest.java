package io.din4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.din4j.data.Vocabulary;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class SparkVocabulariesTest {
    /**
     * The ids and counts of a one-pass single-process count (candidates and behaviours alike, integers as their
     * decimal string), in decreasing count then id order, the same for 1 and 3 partitions; with minCount the rare
     * ids move to row 0 with their occurrences.
     */
    @Test
    void countsEveryIdOnceAndOrdersByCountThenId() {
        TestWorld world = new TestWorld(5, 40, 6, 0);
        Map<String, Vocabulary> expected = TestWorld.vocabularies(world.train);
        Dataset<Row> df = SparkTestSession.get().createDataFrame(world.train, TestWorld.FRAME);
        Map<String, Vocabulary> one = SparkVocabularies.build(df.coalesce(1), TestWorld.SCHEMA, ColumnMapping.canonical(), 1);
        Map<String, Vocabulary> three = SparkVocabularies.build(df.repartition(3), TestWorld.SCHEMA, ColumnMapping.canonical(), 1);
        assertEquals(List.of("user_id", "item_id", "cate_id", "hour"), List.copyOf(one.keySet()));
        for (String field : one.keySet()) {
            Vocabulary want = expected.get(field);
            Vocabulary got = one.get(field);
            assertEquals(want.size(), got.size(), field + " size");
            assertEquals(got.tokens(), three.get(field).tokens(), field + ": order must not depend on partitioning");
            for (int row = 1; row < got.size(); row++) {
                String token = got.token(row);
                assertEquals(want.count(want.indexOf(token)), got.count(row), field + " count of " + token);
                if (row > 1) {
                    long prev = got.count(row - 1);
                    boolean ordered = prev > got.count(row) || (prev == got.count(row) && got.token(row - 1).compareTo(token) < 0);
                    assertEquals(true, ordered, field + ": rows " + (row - 1) + " and " + row + " out of order");
                }
            }
        }
        Map<String, Vocabulary> pruned = SparkVocabularies.build(df, TestWorld.SCHEMA, ColumnMapping.canonical(), 30);
        Vocabulary items = expected.get("item_id");
        Map<String, Long> rare = new HashMap<>();
        for (int row = 1; row < items.size(); row++) {
            if (items.count(row) < 30) {
                rare.put(items.token(row), items.count(row));
            }
        }
        Vocabulary got = pruned.get("item_id");
        assertEquals(items.size() - rare.size(), got.size());
        assertEquals(rare.values().stream().mapToLong(Long::longValue).sum(), got.count(Vocabulary.OOV));

        // Without a threshold: din4j train's default, so a Spark-built model treats rare ids as the CLI does.
        Map<String, Vocabulary> byDefault = SparkVocabularies.build(df, TestWorld.SCHEMA, ColumnMapping.canonical());
        Map<String, Vocabulary> explicit = SparkVocabularies.build(df, TestWorld.SCHEMA, ColumnMapping.canonical(),
                io.din4j.data.Vocabularies.DEFAULT_MIN_COUNT);
        for (String field : explicit.keySet()) {
            assertEquals(explicit.get(field).tokens(), byDefault.get(field).tokens(), field);
        }
    }
}
