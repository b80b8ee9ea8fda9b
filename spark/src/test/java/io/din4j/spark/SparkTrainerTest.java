package io.din4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.din4j.backend.Backend;
import io.din4j.backend.Backends;
import io.din4j.data.Batch;
import io.din4j.data.Vocabulary;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.train.OptimizerSpec;
import io.din4j.train.TrainConfig;
import io.din4j.train.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class SparkTrainerTest {
    private static final int BATCH = 64;

    /**
     * Two workers in local[2], averaging every 5 steps, against single-process training with the same model seed,
     * batch size, optimizer and epochs: the test AUCs differ by at most 0.005 (the bound). Both models are
     * trained to their plateau on this world, where the difference reflects the algorithm, not the noise of an
     * unfinished run.
     */
    @Test
    void twoWorkersReachTheAucOfSingleProcessTraining() {
        TestWorld world = new TestWorld(11, 300, 16, 6);
        Map<String, Vocabulary> vocab = TestWorld.vocabularies(world.train);
        ModelConfig config = ModelConfig.builder(ModelConfig.Type.DIN).embeddingDim(8).attentionHidden(16, 8)
                .mlpHidden(24, 12).tasks("label").seed(5).build();
        TrainConfig train = TrainConfig.builder().epochs(EPOCHS).optimizer(OptimizerSpec.adam(4e-3)).build();
        List<Batch> test = batches(world.test, vocab);
        double single;
        double parallel;
        try (Backend cpu = Backends.create("cpu", 1)) {
            try (Model model = Model.create(config, TestWorld.SCHEMA, vocab, cpu, BATCH);
                 Trainer trainer = new Trainer(model, train)) {
                trainer.fit(batches(world.train, vocab), null);
                single = Trainer.evaluate(model, test).get("label").auc();
            }
            try (Model model = Model.create(config, TestWorld.SCHEMA, vocab, cpu, BATCH)) {
                Dataset<Row> df = SparkTestSession.get().createDataFrame(world.train, TestWorld.FRAME);
                SparkTrainer.Result r = SparkTrainer.fit(df, model, train,
                        SparkTrainer.Options.defaults().withBatchSize(BATCH).withSyncEvery(5).withWorkers(2));
                assertEquals(2, r.workers());
                assertEquals(world.train.size(), r.rowsPerWorker()[0] + r.rowsPerWorker()[1]);
                assertEquals((long) EPOCHS * r.stepsPerEpoch() * 2, r.rounds().stream().mapToLong(x -> x.samples()).sum() / BATCH, 1.0 * EPOCHS * 2);
                parallel = Trainer.evaluate(model, test).get("label").auc();
            }
        }
        System.out.printf("single-process AUC %.4f, 2 workers AUC %.4f%n", single, parallel);
        assertTrue(single > 0.75, "single-process training should learn the world, AUC " + single);
        assertEquals(single, parallel, 0.005, "AUC of 2-worker training vs single process");
    }

    private static final int EPOCHS = 4;

    static List<Batch> batches(List<Row> rows, Map<String, Vocabulary> vocab) {
        List<Batch> out = new ArrayList<>();
        for (int from = 0; from < rows.size(); from += BATCH) {
            out.add(SparkScorerTest.referenceBatch(rows.subList(from, Math.min(rows.size(), from + BATCH)), vocab, 0));
        }
        return out;
    }
}
