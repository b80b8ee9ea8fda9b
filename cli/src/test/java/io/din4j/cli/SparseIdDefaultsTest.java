package io.din4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code din4j train}'s default flags on a world with a sparse, useless id field (docs/models.md, "Choosing the
 * defaults"): 1,500 user ids with 1 to 3 training rows each (most have one) that say nothing about the click, and 40
 * items that carry all of it. Trained for 6 epochs without early stopping (so what is compared is the regularisation,
 * not the choice of epoch), the defaults must beat the same run without mini-batch aware regularisation and without
 * a frequency threshold, which memorises the user ids, and must lose at most 0.005 test AUC against dropping the
 * field ({@code --ignore user_id}), the target.
 */
class SparseIdDefaultsTest {
    private static final int ITEMS = 40;

    @TempDir
    static Path dir;
    static Path train;
    static Path test;

    @BeforeAll
    static void world() throws IOException {
        SplittableRandom r = new SplittableRandom(11);
        double[] itemEffect = new double[ITEMS + 1];
        for (int i = 1; i <= ITEMS; i++) {
            itemEffect[i] = 1.5 * r.nextGaussian();
        }
        String header = "label,user_id,item_id,cate_id,hist_item_id,hist_cate_id";
        List<String> tr = new ArrayList<>(List.of(header));
        List<String> te = new ArrayList<>(List.of(header));
        for (int u = 0; u < 1500; u++) {
            int k = 1 + (r.nextDouble() < 0.3 ? 1 + r.nextInt(2) : 0);
            for (int j = 0; j < k; j++) {
                tr.add(row(r, itemEffect, u));
            }
            te.add(row(r, itemEffect, u));
        }
        train = dir.resolve("train.csv");
        test = dir.resolve("test.csv");
        Files.write(train, tr);
        Files.write(test, te);
    }

    /** One impression of user {@code u}: a random item clicked with probability σ(its effect), one random behaviour. */
    private static String row(SplittableRandom r, double[] itemEffect, int u) {
        int item = 1 + r.nextInt(ITEMS);
        int h = 1 + r.nextInt(ITEMS);
        boolean click = r.nextDouble() < 1 / (1 + Math.exp(-itemEffect[item]));
        return (click ? 1 : 0) + ",u" + u + "," + item + "," + item % 8 + "," + h + "," + h % 8;
    }

    /** Test AUC after training with the default flags plus {@code extra}. */
    @SuppressWarnings("unchecked")
    private static double auc(String name, String... extra) {
        Path out = dir.resolve(name);
        // Batches of 32 give each epoch ~70 steps (the defaults' 256 would give 9 on 2,200 rows); the learning rate,
        // the architecture and the regularisation are the defaults.
        List<String> a = new ArrayList<>(List.of("train", "--train", train.toString(), "--model", "din", "--out", out.toString(),
                "--epochs", "6", "--batch-size", "32", "--device", "cpu", "--threads", "1", "--no-report"));
        a.addAll(List.of(extra));
        Cli t = Cli.run(a.toArray(String[]::new));
        assertEquals(0, t.code(), t.toString());
        Cli e = Cli.run("eval", "--model", out.toString(), "--data", test.toString(), "--json", "--device", "cpu", "--threads", "1");
        assertEquals(0, e.code(), e.toString());
        Map<String, Object> label = (Map<String, Object>) ((Map<String, Object>) Json.parseObject(e.out()).get("tasks")).get("label");
        return ((Number) label.get("auc")).doubleValue();
    }

    @Test
    void defaultsDoNotMemoriseARareUselessIdField() {
        double defaults = auc("defaults");
        double plain = auc("plain", "--mba-lambda", "0", "--min-count", "1");
        double dropped = auc("dropped", "--ignore", "user_id");
        System.out.printf(java.util.Locale.ROOT, "SparseIdDefaultsTest: test AUC defaults %.4f, --mba-lambda 0 --min-count 1 %.4f, "
                + "--ignore user_id %.4f%n", defaults, plain, dropped);
        // Measured: defaults 0.7827, --mba-lambda 0 --min-count 1 0.6562, --ignore user_id 0.7781.
        assertTrue(defaults > plain + 0.05, "defaults " + defaults + " should beat the unregularised run " + plain);
        assertTrue(defaults >= dropped - 0.005, "defaults " + defaults + " lose more than 0.005 to --ignore user_id " + dropped);
    }
}
