package io.din4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.din4j.backend.Backend;
import io.din4j.backend.Backends;
import io.din4j.data.Batch;
import io.din4j.data.BatchBuilder;
import io.din4j.data.Vocabularies;
import io.din4j.data.csv.CsvDataset;
import io.din4j.data.Vocabulary;
import io.din4j.io.ModelFiles;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.predict.Predictor;
import io.din4j.spark.examples.ScoreJob;
import io.din4j.train.OptimizerSpec;
import io.din4j.train.TrainConfig;
import io.din4j.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SparkScorerTest {
    private static final int MAX_HISTORY = 9;

    /**
     * Spark scoring in local[2] over 3 partitions, batches of 37, against one single-process Predictor over all
     * rows (batches of 1024, another thread count): every probability equal bit for bit. The rows include unseen
     * ids, null cells, empty histories and histories longer than the model's max_history.
     */
    @Test
    void scoresLikeTheSingleProcessPredictorBitForBit(@TempDir Path tmp) {
        TestWorld world = new TestWorld(7, 120, 12, 4);
        Map<String, Vocabulary> vocab = TestWorld.vocabularies(world.train);
        Path dir = tmp.resolve("model");
        ModelConfig config = ModelConfig.builder(ModelConfig.Type.DIN).embeddingDim(8).attentionHidden(16, 8)
                .mlpHidden(24, 12).tasks("label").seed(3).build();
        try (Backend cpu = Backends.create("cpu", 1); Model model = Model.create(config, TestWorld.SCHEMA, vocab, cpu, 128);
             Trainer trainer = new Trainer(model, TrainConfig.builder().optimizer(OptimizerSpec.adam(3e-3)).build())) {
            // A few steps so that Dice running statistics and weights are not at their initial values.
            for (int from = 0; from + 128 <= world.train.size() && from < 128 * 8; from += 128) {
                trainer.step(referenceBatch(world.train.subList(from, from + 128), vocab, 0), 0);
            }
            ModelFiles.save(model, dir, Map.of("data", Map.of("max_history", MAX_HISTORY)));
        }
        List<Row> rows = new ArrayList<>(world.test);
        rows.add(RowFactory.create(-1L, null, "new_user", "new_item", null, null, "i1 unseen i2", "c0 c9 c0", null));
        rows.add(RowFactory.create(-2L, null, null, "i3", "c0", 5, "", "", 0.5));
        rows.add(RowFactory.create(-3L, null, "u1", "i3", "c0", 5, null, null, 0.5));
        float[] expected;
        try (Backend cpu = Backends.create("cpu", 2); Predictor p = Predictor.load(dir, cpu, 1024)) {
            expected = p.predict(referenceBatch(rows, p.vocabularies(), MAX_HISTORY))[0];
        }

        SparkSession spark = SparkTestSession.get();
        Dataset<Row> df = spark.createDataFrame(rows, TestWorld.FRAME).repartition(3);
        List<Row> scored = SparkScorer.score(df, dir.toString(),
                SparkScorer.Options.defaults().withKeys("row_id", "user_id").withBatchSize(37)).collectAsList();

        assertEquals(rows.size(), scored.size());
        assertEquals(List.of("row_id", "user_id", "p_label"), List.of(scored.get(0).schema().fieldNames()));
        Map<Long, Integer> position = new HashMap<>();
        for (int i = 0; i < rows.size(); i++) {
            position.put(rows.get(i).getLong(0), i);
        }
        for (Row r : scored) {
            int i = position.get(r.getLong(0));
            float got = r.getFloat(2);
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(got),
                    "row_id " + r.getLong(0) + ": single-process " + expected[i] + ", spark " + got);
            assertEquals(rows.get(i).get(2), r.get(1), "key column user_id of row_id " + r.getLong(0));
        }
    }

    /**
     * What {@code din4j predict} does (the CSV reader, {@link BatchBuilder} with the model's max_history, a
     * {@link Predictor} over batches of 1024) against Spark reading the same CSV (every column a string, empty cells
     * null) and scoring it in local[2] over 3 partitions in batches of 50: equal bit for bit. The example
     * {@link ScoreJob} writes one output row per input row with the key and probability columns.
     */
    @Test
    void scoresACsvLikeDin4jPredict(@TempDir Path tmp) throws IOException {
        TestWorld world = new TestWorld(9, 60, 6, 3);
        Path dir = tmp.resolve("model");
        ModelConfig config = ModelConfig.builder(ModelConfig.Type.DIN).embeddingDim(8).attentionHidden(8)
                .mlpHidden(8).tasks("label").seed(4).build();
        try (Backend cpu = Backends.create("cpu", 1);
             Model model = Model.create(config, TestWorld.SCHEMA, TestWorld.vocabularies(world.train), cpu, 64)) {
            ModelFiles.save(model, dir, Map.of("data", Map.of("max_history", 5)));
        }
        List<Row> rows = new ArrayList<>(world.test);
        rows.add(RowFactory.create(-1L, null, "new_user", "new_item", null, null, "i1 unseen i2", "c0 c9 c0", null));
        rows.add(RowFactory.create(-2L, null, null, "i3", "c0", 5, "", "", 0.5));
        Path csv = tmp.resolve("score.csv");
        StringBuilder text = new StringBuilder(String.join(",", TestWorld.FRAME.fieldNames())).append('\n');
        for (Row r : rows) {
            for (int c = 0; c < r.length(); c++) {
                text.append(c == 0 ? "" : ",").append(r.isNullAt(c) ? "" : r.get(c).toString());
            }
            text.append('\n');
        }
        Files.writeString(csv, text);
        List<Float> expected = new ArrayList<>();
        try (Backend cpu = Backends.create("cpu", 1); Predictor p = Predictor.load(dir, cpu, 1024);
             CsvDataset data = CsvDataset.forScoring(csv, p.schema(), false)) {
            BatchBuilder builder = new BatchBuilder(Vocabularies.of(p.schema(), p.vocabularies()), 5);
            for (Iterator<Batch> it = builder.batches(data.iterator(), 1024); it.hasNext(); ) {
                for (float x : p.predict(it.next())[0]) {
                    expected.add(x);
                }
            }
        }
        Path out = tmp.resolve("scores");
        ScoreJob.run(SparkTestSession.get(), new String[] {"--model", dir.toString(), "--input", csv.toString(),
                "--output", out.toString(), "--keys", "row_id,user_id"});
        List<Row> written = SparkTestSession.get().read().option("header", "true").csv(out.toString()).collectAsList();
        assertEquals(rows.size(), written.size(), "rows written by ScoreJob");
        assertEquals(List.of("row_id", "user_id", "p_label"), List.of(written.get(0).schema().fieldNames()));
        Dataset<Row> df = SparkTestSession.get().read().option("header", "true").csv(csv.toString()).repartition(3);
        List<Row> scored = SparkScorer.score(df, dir.toString(),
                SparkScorer.Options.defaults().withKeys("row_id").withBatchSize(50)).collectAsList();
        assertEquals(rows.size(), scored.size());
        Map<String, Integer> position = new HashMap<>();
        for (int i = 0; i < rows.size(); i++) {
            position.put(rows.get(i).get(0).toString(), i);
        }
        for (Row r : scored) {
            float want = expected.get(position.get(r.getString(0)));
            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(r.getFloat(1)),
                    "row_id " + r.getString(0) + ": din4j predict " + want + ", spark " + r.getFloat(1));
        }
    }

    /**
     * Array history columns and integer id columns read as the space-separated strings and decimal ids they stand
     * for: the same probabilities, bit for bit, as the string form of the same rows.
     */
    @Test
    void arrayHistoriesAndIntegerIdsReadLikeTheirStringForm(@TempDir Path tmp) {
        TestWorld world = new TestWorld(13, 30, 5, 0);
        List<Row> strings = new ArrayList<>();
        List<Row> typed = new ArrayList<>();
        for (Row r : world.train) {
            String hi = r.getString(6).replace('i', '1');
            String hc = r.getString(7);
            strings.add(RowFactory.create(r.getLong(0), r.get(1), r.get(2), r.getString(3).replace('i', '1'), r.get(4),
                    r.get(5), hi, hc, r.get(8)));
            typed.add(RowFactory.create(r.getLong(0), r.get(1), r.get(2), Long.parseLong(r.getString(3).replace('i', '1')),
                    r.get(4), r.get(5), Arrays.stream(hi.split(" ")).map(Long::parseLong).toList(),
                    List.of(hc.split(" ")), r.get(8)));
        }
        StructType typedFrame = new StructType(new StructField[] {
            TestWorld.FRAME.fields()[0], TestWorld.FRAME.fields()[1], TestWorld.FRAME.fields()[2],
            DataTypes.createStructField("item_id", DataTypes.LongType, true), TestWorld.FRAME.fields()[4],
            TestWorld.FRAME.fields()[5],
            DataTypes.createStructField("hist_item_id", DataTypes.createArrayType(DataTypes.LongType), true),
            DataTypes.createStructField("hist_cate_id", DataTypes.createArrayType(DataTypes.StringType), true),
            TestWorld.FRAME.fields()[8]});
        Path dir = tmp.resolve("model");
        try (Backend cpu = Backends.create("cpu", 1);
             Model model = Model.create(ModelConfig.builder(ModelConfig.Type.DIN).embeddingDim(4).attentionHidden(4)
                     .mlpHidden(4).tasks("label").seed(2).build(), TestWorld.SCHEMA, TestWorld.vocabularies(strings), cpu, 16)) {
            ModelFiles.save(model, dir, null);
        }
        SparkSession spark = SparkTestSession.get();
        SparkScorer.Options o = SparkScorer.Options.defaults().withKeys("row_id").withBatchSize(16);
        List<Row> a = SparkScorer.score(spark.createDataFrame(strings, TestWorld.FRAME), dir.toString(), o)
                .orderBy("row_id").collectAsList();
        List<Row> b = SparkScorer.score(spark.createDataFrame(typed, typedFrame), dir.toString(), o)
                .orderBy("row_id").collectAsList();
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(Float.floatToRawIntBits(a.get(i).getFloat(1)), Float.floatToRawIntBits(b.get(i).getFloat(1)),
                    "row_id " + a.get(i).getLong(0) + ": strings " + a.get(i).getFloat(1) + ", arrays " + b.get(i).getFloat(1));
        }
    }

    @Test
    void aMissingColumnFailsOnTheDriverNamingIt(@TempDir Path tmp) {
        TestWorld world = new TestWorld(8, 10, 4, 0);
        Path dir = tmp.resolve("model");
        try (Backend cpu = Backends.create("cpu", 1);
             Model model = Model.create(ModelConfig.builder(ModelConfig.Type.DIN).embeddingDim(4).attentionHidden(4)
                     .mlpHidden(4).tasks("label").build(), TestWorld.SCHEMA, TestWorld.vocabularies(world.train), cpu, 16)) {
            ModelFiles.save(model, dir, null);
        }
        Dataset<Row> df = SparkTestSession.get().createDataFrame(world.train, TestWorld.FRAME).drop("price");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SparkScorer.score(df, dir.toString(), SparkScorer.Options.defaults()));
        assertTrue(e.getMessage().contains("'price'"), e.getMessage());
        Dataset<Row> renamed = SparkTestSession.get().createDataFrame(world.train, TestWorld.FRAME)
                .withColumnRenamed("price", "cost");
        long n = SparkScorer.score(renamed, dir.toString(), SparkScorer.Options.defaults()
                .withMapping(ColumnMapping.canonical().map("price", "cost"))).count();
        assertEquals(world.train.size(), n);
    }

    /**
     * The canonical CSV conventions, written independently of {@link RowPlan}: ids as strings (integers in
     * decimal), null or empty cells missing (row 0), histories space-separated, cut to the most recent
     * {@code maxHistory} (0: all), dense null as 0, null labels outside the task.
     */
    static Batch referenceBatch(List<Row> rows, Map<String, Vocabulary> vocab, int maxHistory) {
        int b = rows.size();
        String[] sparseNames = {"user_id", "item_id", "cate_id", "hour"};
        int[][] sparse = new int[4][b];
        String[][] hi = new String[b][];
        String[][] hc = new String[b][];
        int t = 0;
        for (int i = 0; i < b; i++) {
            Row r = rows.get(i);
            for (int f = 0; f < 4; f++) {
                Object cell = r.get(2 + f);
                String id = cell == null || cell.toString().isEmpty() ? null : cell.toString();
                sparse[f][i] = id == null ? Vocabulary.OOV : vocab.get(sparseNames[f]).indexOf(id);
            }
            hi[i] = r.isNullAt(6) || r.getString(6).isEmpty() ? new String[0] : r.getString(6).split(" ");
            hc[i] = r.isNullAt(7) || r.getString(7).isEmpty() ? new String[0] : r.getString(7).split(" ");
            t = Math.max(t, maxHistory > 0 ? Math.min(maxHistory, hi[i].length) : hi[i].length);
        }
        int[][] seqs = new int[2][b * t];
        int[] lengths = new int[b];
        float[][] dense = new float[1][b];
        float[][] labels = new float[1][b];
        float[][] masks = new float[1][b];
        String[] groups = new String[b];
        for (int i = 0; i < b; i++) {
            Row r = rows.get(i);
            int len = hi[i].length;
            int keep = maxHistory > 0 ? Math.min(maxHistory, len) : len;
            lengths[i] = keep;
            for (int j = 0; j < keep; j++) {
                seqs[0][i * t + j] = vocab.get("item_id").indexOf(hi[i][len - keep + j]);
                seqs[1][i * t + j] = vocab.get("cate_id").indexOf(hc[i][len - keep + j]);
            }
            dense[0][i] = r.isNullAt(8) ? 0f : (float) r.getDouble(8);
            labels[0][i] = r.isNullAt(1) ? 0f : (float) r.getDouble(1);
            masks[0][i] = r.isNullAt(1) ? 0f : 1f;
            groups[i] = r.isNullAt(2) ? "" : r.getString(2);
        }
        return new Batch(b, t, sparse, seqs, lengths, dense, labels, masks, groups);
    }
}
