package io.din4j.train;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.backend.Backend;
import io.din4j.backend.cpu.CpuBackend;
import io.din4j.data.Batch;
import io.din4j.data.FeatureSchema;
import io.din4j.graph.HostIO;
import io.din4j.graph.Param;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.model.TestData;
import io.din4j.data.Batches;
import io.din4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TrainerTest {
    static final int[] VOCAB = {6, 30, 5, 4};
    final FeatureSchema schema = TestData.fullSchema();

    private List<Batch> batches(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Batch> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(TestData.random(schema, VOCAB, TestData.lengths(10, 6, r), r));
        }
        return out;
    }

    private Model model(Backend backend, ModelConfig.Type type) {
        return Model.create(TestData.small(type), schema, TestData.vocabularies(schema, VOCAB), backend, 16);
    }

    @Test
    void sameSeedSameDataGivesIdenticalWeightsOnCpu() {
        List<Batch> data = batches(6, 1);
        TrainConfig cfg = TrainConfig.builder().embeddings(OptimizerSpec.adagrad(0.05)).dense(OptimizerSpec.adam(0.01))
                .mbaLambda(0.01).build();
        for (ModelConfig.Type type : new ModelConfig.Type[] {ModelConfig.Type.DIN, ModelConfig.Type.DIN_PLE}) {
            // Vector reductions may sum lanes in another order once the JIT has compiled a kernel; warm the kernels
            // up first so that both compared runs execute the same compiled code.
            try (Backend w = new CpuBackend(2); Model warm = model(w, type); Trainer tw = new Trainer(warm, cfg)) {
                for (int i = 0; i < 40; i++) {
                    tw.step(data.get(i % data.size()), 0);
                }
            }
            try (Backend b1 = new CpuBackend(2); Backend b2 = new CpuBackend(2);
                 Model m1 = model(b1, type); Model m2 = model(b2, type);
                 Trainer t1 = new Trainer(m1, cfg); Trainer t2 = new Trainer(m2, cfg)) {
                for (Batch b : data) {
                    t1.step(b, 0);
                    t2.step(b, 0);
                }
                for (int i = 0; i < m1.parameters().size(); i++) {
                    Param p1 = m1.parameters().get(i);
                    assertArrayEquals(HostIO.downloadFloats(b1, p1.value()), HostIO.downloadFloats(b2, m2.parameters().get(i).value()),
                            0f, type + " " + p1.name());
                }
            }
        }
    }

    @Test
    void miniBatchAwareRegularizationTouchesOnlyTheBatchRows() {
        Batch batch = batches(1, 2).get(0);
        float lr = 0.1f;
        float lambda = 0.5f;
        TrainConfig plain = TrainConfig.builder().optimizer(OptimizerSpec.sgd(lr)).build();
        TrainConfig mba = TrainConfig.builder().optimizer(OptimizerSpec.sgd(lr)).mbaLambda(lambda).build();
        try (Backend cpu = new CpuBackend(1); Model a = model(cpu, ModelConfig.Type.DIN); Model b = model(cpu, ModelConfig.Type.DIN);
             Trainer ta = new Trainer(a, plain); Trainer tb = new Trainer(b, mba)) {
            Param itemA = a.parameter("emb.item_id");
            Param itemB = b.parameter("emb.item_id");
            float[] before = HostIO.downloadFloats(cpu, itemB.value());
            ta.step(batch, 0);
            tb.step(batch, 0);
            float[] afterA = HostIO.downloadFloats(cpu, itemA.value());
            float[] afterB = HostIO.downloadFloats(cpu, itemB.value());
            Set<Integer> touched = new HashSet<>();
            int item = schema.sparseIndex("item_id");
            for (int v : batch.sparse(item)) {
                touched.add(v);
            }
            for (int i = 0; i < batch.size(); i++) {
                for (int t = 0; t < batch.lengths()[i]; t++) {
                    touched.add(batch.sequence(0)[i * batch.history() + t]);
                }
            }
            assertTrue(touched.size() < VOCAB[1], "the test needs untouched rows");
            int d = itemB.value().dimInt(1);
            for (int row = 0; row < VOCAB[1]; row++) {
                for (int j = 0; j < d; j++) {
                    int i = row * d + j;
                    if (!touched.contains(row)) {
                        assertEquals(before[i], afterB[i], 0f, "untouched row " + row + " changed");
                    } else {
                        // DIN eq. 4 with SGD, decoupled: after the data step w' the row shrinks by lr·λ·w'_j / n_j
                        // (n_j = row + 1 here; lr·λ < 1, so in one sub-step).
                        double expected = -lr * lambda * afterA[i] / (row + 1);
                        // float rounding of two updates of O(1e-1) values
                        assertEquals(expected, afterB[i] - afterA[i], 1e-6 + 1e-4 * Math.abs(expected), "row " + row + " col " + j);
                    }
                }
            }
        }
    }

    @Test
    void diceUsesRunningStatisticsInInference() {
        List<Batch> data = batches(4, 3);
        try (Backend cpu = new CpuBackend(1); Model m = model(cpu, ModelConfig.Type.DIN);
             Trainer t = new Trainer(m, TrainConfig.builder().optimizer(OptimizerSpec.adam(0.01)).build())) {
            for (Batch b : data) {
                t.step(b, 0);
            }
            float[] mean = HostIO.downloadFloats(cpu, m.parameter("mlp.fc0.dice.running_mean").value());
            assertTrue(java.util.stream.IntStream.range(0, mean.length).anyMatch(i -> mean[i] != 0f), "running mean never moved");
            Batch b = data.get(0);
            float[] together = m.forward(b, false)[0];
            // Inference of one row alone equals its score inside the batch: no batch statistics are involved.
            for (int i = 0; i < b.size(); i += 3) {
                float alone = m.forward(Batches.slice(b, i, i + 1), false)[0][0];
                assertEquals(together[i], alone, 1e-6f, "row " + i);
            }
            // Whereas training mode normalises with the batch's statistics.
            float[] training = m.forward(b, true)[0];
            float[] trainingHalf = m.forward(Batches.slice(b, 0, 5), true)[0];
            boolean differs = false;
            for (int i = 0; i < 5; i++) {
                differs |= Math.abs(training[i] - trainingHalf[i]) > 1e-6;
            }
            assertTrue(differs, "training mode should depend on the batch");
        }
    }

    @Test
    void fitReportsEpochsStopsEarlyAndDecaysTaskWeights() {
        List<Batch> train = batches(5, 4);
        List<Batch> val = batches(2, 5);
        ModelConfig cfg = TestData.small(ModelConfig.Type.CGC).toBuilder()
                .tasks(List.of(new ModelConfig.TaskSpec("click", 1, 1), new ModelConfig.TaskSpec("buy", 0.5, 0.5))).build();
        List<TrainListener.EpochReport> reports = new ArrayList<>();
        List<TrainListener.Progress> progress = new ArrayList<>();
        try (Backend cpu = new CpuBackend(1); Model m = Model.create(cfg, schema, TestData.vocabularies(schema, VOCAB), cpu, 16);
             Trainer t = new Trainer(m, TrainConfig.builder().optimizer(OptimizerSpec.sgd(1e-9)).epochs(6)
                     .earlyStop("logloss", "click", 1).progressEvery(2).build())) {
            t.addListener(new TrainListener() {
                @Override
                public void onProgress(Progress p) {
                    progress.add(p);
                }

                @Override
                public void onEpochEnd(EpochReport r) {
                    reports.add(r);
                }
            });
            Trainer.Result r = t.fit(train, val);
            // A learning rate of 1e-9 cannot move the validation logloss enough to keep improving for 6 epochs.
            assertTrue(r.epochs().size() < 6 && r.stoppedEarly(), "epochs run: " + r.epochs().size());
            assertEquals(reports.size(), r.epochs().size());
            assertEquals(0.5 * 0.25, reports.get(2 < reports.size() ? 2 : reports.size() - 1).taskWeights()[1],
                    reports.size() > 2 ? 1e-15 : 1);
            assertEquals(0.25, t.taskWeights(1)[1], 1e-15);
            assertFalse(progress.isEmpty());
            assertTrue(progress.get(0).samplesPerSecond() > 0);
            assertTrue(reports.get(0).validation().containsKey("buy"));
            assertTrue(t.metadata().containsKey("epochs"));
        }
    }

    @Test
    void checkpointsAreLoadableModelDirectories(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) {
        List<Batch> train = batches(3, 6);
        List<Batch> val = batches(1, 7);
        try (Backend cpu = new CpuBackend(1); Model m = model(cpu, ModelConfig.Type.BASE);
             Trainer t = new Trainer(m, TrainConfig.builder().epochs(2).checkpointDir(tmp).build())) {
            t.fit(train, val);
            float[][] now = m.forward(val.get(0), false);
            try (Model last = io.din4j.io.ModelFiles.load(tmp.resolve("last"), cpu, 16)) {
                float[][] back = last.forward(val.get(0), false);
                // restoreBest may have rolled the model back to the best epoch, which "best" holds.
                try (Model best = io.din4j.io.ModelFiles.load(tmp.resolve("best"), cpu, 16)) {
                    float[][] b = best.forward(val.get(0), false);
                    assertTrue(java.util.Arrays.equals(now[0], back[0]) || java.util.Arrays.equals(now[0], b[0]));
                }
                assertTrue(io.din4j.io.ModelFiles.readInfo(tmp.resolve("last")).training().containsKey("steps"));
            }
        }
    }

    @Test
    void saturatedNegativeRowsLeaveNoSubnormalGradients() {
        // Every row negative and every logit near −80 (the output biases set there): σ(z) ≈ 1.8e-35, as in a model
        // that has memorised its batch. Kept, such residuals reach the weight gradients as subnormal floats, which
        // x86 computes in microcode at ~1% of the normal speed (docs/architecture.md, "Saturated rows give no
        // gradient"); LossOps.RESIDUAL_MIN leaves them out.
        Batch b = batches(1, 11).get(0);
        for (ModelConfig.Type type : new ModelConfig.Type[] {ModelConfig.Type.DIN, ModelConfig.Type.DIN_PLE}) {
            try (Backend cpu = new CpuBackend(1); Model m = model(cpu, type);
                 Trainer t = new Trainer(m, TrainConfig.builder().optimizer(OptimizerSpec.adam(0.01)).build())) {
                t.step(b, 0);
                for (int task = 0; task < b.tasks(); task++) {
                    Arrays.fill(b.labels(task), 0f);
                }
                for (Param param : m.parameters()) {
                    if (param.name().endsWith(".out.bias")) {
                        float[] v = HostIO.downloadFloats(cpu, param.value());
                        Arrays.fill(v, -80f);
                        HostIO.upload(cpu, param.value(), v);
                        param.changed();
                    }
                }
                float[][] p = m.forward(b, false);
                for (float[] task : p) {
                    for (float x : task) {
                        assertTrue(x > 0 && x < 1e-30,
                                type + ": the logits are not saturated (p = " + x + "), so this test shows nothing");
                    }
                }
                t.step(b, 0);
                assertEquals(0, subnormalDenseGradients(cpu, m),
                        type + ": subnormal dense gradients after a step on saturated negative rows");
            }
        }
    }

    @Test
    void saturatedGatesLeaveNoSubnormalGradients() {
        // Every gate's first expert 80 logits ahead of the others (its bias set there): the others weigh ~1.8e-35,
        // which scaled their experts' gradients and the gates' own into subnormal floats (docs/architecture.md,
        // "Saturated rows give no gradient"). GateOps.PROBABILITY_MIN stores such weights as 0.
        Batch b = batches(1, 12).get(0);
        try (Backend cpu = new CpuBackend(1); Model m = model(cpu, ModelConfig.Type.DIN_PLE);
             Trainer t = new Trainer(m, TrainConfig.builder().optimizer(OptimizerSpec.adam(0.01)).build())) {
            t.step(b, 0);
            int gates = 0;
            for (Param param : m.parameters()) {
                if (param.name().contains(".gate.") && param.name().endsWith(".bias")) {
                    float[] v = HostIO.downloadFloats(cpu, param.value());
                    v[0] = 80f;
                    HostIO.upload(cpu, param.value(), v);
                    param.changed();
                    gates++;
                }
            }
            assertTrue(gates > 0, "no gate biases found, so this test shows nothing");
            t.step(b, 0);
            assertEquals(0, subnormalDenseGradients(cpu, m), "subnormal dense gradients after a step through saturated gates");
        }
    }

    private static long subnormalDenseGradients(Backend backend, Model m) {
        long subnormal = 0;
        for (Param param : m.parameters()) {
            Tensor grad = param.kind() == Param.Kind.EMBEDDING ? null : m.grad(param);
            if (grad != null) {  // none for the running statistics
                for (float g : HostIO.downloadFloats(backend, grad)) {
                    if (g != 0 && Math.abs(g) < Float.MIN_NORMAL) {
                        subnormal++;
                    }
                }
            }
        }
        return subnormal;
    }
}
