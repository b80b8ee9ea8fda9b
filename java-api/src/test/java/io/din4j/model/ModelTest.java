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
}
