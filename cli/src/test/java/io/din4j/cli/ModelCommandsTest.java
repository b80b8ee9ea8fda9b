package io.din4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.json.Json;
import io.din4j.model.ModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model commands end to end on a small synthetic world with tiny models (one epoch, one thread), and every
 * user error they can meet: exit code, one line naming the file/line/column or flag, nothing half-written.
 */
class ModelCommandsTest {
    @TempDir
    static Path dir;
    static Path train;
    static Path test;
    static Path din;
    static Path dinPle;
    static Path mtTest;

    private static final String[] TINY = {"--epochs", "1", "--embedding-dim", "4", "--mlp", "8", "--attention", "8",
            "--experts", "8", "--batch-size", "64", "--device", "cpu", "--threads", "1"};

    private static Cli run(String... args) {
        return Cli.run(args);
    }

    /** {@code din4j train} with the tiny model flags and {@code rest}. */
    private static Cli train(String... rest) {
        return Cli.run(Stream.concat(Stream.concat(Stream.of("train"), Stream.of(TINY)), Stream.of(rest)).toArray(String[]::new));
    }

    @BeforeAll
    static void trainTinyModels() {
        Path data = dir.resolve("data");
        assertEquals(0, run("generate", "--out", data.toString(), "--users", "60", "--samples-per-user", "10").code());
        train = data.resolve("train.csv");
        test = data.resolve("test.csv");
        din = dir.resolve("din");
        Cli r = train("--train", train.toString(), "--valid", test.toString(), "--model", "din", "--out", din.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("din epoch 1/1"), r.out());

        Path mt = dir.resolve("mt");
        assertEquals(0, run("generate", "--out", mt.toString(), "--users", "60", "--samples-per-user", "10", "--tasks", "2", "--gzip").code());
        mtTest = mt.resolve("test.csv.gz");
        dinPle = dir.resolve("dinple");
        r = train("--train", mt.resolve("train.csv.gz").toString(), "--valid", mtTest.toString(),
                "--model", "din-ple", "--out", dinPle.toString());
        assertEquals(0, r.code(), r.toString());
    }

    private static List<String> names(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void trainWritesTheModelDirectoryAndAReportWithAttentionAndGates() throws IOException {
        assertEquals(List.of("model.json", "report.html", "vocabularies.bin", "weights.safetensors"), names(din));
        assertFalse(names(dir).stream().anyMatch(n -> n.startsWith(".tmp")), "no temporary directories left: " + names(dir));
        String html = Files.readString(din.resolve("report.html"));
        assertTrue(html.contains("<section id=\"attention\">") && html.contains("attention weight per behaviour"), "DIN report shows attention");
        String mt = Files.readString(dinPle.resolve("report.html"));
        assertTrue(mt.contains("gate × expert"), "DIN+PLE report shows gate utilisation");
    }

    @Test
    void theKernelWarmUpLeavesTheTrainedWeightsAsTheyWere() throws IOException {
        Path warm = dir.resolve("din-warm");
        Cli r = train("--train", train.toString(), "--valid", test.toString(), "--model", "din", "--out", warm.toString(),
                "--warmup-seconds", "1", "--no-report");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("kernels warmed up for"), r.out());
        // The warm-up steps a throwaway model; the real one trains on the same batches in the same order.
        assertArrayEquals(Files.readAllBytes(din.resolve("weights.safetensors")), Files.readAllBytes(warm.resolve("weights.safetensors")));
    }

