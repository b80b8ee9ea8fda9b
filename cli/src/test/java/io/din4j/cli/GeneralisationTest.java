package io.din4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.json.Json;
import io.din4j.metrics.Gauc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What training says about the epochs it ran and the metrics it could not compute: early stopping on by default
 * with validation data (the epoch kept is said, and the saved weights are that epoch's), {@code --patience 0} keeps
 * the last epoch, and GAUC without any user holding both labels is {@code n/a} with the reason everywhere.
 */
class GeneralisationTest {
    @TempDir
    static Path dir;
    static Path train;
    static Path valid;

    private static final String[] TINY = {"--embedding-dim", "4", "--mlp", "8", "--attention", "8", "--batch-size", "32",
            "--device", "cpu", "--threads", "1", "--no-report"};

    private static Cli train(String... rest) {
        return Cli.run(Stream.concat(Stream.concat(Stream.of("train"), Stream.of(TINY)), Stream.of(rest)).toArray(String[]::new));
    }

    @BeforeAll
    static void world() {
        // 5 impressions per user, the last one (20%) in test.csv: no user has both labels in the validation data.
        Path data = dir.resolve("data");
        Cli r = Cli.run("generate", "--out", data.toString(), "--users", "150", "--samples-per-user", "5", "--seed", "3");
        assertEquals(0, r.code(), r.toString());
        train = data.resolve("train.csv");
        valid = data.resolve("test.csv");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> training(Path model) throws IOException {
        return (Map<String, Object>) Json.parseObject(Files.readString(model.resolve("model.json"))).get("training");
    }

    @SuppressWarnings("unchecked")
    private static double validAuc(Map<String, Object> epoch) {
        Map<String, Object> v = (Map<String, Object>) ((Map<String, Object>) epoch.get("validation")).get("label");
        return ((Number) v.get("auc")).doubleValue();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> evalJson(Path model) {
        Cli r = Cli.run("eval", "--model", model.toString(), "--data", valid.toString(), "--json", "--device", "cpu", "--threads", "1");
        assertEquals(0, r.code(), r.toString());
        return (Map<String, Object>) ((Map<String, Object>) Json.parseObject(r.out()).get("tasks")).get("label");
    }

    @Test
    @SuppressWarnings("unchecked")
    void earlyStoppingIsOnByDefaultAndKeepsTheBestEpoch() throws IOException {
        Path out = dir.resolve("stopped");
        // A learning rate this high memorises the 600 training rows within a few epochs, so validation AUC falls.
        Cli r = train("--train", train.toString(), "--valid", valid.toString(), "--model", "din", "--out", out.toString(),
                "--epochs", "8", "--lr", "0.02");
        assertEquals(0, r.code(), r.toString());
        Map<String, Object> t = training(out);
        assertEquals(1L, ((Map<String, Object>) t.get("trainer")).get("patience"), "patience 1 by default");
        List<Map<String, Object>> epochs = (List<Map<String, Object>>) t.get("epochs");
        assertTrue(epochs.size() < 8, "training should stop early once validation AUC falls; ran " + epochs.size() + "\n" + r.out());
        int best = 0;
        for (int e = 1; e < epochs.size(); e++) {
            if (validAuc(epochs.get(e)) > validAuc(epochs.get(best))) {
                best = e;
            }
        }
        assertEquals(epochs.size() - 2, best, "patience 1: one epoch without gain, then stop\n" + r.out());
        assertEquals((long) best, t.get("kept_epoch"));
        assertTrue(r.out().contains("din: kept epoch " + (best + 1) + " of " + epochs.size() + ", the best by validation AUC"), r.out());
        // The saved weights are the kept epoch's: scoring the validation data again gives that epoch's AUC.
        double auc = ((Number) evalJson(out).get("auc")).doubleValue();
        assertEquals(validAuc(epochs.get(best)), auc, 1e-6, "the model holds the best epoch's weights");
        assertNotEquals(validAuc(epochs.get(epochs.size() - 1)), auc, "the last epoch's weights were not kept");
    }

    @Test
    @SuppressWarnings("unchecked")
    void patienceZeroTrainsEveryEpochAndKeepsTheLast() throws IOException {
        Path out = dir.resolve("all");
        Cli r = train("--train", train.toString(), "--valid", valid.toString(), "--model", "din", "--out", out.toString(),
                "--epochs", "4", "--lr", "0.02", "--patience", "0");
        assertEquals(0, r.code(), r.toString());
        Map<String, Object> t = training(out);
        List<Map<String, Object>> epochs = (List<Map<String, Object>>) t.get("epochs");
        assertEquals(4, epochs.size());
        assertEquals(3L, t.get("kept_epoch"));
        assertTrue(r.out().contains("din: kept epoch 4 of 4, the last"), r.out());
        assertEquals(validAuc(epochs.get(3)), ((Number) evalJson(out).get("auc")).doubleValue(), 1e-6);
    }

    @Test
    @SuppressWarnings("unchecked")
    void gaucWithoutAnyUserHoldingBothLabelsIsNotApplicableWithTheReason() throws IOException {
        Path out = dir.resolve("gauc");
        Cli r = Cli.run("train", "--embedding-dim", "4", "--mlp", "8", "--attention", "8", "--device", "cpu", "--threads", "1",
                "--train", train.toString(), "--valid", valid.toString(), "--model", "din", "--out", out.toString(), "--epochs", "1");
        assertEquals(0, r.code(), r.toString());
        assertFalse(r.out().contains("NaN"), r.out());
        assertTrue(r.out().contains("GAUC n/a (" + Gauc.NO_USER_WITH_BOTH_LABELS + ")"), r.out());
        String html = Files.readString(out.resolve("report.html"));
        assertFalse(html.contains("NaN"));
        assertTrue(html.contains("n/a (no user has both labels)"), "report says why GAUC is missing");
        assertTrue(html.contains("(kept)"), "report marks the kept epoch");
        Map<String, Object> e0 = ((List<Map<String, Object>>) training(out).get("epochs")).get(0);
        Map<String, Object> v = (Map<String, Object>) ((Map<String, Object>) e0.get("validation")).get("label");
        assertTrue(v.containsKey("gauc") && v.get("gauc") == null);
        assertEquals(Gauc.NO_USER_WITH_BOTH_LABELS, v.get("gauc_reason"));

        Map<String, Object> json = evalJson(out);
        assertTrue(json.containsKey("gauc") && json.get("gauc") == null, json.toString());
        assertEquals(Gauc.NO_USER_WITH_BOTH_LABELS, json.get("gauc_reason"));
        Cli text = Cli.run("eval", "--model", out.toString(), "--data", valid.toString(), "--device", "cpu", "--threads", "1");
        assertEquals(0, text.code(), text.toString());
        assertFalse(text.out().contains("NaN"), text.out());
        assertTrue(text.out().contains("n/a") && text.out().contains("GAUC of label is n/a: no user has both labels"), text.out());
    }

    @Test
    void holdOutTakesEachUsersLatestRows() {
        List<io.din4j.data.Row> rows = new java.util.ArrayList<>();
        for (int i = 0; i < 10; i++) {
            rows.add(new io.din4j.data.Row(new float[] {i}, new String[] {"a"}, new String[0][], new float[0]));
        }
        rows.add(new io.din4j.data.Row(new float[] {100}, new String[] {"b"}, new String[0][], new float[0]));
        List<List<io.din4j.data.Row>> split = DemoCommand.holdOut(rows, 0, 0.2);
        // User a: 10 rows, the latest 2 held out; user b: one row, kept for training.
        assertEquals(List.of(0f, 1f, 2f, 3f, 4f, 5f, 6f, 7f, 100f), split.get(0).stream().map(r -> r.labels()[0]).toList());
        assertEquals(List.of(8f, 9f), split.get(1).stream().map(r -> r.labels()[0]).toList());
    }

    @Test
    @SuppressWarnings("unchecked")
    void demoChoosesEpochsOnAValidationSplitNotOnTheTestSet() throws IOException {
        Path out = dir.resolve("demo");
        Cli r = Cli.run("demo", "--out", out.toString(), "--users", "30", "--samples-per-user", "10", "--epochs", "2",
                "--embedding-dim", "4", "--device", "cpu", "--threads", "1");
        assertEquals(0, r.code(), r.toString());
        long testRows = Files.readAllLines(out.resolve("data").resolve("test.csv")).size() - 1;
        long trainRows = Files.readAllLines(out.resolve("data").resolve("train.csv")).size() - 1;
        Map<String, Object> t = training(out.resolve("models").resolve("din"));
        Map<String, Object> e0 = ((List<Map<String, Object>>) t.get("epochs")).get(0);
        Map<String, Object> v = (Map<String, Object>) ((Map<String, Object>) e0.get("validation")).get("click");
        long validRows = ((Number) v.get("samples")).longValue();
        // 8 training impressions per user, the latest ceil(0.8) = 1 held out: 30 validation rows, none of the test set.
        assertEquals(trainRows / 8, validRows, "validation is the held-out split of the training data");
        assertNotEquals(testRows, validRows);
        assertEquals(trainRows - validRows, ((Map<String, Object>) t.get("data")).get("rows"), "the model trained on the rest");
        // The comparison's test figures are those of the saved model on the test file.
        Cli e = Cli.run("eval", "--model", out.resolve("models").resolve("din").toString(), "--data",
                out.resolve("data").resolve("test.csv").toString(), "--json", "--device", "cpu", "--threads", "1");
        assertEquals(0, e.code(), e.toString());
        double auc = ((Number) ((Map<String, Object>) ((Map<String, Object>) Json.parseObject(e.out()).get("tasks")).get("click"))
                .get("auc")).doubleValue();
        // The comparison table's row (not the epoch lines, which also start with the model's name).
        String dinRow = r.out().lines().filter(l -> l.matches("din +click +.*")).findFirst().orElseThrow(() -> new AssertionError(r.out()));
        assertTrue(dinRow.contains(String.format(java.util.Locale.ROOT, "%.4f", auc)), dinRow + " vs eval AUC " + auc);
    }
}
