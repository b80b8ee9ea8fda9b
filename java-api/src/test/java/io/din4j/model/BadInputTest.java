package io.din4j.model;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.backend.Backend;
import io.din4j.backend.cpu.CpuBackend;
import io.din4j.data.Batch;
import io.din4j.data.FeatureSchema;
import io.din4j.data.Vocabulary;
import io.din4j.graph.HostIO;
import io.din4j.data.Batches;
import io.din4j.predict.Predictor;
import io.din4j.train.OptimizerSpec;
import io.din4j.train.TrainConfig;
import io.din4j.train.Trainer;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every bad input at the API has a defined behaviour: an {@link IllegalArgumentException} naming the field, the row
 * and the value, thrown before anything changes (the weights after a rejected training batch are those before it),
 * or — for raw ids never seen in training — the documented out-of-vocabulary row.
 */
class BadInputTest {
    static final int[] VOCAB = {6, 9, 5, 4};
    static final int MAX_BATCH = 8;
    final FeatureSchema schema = TestData.fullSchema();
    Backend cpu;
    Model model;
    Trainer trainer;

    @BeforeEach
    void setUp() {
        cpu = new CpuBackend(1);
        model = Model.create(TestData.small(ModelConfig.Type.DIN_PLE), schema, TestData.vocabularies(schema, VOCAB), cpu, MAX_BATCH);
        trainer = new Trainer(model, TrainConfig.builder().optimizer(OptimizerSpec.adam(0.01)).build());
    }

    @AfterEach
    void tearDown() {
        trainer.close();
        model.close();
        cpu.close();
    }

    private Batch good(long seed) {
        return TestData.random(schema, VOCAB, new int[] {2, 0, 5, 3}, new SplittableRandom(seed));
    }

    /** A copy of a good batch with one array edited. */
    private Batch edited(Consumer<Batch> edit) {
        Batch b = Batches.slice(good(1), 0, 4);
        edit.accept(b);
        return b;
    }

    private float[] weights(String name) {
        return HostIO.downloadFloats(cpu, model.parameter(name).value());
    }

