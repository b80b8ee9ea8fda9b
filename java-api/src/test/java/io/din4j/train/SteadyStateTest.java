package io.din4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.din4j.backend.Backend;
import io.din4j.backend.cpu.CpuBackend;
import io.din4j.data.Batch;
import io.din4j.data.FeatureSchema;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.model.TestData;
import io.din4j.tensor.HostArena;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The static graph plans its buffers once per model and maximum batch (issue 3, "no allocation per step"): once the
 * first steps have planned the session, further training steps and inference calls hold no more native memory.
 */
class SteadyStateTest {
    @Test
    void trainingAndInferenceStepsAllocateNoNativeMemory() {
        FeatureSchema schema = TestData.fullSchema();
        int[] vocab = {6, 30, 5, 4};
        SplittableRandom r = new SplittableRandom(3);
        List<Batch> data = new ArrayList<>();
        // Batch sizes 1..16 and histories up to 6 (including empty ones), all within the planned maximum.
        for (int b : new int[] {16, 1, 9, 16, 5}) {
            data.add(TestData.random(schema, vocab, TestData.lengths(b, 6, r), r));
        }
        TrainConfig cfg = TrainConfig.builder().embeddings(OptimizerSpec.adam(0.01)).dense(OptimizerSpec.adam(0.01))
                .mbaLambda(0.01).build();
        for (ModelConfig.Type type : new ModelConfig.Type[] {ModelConfig.Type.DIN, ModelConfig.Type.DIN_PLE}) {
            long before = HostArena.liveBytes();
            try (Backend backend = new CpuBackend(2);
                 Model model = Model.create(TestData.small(type), schema, TestData.vocabularies(schema, vocab), backend, 16);
                 Trainer trainer = new Trainer(model, cfg)) {
                // First pass: plans the training and inference sessions (and any lazily created optimizer state).
                for (Batch b : data) {
                    trainer.step(b, 0);
                    model.compute(b, false);
                }
                long planned = HostArena.liveBytes();
                // The model's buffers live in host arenas, so the count below can see a per-step allocation.
                assertTrue(planned > before, type + ": no host arena memory counted (" + before + " -> " + planned + ")");
                for (int pass = 0; pass < 3; pass++) {
                    for (Batch b : data) {
                        trainer.step(b, pass);
                        model.compute(b, false);
                    }
                }
                assertEquals(planned, HostArena.liveBytes(), type + ": native bytes held after the first pass vs after three more");
            }
        }
    }
}
