package io.din4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * "A model saved by one version is readable by the next" (issue 3): model directories written by din4j 0.1.0
 * (model format 1) are kept under {@code src/test/resources/compat/format-v1} with the predictions that version
 * printed for {@code test.csv}; every later version must load them and score the same. The fixtures were made with
 * {@code din4j generate --out w --users 12 --items 40 --categories 6 --samples-per-user 6 --tasks 2 --seed 5},
 * {@code din4j train ... --epochs 8 --lr 0.03 --embedding-dim 4 --mlp 8[,4] --attention 6,3 [--experts 5] --seed 2}
 * and {@code din4j predict ... --device cpu --threads 1}. Never regenerate them to make this test pass: a failure
 * means old model files no longer load or no longer score as they did.
 */
class FormatCompatibilityTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"din", "din-ple"})
    void modelsOfFormatVersionOneStillLoadAndScoreTheSame(String model) throws IOException, URISyntaxException {
        Path root = Path.of(FormatCompatibilityTest.class.getResource("/compat/format-v1").toURI());
        Path dir = root.resolve(model);
        Path scores = tmp.resolve("scores.csv");
        Cli r = Cli.run("predict", "--model", dir.toString(), "--data", root.resolve("test.csv").toString(),
                "--out", scores.toString(), "--device", "cpu", "--threads", "1");
        assertEquals(0, r.code(), r.toString());
        List<String> expected = Files.readAllLines(dir.resolve("expected-predictions.csv"));
        List<String> actual = Files.readAllLines(scores);
        assertEquals(expected.getFirst(), actual.getFirst(), "columns");
        assertEquals(expected.size(), actual.size(), "rows");
        // predict prints 6 decimals, so equal scores differ by at most 5e-7 after printing; 2e-6 also admits a
        // later cpu kernel summing in another order (f32 rounding of outputs in (0, 1) is below 1e-7).
        for (int i = 1; i < expected.size(); i++) {
            String[] e = expected.get(i).split(",");
            String[] a = actual.get(i).split(",");
            assertEquals(e.length, a.length, "line " + (i + 1));
            for (int k = 0; k < e.length; k++) {
                double want = Double.parseDouble(e[k]);
                double got = Double.parseDouble(a[k]);
                assertTrue(Math.abs(want - got) <= 2e-6,
                        model + " line " + (i + 1) + " column " + (k + 1) + ": expected " + want + ", got " + got);
            }
        }
        Cli inspect = Cli.run("inspect", "--model", dir.toString());
        assertEquals(0, inspect.code(), inspect.toString());
        assertTrue(inspect.out().contains("din4j model format 1"), inspect.out());
    }
}
