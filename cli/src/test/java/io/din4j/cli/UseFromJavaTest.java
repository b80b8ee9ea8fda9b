package io.din4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.backend.Backend;
import io.din4j.backend.Backends;
import io.din4j.data.Row;
import io.din4j.data.Vocabulary;
import io.din4j.predict.Predictor;
import io.din4j.predict.Request;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README's "Use from Java" example is {@link ScoreExample} below, character for character, and it scores exactly
 * what {@code din4j predict} and the positional path ({@link Predictor#batchBuilder()} + {@link Predictor#predict})
 * score for the same rows, including the cut to the trained history limit.
 */
class UseFromJavaTest {
    @TempDir
    static Path dir;
    static Path model;

    /** Trained with --max-history 2, so the example's 3-behaviour histories are cut as in training. */
    static final int LIMIT = 2;

    // README:begin
    static final class ScoreExample {
        /** One row: raw ids by column name, histories oldest first. One probability per task. */
        static float[] scoreOne(Predictor predictor) {
            return predictor.request()
                    .id("user_id", "17").id("item_id", "301").id("cate_id", "12")
                    .history("hist_item_id", "88", "412", "301")
                    .history("hist_cate_id", "12", "5", "12")
                    .score();
        }

        /** One user against many candidates, the user's side computed once: [task][candidate]. */
        static float[][] scoreCandidates(Predictor predictor, List<String[]> itemAndCategory) {
            Request user = predictor.request().id("user_id", "17")
                    .history("hist_item_id", "88", "412", "301")
                    .history("hist_cate_id", "12", "5", "12");
            List<Request> candidates = new ArrayList<>();
            for (String[] c : itemAndCategory) {
                candidates.add(predictor.request().id("item_id", c[0]).id("cate_id", c[1]));
            }
            return predictor.scoreCandidates(user, candidates);
        }

        public static void main(String[] args) {
            // Load once and share: a Predictor may be called from any number of threads.
            try (Backend backend = Backends.create("auto", 0);
                 Predictor predictor = Predictor.load(Path.of(args[0]), backend)) {
                System.out.println(predictor.tasks() + " " + Arrays.toString(scoreOne(predictor)));
                float[][] p = scoreCandidates(predictor, List.of(new String[] {"301", "12"}, new String[] {"7", "3"}));
                System.out.println(Arrays.toString(p[0]));
            }
        }
    }
    // README:end

    static final List<String[]> CANDIDATES = List.of(new String[] {"301", "12"}, new String[] {"7", "3"},
            new String[] {"42", "5"}, new String[] {"no-such-item", "12"});

    @BeforeAll
    static void trainTinyModel() {
        Path data = dir.resolve("data");
        Cli g = Cli.run("generate", "--out", data.toString(), "--users", "200", "--items", "450", "--categories", "20",
                "--samples-per-user", "6", "--seed", "3");
        assertEquals(0, g.code(), g.toString());
        model = dir.resolve("din");
        Cli t = Cli.run("train", "--train", data.resolve("train.csv").toString(), "--model", "din", "--out", model.toString(),
                "--epochs", "1", "--embedding-dim", "4", "--mlp", "8", "--attention", "8", "--batch-size", "64",
                "--max-history", Integer.toString(LIMIT), "--no-report", "--device", "cpu", "--threads", "1");
        assertEquals(0, t.code(), t.toString());
    }

    @Test
    void readmeShowsTheExampleVerbatim() throws IOException {
        List<String> lines = Files.readAllLines(Path.of("src/test/java/io/din4j/cli/UseFromJavaTest.java"));
        int from = lines.indexOf("    // README:begin");
        int to = lines.indexOf("    // README:end");
        assertTrue(from >= 0 && to > from, "markers present");
        StringBuilder example = new StringBuilder();
        for (String l : lines.subList(from + 1, to)) {
            example.append(l.length() >= 4 ? l.substring(4) : l.strip()).append('\n');
        }
        String readme = Files.readString(Path.of("../README.md"));
        assertTrue(readme.contains("```java\n" + example + "```\n"),
                "README.md's \"Use from Java\" block must equal ScoreExample in UseFromJavaTest:\n" + example);
    }

    @Test
    void theExampleRuns() {
        ScoreExample.main(new String[] {model.toString()});
    }

    @Test
    void theExampleScoresWhatPredictAndThePositionalPathScore() throws IOException {
        try (Backend backend = Backends.create("cpu", 1); Predictor predictor = Predictor.load(model, backend)) {
            assertEquals(LIMIT, predictor.historyLimit(), "the typed accessor reads training.data.max_history");
            for (String[] id : new String[][] {{"user_id", "17"}, {"item_id", "301"}, {"item_id", "412"}, {"cate_id", "12"}}) {
                assertNotEquals(Vocabulary.OOV, predictor.vocabularies().get(id[0]).indexOf(id[1]),
                        id[0] + " " + id[1] + " must be a trained id, so the example exercises the mapping");
            }
            float[] one = ScoreExample.scoreOne(predictor);
            float[][] many = ScoreExample.scoreCandidates(predictor, CANDIDATES);

            // The same rows as CSV cells, scored by din4j predict and by the positional path.
            List<String> csv = new ArrayList<>(List.of("user_id,item_id,cate_id,hist_item_id,hist_cate_id",
                    "17,301,12,88 412 301,12 5 12"));
            for (String[] c : CANDIDATES) {
                csv.add("17," + c[0] + "," + c[1] + ",88 412 301,12 5 12");
            }
            Path in = dir.resolve("rows.csv");
            Files.write(in, csv);
            Path out = dir.resolve("scores.csv");
            Cli r = Cli.run("predict", "--model", model.toString(), "--data", in.toString(), "--out", out.toString(),
                    "--device", "cpu", "--threads", "1");
            assertEquals(0, r.code(), r.toString());
            List<String> printed = Files.readAllLines(out);
            assertEquals("p_label", printed.get(0));
            assertEquals(printed.get(1), String.format(Locale.ROOT, "%.6f", one[0]), "one row");
            for (int i = 0; i < CANDIDATES.size(); i++) {
                assertEquals(printed.get(2 + i), String.format(Locale.ROOT, "%.6f", many[0][i]), "candidate " + i);
            }

            List<Row> rows = new ArrayList<>();
            for (String line : csv.subList(1, csv.size())) {
                String[] f = line.split(",");
                rows.add(new Row(new float[] {Float.NaN}, new String[] {f[0], f[1], f[2]},
                        new String[][] {f[3].split(" "), f[4].split(" ")}, new float[0]));
            }
            float[] positional = predictor.predict(predictor.batchBuilder().build(rows))[0];
            assertEquals(positional[0], one[0], 0f, "one row, bit for bit");
            assertArrayEquals(Arrays.copyOfRange(positional, 1, positional.length), many[0], 0f, "candidates, bit for bit");

            // The limit matters here: whole histories score differently, so a request API that ignored it would fail.
            float[] uncut = predictor.predict(predictor.batchBuilder(0).build(rows))[0];
            assertNotEquals(uncut[0], one[0], "the cut to " + LIMIT + " behaviours changes this row's score");
        }
    }

    @Test
    void requestsNameTheirMistakes() {
        try (Backend backend = Backends.create("cpu", 1); Predictor predictor = Predictor.load(model, backend)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> predictor.request().id("item", "1"));
            assertEquals("field: 'item' is not a sparse field of this model (it has user_id, item_id, cate_id)", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> predictor.request().history("hist_item_id", "1", "2").history("hist_cate_id", "3").score());
            assertEquals("history 'hist_cate_id' has 1 ids but 'hist_item_id' has 2 (histories describe the same behaviours)", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> predictor.request().dense("price", 1f));
            assertEquals("feature: 'price' is not a dense feature of this model (it has none)", e.getMessage());
        }
    }
}