    /** Scoring and a training step both reject {@code bad} with a message containing every {@code parts}. */
    private void rejected(Batch bad, boolean trainingOnly, String... parts) {
        String emb = model.parameters().get(1).name();
        float[] before = weights(emb);
        List<Runnable> calls = trainingOnly ? List.of(() -> trainer.step(bad, 0))
                : List.of(() -> model.forward(bad, false), () -> trainer.step(bad, 0));
        for (Runnable call : calls) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
            for (String p : parts) {
                assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' lacks '" + p + "'");
            }
        }
        assertArrayEquals(before, weights(emb), 0f, "a rejected batch changed " + emb);
        // The model is still usable afterwards.
        trainer.step(good(2), 0);
    }

    @Test
    void idsOutsideTheTableAreRejectedNamingTheField() {
        rejected(edited(b -> b.sparse(1)[2] = VOCAB[1]), false, "sparse field 'item_id'", "row 2", "id 9", "9 rows");
        rejected(edited(b -> b.sparse(3)[0] = -1), false, "sparse field 'shop'", "row 0", "id -1");
        rejected(edited(b -> b.sequence(1)[2 * b.history() + 0] = 1_000_000), false, "sequence 'hist_cate_id'", "row 2", "position 0",
                "id 1000000");
    }

    @Test
    void unseenRawIdsUseTheOutOfVocabularyRow() {
        Vocabulary items = model.vocabularies().get("item_id");
        assertEquals(Vocabulary.OOV, items.indexOf("never-seen"));
        assertEquals(Vocabulary.OOV, items.add("never-seen"), "a frozen vocabulary does not grow");
        Batch oov = edited(x -> {
            x.sparse(1)[0] = items.indexOf("never-seen");
            x.sequence(0)[2 * x.history()] = items.indexOf("also-never-seen");
        });
        for (float[] task : model.forward(oov, false)) {
            for (float p : task) {
                assertTrue(p > 0 && p < 1, "probability " + p);
            }
        }
        trainer.step(oov, 0);
    }

    @Test
    void lengthsThatDisagreeOrFallOutsideTheHistoryAreRejected() {
        Batch g = good(4);
        // Negative and oversized lengths are caught when the batch is built.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Batch(4, g.history(),
                new int[][] {g.sparse(0), g.sparse(1), g.sparse(2), g.sparse(3)}, new int[][] {g.sequence(0), g.sequence(1)},
                new int[] {2, -1, 5, 3}, new float[][] {g.dense(0), g.dense(1)}, new float[][] {g.labels(0), g.labels(1)},
                new float[][] {g.labelMask(0), g.labelMask(1)}, null));
        assertTrue(e.getMessage().contains("lengths[1] = -1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Batch(4, g.history(),
                new int[][] {g.sparse(0), g.sparse(1), g.sparse(2), g.sparse(3)}, new int[][] {g.sequence(0), g.sequence(1)},
                new int[] {2, 0, g.history() + 1, 3}, new float[][] {g.dense(0), g.dense(1)}, new float[][] {g.labels(0), g.labels(1)},
                new float[][] {g.labelMask(0), g.labelMask(1)}, null));
        assertTrue(e.getMessage().contains("lengths[2] = " + (g.history() + 1)), e.getMessage());
        // A sequence longer than the row's length (its fields disagree): an id in the padding.
        rejected(edited(b -> b.sequence(0)[0 * b.history() + 3] = 4), false, "sequence 'hist_item_id'", "row 0", "position 3",
                "history length 2");
        // A history beyond the supported maximum.
        int t = ModelConfig.MAX_HISTORY + 1;
        Batch longer = new Batch(1, t, new int[][] {{1}, {1}, {1}, {1}}, new int[][] {new int[t], new int[t]}, new int[] {t},
                new float[][] {{0}, {0}}, new float[][] {{0}, {0}}, new float[][] {{1}, {1}}, null);
        rejected(longer, false, "T = " + t, "exceeds " + ModelConfig.MAX_HISTORY);
    }

    @Test
    void nonFiniteDenseFeaturesAreRejected() {
        rejected(edited(b -> b.dense(0)[1] = Float.NaN), false, "dense feature 'price'", "row 1", "NaN");
        rejected(edited(b -> b.dense(1)[3] = Float.NEGATIVE_INFINITY), false, "dense feature 'hour'", "row 3", "-Infinity");
    }

    @Test
    void labelsOutsideZeroToOneAreRejectedInTraining() {
        rejected(edited(b -> {
            b.labelMask(0)[2] = 1;
            b.labels(0)[2] = 1.5f;
        }), true, "label of task 'click'", "row 2", "1.5");
        rejected(edited(b -> {
            b.labelMask(0)[1] = 1;
            b.labels(0)[1] = -1f;
        }), true, "label of task 'click'", "row 1", "-1.0");
        rejected(edited(b -> {
            b.labelMask(1)[0] = 1;
            b.labels(1)[0] = Float.NaN;
        }), true, "label of task 'buy'", "row 0", "NaN");
        rejected(edited(b -> b.labelMask(1)[1] = 2), true, "label mask of task 'buy'", "row 1", "2.0");
        // Soft labels in between are BCE targets like any other.
        trainer.step(edited(b -> {
            b.labelMask(0)[0] = 1;
            b.labels(0)[0] = 0.25f;
        }), 0);
        // Outside a task's sample space (mask 0) the label is not read, whatever it holds.
        Batch ignored = edited(b -> {
            b.labelMask(1)[3] = 0;
            b.labels(1)[3] = 7;
        });
        trainer.step(ignored, 0);
        // Scoring does not read labels at all.
        model.forward(edited(b -> b.labels(0)[0] = Float.NaN), false);
    }

    @Test
    void emptyAndOversizedBatches() {
        Batch empty = new Batch(0, 0, new int[4][0], new int[2][0], new int[0], new float[2][0], new float[2][0], new float[2][0], null);
        rejected(empty, false, "batch of 0 rows", "1 to " + MAX_BATCH);
        SplittableRandom r = new SplittableRandom(5);
        Batch big = TestData.random(schema, VOCAB, TestData.lengths(MAX_BATCH + 3, 4, r), r);
        rejected(big, false, "batch of " + (MAX_BATCH + 3) + " rows", "1 to " + MAX_BATCH);
        // A predictor scores an empty batch as no rows and splits a large one into planned chunks.
        Predictor p = Predictor.of(model, MAX_BATCH);
        float[][] none = p.predict(empty);
        assertEquals(2, none.length);
        assertEquals(0, none[0].length);
        float[][] all = p.predict(big);
        float[] head = model.forward(Batches.slice(big, 0, MAX_BATCH), false)[0];
        float[] tail = model.forward(Batches.slice(big, MAX_BATCH, big.size()), false)[0];
        for (int i = 0; i < big.size(); i++) {
            assertEquals(i < MAX_BATCH ? head[i] : tail[i - MAX_BATCH], all[0][i], 0f, "row " + i);
        }
        p.close();
    }

    @Test
    void candidateScoringChecksTheUserAndTheCandidates() {
        Predictor p = Predictor.of(model, MAX_BATCH);
        Batch b = good(6);
        Batch user = Batches.slice(b, 0, 1);
        Batch badUser = edited(x -> x.sparse(0)[0] = 99);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.scoreCandidates(Batches.slice(badUser, 0, 1), b));
        assertTrue(e.getMessage().contains("sparse field 'user_id'") && e.getMessage().contains("id 99"), e.getMessage());
        Batch badCandidates = edited(x -> x.dense(0)[3] = Float.POSITIVE_INFINITY);
        e = assertThrows(IllegalArgumentException.class, () -> p.scoreCandidates(user, badCandidates));
        assertTrue(e.getMessage().contains("dense feature 'price'") && e.getMessage().contains("row 3"), e.getMessage());
        // The candidates' own USER fields and sequences are not read, so they may hold anything.
        Batch loose = edited(x -> x.sparse(0)[2] = -5);
        assertEquals(4, p.scoreCandidates(user, loose)[0].length);
        p.close();
    }

    @Test
    void wrongTaskCountIsRejected() {
        Batch g = good(7);
        Batch oneTask = new Batch(4, g.history(), new int[][] {g.sparse(0), g.sparse(1), g.sparse(2), g.sparse(3)},
                new int[][] {g.sequence(0), g.sequence(1)}, g.lengths(), new float[][] {g.dense(0), g.dense(1)},
                new float[][] {g.labels(0)}, new float[][] {g.labelMask(0)}, null);
        rejected(oneTask, true, "1 label columns", "2 tasks");
    }
}
