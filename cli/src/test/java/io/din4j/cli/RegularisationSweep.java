package io.din4j.cli;

import io.din4j.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The sweep behind the training defaults (docs/models.md, "Choosing the defaults"): runs the command line in one
 * JVM (so the JIT is warm after the first run) on synthetic worlds of several shapes and seeds and reports, per world,
 * paired differences: every arm of a seed trains on the same world, with the same {@code --seed}, and is scored on
 * the same test file, so what differs between arms is the setting (and the initialisation a different parameter set
 * draws), not the data. The spread of a difference across seeds gives its standard error.
 *
 * <p>Arms, each run once per world and seed: {@code default} (no regularisation flags at all, user_id in the CSV, as a
 * user would run it); {@code drop} (the same with {@code --ignore user_id}); and, for every setting
 * {@code λ:min-count} of the grid, that setting with user_id kept (and dropped too when written
 * {@code λ:min-count+drop}). A setting {@code λ:1} is the field kept in full (a row for every id; it keeps every rare
 * item id too, since {@code --min-count} is global).
 *
 * <p>Each world is written by {@code din4j generate} (5,000 items in 100 categories, Zipf popularity, so item_id is
 * heavy-tailed too) with T training impressions and K test impressions per user (the latest K); the test
 * impressions of odd users give the validation file (the first V of each: early stopping, on by default) and those
 * of even users the test file, scored once by {@code din4j eval}. K is chosen so the test file holds about the
 * requested number of rows: the test set costs only scoring, and its size bounds how finely two runs can be told
 * apart (one run's AUC has a standard error near 0.5/√(test rows) here). Shapes ({@code U} = the users argument):
 * <ul>
 *   <li>{@code few-noise}: U users × 2 training impressions, user_id replaced by a random id per row
 *       from a pool of half the training rows: about 2 rows per id (Poisson: 0 to ~8), no signal. A useless
 *       heavy-tailed field.</li>
 *   <li>{@code few-useful}: U users × 3 training impressions; every user draws a fixed answer
 *       z_u ~ Bernoulli(0.3) and each of its labels (training and test) is replaced by z_u with probability 1/2.
 *       The user id then carries as much signal as the items: a useful field with 3 rows per id.</li>
 *   <li>{@code many}: U/8 users × 20 training impressions: every field has plenty of rows.</li>
 *   <li>{@code two-task}: U users × 2 training impressions, {@code generate --tasks 2}, trained as {@code din-ple}: the
 *       issue's two-task world (user_id real but weak: the activity offset). AUC is the click task's (early stopping
 *       watches it).</li>
 * </ul>
 * Run by tools/sweep.sh; arguments: seeds, U, settings ({@code λ:min-count} comma-separated, may be empty), epochs
 * (0: train's default), shapes (comma-separated), test rows. Environment: {@code SWEEP_FIRST_SEED} (default 1: the
 * seeds run are first .. first + seeds − 1) and {@code SWEEP_RAW} (a file to append every run's line to, tab-separated,
 * {@link #RAW_HEADER}). {@code --from-tsv FILE...} instead prints the tables from such files (combined; a seed counts
 * for a world when every arm of it is present).
 */
final class RegularisationSweep {
    private RegularisationSweep() {
    }

    /** A grid point; {@code null} fields: the command line's default (no flag passed). */
    record Setting(Double lambda, Integer minCount, boolean withDrop) {
        static final Setting DEFAULT = new Setting(null, null, true);

        @Override
        public String toString() {
            return this.equals(DEFAULT) ? "default" : fmt(lambda) + ":" + minCount;
        }
    }

    record Run(String world, long seed, Setting setting, boolean dropUser, double auc, int keptEpoch, int epochsRun, double seconds,
               boolean selfDropped) {
    }

    /** Column names of the raw file ({@code SWEEP_RAW}); {@link #readRaw} reads what {@link #writeRaw} writes. */
    static final String RAW_HEADER = "world\tseed\tsetting\tuser_id\tauc\tepoch_kept\tepochs_run\tseconds\tself_dropped";

    public static void main(String[] args) throws IOException {
        if (args.length > 0 && args[0].equals("--from-tsv")) {
            try {
                fromTsv(Arrays.stream(args, 1, args.length).map(Path::of).toList());
            } catch (IllegalArgumentException | java.nio.file.NoSuchFileException e) {
                System.err.println("sweep: " + (e instanceof java.nio.file.NoSuchFileException ? "no such file: " : "") + e.getMessage());
                System.exit(2);
            }
            return;
        }
        int seeds = args.length > 0 ? Integer.parseInt(args[0]) : 6;
        int users = args.length > 1 ? Integer.parseInt(args[1]) : 10000;
        List<Setting> settings = new ArrayList<>(List.of(Setting.DEFAULT));
        for (String s : (args.length > 2 ? args[2] : "2000:1").split(",")) {
            if (!s.isBlank()) {
                boolean withDrop = s.endsWith("+drop");
                String[] p = s.replace("+drop", "").split(":");
                settings.add(new Setting(Double.parseDouble(p[0]), Integer.parseInt(p[1]), withDrop));
            }
        }
        int epochs = args.length > 3 ? Integer.parseInt(args[3]) : 0;
        List<String> shapes = List.of((args.length > 4 ? args[4] : "few-noise,few-useful,many,two-task").split(","));
        int testRows = args.length > 5 ? Integer.parseInt(args[5]) : 30000;
        // Seeds first .. first + seeds - 1: a world and its runs depend only on the seed, so a sweep can be continued or
        // split over several invocations and their raw files combined with --from-tsv.
        long first = Long.parseLong(env("SWEEP_FIRST_SEED", "1"));
        String rawPath = env("SWEEP_RAW", "");
        java.io.BufferedWriter raw = rawPath.isEmpty() ? null : openRaw(Path.of(rawPath));
        Path root = Files.createTempDirectory("din4j-sweep");
        List<Run> runs = new ArrayList<>();
        long t0 = System.nanoTime();
        for (long seed = first; seed < first + seeds; seed++) {
            for (String world : shapes) {
                Path d = world(root, world, seed, users, testRows);
                boolean defaultDropped = false;
                for (Setting st : settings) {
                    for (boolean drop : st.withDrop() ? new boolean[] {false, true} : new boolean[] {false}) {
                        long r0 = System.nanoTime();
                        Run r;
                        if (drop && st.equals(Setting.DEFAULT) && defaultDropped) {
                            // train dropped user_id by itself (no id reached --min-count): the drop arm is the same
                            // run (RareIdsTest checks the two models predict identically), so it is not run again.
                            Run k = find(runs, seed, st, false, world);
                            r = new Run(world, seed, st, true, k.auc(), k.keptEpoch(), k.epochsRun(), 0, false);
                        } else {
                            r = run(d, world, seed, st, drop, epochs);
                            defaultDropped |= st.equals(Setting.DEFAULT) && r.selfDropped();
                        }
                        r = new Run(r.world(), r.seed(), r.setting(), r.dropUser(), r.auc(), r.keptEpoch(), r.epochsRun(),
                                (System.nanoTime() - r0) / 1e9, r.selfDropped());
                        runs.add(r);
                        if (raw != null) {
                            writeRaw(raw, r);
                        }
                        System.err.printf(Locale.ROOT, "%s seed %d %s %s: AUC %.4f (epoch %d of %d, %.1f s) [%.0f s]%n", world, seed, st,
                                drop ? "--ignore user_id" : "user_id kept", r.auc(), r.keptEpoch() + 1, r.epochsRun(), r.seconds(),
                                (System.nanoTime() - t0) / 1e9);
                    }
                }
                deleteTree(d);
            }
            long done = seed - first + 1;
            System.out.printf(Locale.ROOT, "%n### after %d seed%s (%d to %d; %d runs, %.0f s)%n", done, done == 1 ? "" : "s", first, seed,
                    runs.size(), (System.nanoTime() - t0) / 1e9);
            print(runs, shapes, settings);
            System.out.flush();
        }
        deleteTree(root);
        if (raw != null) {
            raw.close();
        }
    }

    private static String env(String name, String otherwise) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? otherwise : v.trim();
    }

    /** Opens the raw file for appending (so chunks of one sweep can share a file), with the header when it is new. */
    static java.io.BufferedWriter openRaw(Path p) throws IOException {
        boolean fresh = !Files.exists(p) || Files.size(p) == 0;
        var w = Files.newBufferedWriter(p, java.nio.charset.StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
        if (fresh) {
            w.write(RAW_HEADER);
            w.newLine();
            w.flush();
        }
        return w;
    }

    /** One run as a line of the raw file, flushed at once: a sweep stopped midway keeps every run it finished. */
    static void writeRaw(java.io.BufferedWriter w, Run r) throws IOException {
        w.write(String.format(Locale.ROOT, "%s\t%d\t%s\t%s\t%.6f\t%d\t%d\t%.1f\t%b", r.world(), r.seed(), r.setting(),
                r.dropUser() ? "dropped" : "kept", r.auc(), r.keptEpoch() + 1, r.epochsRun(), r.seconds(), r.selfDropped()));
        w.newLine();
        w.flush();
    }

    /**
     * The raw files' runs. A run (world, seed, setting, user_id) found twice is kept once: training is deterministic
     * given the seed and the files, so a repeat must agree, and one that does not is reported on stderr (a sign that
     * the code changed between the two invocations).
     */
    static List<Run> readRaw(List<Path> files) throws IOException {
        List<String[]> rows = new ArrayList<>();
        for (Path f : files) {
            List<String> lines = Files.readAllLines(f);
            if (lines.isEmpty() || !lines.get(0).equals(RAW_HEADER)) {
                throw new IllegalArgumentException(f + ": not a sweep raw file (its first line must be: " + RAW_HEADER.replace('\t', ' ') + ")");
            }
            for (String line : lines.subList(1, lines.size())) {
                if (!line.isBlank()) {
                    String[] c = line.split("\t", -1);
                    if (c.length != 9) {
                        throw new IllegalArgumentException(f + ": expected 9 tab-separated columns: " + line);
                    }
                    rows.add(c);
                }
            }
        }
        // A setting with a dropped row anywhere is a "+drop" setting (the default always is): Setting equality needs it.
        java.util.Set<String> dropped = new java.util.HashSet<>();
        for (String[] c : rows) {
            if (c[3].equals("dropped")) {
                dropped.add(c[2]);
            }
        }
        Map<String, Run> byKey = new java.util.LinkedHashMap<>();
        for (String[] c : rows) {
            Setting st;
            if (c[2].equals("default")) {
                st = Setting.DEFAULT;
            } else {
                String[] p = c[2].split(":");
                st = new Setting(Double.parseDouble(p[0]), Integer.parseInt(p[1]), dropped.contains(c[2]));
            }
            boolean drop = switch (c[3]) {
                case "kept" -> false;
                case "dropped" -> true;
                default -> throw new IllegalArgumentException("user_id column must be kept or dropped: " + String.join("\t", c));
            };
            Run r = new Run(c[0], Long.parseLong(c[1]), st, drop, Double.parseDouble(c[4]), Integer.parseInt(c[5]) - 1,
                    Integer.parseInt(c[6]), Double.parseDouble(c[7]), Boolean.parseBoolean(c[8]));
            String key = c[0] + "\t" + c[1] + "\t" + c[2] + "\t" + c[3];
            Run before = byKey.putIfAbsent(key, r);
            if (before != null && (before.auc() != r.auc() || before.keptEpoch() != r.keptEpoch())) {
                System.err.printf(Locale.ROOT, "warning: %s found twice with different results (AUC %.6f, %.6f); keeping the first%n",
                        key.replace('\t', ' '), before.auc(), r.auc());
            }
        }
        return new ArrayList<>(byKey.values());
    }

    /** The tables from raw files alone: worlds and settings in the order they first appear, seeds complete in all. */
    private static void fromTsv(List<Path> files) throws IOException {
        if (files.isEmpty()) {
            throw new IllegalArgumentException("--from-tsv needs at least one raw file");
        }
        List<Run> runs = readRaw(files);
        List<String> shapes = runs.stream().map(Run::world).distinct().toList();
        List<Setting> settings = new ArrayList<>(List.of(Setting.DEFAULT));
        runs.stream().map(Run::setting).distinct().filter(st -> !st.equals(Setting.DEFAULT)).forEach(settings::add);
        System.out.printf(Locale.ROOT, "### from %d raw file%s (%d runs)%n", files.size(), files.size() == 1 ? "" : "s", runs.size());
        print(runs, shapes, settings);
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private static void deleteTree(Path d) throws IOException {
        try (var s = Files.walk(d)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** Writes the world's train.csv, valid.csv and test.csv under {@code root}. */
    private static Path world(Path root, String name, long seed, int users, int testRows) throws IOException {
        Path d = root.resolve(name + "-" + seed);
        int u = name.equals("many") ? users / 8 : users;
        int trainPerUser = switch (name) {
            case "many" -> 20;
            case "few-useful" -> 3;
            case "few-noise", "two-task" -> 2;
            default -> throw new IllegalArgumentException("unknown shape " + name);
        };
        // K test impressions per user, the latest: even users' K go to the test file (about testRows rows), odd
        // users' first V to the validation file (about testRows / 3 rows: early stopping needs less).
        int k = Math.max(1, (int) Math.ceil(2.0 * testRows / u));
        int v = Math.max(1, k / 3);
        int s = trainPerUser + k;
        // generate takes the test share as a fraction and rounds K up from it; nudged down so that it gives exactly k.
        double fraction = (k - 0.5) / s;
        Cli g = Cli.run("generate", "--out", d.toString(), "--users", Integer.toString(u), "--samples-per-user", Integer.toString(s),
                "--test-fraction", Double.toString(fraction), "--tasks", name.equals("two-task") ? "2" : "1", "--seed", Long.toString(seed));
        if (g.code() != 0) {
            throw new IllegalStateException(g.toString());
        }
        List<String> header = List.of(Files.readAllLines(d.resolve("train.csv")).get(0).split(","));
        int userCol = header.indexOf("user_id");
        if (name.equals("few-useful")) {
            // Labels mixed with a per-user constant: test labels too, so the user id is worth learning.
            SplittableRandom zr = new SplittableRandom(seed * 104729);
            int[] z = new int[u + 1];
            for (int i = 1; i <= u; i++) {
                z[i] = zr.nextDouble() < 0.3 ? 1 : 0;
            }
            SplittableRandom mix = new SplittableRandom(seed * 15485863);
            for (String f : List.of("train.csv", "test.csv")) {
                List<String> lines = Files.readAllLines(d.resolve(f));
                for (int i = 1; i < lines.size(); i++) {
                    String[] c = lines.get(i).split(",", -1);
                    if (mix.nextBoolean()) {
                        c[0] = Integer.toString(z[Integer.parseInt(c[userCol])]);
                    }
                    lines.set(i, String.join(",", c));
                }
                Files.write(d.resolve(f), lines);
            }
        }
        List<String> test = Files.readAllLines(d.resolve("test.csv"));
        List<String> valid = new ArrayList<>(List.of(test.get(0)));
        List<String> held = new ArrayList<>(List.of(test.get(0)));
        Map<Integer, Integer> seen = new java.util.HashMap<>();
        for (String line : test.subList(1, test.size())) {
            int user = Integer.parseInt(line.split(",", -1)[userCol]);
            if (user % 2 == 0) {
                held.add(line);
            } else if (seen.merge(user, 1, Integer::sum) <= v) {
                valid.add(line);
            }
        }
        Files.write(d.resolve("valid.csv"), valid);
        Files.write(d.resolve("test.csv"), held);
        if (name.equals("few-noise")) {
            List<String> train = Files.readAllLines(d.resolve("train.csv"));
            int pool = Math.max(1, (train.size() - 1) / 2);
            SplittableRandom rng = new SplittableRandom(seed * 7919);
            for (String f : List.of("train.csv", "valid.csv", "test.csv")) {
                List<String> lines = Files.readAllLines(d.resolve(f));
                for (int i = 1; i < lines.size(); i++) {
                    String[] c = lines.get(i).split(",", -1);
                    c[userCol] = "r" + rng.nextInt(pool);
                    lines.set(i, String.join(",", c));
                }
                Files.write(d.resolve(f), lines);
            }
        }
        return d;
    }

    @SuppressWarnings("unchecked")
    private static Run run(Path d, String world, long seed, Setting st, boolean drop, int epochs) throws IOException {
        Path out = d.resolve("model");
        List<String> a = new ArrayList<>(List.of("train", "--train", d.resolve("train.csv").toString(), "--valid",
                d.resolve("valid.csv").toString(), "--model", world.equals("two-task") ? "din-ple" : "din", "--out", out.toString(),
                "--no-report", "--seed", Long.toString(seed), "--device", "cpu"));
        if (epochs > 0) {
            a.addAll(List.of("--epochs", Integer.toString(epochs)));
        }
        if (st.lambda() != null) {
            a.addAll(List.of("--mba-lambda", Double.toString(st.lambda()), "--min-count", Integer.toString(st.minCount())));
        }
        if (drop) {
            a.addAll(List.of("--ignore", "user_id"));
        }
        Cli t = Cli.run(a.toArray(String[]::new));
        if (t.code() != 0) {
            throw new IllegalStateException(t.toString());
        }
        Cli e = Cli.run("eval", "--model", out.toString(), "--data", d.resolve("test.csv").toString(), "--json", "--device", "cpu");
        if (e.code() != 0) {
            throw new IllegalStateException(e.toString());
        }
        List<Object> tasks = new ArrayList<>(((Map<String, Object>) Json.parseObject(e.out()).get("tasks")).values());
        Map<String, Object> training = (Map<String, Object>) Json.parseObject(Files.readString(out.resolve("model.json"))).get("training");
        int ran = ((List<Object>) training.get("epochs")).size();
        return new Run(world, seed, st, drop, ((Number) ((Map<String, Object>) tasks.get(0)).get("auc")).doubleValue(),
                ((Number) training.get("kept_epoch")).intValue(), ran, 0, t.out().contains("train: dropping user_id"));
    }

    /**
     * Per world: every arm's mean test AUC and its paired difference from the default arm (arm − default on each
     * seed: mean ± standard error over the seeds, and the seeds' range); then the figure, the default's loss
     * against the better of keeping user_id (in full, the {@code λ:1} arm of the default λ, when swept; else the
     * default itself) and dropping it: max(0, mean(drop − default), mean(keep − default)), with the standard error of
     * the larger difference, and a bound (the larger of the two differences' mean + 2 standard errors, at least 0): the
     * loss is resolved below 0.005 when that bound is. Differences of means, not means of per-seed maxima: the better option is chosen once for a
     * world, not per seed, and a per-seed maximum of two noisy figures is biased upwards.
     */
    private static void print(List<Run> runs, List<String> shapes, List<Setting> settings) {
        System.out.println();
        System.out.println("| world | arm | mean test AUC | arm − default: mean ± SE | range over seeds | epoch kept (mean) | s per run |");
        System.out.println("|---|---|---|---|---|---|---|");
        List<String> verdicts = new ArrayList<>();
        for (String world : shapes) {
            List<Run> rs = runs.stream().filter(r -> r.world().equals(world)).toList();
            long[] seeds = rs.stream().mapToLong(Run::seed).distinct().filter(s -> complete(rs, s, settings)).toArray();
            if (seeds.length == 0) {
                continue;
            }
            double[] def = Arrays.stream(seeds).mapToDouble(s -> find(rs, s, Setting.DEFAULT, false).auc()).toArray();
            Map<String, double[]> diffs = new java.util.LinkedHashMap<>();
            for (Setting st : settings) {
                for (boolean drop : st.withDrop() ? new boolean[] {false, true} : new boolean[] {false}) {
                    double[] auc = new double[seeds.length];
                    double[] diff = new double[seeds.length];
                    double epoch = 0;
                    double secs = 0;
                    for (int i = 0; i < seeds.length; i++) {
                        Run r = find(rs, seeds[i], st, drop);
                        auc[i] = r.auc();
                        diff[i] = r.auc() - def[i];
                        epoch += (r.keptEpoch() + 1.0) / seeds.length;
                        secs += r.seconds() / seeds.length;
                    }
                    String arm = (st.equals(Setting.DEFAULT) ? (drop ? "drop (--ignore user_id)" : "**default**")
                            : st + (drop ? " --ignore user_id" : ""));
                    diffs.put(arm, diff);
                    String d = st.equals(Setting.DEFAULT) && !drop ? "" : String.format(Locale.ROOT, "%+.4f ± %.4f", mean(diff), se(diff));
                    String range = st.equals(Setting.DEFAULT) && !drop ? "" : String.format(Locale.ROOT, "%+.4f … %+.4f", min(diff), max(diff));
                    System.out.printf(Locale.ROOT, "| %s | %s | %.4f | %s | %s | %.1f | %.1f |%n", world, arm, mean(auc), d, range, epoch, secs);
                }
            }
            double[] drop = diffs.get("drop (--ignore user_id)");
            String keepArm = fmt(Training.DEFAULT_MBA_LAMBDA) + ":1";
            double[] keep = diffs.getOrDefault(keepArm, new double[seeds.length]);
            boolean dropBetter = mean(drop) >= mean(keep);
            double[] worse = dropBetter ? drop : keep;
            double loss = Math.max(0, mean(worse));
            double bound = Math.max(0, Math.max(mean(drop) + 2 * se(drop), diffs.containsKey(keepArm) ? mean(keep) + 2 * se(keep) : 0));
            verdicts.add(String.format(Locale.ROOT, "| %s | %d | %+.4f ± %.4f | %s | %+.4f ± %.4f | %.4f | %.4f | %s |", world, seeds.length,
                    mean(drop), se(drop), diffs.containsKey(keepArm) ? String.format(Locale.ROOT, "%+.4f ± %.4f", mean(keep), se(keep)) : "(not swept)",
                    mean(worse), se(worse), loss, bound, seeds.length < 2 ? "n/a (one seed: no SE)" : bound <= 0.005 ? "yes" : "no"));
        }
        System.out.println();
        System.out.println("| world | seeds | drop − default | keep in full − default | better − default | loss (target ≤ 0.005) | bound: max(0, mean + 2 SE of each) | resolved (bound ≤ 0.005) |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        verdicts.forEach(System.out::println);
    }

    private static boolean complete(List<Run> rs, long seed, List<Setting> settings) {
        return rs.stream().filter(r -> r.seed() == seed).count() == settings.stream().mapToLong(st -> st.withDrop() ? 2 : 1).sum();
    }

    private static double mean(double[] x) {
        return Arrays.stream(x).average().orElse(Double.NaN);
    }

    private static double max(double[] x) {
        return Arrays.stream(x).max().orElse(Double.NaN);
    }

    private static double min(double[] x) {
        return Arrays.stream(x).min().orElse(Double.NaN);
    }

    /** Standard error of the mean: sample standard deviation / √n (0 for one seed). */
    private static double se(double[] x) {
        if (x.length < 2) {
            return 0;
        }
        double m = mean(x);
        return Math.sqrt(Arrays.stream(x).map(v -> (v - m) * (v - m)).sum() / (x.length - 1) / x.length);
    }

    private static Run find(List<Run> rs, long seed, Setting st, boolean drop) {
        return rs.stream().filter(r -> r.seed() == seed && r.setting().equals(st) && r.dropUser() == drop).findFirst().orElseThrow();
    }

    private static Run find(List<Run> rs, long seed, Setting st, boolean drop, String world) {
        return find(rs.stream().filter(r -> r.world().equals(world)).toList(), seed, st, drop);
    }
}
