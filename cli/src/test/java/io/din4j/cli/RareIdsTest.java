package io.din4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The frequency threshold ({@code --min-count}) is computed from the training data alone and travels with the model:
 * an id too rare to get its own row in training scores exactly like an id never seen, in {@code din4j predict} as in
 * training, and the model's own validation figures are what {@code din4j eval} gives for the saved model.
 */
class RareIdsTest {
    @TempDir
    static Path dir;
    static Path train;
    static Path valid;

    private static final String[] TINY = {"--embedding-dim", "4", "--mlp", "8", "--attention", "8", "--batch-size", "32",
            "--device", "cpu", "--threads", "1", "--no-report", "--model", "din"};

    @BeforeAll
    static void world() {
        // 3 impressions per user: 2 training rows each (every user_id is rarer than 3), the last one in test.csv.
        Path data = dir.resolve("data");
        Cli r = Cli.run("generate", "--out", data.toString(), "--users", "200", "--samples-per-user", "3", "--seed", "5");
        assertEquals(0, r.code(), r.toString());
        train = data.resolve("train.csv");
        valid = data.resolve("test.csv");
    }

    private static Cli train(Path out, String... rest) {
        List<String> a = new ArrayList<>(List.of("train", "--train", train.toString(), "--valid", valid.toString(), "--out", out.toString(),
                "--epochs", "2"));
        a.addAll(List.of(TINY));
        a.addAll(List.of(rest));
        Cli r = Cli.run(a.toArray(String[]::new));
        assertEquals(0, r.code(), r.toString());
        return r;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> modelJson(Path model) throws IOException {
        return (Map<String, Object>) Json.parseObject(Files.readString(model.resolve("model.json")));
    }

    @SuppressWarnings("unchecked")
    private static long vocabularySize(Path model, String field) throws IOException {
        Map<String, Object> v = (Map<String, Object>) ((Map<String, Object>) modelJson(model).get("vocabularies")).get(field);
        return ((Number) v.get("size")).longValue();
    }

    /** {@code din4j predict}'s scores of {@code data}, one per row. */
    private static List<String> predict(Path model, Path data) {
        Cli r = Cli.run("predict", "--model", model.toString(), "--data", data.toString(), "--out", "-", "--device", "cpu", "--threads", "1");
        assertEquals(0, r.code(), r.toString());
        return r.out().lines().skip(1).toList();
    }

    /** The validation file with every user_id replaced by an id no training row holds. */
    private static Path withUnseenUsers() throws IOException {
        Path p = dir.resolve("unseen.csv");
        List<String> lines = new ArrayList<>(Files.readAllLines(valid));
        int col = List.of(lines.get(0).split(",")).indexOf("user_id");
        for (int i = 1; i < lines.size(); i++) {
            String[] c = lines.get(i).split(",", -1);
            c[col] = "never-seen-" + i;
            lines.set(i, String.join(",", c));
        }
        Files.write(p, lines);
        return p;
    }

    @Test
    @SuppressWarnings("unchecked")
    void idsBelowTheThresholdScoreLikeUnseenIdsInThePredictorToo() throws IOException {
        Path thresholded = dir.resolve("min3");
        Cli out = train(thresholded, "--min-count", "3");
        Path all = dir.resolve("min1");
        train(all, "--min-count", "1");
        // Every user has 2 training rows: with the threshold the user table would hold the out-of-vocabulary row
        // alone, so training drops the field, as --ignore user_id would.
        assertTrue(out.out().contains("dropping user_id"), out.toString());
        assertFalse(((Map<String, Object>) modelJson(thresholded).get("vocabularies")).containsKey("user_id"));
        assertEquals(201, vocabularySize(all, "user_id"));
        assertTrue(vocabularySize(thresholded, "item_id") < vocabularySize(all, "item_id"), "rare items are mapped too");
        assertEquals(3L, ((Map<String, Object>) ((Map<String, Object>) modelJson(thresholded).get("training")).get("data")).get("min_count"));

        Path unseen = withUnseenUsers();
        List<String> scores = predict(thresholded, valid);
        assertEquals(200, scores.size());
        assertEquals(scores, predict(thresholded, unseen), "a user seen twice in training is scored as one never seen");
        // Without the threshold the same users have rows of their own, so the check above can fail.
        assertNotEquals(predict(all, valid), predict(all, unseen));

        // The validation figures training printed are the saved model's (same id mapping in both).
        Map<String, Object> training = (Map<String, Object>) modelJson(thresholded).get("training");
        Map<String, Object> kept = ((List<Map<String, Object>>) training.get("epochs")).get(((Number) training.get("kept_epoch")).intValue());
        Map<String, Object> v = (Map<String, Object>) ((Map<String, Object>) kept.get("validation")).get("label");
        Cli e = Cli.run("eval", "--model", thresholded.toString(), "--data", valid.toString(), "--json", "--device", "cpu", "--threads", "1");
        assertEquals(0, e.code(), e.toString());
        Map<String, Object> ev = (Map<String, Object>) ((Map<String, Object>) Json.parseObject(e.out()).get("tasks")).get("label");
        assertEquals(((Number) v.get("auc")).doubleValue(), ((Number) ev.get("auc")).doubleValue(), 1e-6);
        assertEquals(((Number) v.get("logloss")).doubleValue(), ((Number) ev.get("logloss")).doubleValue(), 1e-6);
    }

    @Test
    @SuppressWarnings("unchecked")
    void theDefaultThresholdIsSavedWithTheModel() throws IOException {
        Path out = dir.resolve("default");
        train(out);
        Map<String, Object> data = (Map<String, Object>) ((Map<String, Object>) modelJson(out).get("training")).get("data");
        assertEquals((long) Training.DEFAULT_MIN_COUNT, data.get("min_count"));
        if (Training.DEFAULT_MIN_COUNT > 2) {
            // Every user_id is rarer than the default threshold: the field is dropped, and the model is exactly the
            // one --ignore user_id trains (same seed, same rows), so keeping the field can never cost AUC here.
            assertFalse(((Map<String, Object>) modelJson(out).get("vocabularies")).containsKey("user_id"));
            Path ignored = dir.resolve("ignored");
            train(ignored, "--ignore", "user_id");
            assertEquals(predict(ignored, valid), predict(out, valid));
        } else {
            assertEquals(201, vocabularySize(out, "user_id"));
        }
    }

    @Test
    void aFieldWithSomeFrequentIdsIsKept() {
        // 6 impressions per user: 5 training rows each, above the threshold, so user_id stays in the model.
        Path data = dir.resolve("frequent");
        Cli g = Cli.run("generate", "--out", data.toString(), "--users", "60", "--samples-per-user", "6", "--seed", "7");
        assertEquals(0, g.code(), g.toString());
        Cli r = Cli.run("train", "--train", data.resolve("train.csv").toString(), "--out", dir.resolve("frequent-model").toString(),
                "--epochs", "1", "--embedding-dim", "4", "--mlp", "8", "--attention", "8", "--batch-size", "32", "--device", "cpu",
                "--threads", "1", "--no-report", "--model", "din");
        assertEquals(0, r.code(), r.toString());
        assertFalse(r.out().contains("dropping"), r.toString());
    }
}
