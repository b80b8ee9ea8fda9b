package io.din4j.train;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.backend.Backend;
import io.din4j.backend.cpu.CpuBackend;
import io.din4j.data.Batch;
import io.din4j.data.FeatureSchema;
import io.din4j.graph.HostIO;
import io.din4j.graph.Param;
import io.din4j.io.ModelFiles;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.model.TestData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A NaN or infinity in a loss or a gradient stops training with a {@link NumericalFaultException} naming the tensor
 * and the step, before the optimizer update; checkpoints written before the fault stay loadable and hold the last
 * good weights.
 */
class NumericalFaultTest {
    static final int[] VOCAB = {6, 30, 5, 4};
    final FeatureSchema schema = TestData.fullSchema();

    @TempDir
    Path tmp;

    private List<Batch> batches(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Batch> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(TestData.random(schema, VOCAB, TestData.lengths(10, 6, r), r));
        }
        return out;
    }

    private Model model(Backend cpu, ModelConfig config) {
        return Model.create(config, schema, TestData.vocabularies(schema, VOCAB), cpu, 16);
    }

    private static void poke(Backend cpu, Param p, int index, float value) {
        float[] v = HostIO.downloadFloats(cpu, p.value());
        v[index] = value;
        HostIO.upload(cpu, p.value(), v);
        p.changed();
    }

    private static List<float[]> snapshot(Backend cpu, Model m) {
        List<float[]> out = new ArrayList<>();
        for (Param p : m.parameters()) {
            out.add(HostIO.downloadFloats(cpu, p.value()));
        }
        return out;
    }

    private static void assertSameWeights(List<float[]> expected, Backend cpu, Model m) {
        for (int i = 0; i < expected.size(); i++) {
            Param p = m.parameters().get(i);
            assertArrayEquals(expected.get(i), HostIO.downloadFloats(cpu, p.value()), 0f, p.name());
        }
    }

    @Test
    void nanInAWeightStopsTrainingNamingTheWeightAndTheStep() {
        List<Batch> data = batches(4, 1);
        Path ckpt = tmp.resolve("ckpt");
        try (Backend cpu = new CpuBackend(1); Model m = model(cpu, TestData.small(ModelConfig.Type.DIN));
             Trainer t = new Trainer(m, TrainConfig.builder().optimizer(OptimizerSpec.adam(0.01)).build())) {
            for (int i = 0; i < 3; i++) {
                t.step(data.get(i), 0);
            }
            t.checkpoint(ckpt);
            List<float[]> good = snapshot(cpu, m);
            // A weight deep in the output MLP: the fault must be traced to it, not just to the loss.
            Param victim = m.parameters().stream().filter(p -> p.kind() == Param.Kind.DENSE && p.name().startsWith("mlp.")
                    && p.value().rank() == 2).skip(1).findFirst().orElseThrow();
            poke(cpu, victim, 1, Float.NaN);
            NumericalFaultException e = assertThrows(NumericalFaultException.class, () -> t.step(data.get(3), 0));
            assertEquals(victim.name(), e.tensor(), e.getMessage());
            assertEquals(3, e.step());
            assertTrue(e.getMessage().contains("'" + victim.name() + "'") && e.getMessage().contains("step 3"), e.getMessage());
            assertEquals(3, t.steps(), "the failed step must not count");
            try (Model back = ModelFiles.load(ckpt, cpu, 16)) {
                assertSameWeights(good, cpu, back);
            }
        }
    }

    @Test
    void overflowingGradientsAreRefusedBeforeTheUpdate() {
        // A task weight of Float.MAX_VALUE keeps the loss finite (losses are reported unweighted) but scales every
        // gradient past the float range as it flows back through the layers.
        ModelConfig cfg = TestData.small(ModelConfig.Type.DIN).toBuilder()
                .tasks(List.of(new ModelConfig.TaskSpec("click", Float.MAX_VALUE, 1), new ModelConfig.TaskSpec("buy", Float.MAX_VALUE, 1)))
                .build();
        List<Batch> data = batches(1, 2);
        try (Backend cpu = new CpuBackend(1); Model m = model(cpu, cfg);
             Trainer t = new Trainer(m, TrainConfig.builder().optimizer(OptimizerSpec.sgd(0.1)).build())) {
            List<float[]> before = snapshot(cpu, m);
            NumericalFaultException e = assertThrows(NumericalFaultException.class, () -> t.step(data.get(0), 0));
            assertTrue(e.getMessage().startsWith("gradient of '" + e.tensor() + "'"), e.getMessage());
            assertNotNull(m.parameter(e.tensor()));
            assertEquals(0, e.step());
            assertSameWeights(before, cpu, m);
        }
    }

    @Test
    void fitKeepsTheLastGoodCheckpointWhenAFaultStopsIt() {
        List<Batch> train = batches(4, 3);
        Path dir = tmp.resolve("fit");
        try (Backend cpu = new CpuBackend(1); Model m = model(cpu, TestData.small(ModelConfig.Type.DIN_PLE));
             Trainer t = new Trainer(m, TrainConfig.builder().optimizer(OptimizerSpec.adam(0.01)).epochs(3)
                     .checkpointDir(dir).progressEvery(2).build())) {
            List<List<float[]>> atEpochEnd = new ArrayList<>();
            t.addListener(new TrainListener() {
                @Override
                public void onEpochEnd(EpochReport r) {
                    atEpochEnd.add(snapshot(cpu, m));
                }

                @Override
                public void onProgress(Progress p) {
                    if (p.epoch() == 1) {
                        poke(cpu, m.parameter("emb.item_id"), 3, Float.POSITIVE_INFINITY);
                    }
                }
            });
            NumericalFaultException e = assertThrows(NumericalFaultException.class, () -> t.fit(train, null));
            assertEquals("emb.item_id", e.tensor(), e.getMessage());
            assertEquals(1, e.epoch());
            assertEquals(6, e.step(), "epoch 0 took steps 0-3, epoch 1 steps 4-5 before the fault");
            assertEquals(1, atEpochEnd.size());
            try (Model back = ModelFiles.load(dir.resolve("last"), cpu, 16)) {
                assertSameWeights(atEpochEnd.get(0), cpu, back);
            }
        }
    }
}