    /**
     * On data of 50 batches and more the warm-up runs its full-size phase (batches cut by the builder from random rows)
     * and, ended by its step floor, drains the JIT on a second throwaway model: the whole path runs, and training stays
     * deterministic (two runs, the same bits; that the throwaway models leave the real one alone is the test above).
     */
    @Test
    void aWarmUpEndedByItsStepFloorDrainsAndTrainingStaysDeterministic() throws IOException {
        List<Path> outs = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Path out = dir.resolve("din-drain-" + i);
            Cli r = run("train", "--epochs", "1", "--embedding-dim", "4", "--mlp", "8", "--attention", "8", "--batch-size", "8",
                    "--device", "cpu", "--threads", "1", "--train", train.toString(), "--model", "din", "--out", out.toString(),
                    "--no-report");
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().matches("(?s).*kernels warmed up for .*ended: (converged|step floor(, then \\d+ more while the JIT caught up)?)\\).*"),
                    r.out());
            outs.add(out);
        }
        assertArrayEquals(Files.readAllBytes(outs.get(0).resolve("weights.safetensors")), Files.readAllBytes(outs.get(1).resolve("weights.safetensors")));
    }

    @Test
    void evalPrintsJsonPerTask() {
        Cli r = run("eval", "--model", dinPle.toString(), "--data", mtTest.toString(), "--json", "--device", "cpu");
        assertEquals(0, r.code(), r.toString());
        Map<String, Object> json = Json.parseObject(r.out());
        @SuppressWarnings("unchecked")
        Map<String, Object> tasks = (Map<String, Object>) json.get("tasks");
        assertEquals(List.of("click", "conversion"), new ArrayList<>(tasks.keySet()));
        @SuppressWarnings("unchecked")
        Map<String, Object> click = (Map<String, Object>) tasks.get("click");
        assertEquals(120, ((Number) click.get("n")).intValue(), "60 users × 2 test impressions");
        double auc = ((Number) click.get("auc")).doubleValue();
        assertTrue(auc > 0 && auc < 1, "auc " + auc);
        for (String k : List.of("gauc", "logloss")) {
            assertTrue(click.containsKey(k), k);
        }
        r = run("eval", "--model", din.toString(), "--data", test.toString(), "--device", "cpu");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("task"), r.out());
    }

    @Test
    void predictKeepsInputOrderAndScoresUnseenIds() throws IOException {
        Path out = dir.resolve("scores.csv");
        Cli r = run("predict", "--model", din.toString(), "--data", test.toString(), "--out", out.toString(), "--device", "cpu", "--batch-size", "7");
        assertEquals(0, r.code(), r.toString());
        List<String> all = Files.readAllLines(out);
        List<String> in = Files.readAllLines(test);
        assertEquals(in.size(), all.size());
        assertEquals("p_label", all.get(0));
        // The same rows reversed, plus a row of ids never seen in training, score the same in reverse order.
        List<String> rev = new ArrayList<>(in.subList(1, in.size()));
        java.util.Collections.reverse(rev);
        rev.add(0, in.get(0));
        rev.add("1,nobody,nothing,nowhere,x y,z w");
        Path revIn = dir.resolve("rev.csv");
        Files.write(revIn, rev);
        Path revOut = dir.resolve("rev-scores.csv");
        r = run("predict", "--model", din.toString(), "--data", revIn.toString(), "--out", revOut.toString(), "--device", "cpu");
        assertEquals(0, r.code(), r.toString());
        List<String> back = Files.readAllLines(revOut);
        int n = all.size() - 1;
        for (int i = 1; i <= n; i++) {
            assertEquals(all.get(i), back.get(n + 1 - i), "row " + i);
        }
        double p = Double.parseDouble(back.get(back.size() - 1));
        assertTrue(p > 0 && p < 1, "unseen ids still score: " + p);
    }

    @Test
    void explainShowsEveryBehaviourWithItsWeight() throws IOException {
        String row = Files.readAllLines(test).get(3);
        int hist = row.split(",", -1)[4].isBlank() ? 0 : row.split(",", -1)[4].trim().split(" +").length;
        Cli r = run("explain", "--model", din.toString(), "--data", test.toString(), "--row", "3", "--device", "cpu");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("history: " + hist + " behaviours"), r.out());
        long weightRows = r.out().lines().filter(l -> l.matches("\\s*\\d+\\s+\\S+\\s+\\S+\\s+-?\\d+\\.\\d{4}.*")).count();
        assertEquals(hist, weightRows, r.out());
        r = run("explain", "--model", dinPle.toString(), "--data", mtTest.toString(), "--row", "1", "--device", "cpu");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("gates"), r.out());
        r = run("explain", "--model", din.toString(), "--data", test.toString(), "--row", "100000", "--device", "cpu");
        assertEquals(1, r.code());
        assertTrue(r.errorLine().contains("--row: 100000 is past the end"), r.errorLine());
    }

    @Test
    void inspectDescribesTheModel() {
        Cli r = run("inspect", "--model", dinPle.toString(), "--tensors");
        assertEquals(0, r.code(), r.toString());
        for (String s : List.of("architecture: din-ple", "parameters:", "trainable", "vocabularies", "user_id", "training:", "ple.level0")) {
            assertTrue(r.out().contains(s), s + " missing:\n" + r.out());
        }
    }

    @Test
    void inspectReadsIdsAndCountsFromVocabulariesBin() throws IOException {
        // Categories counted from train.csv (candidate and behaviour columns, as the vocabulary counts them).
        List<String> lines = Files.readAllLines(train);
        List<String> header = List.of(lines.getFirst().split(","));
        int cand = header.indexOf("cate_id");
        int hist = header.indexOf("hist_cate_id");
        Map<String, Long> counts = new java.util.HashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",", -1);
            counts.merge(f[cand], 1L, Long::sum);
            for (String id : f[hist].isBlank() ? new String[0] : f[hist].strip().split("\\s+")) {
                counts.merge(id, 1L, Long::sum);
            }
        }
        long max = counts.values().stream().mapToLong(Long::longValue).max().orElseThrow();
        assertTrue(Files.isRegularFile(din.resolve("vocabularies.bin")), "format 2 keeps ids in vocabularies.bin");
        Cli r = run("inspect", "--model", din.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("din4j model format 2"), r.out());
        String line = r.out().lines().filter(l -> l.strip().startsWith("cate_id:")).findFirst().orElseThrow();
        String first = line.substring(line.indexOf("most frequent: ") + "most frequent: ".length()).split(", ")[0];
        String id = first.substring(0, first.lastIndexOf(" ×"));
        long n = Long.parseLong(first.substring(first.lastIndexOf(" ×") + 2));
        assertEquals(max, n, line);
        assertEquals(counts.get(id), n, line);
    }

    @Test
    void benchPrintsJson() {
        Cli r = run("bench", "--model", "din", "--batch", "8", "--hist", "3", "--reps", "5", "--warmup", "1", "--warmup-seconds", "0",
                "--max-warmup-seconds", "0", "--items", "100", "--embedding-dim", "4", "--device", "cpu", "--threads", "1", "--train", "--json");
        assertEquals(0, r.code(), r.toString());
        Map<String, Object> json = Json.parseObject(r.out());
        assertTrue(((Number) json.get("ms_per_batch")).doubleValue() > 0);
        assertTrue(((Number) json.get("samples_per_s")).doubleValue() > 0);
        assertEquals(1, ((Number) json.get("threads")).intValue());
        assertEquals(8, ((Number) json.get("batches")).intValue());
        // the spread is ordered around the median
        List<String> order = List.of("ms_min", "ms_p10", "ms_p25", "ms_per_batch", "ms_p75", "ms_p90", "ms_max");
        for (int i = 1; i < order.size(); i++) {
            assertTrue(((Number) json.get(order.get(i - 1))).doubleValue() <= ((Number) json.get(order.get(i))).doubleValue(), order.get(i) + " in " + r.out());
        }
        for (String k : List.of("spread_p10_p90", "warmup_s", "jit_ms_timed", "gc_timed", "native_bytes")) {
            assertTrue(json.get(k) instanceof Number n && n.doubleValue() >= 0, k + " in " + r.out());
        }
        assertTrue(((Number) json.get("native_bytes")).longValue() > 0, r.out());
        // every timed step and every host probe, in order: as many as --reps
        for (String k : List.of("ms_steps", "host_probe_ms_steps")) {
            assertTrue(json.get(k) instanceof List<?> l && l.size() == 5 && l.stream().allMatch(x -> x instanceof Number n && n.doubleValue() > 0),
                    k + " in " + r.out());
        }
        assertTrue(((Number) json.get("host_probe_ms")).doubleValue() > 0, r.out());
        assertTrue(json.get("boxed_vectors_suspected") instanceof Boolean, r.out());
    }

    @Test
    void benchOpsSaysWhereAStepsTimeGoesOpByOp() {
        Cli r = run("bench", "--model", "din", "--batch", "8", "--hist", "3", "--reps", "2", "--warmup", "1", "--warmup-seconds", "0",
                "--max-warmup-seconds", "0", "--items", "100", "--embedding-dim", "4", "--device", "cpu", "--threads", "1", "--train",
                "--ops", "3", "--json");
        assertEquals(0, r.code(), r.toString());
        Map<String, Object> json = Json.parseObject(r.out());
        assertEquals(3, ((Number) json.get("ops_steps")).intValue(), r.out());
        List<?> ops = (List<?>) json.get("ops");
        double share = 0;
        boolean attention = false;
        boolean backward = false;
        for (Object o : ops) {
            Map<?, ?> op = (Map<?, ?>) o;
            // a training step runs every op once, forward, and the backward of each op that has one
            assertEquals(1.0, ((Number) op.get("calls_per_step")).doubleValue(), op.toString());
            assertTrue(((Number) op.get("us_per_step")).doubleValue() >= 0, op.toString());
            share += ((Number) op.get("share")).doubleValue();
            attention |= "attention".equals(op.get("kind")) && "forward".equals(op.get("pass"));
            backward |= "backward".equals(op.get("pass"));
        }
        assertEquals(1.0, share, 1e-9, "the shares add up");
        assertTrue(attention && backward, r.out());

        Cli text = run("bench", "--model", "ple", "--batch", "64", "--hist", "3", "--reps", "2", "--warmup", "1", "--warmup-seconds", "0",
                "--max-warmup-seconds", "0", "--items", "100", "--embedding-dim", "4", "--device", "cpu", "--threads", "2", "--ops");
        assertEquals(0, text.code(), text.toString());
        assertTrue(text.out().contains("ops over 2 steps"), text.out());
        assertTrue(text.out().contains("gateMix ple.level0.gates.mix"), text.out());

        Cli bad = run("bench", "--ops", "0");
        assertEquals(2, bad.code());
        assertTrue(bad.errorLine().contains("--ops: '0' is not valid"), bad.errorLine());
    }

    @Test
    void benchTimesThePipelineOnTheUsersFileBesideTheSyntheticStep() throws IOException {
        Cli r = run("bench", "--model", "din", "--train", "--data", train.toString(), "--batch", "32", "--reps", "2", "--warmup", "1",
                "--warmup-seconds", "0", "--max-warmup-seconds", "0", "--embedding-dim", "4", "--device", "cpu", "--threads", "1", "--json");
        assertEquals(0, r.code(), r.toString());
        Map<String, Object> json = Json.parseObject(r.out());
        long rows;
        double behaviours = 0;
        try (var lines = Files.lines(train)) {
            List<String> data = lines.skip(1).toList();
            rows = data.size();
            int col = List.of(Files.readAllLines(train).getFirst().split(",")).indexOf("hist_item_id");
            for (String l : data) {
                String cell = l.split(",", -1)[col];
                behaviours += cell.isEmpty() ? 0 : cell.split(" ").length;
            }
        }
        assertEquals(rows, ((Number) json.get("data_rows")).longValue());
        assertEquals(rows, ((Number) json.get("pipeline_rows")).longValue(), "one pass over the file");
        assertEquals(behaviours / rows, ((Number) json.get("data_mean_history")).doubleValue(), 1e-9);
        assertEquals(Math.round(behaviours / rows), ((Number) json.get("hist")).intValue(), "the synthetic step runs at the data's mean history");
        assertTrue(((Number) json.get("pipeline_samples_per_s")).doubleValue() > 0, r.out());
        double wait = ((Number) json.get("pipeline_input_wait_share")).doubleValue();
        assertTrue(wait >= 0 && wait <= 1, r.out());

        Cli text = run("bench", "--model", "din", "--train", "--data", train.toString(), "--batch", "32", "--reps", "2", "--warmup", "1",
                "--warmup-seconds", "0", "--max-warmup-seconds", "0", "--embedding-dim", "4", "--device", "cpu", "--threads", "1");
        assertEquals(0, text.code(), text.toString());
        assertTrue(text.out().contains("synthetic step at the data's mean history"), text.out());
        assertTrue(text.out().contains("pipeline on " + train), text.out());
    }

    @Test
    void benchFlagErrorsNameTheFlag() {
        Cli r = run("bench", "--data", train.toString());
        assertEquals(2, r.code());
        assertTrue(r.errorLine().contains("--data: times the training pipeline and needs --train"), r.errorLine());
        r = run("bench", "--train", "--data", train.toString(), "--hist", "5");
        assertEquals(2, r.code());
        assertTrue(r.errorLine().contains("--hist: not used with --data"), r.errorLine());
        r = run("bench", "--train", "--data", dir.resolve("nope.csv").toString());
        assertEquals(1, r.code());
        assertEquals("din4j: --data: " + dir.resolve("nope.csv") + ": no such file", r.errorLine());
        r = run("bench", "--batches", "0");
        assertEquals(2, r.code());
        assertTrue(r.errorLine().contains("--batches: '0' is not valid"), r.errorLine());
        r = run("bench", "--max-warmup-seconds", "-1");
        assertEquals(2, r.code());
        assertTrue(r.errorLine().contains("--max-warmup-seconds: '-1.0' is not valid"), r.errorLine());
    }

    @Test
    void benchCountsDeviceWorkOnTheEmulatedCudaDevice() {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.din4j.backend.cuda.EmulatedDevice.available(), "no kernel emulator here");
        Cli r = run("bench", "--model", "din", "--batch", "4", "--hist", "3", "--reps", "1", "--warmup", "1", "--warmup-seconds", "0",
                "--items", "50", "--embedding-dim", "4", "--device", "cuda-emu", "--train", "--json");
        assertEquals(0, r.code(), r.toString());
        Map<String, Object> json = Json.parseObject(r.out());
        assertEquals("cuda-emu", json.get("device"));
        for (String k : List.of("kernels_per_step", "host_syncs_per_step", "uploads_per_step", "bytes_uploaded_per_step")) {
            assertTrue(json.get(k) instanceof Number n && n.doubleValue() > 0, k + " in " + r.out());
        }
        // the counted steps replay the step's two CUDA graphs: the upload's scatter is the only kernel launched alone
        assertEquals(2.0, ((Number) json.get("graph_launches_per_step")).doubleValue(), r.out());
        assertEquals(1.0, ((Number) json.get("host_launches_per_step")).doubleValue(), r.out());
        // every upload carries at least one byte and a step moves its batch: more bytes than uploads
        assertTrue(((Number) json.get("bytes_uploaded_per_step")).doubleValue() >= ((Number) json.get("uploads_per_step")).doubleValue());
    }

    @Test
    void userErrorsAreOneLineWithoutStackTraces() throws IOException {
        Path out = dir.resolve("never");
        Cli r = train("--train", train.toString(), "--model", "transformer", "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.errorLine().contains("--model: 'transformer' is not valid"), r.errorLine());
        // Every model type, from the one list in ModelConfig.Type, in the error and in both commands' help.
        for (ModelConfig.Type t : ModelConfig.Type.values()) {
            assertTrue(r.errorLine().contains(t.id()), t.id() + " in " + r.errorLine());
            assertTrue(run("train", "--help").out().contains(t.id()), t.id() + " in train --help");
            assertTrue(run("bench", "--help").out().contains(t.id()), t.id() + " in bench --help");
        }

        r = train("--train", dir.resolve("nope.csv").toString(), "--model", "din", "--out", out.toString());
        assertEquals(1, r.code());
        assertEquals("din4j: " + dir.resolve("nope.csv") + ": no such file", r.errorLine());

        Path bad = dir.resolve("bad.csv");
        Files.writeString(bad, "label,user_id,item_id,cate_id,hist_item_id,hist_cate_id\n1,u,i,c,a,x\n0,u,i,c,a b,x\n");
        r = train("--train", bad.toString(), "--model", "din", "--out", out.toString());
        assertEquals(1, r.code());
        assertEquals("din4j: " + bad + ":3: column hist_cate_id has 1 ids but hist_item_id has 2", r.errorLine());
        assertFalse(Files.exists(out), "no model directory after a failed run");

        Files.writeString(bad, "label,user_id,item_id,cate_id,hist_item_id,hist_cate_id\n1,u,i,c,a,x\nyes,u,i,c,a,x\n");
        r = run("eval", "--model", din.toString(), "--data", bad.toString(), "--device", "cpu");
        assertEquals(1, r.code());
        assertEquals("din4j: " + bad + ":3: column label: 'yes' is not a number", r.errorLine());

        Path scores = dir.resolve("bad-scores.csv");
        r = run("predict", "--model", din.toString(), "--data", bad.toString(), "--out", scores.toString(), "--device", "cpu", "--batch-size", "1");
        assertEquals(1, r.code());
        assertFalse(Files.exists(scores), "no half-written prediction file");

        Path header = dir.resolve("header.csv");
        Files.writeString(header, "label,user,item_id,cate_id,hist_item_id,hist_cate_id\n");
        r = run("eval", "--model", din.toString(), "--data", header.toString(), "--device", "cpu");
        assertEquals(1, r.code());
        assertTrue(r.errorLine().startsWith("din4j: " + header + ":1: missing sparse column 'user_id'"), r.errorLine());

        Path foreign = dir.resolve("foreign");
        Files.createDirectories(foreign);
        Files.writeString(foreign.resolve("model.json"), "{\"format\": \"onnx\", \"format_version\": 9}");
        r = run("eval", "--model", foreign.toString(), "--data", test.toString(), "--device", "cpu");
        assertEquals(1, r.code());
        assertTrue(r.errorLine().contains("not a din4j model"), r.errorLine());
        r = run("inspect", "--model", dir.resolve("data").toString());
        assertEquals(1, r.code());
        assertTrue(r.errorLine().contains("not a din4j model directory (no model.json)"), r.errorLine());

        Path mtTrain = dir.resolve("mt").resolve("train.csv.gz");
        r = train("--train", mtTrain.toString(), "--tasks", "click", "--model", "din", "--out", out.toString());
        assertEquals(1, r.code());
        assertTrue(r.errorLine().contains("column 'conversion' is not declared") && r.errorLine().contains("--ignore"), r.errorLine());
        Path clickOnly = dir.resolve("click-only");
        r = train("--train", mtTrain.toString(), "--tasks", "click", "--ignore", "conversion", "--model", "din", "--out", clickOnly.toString());
        assertEquals(0, r.code(), r.toString());

        Path precious = dir.resolve("precious");
        Files.createDirectories(precious);
        Files.writeString(precious.resolve("thesis.tex"), "keep me");
        r = train("--train", train.toString(), "--model", "base", "--out", precious.toString());
        assertEquals(1, r.code());
        assertTrue(r.errorLine().contains("exists and is not a din4j model directory"), r.errorLine());
        assertEquals("keep me", Files.readString(precious.resolve("thesis.tex")));

        r = train("--train", train.toString(), "--model", "din", "--out", out.toString(), "--min-count", "0");
        assertEquals(2, r.code());
        assertTrue(r.errorLine().contains("--min-count: '0'"), r.errorLine());
        r = run("eval", "--model", din.toString(), "--data", test.toString(), "--device", "tpu");
        assertEquals(2, r.code());
        assertTrue(r.errorLine().contains("--device: 'tpu'"), r.errorLine());

        // A folder that refuses new files (Linux /proc, even for root): the error names --out, not the hidden
        // temporary file beside it.
        if (Files.isDirectory(Path.of("/proc/self"))) {
            r = run("predict", "--model", din.toString(), "--data", test.toString(), "--out", "/proc/scores.csv", "--device", "cpu");
            assertEquals(1, r.code());
            assertTrue(r.errorLine().startsWith("din4j: /proc/scores.csv: cannot write ("), r.errorLine());
            // train checks before it reads any data, so the error is the only line (no epoch lines before it).
            r = train("--train", train.toString(), "--model", "din", "--out", "/proc/din-model");
            assertEquals(1, r.code());
            assertTrue(r.errorLine().startsWith("din4j: /proc/din-model: cannot write ("), r.errorLine());
        }
    }

    @Test
    void demoTrainsThreeModelsAndWritesTheReport() throws IOException {
        Path out = dir.resolve("demo");
        Cli r = run("demo", "--out", out.toString(), "--users", "20", "--samples-per-user", "5", "--epochs", "1",
                "--embedding-dim", "4", "--device", "cpu", "--threads", "1");
        assertEquals(0, r.code(), r.toString());
        for (String model : List.of("base", "din", "din-ple", "truth")) {
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith(model + " ")), model + " row missing:\n" + r.out());
        }
        assertEquals(List.of("data", "models", "report.html"), names(out));
        assertEquals(List.of("base", "din", "din-ple"), names(out.resolve("models")));
        String html = Files.readString(out.resolve("report.html"));
        for (String id : List.of("curves", "comparison", "attention", "gates")) {
            assertTrue(html.contains("<section id=\"" + id + "\">"), id);
        }
    }

    @Test
    void debugShowsTheStackTrace() {
        Cli r = run("eval", "--model", dir.resolve("missing").toString(), "--data", test.toString(), "--debug");
        assertEquals(1, r.code());
        assertTrue(r.err().lines().count() > 3, r.err());
        assertTrue(r.err().contains("at io.din4j"), r.err());
    }

    @Test
    void everyCommandHasHelpWithExamples() {
        for (String cmd : List.of("train", "eval", "predict", "explain", "inspect", "bench", "demo")) {
            Cli r = run(cmd, "--help");
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains("Example"), cmd + " --help has no example:\n" + r.out());
        }
    }
}
