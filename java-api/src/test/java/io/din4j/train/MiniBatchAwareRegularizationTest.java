package io.din4j.train;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.backend.Backend;
import io.din4j.backend.cpu.CpuBackend;
import io.din4j.data.Batch;
import io.din4j.data.BatchBuilder;
import io.din4j.data.FeatureSchema;
import io.din4j.data.Row;
import io.din4j.data.Vocabularies;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The DIN paper's Fig. 4 in small: with a heavy-tailed id field (most user ids have one to three training rows and
 * say nothing about the click), Adam without regularization memorises the rare ids and the validation logloss rises
 * after its best epoch; with mini-batch aware regularization (eq. 4, decoupled) it does not, and it loses nothing
 * of the AUC the real signal (the item) allows.
 */
class MiniBatchAwareRegularizationTest {
    private static final int EPOCHS = 5;
    private static final int ITEMS = 40;

    /** Rows of a world where the click depends on the item only; user ids are heavy-tailed noise. */
    private static List<Row> rows(SplittableRandom r, double[] itemEffect, List<Integer> users) {
        List<Row> out = new ArrayList<>();
        for (int u : users) {
            int item = 1 + r.nextInt(ITEMS);
            double p = 1 / (1 + Math.exp(-itemEffect[item]));
            String h = Integer.toString(1 + r.nextInt(ITEMS));
            out.add(new Row(new float[] {r.nextDouble() < p ? 1 : 0},
                    new String[] {"u" + u, Integer.toString(item), Integer.toString(item % 8)},
                    new String[][] {{h}, {Integer.toString(Integer.parseInt(h) % 8)}}, new float[0]));
        }
        return out;
    }

    /** Validation logloss and AUC per epoch. */
    private static double[][] curve(double lambda) {
        SplittableRandom r = new SplittableRandom(11);
        double[] itemEffect = new double[ITEMS + 1];
        for (int i = 1; i <= ITEMS; i++) {
            itemEffect[i] = 1.5 * r.nextGaussian();
        }
        // 1,000 users with 1 to 3 training rows each (Zipf-like: most have one), one validation row each.
        List<Integer> trainUsers = new ArrayList<>();
        List<Integer> validUsers = new ArrayList<>();
        for (int u = 0; u < 1000; u++) {
            int k = 1 + (r.nextDouble() < 0.3 ? 1 + r.nextInt(2) : 0);
            for (int j = 0; j < k; j++) {
                trainUsers.add(u);
            }
            validUsers.add(u);
        }
        Collections.shuffle(trainUsers, new Random(5));
        List<Row> train = rows(r, itemEffect, trainUsers);
        List<Row> valid = rows(r, itemEffect, validUsers);
        FeatureSchema schema = FeatureSchema.canonical(List.of("label"));
        Vocabularies v = Vocabularies.build(schema, train.iterator(), 1);
        BatchBuilder builder = new BatchBuilder(v, 0);
        List<Batch> trainBatches = new ArrayList<>();
        builder.batches(train.iterator(), 64).forEachRemaining(trainBatches::add);
        List<Batch> validBatches = new ArrayList<>();
        builder.batches(valid.iterator(), 512).forEachRemaining(validBatches::add);
        ModelConfig config = ModelConfig.builder(ModelConfig.Type.DIN).embeddingDim(4).attentionHidden(4).mlpHidden(16, 8)
                .tasks("label").maxHistory(4).seed(3).build();
        TrainConfig tc = TrainConfig.builder().epochs(EPOCHS).optimizer(OptimizerSpec.adam(0.01)).mbaLambda(lambda)
                .restoreBest(false).build();
        try (Backend cpu = new CpuBackend(2); Model m = Model.create(config, schema, v.asMap(), cpu, 512);
             Trainer t = new Trainer(m, tc)) {
            Trainer.Result res = t.fit(trainBatches, validBatches);
            double[][] c = new double[2][EPOCHS];
            for (int e = 0; e < EPOCHS; e++) {
                c[0][e] = res.epochs().get(e).validation().get("label").logloss();
                c[1][e] = res.epochs().get(e).validation().get("label").auc();
            }
            return c;
        }
    }

    private static double min(double[] x) {
        return java.util.Arrays.stream(x).min().orElseThrow();
    }

    private static double max(double[] x) {
        return java.util.Arrays.stream(x).max().orElseThrow();
    }

    @Test
    void regularizationStopsTheRareIdsFromOverfitting() {
        double[][] plain = curve(0);
        double[][] mba = curve(LAMBDA);
        String curves = "validation logloss without: " + java.util.Arrays.toString(plain[0]) + "\nwith: " + java.util.Arrays.toString(mba[0])
                + "\nAUC without: " + java.util.Arrays.toString(plain[1]) + "\nwith: " + java.util.Arrays.toString(mba[1]);
        // Without regularization the validation logloss ends well above its best epoch: overfitting.
        assertTrue(plain[0][EPOCHS - 1] > min(plain[0]) + 0.05, "expected the unregularized run to overfit\n" + curves);
        // With it the curve stays at its best; its best AUC is the unregularized run's best (the item signal is
        // kept), and at the last epoch it is clearly ahead of the overfitted run.
        assertTrue(mba[0][EPOCHS - 1] < min(mba[0]) + 0.01, "expected no overfitting with regularization\n" + curves);
        assertTrue(max(mba[1]) > max(plain[1]) - 0.005, "regularization should keep the item signal\n" + curves);
        assertTrue(mba[1][EPOCHS - 1] > plain[1][EPOCHS - 1] + 0.02, "regularization should beat the overfitted run\n" + curves);
    }

    /** λ for Adam at lr 0.01: η·λ = 5, every touched row decays by exp(−5/n_j). */
    private static final double LAMBDA = 500;
}
