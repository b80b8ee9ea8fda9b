package io.din4j.model;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.backend.Activation;
import io.din4j.backend.Backend;
import io.din4j.backend.SparseGrad;
import io.din4j.backend.cpu.CpuBackend;
import io.din4j.data.Batch;
import io.din4j.data.FeatureSchema;
import io.din4j.graph.HostIO;
import io.din4j.graph.Param;
import io.din4j.json.Json;
import io.din4j.io.ModelFiles;
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
 * benchmarks/peers/din4j_torch.py — DIN, BaseModel, PLE and DIN+PLE written in PyTorch from the papers and the
 * model format — reproduces what the cpu backend computes for a saved model: the inference predictions and, in
 * training mode (Dice on batch statistics), the gradient of {@code Σ_k w_k·BCE_k} for every trainable tensor.
 * PyTorch runs in f64 from the saved f32 weights, so it is the more exact side. Skipped when Debian's python3-torch
 * is not installed ({@code apt-get install python3-torch python3-numpy}, used through /usr/bin/python3).
 */
class TorchAgreementTest {
    static final String PYTHON = "/usr/bin/python3";
    static final Path SCRIPT = Path.of("..", "benchmarks", "peers", "din4j_torch.py").toAbsolutePath().normalize();
    static final int[] VOCAB = {6, 20, 5, 4};
    static final double[] TASK_WEIGHTS = {1.0, 0.7};

    @TempDir
    Path tmp;

    @BeforeAll
    static void needsTorch() throws Exception {
        boolean ok = false;
        if (Files.isExecutable(Path.of(PYTHON))) {
            try {
                Process p = new ProcessBuilder(PYTHON, "-c", "import torch, numpy").redirectErrorStream(true).start();
                ok = p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
            } catch (IOException e) {
                ok = false;
            }
        }
        Assumptions.assumeTrue(ok, PYTHON + " with torch and numpy is not installed (Debian: apt-get install "
                + "python3-torch python3-numpy); skipping the PyTorch cross-check");
        assertTrue(Files.exists(SCRIPT), "missing " + SCRIPT);
    }

