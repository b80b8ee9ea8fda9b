package io.din4j.predict;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.backend.Backend;
import io.din4j.backend.cpu.CpuBackend;
import io.din4j.data.Batch;
import io.din4j.data.Batches;
import io.din4j.data.FeatureSchema;
import io.din4j.io.ModelFiles;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.model.TestData;
import io.din4j.train.OptimizerSpec;
import io.din4j.train.TrainConfig;
import io.din4j.train.Trainer;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A batch split into parts that run at once on the cpu backend's threads ({@link Predictor#partBounds}) is scored
 * exactly as one thread scores it whole: batch scoring, candidate scoring and attention weights of every model
 * family, on batch sizes around the split thresholds and above the planned batch.
 */
class PredictorPartsTest {
    static final int[] VOCAB = {6, 20, 5, 4};
    final FeatureSchema schema = TestData.fullSchema();

    @TempDir
    Path tmp;

    private Path saved(ModelConfig.Type type) {
        try (Backend cpu = new CpuBackend(1);
             Model m = Model.create(TestData.small(type), schema, TestData.vocabularies(schema, VOCAB), cpu, 16);
             Trainer t = new Trainer(m, TrainConfig.builder().optimizer(OptimizerSpec.adam(0.02)).build())) {
            SplittableRandom r = new SplittableRandom(5);
            for (int i = 0; i < 4; i++) {
                t.step(TestData.random(schema, VOCAB, TestData.lengths(16, 7, r), r), 0);
            }
            Path dir = tmp.resolve(type.name());
            ModelFiles.save(m, dir, null);
            return dir;
        }
    }

    @Test
    void partsScoreExactlyAsOneThreadScoresTheWholeBatch() {
        for (ModelConfig.Type type : new ModelConfig.Type[] {ModelConfig.Type.DIN, ModelConfig.Type.PLE, ModelConfig.Type.DIN_PLE}) {
            Path dir = saved(type);
            try (Backend one = new CpuBackend(1);
                 Backend three = new CpuBackend(3);
                 Predictor whole = Predictor.load(dir, one, 2048);
                 Predictor parts = Predictor.load(dir, three, 200)) {
                SplittableRandom r = new SplittableRandom(type.ordinal());
                for (int n : new int[] {1, 31, 32, 33, 47, 129, 450}) {
                    Batch b = TestData.random(schema, VOCAB, TestData.lengths(n, 9, r), r);
                    String what = type + " n=" + n;
                    // The sizes from 32 rows on are split (the test would prove nothing otherwise).
                    assertEquals(n >= 2 * Predictor.MIN_PART_ROWS, parts.partBounds(n).length > 2, what + ": split");
                    float[][] expected = whole.predict(b);
                    float[][] got = parts.predict(b);
                    for (int t = 0; t < expected.length; t++) {
                        assertArrayEquals(expected[t], got[t], what + " task " + t);
                    }
                    float[][] wa = whole.attention(b);
                    float[][] pa = parts.attention(b);
                    assertEquals(wa == null, pa == null, what);
                    if (wa != null) {
                        for (int i = 0; i < n; i++) {
                            assertArrayEquals(wa[i], pa[i], what + " attention of row " + i);
                        }
                    }
                    Batch user = Batches.slice(b, 0, 1);
                    float[][] ec = whole.scoreCandidates(user, b);
                    float[][] gc = parts.scoreCandidates(user, b);
                    for (int t = 0; t < ec.length; t++) {
                        assertArrayEquals(ec[t], gc[t], what + " candidates, task " + t);
                    }
                }
            }
        }
    }

