package io.din4j.spark;

import io.din4j.data.FeatureSchema;
import io.din4j.data.FieldRole;
import io.din4j.data.SequenceField;
import io.din4j.data.SparseField;
import io.din4j.data.Vocabulary;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A small generated world in the canonical CSV columns plus a sparse context column ({@code hour}) and a dense one
 * ({@code price}), as Spark rows with a {@code row_id} key.
 *
 * <p>Items belong to 12 clusters of 20 (the cluster is the item's category). A user has 2 interest clusters; the
 * history (2 to 11 behaviours) draws 80 % of them from those. Half the candidates come from a cluster of the
 * history. A candidate is clicked with probability {@code σ(a_c + 1.2·m − 0.8 + price − 0.5)}: a_c, drawn
 * uniformly in [−2, 1.5], is the appeal of the candidate's cluster, m = 1 when some behaviour shares the cluster
 * (the part of the history matching the candidate, what DIN's attention captures). The appeal dominates, so small
 * models learn most of the signal in a few epochs and their AUC settles, which a comparison of two training
 * procedures needs.
 */
final class TestWorld {
    static final StructType FRAME = DataTypes.createStructType(List.of(
            DataTypes.createStructField("row_id", DataTypes.LongType, false),
            DataTypes.createStructField("label", DataTypes.DoubleType, true),
            DataTypes.createStructField("user_id", DataTypes.StringType, true),
            DataTypes.createStructField("item_id", DataTypes.StringType, true),
            DataTypes.createStructField("cate_id", DataTypes.StringType, true),
            DataTypes.createStructField("hour", DataTypes.IntegerType, true),
            DataTypes.createStructField("hist_item_id", DataTypes.StringType, true),
            DataTypes.createStructField("hist_cate_id", DataTypes.StringType, true),
            DataTypes.createStructField("price", DataTypes.DoubleType, true)));

    static final FeatureSchema SCHEMA = new FeatureSchema(
            List.of(new SparseField("user_id", FieldRole.USER), new SparseField("item_id", FieldRole.ITEM),
                    new SparseField("cate_id", FieldRole.CATEGORY), new SparseField("hour", FieldRole.CONTEXT)),
            List.of(new SequenceField("hist_item_id", "item_id"), new SequenceField("hist_cate_id", "cate_id")),
            List.of("price"), List.of("label"));

    final List<Row> train = new ArrayList<>();
    final List<Row> test = new ArrayList<>();
    /** The true click probability of each test row. */
    final List<Double> testTruth = new ArrayList<>();

    TestWorld(long seed, int users, int trainPerUser, int testPerUser) {
        SplittableRandom r = new SplittableRandom(seed);
        int clusters = 12;
        int perCluster = 20;
        double[] appeal = new double[clusters];
        for (int c = 0; c < clusters; c++) {
            appeal[c] = -3 + 5 * r.nextDouble();
        }
        long id = 0;
        for (int u = 0; u < users; u++) {
            int[] interest = {r.nextInt(clusters), r.nextInt(clusters)};
            int len = 2 + r.nextInt(10);
            int[] items = new int[len];
            boolean[] seen = new boolean[clusters];
            for (int t = 0; t < len; t++) {
                int c = r.nextDouble() < 0.8 ? interest[r.nextInt(2)] : r.nextInt(clusters);
                items[t] = c * perCluster + r.nextInt(perCluster);
                seen[c] = true;
            }
            StringBuilder hi = new StringBuilder();
            StringBuilder hc = new StringBuilder();
            for (int t = 0; t < len; t++) {
                hi.append(t == 0 ? "" : " ").append("i").append(items[t]);
                hc.append(t == 0 ? "" : " ").append("c").append(items[t] / perCluster);
            }
            for (int s = 0; s < trainPerUser + testPerUser; s++) {
                int c = r.nextDouble() < 0.5 ? items[r.nextInt(len)] / perCluster : r.nextInt(clusters);
                int item = c * perCluster + r.nextInt(perCluster);
                double price = Math.round(r.nextDouble() * 100) / 100.0;
                double p = 1 / (1 + Math.exp(-(appeal[c] + 1.2 * (seen[c] ? 1 : 0) - 0.8 + (price - 0.5))));
                double y = r.nextDouble() < p ? 1 : 0;
                Row row = RowFactory.create(id++, y, "u" + u, "i" + item, "c" + c, r.nextInt(24), hi.toString(),
                        hc.toString(), price);
                (s < trainPerUser ? train : test).add(row);
                if (s >= trainPerUser) {
                    testTruth.add(p);
                }
            }
        }
    }

    /** Vocabularies of {@code rows} in first-seen order, candidates and behaviours counted alike. */
    static Map<String, Vocabulary> vocabularies(List<Row> rows) {
        Vocabulary user = new Vocabulary();
        Vocabulary item = new Vocabulary();
        Vocabulary cate = new Vocabulary();
        Vocabulary hour = new Vocabulary();
        for (Row r : rows) {
            user.add(r.getString(2));
            item.add(r.getString(3));
            cate.add(r.getString(4));
            hour.add(Integer.toString(r.getInt(5)));
            for (String s : r.getString(6).split(" ")) {
                item.add(s);
            }
            for (String s : r.getString(7).split(" ")) {
                cate.add(s);
            }
        }
        Map<String, Vocabulary> m = new LinkedHashMap<>();
        m.put("user_id", user.freeze());
        m.put("item_id", item.freeze());
        m.put("cate_id", cate.freeze());
        m.put("hour", hour.freeze());
        return m;
    }
}
