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
import io.din4j.backend.Activation;
import io.din4j.graph.HostIO;
import io.din4j.graph.Param;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class SparkTrainerTest {
    private static final int BATCH = 64;

    /**
     * Two workers in local[2], averaging every 5 steps, against single-process training with the same model seed,
     * batch size, optimizer (Adam 2e-3) and epochs (3): the best test AUC over the epochs of each differs by at most
     * 0.005 (the bound). The best epoch is compared because averaging K workers advances the model by about
     * one worker's steps per round (docs/spark.md), so the two runs peak at different epochs; both then sit on the
     * same plateau of this world, where the difference reflects the algorithm rather than an unfinished run.
     */
    @Test
    void twoWorkersReachTheAucOfSingleProcessTraining() {
        TestWorld world = new TestWorld(11, 200, 60, 20);
        Map<String, Vocabulary> vocab = TestWorld.vocabularies(world.train);
        ModelConfig config = ModelConfig.builder(ModelConfig.Type.DIN).embeddingDim(8).attentionHidden(16, 8)
                .mlpHidden(24, 12).tasks("label").seed(5).build();
        TrainConfig train = TrainConfig.builder().epochs(EPOCHS).optimizer(OptimizerSpec.adam(2e-3)).build();
        List<Batch> test = batches(world.test, vocab);
        double single;
        double[] parallel = {0};
        try (Backend cpu = Backends.create("cpu", 1)) {
            try (Model model = Model.create(config, TestWorld.SCHEMA, vocab, cpu, BATCH);
                 Trainer trainer = new Trainer(model, train)) {
                single = trainer.fit(batches(world.train, vocab), test).bestMetric();
            }
            try (Model model = Model.create(config, TestWorld.SCHEMA, vocab, cpu, BATCH)) {
                Dataset<Row> df = SparkTestSession.get().createDataFrame(world.train, TestWorld.FRAME);
                List<Double> epochAuc = new ArrayList<>();
                SparkTrainer.Result r = SparkTrainer.fit(df, model, train,
                        SparkTrainer.Options.defaults().withBatchSize(BATCH).withSyncEvery(5).withWorkers(2), round -> {
                            if (round.endsEpoch()) {
                                epochAuc.add(Trainer.evaluate(model, test).get("label").auc());
                            }
                        });
                assertEquals(2, r.workers());
                assertEquals(world.train.size(), r.rowsPerWorker()[0] + r.rowsPerWorker()[1]);
                assertEquals(EPOCHS, epochAuc.size(), "one validation per epoch");
                long steps = (long) EPOCHS * r.stepsPerEpoch();
                assertEquals((steps + 4) / 5, r.rounds().size());
                parallel[0] = epochAuc.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
                System.out.println("2 workers, AUC per epoch " + epochAuc);
            }
        }
        System.out.printf("best AUC: single process %.4f, 2 workers %.4f%n", single, parallel[0]);
        assertTrue(single > 0.7, "single-process training should learn the world, AUC " + single);
        assertEquals(single, parallel[0], 0.005, "best AUC of 2-worker training vs single process");
    }

    private static final int EPOCHS = 3;

    /**
     * The relation to synchronous SGD that docs/spark.md states, checked on one round: plain SGD, one step per round
     * (syncEvery 1), a model without batch statistics (PReLU instead of Dice), two workers of 32 rows. Averaging the
     * replicas then gives every dense tensor the single-process SGD step on all 64 rows (the mean of the two
     * workers' mean-loss gradients is the 64-row mean-loss gradient); an embedding row touched by both workers also
     * gets exactly that step, a row touched by one worker twice that step (it is averaged over the one worker that
     * touched it, not over both).
     *
     * <p>Tolerance on each parameter's move δ: |δ_spark − c·δ_single| ≤ 1e-3·|c·δ_single| + 1e-4·max|δ_single| +
     * 4·ulp(w): the gradients are summed in another grouping (two sums of 32 rows instead of one of 64) in float, and
     * the moves are differences of float weights (each replica rounded once, the average once more, the
     * single-process weight once), so they agree only to a few ulps of the weight itself.
     */
    @Test
    void oneRoundOfPlainSgdIsTheSynchronousSgdStepForDenseTensors() {
        TestWorld world = new TestWorld(21, 8, 8, 0);
        List<Row> rows = world.train.subList(0, 64);
        Map<String, Vocabulary> vocab = TestWorld.vocabularies(rows);
        ModelConfig config = ModelConfig.builder(ModelConfig.Type.DIN).embeddingDim(4).attentionHidden(8)
                .attentionActivation(Activation.PRELU).mlpHidden(8).mlpActivation(Activation.PRELU).tasks("label")
                .seed(9).build();
        TrainConfig sgd = TrainConfig.builder().optimizer(OptimizerSpec.sgd(0.5)).build();
        try (Backend cpu = Backends.create("cpu", 1);
             Model single = Model.create(config, TestWorld.SCHEMA, vocab, cpu, 64);
             Model parallel = Model.create(config, TestWorld.SCHEMA, vocab, cpu, 64);
             Model initial = Model.create(config, TestWorld.SCHEMA, vocab, cpu, 64);
             Trainer trainer = new Trainer(single, sgd)) {
            trainer.step(SparkScorerTest.referenceBatch(rows, vocab, 0), 0);
            // Two partitions in order: rows 0-31 and 32-63 (checked below through the rows each worker holds).
            Dataset<Row> df = SparkTestSession.get().createDataFrame(rows, TestWorld.FRAME).coalesce(1).repartitionByRange(2,
                    org.apache.spark.sql.functions.col("row_id"));
            SparkTrainer.Result r = SparkTrainer.fit(df, parallel, sgd,
                    SparkTrainer.Options.defaults().withBatchSize(32).withSyncEvery(1));
            assertEquals(1, r.rounds().size());
            assertEquals(List.of(32L, 32L), List.of(r.rowsPerWorker()[0], r.rowsPerWorker()[1]));
            Set<String> itemsA = items(rows.subList(0, 32));
            Set<String> itemsB = items(rows.subList(32, 64));
            Vocabulary items = vocab.get("item_id");
            for (Param p : initial.parameters()) {
                float[] w0 = HostIO.downloadFloats(cpu, p.value());
                float[] ws = HostIO.downloadFloats(cpu, single.parameter(p.name()).value());
                float[] wp = HostIO.downloadFloats(cpu, parallel.parameter(p.name()).value());
                double scale = 0;
                for (int i = 0; i < w0.length; i++) {
                    scale = Math.max(scale, Math.abs((double) ws[i] - w0[i]));
                }
                int width = p.kind() == Param.Kind.EMBEDDING ? (int) p.value().dim(1) : w0.length;
                for (int i = 0; i < w0.length; i++) {
                    double c = 1;
                    if (p.name().contains("item_id") && p.kind() == Param.Kind.EMBEDDING) {
                        String token = items.token(i / width);
                        c = itemsA.contains(token) != itemsB.contains(token) ? 2 : 1;
                    } else if (p.kind() == Param.Kind.EMBEDDING) {
                        continue; // touched-by-one-or-both is only tracked for the item table here
                    }
                    double want = c * ((double) ws[i] - w0[i]);
                    double got = (double) wp[i] - w0[i];
                    assertEquals(want, got, 1e-3 * Math.abs(want) + 1e-4 * scale + 4 * Math.ulp(Math.abs(w0[i])),
                            p.name() + "[" + i + "]: single-process move " + want + " (×" + c + "), 2 workers " + got);
                }
            }
        }
    }

    private static Set<String> items(List<Row> rows) {
        Set<String> s = new HashSet<>();
        for (Row r : rows) {
            s.add(r.getString(3));
            s.addAll(List.of(r.getString(6).split(" ")));
        }
        return s;
    }

    static List<Batch> batches(List<Row> rows, Map<String, Vocabulary> vocab) {
        List<Batch> out = new ArrayList<>();
        for (int from = 0; from < rows.size(); from += BATCH) {
            out.add(SparkScorerTest.referenceBatch(rows.subList(from, Math.min(rows.size(), from + BATCH)), vocab, 0));
        }
        return out;
    }
}
