package io.din4j.model;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.backend.Backend;
import io.din4j.backend.cpu.CpuBackend;
import io.din4j.metrics.Evaluation;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The acceptance experiments at test scale (the full tables are in docs/models.md, printed by
 * {@link Experiments#main}). Small worlds and few epochs keep each test to tens of seconds on two cores; the
 * margins asserted are well inside what was measured.
 */
class AcceptanceTest {
    static final long[] SEEDS = {1, 2, 3};

    @Test
    void dinBeatsBaseModelInAucAndGaucOnEverySeed() {
        try (Backend cpu = new CpuBackend(1)) {
            for (long seed : SEEDS) {
                List<Experiments.Row> rows = Experiments.dinVsBase(seed, 300, 3, cpu);
                Evaluation.TaskMetrics base = rows.get(0).metrics().get("click");
                Evaluation.TaskMetrics din = rows.get(1).metrics().get("click");
                // Measured margins at this scale: AUC +0.05 to +0.08, GAUC +0.03 to +0.09.
                assertTrue(din.auc() > base.auc() + 0.02, "seed " + seed + ": DIN AUC " + din.auc() + " vs Base " + base.auc());
                assertTrue(din.gauc() > base.gauc() + 0.02, "seed " + seed + ": DIN GAUC " + din.gauc() + " vs Base " + base.gauc());
            }
        }
    }

    @Test
    void pleBeatsSingleTaskModelsOnTheSparseTaskWithoutLosingTheOther() {
        double buyGain = 0;
        double clickGain = 0;
        try (Backend cpu = new CpuBackend(1)) {
            for (long seed : SEEDS) {
                List<Experiments.Row> rows = Experiments.pleVsSingle(seed, 300, 5, cpu);
                double pleClick = rows.get(0).metrics().get("click").auc();
                double pleBuy = rows.get(0).metrics().get("buy").auc();
                double singleClick = rows.get(1).metrics().get("click").auc();
                double singleBuy = rows.get(2).metrics().get("buy").auc();
                // One seed's click AUC has a standard error of about 0.005 at this test size (9000 samples): a single
                // seed may dip by noise, not by more than two standard errors.
                assertTrue(pleClick > singleClick - 0.01, "seed " + seed + ": PLE click " + pleClick + " vs single " + singleClick);
                buyGain += (pleBuy - singleBuy) / SEEDS.length;
                clickGain += (pleClick - singleClick) / SEEDS.length;
            }
        }
        assertTrue(buyGain > 0.015, "mean buy AUC gain of PLE " + buyGain);
        // Measured: buy +0.02 to +0.06 per seed; click −0.008 to +0.002 per seed, mean −0.002 (within noise).
        assertTrue(clickGain > -0.005, "mean click AUC change of PLE " + clickGain);
    }
}