    /**
     * Parts are read in place from the caller's batch ({@code Session.run(batch, from, to, ...)}): a part whose
     * longest history is shorter than the batch's is bound at its own length, its rows re-laid at that stride, and
     * a part with no behaviours at all gets zero histories. Each must score as the whole batch does.
     */
    @Test
    void partsWithShorterHistoriesThanTheBatchScoreAsTheWholeBatch() {
        Path dir = saved(ModelConfig.Type.DIN);
        try (Backend one = new CpuBackend(1);
             Backend three = new CpuBackend(3);
             Predictor whole = Predictor.load(dir, one, 2048);
             Predictor parts = Predictor.load(dir, three, 40)) {
            SplittableRandom r = new SplittableRandom(17);
            int n = 160;
            int[] lengths = new int[n];
            for (int i = 0; i < n; i++) {
                // rows 0-39 without behaviours, 40-79 at most 3, the rest up to 9 (the batch's history)
                lengths[i] = i < 40 ? 0 : i < 80 ? r.nextInt(4) : r.nextInt(10);
            }
            lengths[n - 1] = 9;
            Batch b = TestData.random(schema, VOCAB, lengths, r);
            assertArrayEquals(new int[] {0, 40, 80, 120, 160}, parts.partBounds(n), "parts of the session's 40 rows");
            float[][] expected = whole.predict(b);
            float[][] got = parts.predict(b);
            for (int t = 0; t < expected.length; t++) {
                assertArrayEquals(expected[t], got[t], "task " + t);
            }
            float[][] wa = whole.attention(b);
            float[][] pa = parts.attention(b);
            for (int i = 0; i < n; i++) {
                assertArrayEquals(wa[i], pa[i], "attention of row " + i);
            }
            Batch user = Batches.slice(b, n - 1, n);
            float[][] ec = whole.scoreCandidates(user, b);
            float[][] gc = parts.scoreCandidates(user, b);
            for (int t = 0; t < ec.length; t++) {
                assertArrayEquals(ec[t], gc[t], "candidates, task " + t);
            }
        }
    }

    /** An error in a part names the row in the caller's numbering, not the part's. */
    @Test
    void aBadIdInAPartIsReportedAtItsRowInTheBatch() {
        Path dir = saved(ModelConfig.Type.PLE);
        try (Backend three = new CpuBackend(3); Predictor parts = Predictor.load(dir, three, 200)) {
            SplittableRandom r = new SplittableRandom(3);
            int n = 150;
            Batch b = TestData.random(schema, VOCAB, TestData.lengths(n, 9, r), r);
            assertTrue(parts.partBounds(n)[1] < 137, "row 137 lies past the first part");
            b.sparse(3)[137] = VOCAB[3] + 3; // shop, a candidate field
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parts.predict(b));
            assertTrue(e.getMessage().contains("row 137:"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> parts.scoreCandidates(Batches.slice(b, 0, 1), b));
            assertTrue(e.getMessage().contains("row 137:"), e.getMessage());
        }
    }

    @Test
    void partBoundsCoverTheBatchInPartsTheSessionsHold() {
        try (Backend one = new CpuBackend(1); Backend two = new CpuBackend(2)) {
            Path dir = saved(ModelConfig.Type.PLE);
            try (Predictor serial = Predictor.load(dir, one, 100); Predictor parallel = Predictor.load(dir, two, 100)) {
                assertArrayEquals(new int[] {0}, parallel.partBounds(0), "an empty batch has no parts");
                for (int n = 1; n <= 1000; n += 7) {
                    for (Predictor p : new Predictor[] {serial, parallel}) {
                        int[] bounds = p.partBounds(n);
                        assertEquals(0, bounds[0]);
                        assertEquals(n, bounds[bounds.length - 1]);
                        for (int i = 0; i + 1 < bounds.length; i++) {
                            int rows = bounds[i + 1] - bounds[i];
                            assertTrue(rows >= 1 && rows <= 100, "n=" + n + " part " + i + " has " + rows + " rows");
                            if (bounds.length > 2 && p == parallel) {
                                assertTrue(rows >= Predictor.MIN_PART_ROWS, "n=" + n + " part " + i + " has " + rows + " rows");
                            }
                        }
                        // One thread: only the session's capacity splits a batch.
                        if (p == serial) {
                            assertEquals((n + 99) / 100, bounds.length - 1, "n=" + n);
                        }
                    }
                }
            }
        }
    }
}
