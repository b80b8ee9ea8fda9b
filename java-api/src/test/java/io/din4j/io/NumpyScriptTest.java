package io.din4j.io;

import io.din4j.json.Json;
import static org.junit.jupiter.api.Assertions.*;

import io.din4j.backend.Activation;
import io.din4j.backend.Backend;
import io.din4j.backend.cpu.CpuBackend;
import io.din4j.data.Batch;
import io.din4j.data.FeatureSchema;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.model.TestData;
import io.din4j.predict.Predictor;
import io.din4j.train.OptimizerSpec;
import io.din4j.train.TrainConfig;
import io.din4j.train.Trainer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * tools/din4j_numpy.py (numpy only, the executable form of docs/model-format.md) reproduces the Java predictions of
 * saved models. Skipped when python3 with numpy is not installed (Debian: {@code apt-get install python3-numpy}).
 */
class NumpyScriptTest {
    static final int[] VOCAB = {6, 20, 5, 4};
    static final Path SCRIPT = Path.of("..", "tools", "din4j_numpy.py").toAbsolutePath().normalize();

    @TempDir
    Path tmp;

    @BeforeAll
    static void needsNumpy() throws Exception {
        boolean ok;
        try {
            Process p = new ProcessBuilder("python3", "-c", "import numpy").redirectErrorStream(true).start();
            ok = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            ok = false;
        }
        Assumptions.assumeTrue(ok, "python3 with numpy is not installed (apt-get install python3-numpy); skipping the numpy cross-check");
        assertTrue(Files.exists(SCRIPT), "missing " + SCRIPT);
    }

