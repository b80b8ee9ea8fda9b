package io.din4j.cli;

import io.din4j.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The sweep behind the training defaults (docs/models.md, "Choosing the defaults"): runs the command line in one
 * JVM (so the JIT is warm after the first run) on synthetic worlds of several shapes and seeds, with and without
 * {@code --ignore user_id}, for every setting in the grid, and prints the tables.
 *
 * <p>Each world is written by {@code din4j generate}; its test file is split by user into a validation half (for
 * early stopping, which is on by default) and a test half, scored once by {@code din4j eval}. Worlds:
 * <ul>
 *   <li>{@code few}: 2 training rows per user; the user's activity offset is real but hard to learn from 2 rows.</li>
 *   <li>{@code few-noise}: the same world with user_id replaced by a random id per row (about 2 rows per id, no
 *       signal): a useless heavy-tailed field.</li>
 *   <li>{@code many}: 20 training rows per user: every field has plenty of rows.</li>
 * </ul>
 * Run by tools/sweep.sh; arguments: seeds, users of the few-row worlds, users of the many-row world, the λ list
 * and the min-count list (comma-separated), epochs.
 */
final class RegularisationSweep {
    private RegularisationSweep() {
    }

    record Run(String world, long seed, double lambda, int minCount, boolean dropUser, double auc, int keptEpoch) {
    }

    public static void main(String[] args) throws IOException {
        int seeds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int fewUsers = args.length > 1 ? Integer.parseInt(args[1]) : 5000;
        int manyUsers = args.length > 2 ? Integer.parseInt(args[2]) : 500;
        double[] lambdas = args.length > 3 ? parse(args[3]) : new double[] {0, 100, 1000};
        int[] minCounts = args.length > 4 ? java.util.Arrays.stream(parse(args[4])).mapToInt(x -> (int) x).toArray() : new int[] {1, 3};
        int epochs = args.length > 5 ? Integer.parseInt(args[5]) : 4;
        Path root = Files.createTempDirectory("din4j-sweep");
        List<Run> runs = new ArrayList<>();
        long t0 = System.nanoTime();
        for (long seed = 1; seed <= seeds; seed++) {
            for (String world : List.of("few", "few-noise", "many")) {
                Path d = world(root, world, seed, world.equals("many") ? manyUsers : fewUsers);
                for (int mc : minCounts) {
                    for (double lambda : lambdas) {
                        for (boolean drop : new boolean[] {false, true}) {
                            Run r = run(d, world, seed, lambda, mc, drop, epochs);
                            runs.add(r);
                            System.err.printf(Locale.ROOT, "%s seed %d λ %s min-count %d %s: AUC %.4f (epoch %d) [%.0f s]%n", world, seed,
                                    fmt(lambda), mc, drop ? "--ignore user_id" : "user_id kept", r.auc(), r.keptEpoch() + 1,
                                    (System.nanoTime() - t0) / 1e9);
                        }
                    }
                }
            }
        }
        print(runs, lambdas, minCounts);
        System.out.printf(Locale.ROOT, "%n%d runs in %.0f s%n", runs.size(), (System.nanoTime() - t0) / 1e9);
    }

