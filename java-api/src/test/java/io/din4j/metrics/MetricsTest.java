package io.din4j.metrics;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.data.Batch;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MetricsTest {
    private static final double EPS = 1e-12;

    /** Pairwise definition: P(score_pos > score_neg) + ½·P(equal), by brute force. */
    private static double pairwiseAuc(float[] s, float[] y) {
        double num = 0;
        long pairs = 0;
        for (int i = 0; i < s.length; i++) {
            for (int j = 0; j < s.length; j++) {
                if (y[i] == 1 && y[j] == 0) {
                    pairs++;
                    num += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
                }
            }
        }
        return num / pairs;
    }

    @Test
    void aucOfHandComputedCases() {
        // Perfect ranking.
        assertEquals(1.0, Auc.of(new float[] {0.1f, 0.2f, 0.8f, 0.9f}, new float[] {0, 0, 1, 1}), EPS);
        // Reversed.
        assertEquals(0.0, Auc.of(new float[] {0.9f, 0.8f, 0.2f, 0.1f}, new float[] {0, 0, 1, 1}), EPS);
        // One of four pairs misordered: positives {0.4, 0.9}, negatives {0.1, 0.5} -> 3/4.
        assertEquals(0.75, Auc.of(new float[] {0.4f, 0.9f, 0.1f, 0.5f}, new float[] {1, 1, 0, 0}), EPS);
        // Every score tied: 1/2.
        assertEquals(0.5, Auc.of(new float[] {0.3f, 0.3f, 0.3f, 0.3f, 0.3f}, new float[] {1, 0, 1, 0, 0}), EPS);
        // A tie between one positive and one negative counts 1/2: pairs (p=0.5 vs n=0.5) 0.5, (p=0.5 vs n=0.2) 1,
        // (p=0.9 vs both) 2 -> 3.5 / 4.
        assertEquals(0.875, Auc.of(new float[] {0.5f, 0.9f, 0.5f, 0.2f}, new float[] {1, 1, 0, 0}), EPS);
    }

    @Test
    void aucWithOneClassIsNaN() {
        assertTrue(Double.isNaN(Auc.of(new float[] {0.1f, 0.7f}, new float[] {1, 1})));
        assertTrue(Double.isNaN(Auc.of(new float[] {}, new float[] {})));
    }

    @Test
    void aucMatchesPairwiseDefinitionWithManyTies() {
        SplittableRandom r = new SplittableRandom(5);
        for (int n : new int[] {2, 7, 50, 301}) {
            float[] s = new float[n];
            float[] y = new float[n];
            for (int i = 0; i < n; i++) {
                s[i] = r.nextInt(6) / 5f; // few distinct values: many ties
                y[i] = i < 1 ? 1 : i == 1 ? 0 : r.nextInt(2);
            }
            assertEquals(pairwiseAuc(s, y), Auc.of(s, y), 1e-12, "n=" + n);
        }
    }

    @Test
    void aucRejectsBadLabels() {
        assertThrows(IllegalArgumentException.class, () -> Auc.of(new float[] {0.1f, 0.2f}, new float[] {1.5f, 1}));
        assertThrows(IllegalArgumentException.class, () -> Auc.of(new float[] {0.1f, 0.2f}, new float[] {-0.5f, 1}));
        assertThrows(IllegalArgumentException.class, () -> Auc.of(new float[] {0.1f, 0.2f}, new float[] {Float.NaN, 1}));
    }

    @Test
    void softLabelsCountAsFractionalPositivesAndNegatives() {
        // A sample with label 1/2 is half a positive and half a negative. Doubling every sample, and splitting
        // each 1/2 into one positive and one negative copy at the same score, scales every pair weight by 4, so
        // hard-label metrics of the expanded data must equal the soft-label metrics of the original.
        SplittableRandom r = new SplittableRandom(8);
        for (int n : new int[] {1, 2, 9, 120}) {
            float[] s = new float[n];
            float[] y = new float[n];
            float[] s2 = new float[2 * n];
            float[] y2 = new float[2 * n];
            for (int i = 0; i < n; i++) {
                s[i] = r.nextInt(5) / 4f; // ties
                y[i] = r.nextInt(3) / 2f; // 0, 1/2 or 1
                s2[2 * i] = s[i];
                s2[2 * i + 1] = s[i];
                y2[2 * i] = y[i] == 0 ? 0 : 1;
                y2[2 * i + 1] = y[i] == 1 ? 1 : 0;
            }
            double hard = Auc.of(s2, y2);
            double soft = Auc.of(s, y);
            assertEquals(Double.isNaN(hard), Double.isNaN(soft), "n=" + n + ": " + hard + " vs " + soft);
            if (!Double.isNaN(hard)) {
                assertEquals(hard, soft, 1e-12, "AUC n=" + n);
            }
            // Mean logloss: the expansion has twice the samples and twice each label's weight.
            float[] p = new float[n];
            float[] p2 = new float[2 * n];
            for (int i = 0; i < n; i++) {
                p[i] = 0.05f + 0.9f * r.nextFloat();
                p2[2 * i] = p[i];
                p2[2 * i + 1] = p[i];
            }
            assertEquals(LogLoss.of(p2, y2), LogLoss.of(p, y), 1e-12, "logloss n=" + n);
        }
    }

    @Test
    void gaucWeighsUsersByImpressionsAndSkipsSingleClassUsers() {
        // user a: 4 impressions, AUC 3/4 (from the case above); user b: 2 impressions, AUC 0;
        // user c: 3 impressions, all clicks -> skipped; user d: one impression -> skipped.
        float[] s = {0.4f, 0.9f, 0.1f, 0.5f, 0.8f, 0.2f, 0.1f, 0.2f, 0.3f, 0.6f};
        float[] y = {1, 1, 0, 0, 0, 1, 1, 1, 1, 0};
        String[] g = {"a", "a", "a", "a", "b", "b", "c", "c", "c", "d"};
        Gauc.Result r = Gauc.compute(s, y, g);
        assertEquals((4 * 0.75 + 2 * 0.0) / 6, r.gauc(), EPS);
        assertEquals(2, r.users());
        assertEquals(6, r.impressions());
        assertEquals(2, r.skippedUsers());
        assertTrue(Double.isNaN(Gauc.of(new float[] {0.3f}, new float[] {1}, new String[] {"x"})));
    }

    @Test
    void loglossAndRelaImpr() {
        double expected = -(Math.log(0.8) + Math.log(1 - 0.3)) / 2;
        assertEquals(expected, LogLoss.of(new float[] {0.8f, 0.3f}, new float[] {1, 0}), 1e-7);
        // A confident miss is clipped, not infinite.
        assertTrue(Double.isFinite(LogLoss.of(new float[] {0f}, new float[] {1})));
        // (0.75-0.5)/(0.7-0.5) - 1 = 25%.
        assertEquals(25.0, RelaImpr.percent(0.75, 0.70), 1e-9);
        assertEquals(0.0, RelaImpr.percent(0.7, 0.7), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> RelaImpr.percent(0.7, 0.5));
    }

    @Test
    void evaluationUsesEachTaskSampleSpace() {
        // buy is observed only where clicked (mask = click).
        float[][] labels = {{1, 0, 1, 0}, {1, 0, 0, 0}};
        float[][] masks = {{1, 1, 1, 1}, {1, 0, 1, 0}};
        Batch b = new Batch(4, 0, new int[0][], new int[0][], new int[4], new float[0][], labels, masks,
                new String[] {"u", "u", "v", "v"});
        Evaluation ev = new Evaluation(List.of("click", "buy"));
        ev.add(b, new float[][] {{0.9f, 0.1f, 0.2f, 0.3f}, {0.7f, 0.99f, 0.6f, 0.99f}});
        Map<String, Evaluation.TaskMetrics> m = ev.result();
        assertEquals(0.75, m.get("click").auc(), EPS);
        assertEquals(4, m.get("click").samples());
        // buy over rows 0 and 2 only: 0.7 (pos) > 0.6 (neg).
        assertEquals(1.0, m.get("buy").auc(), EPS);
        assertEquals(2, m.get("buy").samples());
        // click GAUC: user u AUC 1 (2 rows), user v: 0.2 (pos) < 0.3 (neg) -> 0 (2 rows).
        assertEquals(0.5, m.get("click").gauc(), EPS);
    }

    @Test
    void undefinedGaucSaysWhy() {
        float[][] labels = {{1, 0, 1, 0}};
        float[][] masks = {{1, 1, 1, 1}};
        float[][] probs = {{0.9f, 0.1f, 0.2f, 0.3f}};
        // Every user has one label only: AUC is defined, GAUC is not.
        Batch oneEach = new Batch(4, 0, new int[0][], new int[0][], new int[4], new float[0][], labels, masks,
                new String[] {"u", "v", "w", "x"});
        Evaluation ev = new Evaluation(List.of("click"));
        ev.add(oneEach, probs);
        Evaluation.TaskMetrics m = ev.result().get("click");
        assertTrue(Double.isFinite(m.auc()));
        assertTrue(Double.isNaN(m.gauc()));
        assertEquals(Gauc.NO_USER_WITH_BOTH_LABELS, m.gaucReason());
        assertEquals("n/a (no user has both labels)", m.gaucText());
        // No user column at all.
        Batch noGroups = new Batch(4, 0, new int[0][], new int[0][], new int[4], new float[0][], labels, masks, null);
        ev = new Evaluation(List.of("click"));
        ev.add(noGroups, probs);
        assertEquals(Evaluation.NO_USER_COLUMN, ev.result().get("click").gaucReason());
        // A defined GAUC has no reason and prints as a number.
        Batch two = new Batch(4, 0, new int[0][], new int[0][], new int[4], new float[0][], labels, masks,
                new String[] {"u", "u", "v", "v"});
        ev = new Evaluation(List.of("click"));
        ev.add(two, probs);
        m = ev.result().get("click");
        assertNull(m.gaucReason());
        assertEquals(String.format(java.util.Locale.ROOT, "%.4f", m.gauc()), m.gaucText());
    }
}