    static Stream<Arguments> models() {
        ModelConfig din = TestData.small(ModelConfig.Type.DIN).toBuilder().embeddingDim(4).attentionHidden(7, 5).mlpHidden(9, 6).build();
        return Stream.of(
                Arguments.of("din", din),
                Arguments.of("din-prelu-softmax", din.toBuilder().mlpActivation(Activation.PRELU)
                        .attentionActivation(Activation.PRELU).attentionSoftmax(true).build()),
                Arguments.of("base", TestData.small(ModelConfig.Type.BASE)),
                Arguments.of("ple", TestData.small(ModelConfig.Type.PLE).toBuilder().levels(3).expertHidden(5, 4).build()),
                Arguments.of("din-ple", TestData.small(ModelConfig.Type.DIN_PLE).toBuilder().expertActivation(Activation.DICE).build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void torchReproducesPredictionsAndGradients(String name, ModelConfig config) throws Exception {
        FeatureSchema schema = TestData.fullSchema();
        Path dir = tmp.resolve(name);
        SplittableRandom r = new SplittableRandom(41);
        // Lengths cover an empty history, length 1 and the full T.
        Batch batch = TestData.random(schema, VOCAB, new int[] {0, 1, 6, 3, 2, 5, 4, 1, 6, 2, 6}, r);
        float[][] predictions;
        Map<String, double[]> grads = new LinkedHashMap<>();
        try (Backend cpu = new CpuBackend(1);
             Model m = Model.create(config, schema, TestData.vocabularies(schema, VOCAB), cpu, 32);
             Trainer t = new Trainer(m, TrainConfig.builder().optimizer(OptimizerSpec.adam(0.02)).build())) {
            // A few steps move the weights off their initialisation and the Dice running statistics off (0, 1).
            for (int i = 0; i < 5; i++) {
                t.step(TestData.random(schema, VOCAB, TestData.lengths(20, 6, r), r), 0);
            }
            ModelFiles.save(m, dir, null);
            predictions = m.forward(batch, false);
            m.compute(batch, true);
            m.backward(TASK_WEIGHTS);
            for (Param p : m.parameters()) {
                if (p.kind() == Param.Kind.EMBEDDING) {
                    grads.put(p.name(), dense(cpu, m.sparseGrad(p)));
                } else if (p.kind() == Param.Kind.DENSE) {
                    grads.put(p.name(), HostIO.download(cpu, m.grad(p)));
                }
            }
        }
        Path in = tmp.resolve(name + ".batch.json");
        Files.writeString(in, Json.write(asJson(schema, batch)), StandardCharsets.UTF_8);
        Path out = tmp.resolve(name + ".torch.json");
        Process proc = new ProcessBuilder(PYTHON, SCRIPT.toString(), "check", dir.toString(), in.toString(), out.toString())
                .redirectErrorStream(true).start();
        String log = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(proc.waitFor(300, TimeUnit.SECONDS), "script timed out");
        assertEquals(0, proc.exitValue(), "script failed:\n" + log);
        Map<String, Object> torch = Json.parseObject(Files.readString(out));

        List<?> preds = (List<?>) torch.get("predictions");
        assertEquals(batch.size(), preds.size());
        for (int b = 0; b < batch.size(); b++) {
            List<?> row = (List<?>) preds.get(b);
            for (int k = 0; k < predictions.length; k++) {
                double py = ((Number) row.get(k)).doubleValue();
                // f32 forward against f64: rounding stays far below 1e-5 for probabilities in (0, 1).
                assertEquals(py, predictions[k][b], 1e-5, name + " prediction row " + b + " task " + k);
            }
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> torchGrads = (Map<String, Object>) torch.get("grads");
        assertEquals(grads.keySet(), torchGrads.keySet(), "trainable tensors");
        for (Map.Entry<String, double[]> e : grads.entrySet()) {
            List<?> ref = (List<?>) torchGrads.get(e.getKey());
            double[] got = e.getValue();
            assertEquals(ref.size(), got.length, e.getKey() + " size");
            double scale = 0;
            for (Object o : ref) {
                scale = Math.max(scale, Math.abs(((Number) o).doubleValue()));
            }
            // 1e-4 relative per element; the absolute floor (1e-5 of the tensor's largest gradient) covers
            // elements that are sums of cancelling terms, where f32 leaves an error relative to the terms,
            // not to their near-zero sum.
            double atol = 1e-5 * scale + 1e-9;
            for (int i = 0; i < got.length; i++) {
                double want = ((Number) ref.get(i)).doubleValue();
                assertTrue(Math.abs(want - got[i]) <= atol + 1e-4 * Math.abs(want),
                        name + " grad " + e.getKey() + "[" + i + "]: torch " + want + ", din4j " + got[i]);
            }
        }
    }

    /** An embedding table's sparse gradient as a dense {@code [V·D]} array. */
    private static double[] dense(Backend cpu, SparseGrad g) {
        int d = g.width();
        double[] out = new double[Math.toIntExact(g.tableRows() * d)];
        double[] rows = HostIO.download(cpu, g.rows());
        double[] values = HostIO.download(cpu, g.values());
        for (int i = 0; i < g.count(); i++) {
            int row = (int) rows[i];
            for (int c = 0; c < d; c++) {
                out[row * d + c] += values[i * d + c];
            }
        }
        return out;
    }

    /** The batch as din4j_torch.py's check reads it: ids per field, padded sequences, labels and masks per task. */
    static Map<String, Object> asJson(FeatureSchema schema, Batch b) {
        Map<String, Object> m = new LinkedHashMap<>();
        Map<String, Object> sparse = new LinkedHashMap<>();
        for (int f = 0; f < schema.sparse().size(); f++) {
            sparse.put(schema.sparse().get(f).name(), longs(b.sparse(f), 0, b.size()));
        }
        m.put("sparse", sparse);
        Map<String, Object> seqs = new LinkedHashMap<>();
        for (int s = 0; s < schema.sequences().size(); s++) {
            List<Object> rows = new ArrayList<>();
            for (int i = 0; i < b.size(); i++) {
                rows.add(longs(b.sequence(s), i * b.history(), b.history()));
            }
            seqs.put(schema.sequences().get(s).name(), rows);
        }
        m.put("sequences", seqs);
        m.put("lengths", longs(b.lengths(), 0, b.size()));
        List<Object> dense = new ArrayList<>();
        for (int i = 0; i < b.size(); i++) {
            List<Object> row = new ArrayList<>();
            for (int d = 0; d < schema.dense().size(); d++) {
                row.add((double) b.dense(d)[i]);
            }
            dense.add(row);
        }
        m.put("dense", dense);
        List<Object> labels = new ArrayList<>();
        List<Object> masks = new ArrayList<>();
        for (int k = 0; k < b.tasks(); k++) {
            labels.add(doubles(b.labels(k)));
            masks.add(doubles(b.labelMask(k)));
        }
        m.put("labels", labels);
        m.put("masks", masks);
        m.put("task_weights", doubles(TASK_WEIGHTS));
        return m;
    }

    private static List<Object> longs(int[] a, int from, int n) {
        List<Object> out = new ArrayList<>();
        for (int i = from; i < from + n; i++) {
            out.add((long) a[i]);
        }
        return out;
    }

    private static List<Object> doubles(float[] a) {
        List<Object> out = new ArrayList<>();
        for (float x : a) {
            out.add((double) x);
        }
        return out;
    }

    private static List<Object> doubles(double[] a) {
        List<Object> out = new ArrayList<>();
        for (double x : a) {
            out.add(x);
        }
        return out;
    }
}
