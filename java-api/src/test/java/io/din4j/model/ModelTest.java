package io.din4j.model;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.backend.Backend;
import io.din4j.backend.cpu.CpuBackend;
import io.din4j.data.Batch;
import io.din4j.data.Batches;
import io.din4j.data.FeatureSchema;
import io.din4j.graph.Param;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ModelTest {
    static final int[] VOCAB = {6, 20, 5, 4};
    final FeatureSchema schema = TestData.fullSchema();

    @Test
    void emptyHistoriesLongHistoriesAndBatchLimits() {
        ModelConfig config = TestData.small(ModelConfig.Type.DIN).toBuilder().maxHistory(2).build();
        SplittableRandom r = new SplittableRandom(2);
        try (Backend cpu = new CpuBackend(1); Model m = new Model(config, schema, VOCAB, cpu, 8)) {
            // A batch where nobody has a history (T = 0).
            Batch empty = TestData.random(schema, VOCAB, new int[] {0, 0, 0}, r);
            float[][] p = m.forward(empty, false);
            for (float v : p[0]) {
                assertTrue(v > 0 && v < 1);
            }
            // Longer than the planned history: the session re-plans and scores it.
            Batch longer = TestData.random(schema, VOCAB, new int[] {9, 1, 5}, r);
            float[][] q = m.forward(longer, false);
            assertEquals(9, m.lastHistory());
            assertEquals(9 * 3, m.attentionWeights().length);
            // The same rows one by one give the same scores (padding does not leak into a row).
            for (int i = 0; i < 3; i++) {
                assertEquals(q[1][i], m.forward(Batches.slice(longer, i, i + 1), false)[1][0], 1e-6f, "row " + i);
            }
            // Training also survives the re-plan.
            m.compute(longer, true);
            assertTrue(Double.isFinite(m.backward()[0]));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.forward(TestData.random(schema, VOCAB, new int[9], r), false));
            assertTrue(e.getMessage().contains("9 rows"), e.getMessage());
        }
    }

    @Test
    void parameterNamesAreStableAndDocumented() {
        try (Backend cpu = new CpuBackend(1); Model m = new Model(TestData.small(ModelConfig.Type.DIN_PLE), schema, VOCAB, cpu, 4)) {
            Set<String> names = new HashSet<>();
            m.parameters().forEach(p -> names.add(p.name()));
            for (String n : List.of("emb.user_id", "emb.item_id", "attention.fc0.weight", "attention.fc0.dice.running_mean",
                    "attention.out.weight", "ple.level0.experts.fc0.weight", "ple.level1.experts.click.fc0.weight",
                    "ple.level1.experts.shared.fc0.weight", "ple.level0.gate.click.weight", "ple.level0.gate.shared.weight",
                    "tower.buy.out.weight")) {
                assertTrue(names.contains(n), "missing " + n + " in " + names);
            }
            // The attention unit's first layer reads [q, k, q-k, q*k]: 4·D with D = 2 sequences · dim 3.
            assertArrayEquals(new long[] {5, 24}, m.parameter("attention.fc0.weight").value().shape());
            // Level 0 of PLE: 2 tasks · 1 specific + 2 shared = 4 experts of width 4 in one wide layer.
            assertArrayEquals(new long[] {16, m.parameter("ple.level0.experts.fc0.weight").value().dim(1)},
                    m.parameter("ple.level0.experts.fc0.weight").value().shape());
            assertEquals(Param.Kind.STATE, m.parameter("attention.fc0.dice.running_var").kind());
            assertEquals(List.of("click@0", "buy@0", "shared@0", "click@1", "buy@1"), m.gateKeys());
            assertEquals(3, m.gateWidth("click", 0));
        }
    }

    @Test
    void configAndSchemaMustAgreeOnTasks() {
        try (Backend cpu = new CpuBackend(1)) {
            ModelConfig one = TestData.small(ModelConfig.Type.DIN).toBuilder().tasks("click").build();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Model(one, schema, VOCAB, cpu, 4));
            assertTrue(e.getMessage().contains("[click]") && e.getMessage().contains("[click, buy]"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new Model(TestData.small(ModelConfig.Type.DIN), schema, new int[] {3, 3}, cpu, 4));
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(ModelConfig.Type.class)
    void cpuBackendMatchesTheReferenceOnWholeModels(ModelConfig.Type type) {
        SplittableRandom r = new SplittableRandom(13);
        // Odd widths and a batch that is not a multiple of any lane count exercise the kernels' tails.
        ModelConfig config = ModelConfig.builder(type).embeddingDim(5).attentionHidden(17, 7).mlpHidden(23, 9)
                .expertHidden(13, 6).towerHidden(5).tasks("click", "buy").maxHistory(8).seed(3).build();
        Batch batch = TestData.random(schema, VOCAB, TestData.lengths(37, 11, r), r);
        try (Backend ref = new io.din4j.backend.reference.ReferenceBackend(); Backend cpu = new CpuBackend(2);
             Model a = new Model(config, schema, VOCAB, ref, 64); Model b = new Model(config, schema, VOCAB, cpu, 64)) {
            float[][] pa = a.forward(batch, true);
            float[][] pb = b.forward(batch, true);
            double[] la = a.backward();
            double[] lb = b.backward();
            for (int k = 0; k < 2; k++) {
                // f32 on both sides, different summation orders: 1e-5 absolute on probabilities, 1e-5 relative on losses.
                for (int i = 0; i < pa[k].length; i++) {
                    assertEquals(pa[k][i], pb[k][i], 1e-5, type + " task " + k + " row " + i);
                }
                assertEquals(la[k], lb[k], 1e-5 * Math.abs(la[k]) + 1e-6, type + " loss " + k);
            }
            for (int i = 0; i < a.parameters().size(); i++) {
                Param p = a.parameters().get(i);
                if (p.kind() != Param.Kind.DENSE) {
                    continue;
                }
                float[] ga = io.din4j.graph.HostIO.downloadFloats(ref, a.grad(p));
                float[] gb = io.din4j.graph.HostIO.downloadFloats(cpu, b.grad(b.parameters().get(i)));
                double scale = 0;
                for (float g : ga) {
                    scale = Math.max(scale, Math.abs(g));
                }
                for (int j = 0; j < ga.length; j++) {
                    // Relative to the tensor's largest gradient: f32 sums over 37 rows and up to 11 behaviours.
                    assertEquals(ga[j], gb[j], 1e-4 * scale + 1e-7, type + " " + p.name() + "[" + j + "]");
                }
            }
            float[][] ia = a.forward(batch, false);
            float[][] ib = b.forward(batch, false);
            for (int i = 0; i < ia[0].length; i++) {
                assertEquals(ia[0][i], ib[0][i], 1e-5, type + " inference row " + i);
            }
        }
    }

    /**
     * Two training sessions of one model (the model's own and one from {@link Model#newSession}) keep separate
     * gradients: the second's backward pass must not overwrite, or take over, the first's (they once lived on the
     * shared {@link Param}s, so the second graph's finish() silently redirected the first one's gradients).
     */
    @Test
    void twoTrainingSessionsKeepTheirOwnGradients() {
        SplittableRandom r = new SplittableRandom(9);
        Batch first = TestData.random(schema, VOCAB, new int[] {3, 1, 2}, r);
        Batch second = TestData.random(schema, VOCAB, new int[] {2, 4, 0, 1}, r);
        try (Backend ref = new io.din4j.backend.reference.ReferenceBackend();
             Model m = new Model(TestData.small(ModelConfig.Type.DIN), schema, VOCAB, ref, 8)) {
            double[] w = new double[m.config().tasks().size()];
            java.util.Arrays.fill(w, 1.0);
            m.compute(first, true);
            m.backward(w);
            Param dense = m.parameters().stream().filter(p -> p.kind() == Param.Kind.DENSE).findFirst().orElseThrow();
            Param table = m.parameters().stream().filter(p -> p.kind() == Param.Kind.EMBEDDING).findFirst().orElseThrow();
            float[] denseFirst = io.din4j.graph.HostIO.downloadFloats(ref, m.grad(dense));
            int rowsFirst = m.sparseGrad(table).count();
            float[] tableFirst = io.din4j.graph.HostIO.downloadFloats(ref, m.sparseGrad(table).values().rows(0, rowsFirst));

            try (Session other = m.newSession(Session.Mode.TRAINING, 8)) {
                other.run(second, true);
                other.backward(w);
                // The model's own gradients are untouched...
                assertArrayEquals(denseFirst, io.din4j.graph.HostIO.downloadFloats(ref, m.grad(dense)));
                assertEquals(rowsFirst, m.sparseGrad(table).count());
                assertArrayEquals(tableFirst, io.din4j.graph.HostIO.downloadFloats(ref, m.sparseGrad(table).values().rows(0, rowsFirst)));
                // ...and the other session has its own, those of its batch: what the model computes for that batch.
                assertNotSame(m.grad(dense), other.graph().grad(dense));
                float[] denseOther = io.din4j.graph.HostIO.downloadFloats(ref, other.graph().grad(dense));
                assertFalse(java.util.Arrays.equals(denseFirst, denseOther), "different batches, different gradients");
                m.compute(second, true);
                m.backward(w);
                assertArrayEquals(denseOther, io.din4j.graph.HostIO.downloadFloats(ref, m.grad(dense)));
            }
        }
    }
}
