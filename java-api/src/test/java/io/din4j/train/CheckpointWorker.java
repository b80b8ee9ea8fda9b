package io.din4j.train;

import io.din4j.backend.Backend;
import io.din4j.backend.cpu.CpuBackend;
import io.din4j.data.Batch;
import io.din4j.data.FeatureSchema;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.model.TestData;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * The training process {@link CheckpointKillTest} kills: trains a small DIN model on {@link #batch deterministic
 * batches}, writing a resumable checkpoint after every step (printing {@code saving <n>} before and {@code saved <n>} after
 * it), until killed or {@code steps} steps are done. Arguments: checkpoint directory, steps.
 */
public final class CheckpointWorker {
    static final int[] VOCAB = {6, 30, 5, 4};
    static final FeatureSchema SCHEMA = TestData.fullSchema();

    private CheckpointWorker() {
    }

    static ModelConfig config() {
        return TestData.small(ModelConfig.Type.DIN);
    }

    static TrainConfig trainConfig() {
        return TrainConfig.builder().embeddings(OptimizerSpec.adagrad(0.05)).dense(OptimizerSpec.adam(0.01)).mbaLambda(0.01)
                .warmupSteps(5).build();
    }

    static Model newModel(Backend backend) {
        return Model.create(config(), SCHEMA, TestData.vocabularies(SCHEMA, VOCAB), backend, 16);
    }

    /** Batch {@code i} of the run: the same in every process. */
    static Batch batch(long i) {
        SplittableRandom r = new SplittableRandom(1000 + i);
        return TestData.random(SCHEMA, VOCAB, TestData.lengths(12, 6, r), r);
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        long steps = Long.parseLong(args[1]);
        try (Backend cpu = new CpuBackend(1); Model m = newModel(cpu); Trainer t = new Trainer(m, trainConfig())) {
            for (long i = 0; i < steps; i++) {
                t.step(batch(i), 0);
                // "saving n" lets the test aim its kill into the save of step n; "saved n" follows it.
                System.out.println("saving " + t.steps());
                System.out.flush();
                t.checkpoint(dir);
                System.out.println("saved " + t.steps());
                System.out.flush();
                // A pause before the next step, so that a kill aimed a few milliseconds into the save of step n cannot
                // land after step n + 1's save as well: steps and saves of this small model take a few milliseconds,
                // and a kill 8 ms after "saving 6" once found the checkpoint at step 7 (CheckpointKillTest).
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
