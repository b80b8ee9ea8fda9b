package io.din4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.din4j.backend.Backend;
import io.din4j.backend.Backends;
import io.din4j.data.Vocabulary;
import io.din4j.io.ModelFiles;
import io.din4j.io.ModelFormatException;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.predict.Predictor;
import io.din4j.train.OptimizerSpec;
import io.din4j.train.TrainConfig;
import io.din4j.train.Trainer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardedModelTest {
    private static final int MAX_HISTORY = 9;

    /** A trained model (Dice statistics and weights off their initial values) saved as a single directory. */
    private static TestWorld trainedModel(Path dir) {
        TestWorld world = new TestWorld(7, 120, 12, 4);
        Map<String, Vocabulary> vocab = TestWorld.vocabularies(world.train);
        ModelConfig config = ModelConfig.builder(ModelConfig.Type.DIN).embeddingDim(8).attentionHidden(16, 8)
                .mlpHidden(24, 12).tasks("label").seed(3).build();
        try (Backend cpu = Backends.create("cpu", 1); Model model = Model.create(config, TestWorld.SCHEMA, vocab, cpu, 128);
             Trainer trainer = new Trainer(model, TrainConfig.builder().optimizer(OptimizerSpec.adam(3e-3)).build())) {
            for (int from = 0; from + 128 <= world.train.size() && from < 128 * 8; from += 128) {
                trainer.step(SparkScorerTest.referenceBatch(world.train.subList(from, from + 128), vocab, 0), 0);
            }
            ModelFiles.save(model, dir, Map.of("data", Map.of("max_history", MAX_HISTORY)));
        }
        return world;
    }

    /**
     * Scoring with the tables sharded (the model directory converted to a sharded one with files of 50 rows, loaded
     * into 3 partitions; the input in 3 partitions, batches of 37) against one single-process Predictor of the
     * single directory over all rows: every probability equal bit for bit, unseen ids, null cells, empty and
     * over-long histories included. Each scoring task builds tables of only its batch's rows.
     */
    @Test
    void scoresAShardedModelLikeThePredictorBitForBit(@TempDir Path tmp) {
        Path dir = tmp.resolve("model");
        TestWorld world = trainedModel(dir);
        List<Row> rows = new ArrayList<>(world.test);
        rows.add(RowFactory.create(-1L, null, "new_user", "new_item", null, null, "i1 unseen i2", "c0 c9 c0", null));
        rows.add(RowFactory.create(-2L, null, null, "i3", "c0", 5, "", "", 0.5));
        rows.add(RowFactory.create(-3L, null, "u1", "i3", "c0", 5, null, null, 0.5));
        float[] expected;
        try (Backend cpu = Backends.create("cpu", 2); Predictor p = Predictor.load(dir, cpu, 1024)) {
            expected = p.predict(SparkScorerTest.referenceBatch(rows, p.vocabularies(), MAX_HISTORY))[0];
        }
        Path sharded = tmp.resolve("sharded");
        ShardedModelFiles.fromSingle(dir, sharded, 50);
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
        ShardedModel model = ShardedModelFiles.load(sc, sharded, 3);
        try {
            Dataset<Row> df = SparkTestSession.get().createDataFrame(rows, TestWorld.FRAME).repartition(3);
            List<Row> scored = SparkScorer.score(df, model,
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
                        "row_id " + r.getLong(0) + ": single-process " + expected[i] + ", sharded " + got);
                assertEquals(rows.get(i).get(2), r.get(1), "key column user_id of row_id " + r.getLong(0));
            }
        } finally {
            model.release();
        }
        // The example job detects the sharded directory and scores with it (Parquet in and out).
        Path in = tmp.resolve("in.parquet");
        SparkTestSession.get().createDataFrame(rows, TestWorld.FRAME).repartition(2).write().parquet(in.toString());
        Path out = tmp.resolve("out.parquet");
        io.din4j.spark.examples.ScoreJob.run(SparkTestSession.get(), new String[] {"--model", sharded.toString(), "--input",
                in.toString(), "--output", out.toString(), "--format", "parquet", "--keys", "row_id", "--shard-partitions", "2"});
        List<Row> job = SparkTestSession.get().read().parquet(out.toString()).collectAsList();
        assertEquals(rows.size(), job.size());
        Map<Long, Integer> at = new HashMap<>();
        for (int i = 0; i < rows.size(); i++) {
            at.put(rows.get(i).getLong(0), i);
        }
        for (Row r : job) {
            int i = at.get(r.getLong(0));
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(r.getFloat(1)), "ScoreJob, row_id " + r.getLong(0));
        }
    }

    /**
     * Single directory → sharded (one JVM, files of 7 rows) → Spark load → Spark save (files of 100 rows) → single
     * directory: the weights and vocabulary files come back byte for byte, so every tensor is unchanged; the tables
     * are spread over several files; and a corrupted table file, or a part missing from model.json, fails loading
     * with a message naming the file.
     */
    @Test
    void shardedDirectoriesRoundTripAndAreChecked(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("model");
        trainedModel(dir);
        Path a = tmp.resolve("a");
        ShardedModelFiles.fromSingle(dir, a, 7);
        long parts;
        try (Stream<Path> s = Files.list(a.resolve(ShardedModelFiles.TABLES))) {
            parts = s.count();
        }
        assertTrue(parts > 4, "tables in several files, got " + parts);
        assertThrows(ModelFormatException.class, () -> ModelFiles.readInfo(a), "a single-directory reader refuses a sharded one");
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
        ShardedModel m = ShardedModelFiles.load(sc, a, 2);
        Path b = tmp.resolve("b");
        try {
            ShardedModelFiles.save(m, b, 100);
        } finally {
            m.release();
        }
        Path back = tmp.resolve("back");
        ShardedModelFiles.toSingle(b, back);
        assertArrayEquals(Files.readAllBytes(dir.resolve(ModelFiles.WEIGHTS)), Files.readAllBytes(back.resolve(ModelFiles.WEIGHTS)),
                "weights after single → sharded → Spark → sharded → single");
        assertArrayEquals(Files.readAllBytes(dir.resolve(ModelFiles.VOCABULARIES)), Files.readAllBytes(back.resolve(ModelFiles.VOCABULARIES)));
        assertEquals(ModelFiles.readInfo(dir).training(), ModelFiles.readInfo(back).training());

        // One flipped byte in the last table file's data.
        Path part;
        try (Stream<Path> s = Files.list(a.resolve(ShardedModelFiles.TABLES))) {
            part = s.sorted().toList().getLast();
        }
        byte[] bytes = Files.readAllBytes(part);
        bytes[bytes.length - 3] ^= 0x10;
        Files.write(part, bytes);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ShardedModelFiles.toSingle(a, tmp.resolve("x")));
        assertTrue(e.getMessage().contains(part.getFileName().toString()) && e.getMessage().contains("checksum"), e.getMessage());
        RuntimeException f = assertThrows(RuntimeException.class, () -> ShardedModelFiles.load(sc, a, 2));
        assertTrue(f.getMessage().contains(part.getFileName().toString()), f.getMessage());

        // A part removed from model.json leaves a gap.
        String json = Files.readString(b.resolve(ModelFiles.MODEL_JSON), StandardCharsets.UTF_8);
        String edited = json.replaceFirst("\\{\\s*\"file\"\\s*:\\s*\"tables/emb\\.item_id\\.00000\\.safetensors\"[^}]*},?", "");
        assertTrue(!edited.equals(json), "the edit must remove a part");
        Files.writeString(b.resolve(ModelFiles.MODEL_JSON), edited, StandardCharsets.UTF_8);
        ModelFormatException g = assertThrows(ModelFormatException.class, () -> ShardedModelFiles.toSingle(b, tmp.resolve("y")));
        assertTrue(g.getMessage().contains("emb.item_id"), g.getMessage());
    }
}
