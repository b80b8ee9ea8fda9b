package io.din4j.spark;

import io.din4j.data.FeatureSchema;
import io.din4j.data.Vocabulary;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import scala.Tuple2;

/**
 * Builds a model's vocabularies from a DataFrame with Spark: one pass counts every raw id of every sparse field
 * (behaviour columns count towards the table they share), a reduction sums the counts across partitions, and the
 * driver receives one (id, count) pair per distinct id. Row order is by decreasing count, then by id, so the result
 * does not depend on how the data is partitioned. Ids seen fewer than {@code minCount} times map to the
 * out-of-vocabulary row, whose count is the number of their occurrences (as the CSV readers do).
 */
public final class SparkVocabularies {
    private SparkVocabularies() {
    }

    /**
     * {@link #build(Dataset, FeatureSchema, ColumnMapping, int)} with the threshold {@code din4j train} uses by default,
     * {@link io.din4j.data.Vocabularies#DEFAULT_MIN_COUNT}: ids with fewer rows share the out-of-vocabulary row
     * instead of being memorised (docs/models.md, "Choosing the defaults").
     */
    public static Map<String, Vocabulary> build(Dataset<Row> data, FeatureSchema schema, ColumnMapping mapping) {
        return build(data, schema, mapping, io.din4j.data.Vocabularies.DEFAULT_MIN_COUNT);
    }

    /** Vocabularies keyed by sparse field name, ready for {@link io.din4j.model.Model#create}. */
    public static Map<String, Vocabulary> build(Dataset<Row> data, FeatureSchema schema, ColumnMapping mapping, int minCount) {
        if (minCount < 1) {
            throw new IllegalArgumentException("minCount = " + minCount + " must be >= 1");
        }
        RowPlan plan = new RowPlan(schema, mapping, data.schema(), false, 0);
        JavaPairRDD<Tuple2<Integer, String>, Long> ones = data.javaRDD().mapPartitionsToPair(rows -> {
            List<Tuple2<Tuple2<Integer, String>, Long>> out = new ArrayList<>();
            while (rows.hasNext()) {
                plan.ids(rows.next(), (f, id) -> out.add(new Tuple2<>(new Tuple2<>(f, id), 1L)));
            }
            return out.iterator();
        });
        List<Tuple2<Tuple2<Integer, String>, Long>> counts = ones.reduceByKey(Long::sum).collect();
        String[] names = plan.sparseNames();
        List<List<Tuple2<String, Long>>> byField = new ArrayList<>();
        for (int f = 0; f < names.length; f++) {
            byField.add(new ArrayList<>());
        }
        for (Tuple2<Tuple2<Integer, String>, Long> c : counts) {
            byField.get(c._1()._1()).add(new Tuple2<>(c._1()._2(), c._2()));
        }
        Map<String, Vocabulary> out = new LinkedHashMap<>();
        for (int f = 0; f < names.length; f++) {
            List<Tuple2<String, Long>> ids = byField.get(f);
            ids.sort(Comparator.<Tuple2<String, Long>>comparingLong(t -> -t._2()).thenComparing(Tuple2::_1));
            List<String> tokens = new ArrayList<>();
            tokens.add(Vocabulary.OOV_TOKEN);
            long oov = 0;
            List<Long> kept = new ArrayList<>();
            for (Tuple2<String, Long> t : ids) {
                if (t._2() >= minCount) {
                    tokens.add(t._1());
                    kept.add(t._2());
                } else {
                    oov += t._2();
                }
            }
            long[] c = new long[tokens.size()];
            c[0] = oov;
            for (int i = 1; i < c.length; i++) {
                c[i] = kept.get(i - 1);
            }
            out.put(names[f], Vocabulary.of(tokens, c));
        }
        return out;
    }
}