    private static double[] parse(String s) {
        return java.util.Arrays.stream(s.split(",")).mapToDouble(Double::parseDouble).toArray();
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    /** Writes the world's train.csv, valid.csv and test.csv under {@code root}. */
    private static Path world(Path root, String name, long seed, int users) throws IOException {
        Path d = root.resolve(name + "-" + seed);
        boolean many = name.equals("many");
        Cli g = Cli.run("generate", "--out", d.toString(), "--users", Integer.toString(users), "--samples-per-user", many ? "25" : "3",
                "--seed", Long.toString(seed));
        if (g.code() != 0) {
            throw new IllegalStateException(g.toString());
        }
        // Validation and test: the test impressions of odd and even users.
        List<String> test = Files.readAllLines(d.resolve("test.csv"));
        List<String> valid = new ArrayList<>(List.of(test.get(0)));
        List<String> held = new ArrayList<>(List.of(test.get(0)));
        for (String line : test.subList(1, test.size())) {
            (Integer.parseInt(line.split(",", 3)[1]) % 2 == 1 ? valid : held).add(line);
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
                    String[] c = lines.get(i).split(",", 3);
                    lines.set(i, c[0] + ",r" + rng.nextInt(pool) + "," + c[2]);
                }
                Files.write(d.resolve(f), lines);
            }
        }
        return d;
    }

    @SuppressWarnings("unchecked")
    private static Run run(Path d, String world, long seed, double lambda, int minCount, boolean drop, int epochs) throws IOException {
        Path out = d.resolve("model");
        List<String> a = new ArrayList<>(List.of("train", "--train", d.resolve("train.csv").toString(), "--valid",
                d.resolve("valid.csv").toString(), "--model", "din", "--out", out.toString(), "--no-report", "--epochs",
                Integer.toString(epochs), "--seed", Long.toString(seed), "--mba-lambda", Double.toString(lambda),
                "--min-count", Integer.toString(minCount), "--device", "cpu"));
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
        Map<String, Object> label = (Map<String, Object>) ((Map<String, Object>) Json.parseObject(e.out()).get("tasks")).get("label");
        Map<String, Object> training = (Map<String, Object>) Json.parseObject(Files.readString(out.resolve("model.json"))).get("training");
        return new Run(world, seed, lambda, minCount, drop, ((Number) label.get("auc")).doubleValue(),
                ((Number) training.get("kept_epoch")).intValue());
    }

    /**
     * Per world and setting: mean test AUC keeping user_id, dropping it, and the loss of keeping it against the
     * better of the two on each seed (mean and worst over seeds); then the same loss against the best of the whole
     * grid (what the defaults cost against tuning).
     */
    private static void print(List<Run> runs, double[] lambdas, int[] minCounts) {
        System.out.println();
        System.out.println("| world | λ | min-count | AUC user_id kept | AUC --ignore user_id | loss vs better of the two (mean / worst) | loss vs best of grid (worst) |");
        System.out.println("|---|---|---|---|---|---|---|");
        Map<String, List<Run>> byWorld = new LinkedHashMap<>();
        for (Run r : runs) {
            byWorld.computeIfAbsent(r.world(), k -> new ArrayList<>()).add(r);
        }
        byWorld.forEach((world, rs) -> {
            long[] seeds = rs.stream().mapToLong(Run::seed).distinct().toArray();
            for (int mc : minCounts) {
                for (double lambda : lambdas) {
                    double keep = 0;
                    double dropped = 0;
                    double gap = 0;
                    double worst = 0;
                    double worstGrid = 0;
                    for (long s : seeds) {
                        double k = find(rs, s, lambda, mc, false);
                        double dr = find(rs, s, lambda, mc, true);
                        double best = rs.stream().filter(r -> r.seed() == s).mapToDouble(Run::auc).max().orElseThrow();
                        keep += k / seeds.length;
                        dropped += dr / seeds.length;
                        gap += (Math.max(k, dr) - k) / seeds.length;
                        worst = Math.max(worst, Math.max(k, dr) - k);
                        worstGrid = Math.max(worstGrid, best - k);
                    }
                    System.out.printf(Locale.ROOT, "| %s | %s | %d | %.4f | %.4f | %.4f / %.4f | %.4f |%n", world, fmt(lambda), mc, keep,
                            dropped, gap, worst, worstGrid);
                }
            }
        });
    }

    private static double find(List<Run> rs, long seed, double lambda, int mc, boolean drop) {
        return rs.stream().filter(r -> r.seed() == seed && r.lambda() == lambda && r.minCount() == mc && r.dropUser() == drop)
                .mapToDouble(Run::auc).findFirst().orElseThrow();
    }
}