    static Stream<Arguments> models() {
        return Stream.of(
                Arguments.of("din", TestData.small(ModelConfig.Type.DIN)),
                Arguments.of("din-prelu-softmax", TestData.small(ModelConfig.Type.DIN).toBuilder().mlpActivation(Activation.PRELU)
                        .attentionSoftmax(true).build()),
                Arguments.of("base", TestData.small(ModelConfig.Type.BASE)),
                Arguments.of("ple", TestData.small(ModelConfig.Type.PLE).toBuilder().levels(3).expertHidden(5, 4).build()),
                Arguments.of("cgc", TestData.small(ModelConfig.Type.CGC)),
                Arguments.of("mmoe", TestData.small(ModelConfig.Type.MMOE)),
                Arguments.of("shared-bottom", TestData.small(ModelConfig.Type.SHARED_BOTTOM).toBuilder().expertHidden(5, 4).build()),
                Arguments.of("din-ple", TestData.small(ModelConfig.Type.DIN_PLE)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void numpyReproducesJavaPredictions(String name, ModelConfig config) throws Exception {
        FeatureSchema schema = TestData.fullSchema();
        Path dir = tmp.resolve(name);
        SplittableRandom r = new SplittableRandom(31);
        try (Backend cpu = new CpuBackend(1);
             Model m = Model.create(config, schema, TestData.vocabularies(schema, VOCAB), cpu, 32);
             Trainer t = new Trainer(m, TrainConfig.builder().optimizer(OptimizerSpec.adam(0.02)).build())) {
            for (int i = 0; i < 5; i++) {
                t.step(TestData.random(schema, VOCAB, TestData.lengths(20, 6, r), r), 0);
            }
            ModelFiles.save(m, dir, null);
        }
        Batch batch = TestData.random(schema, VOCAB, new int[] {0, 1, 6, 3, 2, 5, 4, 1, 6}, r);
        float[][] java;
        try (Backend cpu = new CpuBackend(1); Predictor p = Predictor.load(dir, cpu, 16)) {
            java = p.predict(batch);
        }
        Path in = tmp.resolve(name + ".json");
        Files.writeString(in, Json.write(asJson(schema, batch)), StandardCharsets.UTF_8);
        Path out = tmp.resolve(name + ".out.json");
        Process proc = new ProcessBuilder("python3", SCRIPT.toString(), dir.toString(), in.toString(), "--out", out.toString())
                .redirectErrorStream(true).start();
        String log = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(proc.waitFor(120, TimeUnit.SECONDS), "script timed out");
        assertEquals(0, proc.exitValue(), "script failed:\n" + log);
        List<Object> preds = Json.parseObject(Files.readString(out)).get("predictions") instanceof List<?> l ? new ArrayList<>(l) : List.of();
        assertEquals(batch.size(), preds.size());
        for (int b = 0; b < batch.size(); b++) {
            List<?> row = (List<?>) preds.get(b);
            for (int k = 0; k < java.length; k++) {
                double py = ((Number) row.get(k)).doubleValue();
                // numpy computes in f64 from the same f32 weights; f32 rounding in the Java pass stays below 1e-5.
                assertEquals(py, java[k][b], 1e-5, name + " row " + b + " task " + k);
            }
        }
    }

    @org.junit.jupiter.api.Test
    void numpyReadsTheCanonicalCsvWithRawIds() throws Exception {
        FeatureSchema schema = TestData.fullSchema();
        Map<String, io.din4j.data.Vocabulary> vocab = TestData.vocabularies(schema, VOCAB);
        Path dir = tmp.resolve("csv-model");
        SplittableRandom r = new SplittableRandom(5);
        try (Backend cpu = new CpuBackend(1); Model m = Model.create(TestData.small(ModelConfig.Type.DIN), schema, vocab, cpu, 32);
             Trainer t = new Trainer(m, TrainConfig.builder().optimizer(OptimizerSpec.adam(0.02)).build())) {
            t.step(TestData.random(schema, VOCAB, TestData.lengths(20, 6, r), r), 0);
            ModelFiles.save(m, dir, null);
        }
        Batch batch = TestData.random(schema, VOCAB, new int[] {0, 2, 6, 1}, r);
        StringBuilder csv = new StringBuilder("click,buy,user_id,item_id,cate_id,shop,hist_item_id,hist_cate_id,price,hour\n");
        for (int i = 0; i < batch.size(); i++) {
            csv.append("1,,");
            for (int f = 0; f < 4; f++) {
                csv.append(vocab.get(schema.sparse().get(f).name()).token(batch.sparse(f)[i])).append(',');
            }
            for (int s = 0; s < 2; s++) {
                io.din4j.data.Vocabulary v = vocab.get(schema.sequences().get(s).table());
                List<String> ids = new ArrayList<>();
                for (int t = 0; t < batch.lengths()[i]; t++) {
                    ids.add(v.token(batch.sequence(s)[i * batch.history() + t]));
                }
                csv.append(String.join(" ", ids)).append(',');
            }
            csv.append(batch.dense(0)[i]).append(',').append(batch.dense(1)[i]).append('\n');
        }
        Path in = tmp.resolve("data.csv");
        Files.writeString(in, csv);
        float[][] java;
        try (Backend cpu = new CpuBackend(1); Predictor p = Predictor.load(dir, cpu, 16)) {
            java = p.predict(batch);
        }
        Path out = tmp.resolve("csv.out.json");
        Process proc = new ProcessBuilder("python3", SCRIPT.toString(), dir.toString(), in.toString(), "--out", out.toString())
                .redirectErrorStream(true).start();
        String log = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(proc.waitFor(120, TimeUnit.SECONDS), "script timed out");
        assertEquals(0, proc.exitValue(), "script failed:\n" + log);
        List<?> preds = (List<?>) Json.parseObject(Files.readString(out)).get("predictions");
        for (int b = 0; b < batch.size(); b++) {
            for (int k = 0; k < 2; k++) {
                assertEquals(((Number) ((List<?>) preds.get(b)).get(k)).doubleValue(), java[k][b], 1e-5, "row " + b + " task " + k);
            }
        }
    }

    /** The batch in the script's JSON form, with table rows as ids. */
    static Map<String, Object> asJson(FeatureSchema schema, Batch b) {
        List<Object> rows = new ArrayList<>();
        for (int i = 0; i < b.size(); i++) {
            Map<String, Object> row = new LinkedHashMap<>();
            for (int f = 0; f < schema.sparse().size(); f++) {
                row.put(schema.sparse().get(f).name(), (long) b.sparse(f)[i]);
            }
            for (int s = 0; s < schema.sequences().size(); s++) {
                List<Object> h = new ArrayList<>();
                for (int t = 0; t < b.lengths()[i]; t++) {
                    h.add((long) b.sequence(s)[i * b.history() + t]);
                }
                row.put(schema.sequences().get(s).name(), h);
            }
            for (int d = 0; d < schema.dense().size(); d++) {
                row.put(schema.dense().get(d), (double) b.dense(d)[i]);
            }
            rows.add(row);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("row_ids", true);
        m.put("rows", rows);
        return m;
    }
}
