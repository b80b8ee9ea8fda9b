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
 * JVM (so the JIT is warm after the first run) on synthetic worlds of several shapes and seeds, with and without
 * {@code --ignore user_id}, for every setting (λ of {@code --mba-lambda}, {@code --min-count}) in the grid, and
 * prints the table after every seed (so a sweep cut short still reports the seeds it finished).
 *
 * <p>Each world is written by {@code din4j generate} (5,000 items in 100 categories, Zipf popularity, so item_id is
 * heavy-tailed too); its test file is split by user into a validation half (early stopping, on by default) and a
 * test half, scored once by {@code din4j eval}. Shapes ({@code U} = the users argument):
 * Every user has as many test impressions as training ones (the latest half, {@code --test-fraction 0.5}).
 * <ul>
 *   <li>{@code few-noise}: U users × 2 training impressions, user_id replaced by a random id per row
 *       from a pool of half the training rows: about 2 rows per id (Poisson: 0 to ~7), no signal. A useless
 *       heavy-tailed field.</li>
 *   <li>{@code few-useful}: U users × 3 training impressions; every user draws a fixed answer
 *       z_u ~ Bernoulli(0.3) and each of its labels (training and test) is replaced by z_u with probability 1/2.
 *       The user id then carries as much signal as the items: a useful field with 3 rows per id.</li>
 *   <li>{@code many}: U/8 users × 20 training impressions: every field has plenty of rows.</li>
 *   <li>{@code two-task}: U users × 2 training impressions, {@code generate --tasks 2}, trained as {@code din-ple}: the
 *       issue's two-task world (user_id real but weak: the activity offset). AUC is the click task's (early stopping
 *       watches it); the conversion task's is printed in a second table.</li>
 * </ul>
 * Run by tools/sweep.sh; arguments: seeds, U, settings ({@code λ:min-count} comma-separated), epochs, shapes
 * (comma-separated).
 */
final class RegularisationSweep {
    private RegularisationSweep() {
    }

    record Setting(double lambda, int minCount) {
        @Override
        public String toString() {
            return fmt(lambda) + ":" + minCount;
        }
    }

    record Run(String world, long seed, Setting setting, boolean dropUser, double auc, double auc2, int keptEpoch) {
    }

    public static void main(String[] args) throws IOException {
        int seeds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int users = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        List<Setting> settings = new ArrayList<>();
        for (String s : (args.length > 2 ? args[2] : "2000:1,2000:3,5000:1").split(",")) {
            String[] p = s.split(":");
            settings.add(new Setting(Double.parseDouble(p[0]), Integer.parseInt(p[1])));
        }
        int epochs = args.length > 3 ? Integer.parseInt(args[3]) : 4;
        List<String> shapes = List.of((args.length > 4 ? args[4] : "few-noise,few-useful,many,two-task").split(","));
        Path root = Files.createTempDirectory("din4j-sweep");
        List<Run> runs = new ArrayList<>();
        long t0 = System.nanoTime();
        for (long seed = 1; seed <= seeds; seed++) {
            for (String world : shapes) {
                Path d = world(root, world, seed, users);
                for (Setting st : settings) {
                    for (boolean drop : new boolean[] {false, true}) {
                        Run r = run(d, world, seed, st, drop, epochs);
                        runs.add(r);
                        System.err.printf(Locale.ROOT, "%s seed %d λ %s min-count %d %s: AUC %.4f%s (epoch %d) [%.0f s]%n", world, seed,
                                fmt(st.lambda()), st.minCount(), drop ? "--ignore user_id" : "user_id kept", r.auc(),
                                Double.isNaN(r.auc2()) ? "" : String.format(Locale.ROOT, " / %.4f", r.auc2()), r.keptEpoch() + 1,
                                (System.nanoTime() - t0) / 1e9);
                    }
                }
            }
            System.out.printf(Locale.ROOT, "%n### after %d seed%s (%d runs, %.0f s)%n", seed, seed == 1 ? "" : "s", runs.size(),
                    (System.nanoTime() - t0) / 1e9);
            print(runs, shapes, settings);
            System.out.flush();
        }
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    /** Writes the world's train.csv, valid.csv and test.csv under {@code root}. */
    private static Path world(Path root, String name, long seed, int users) throws IOException {
        Path d = root.resolve(name + "-" + seed);
        int u = name.equals("many") ? users / 8 : users;
        // Training rows per user; as many test rows again (--test-fraction 0.5), so that the test halves are large
        // enough to compare settings (scoring costs little next to training).
        int trainPerUser = switch (name) {
            case "many" -> 20;
            case "few-useful" -> 3;
            case "few-noise", "two-task" -> 2;
            default -> throw new IllegalArgumentException("unknown shape " + name);
        };
        Cli g = Cli.run("generate", "--out", d.toString(), "--users", Integer.toString(u), "--samples-per-user",
                Integer.toString(2 * trainPerUser), "--test-fraction", "0.5", "--tasks", name.equals("two-task") ? "2" : "1", "--seed",
                Long.toString(seed));
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
        // Validation and test: the test impressions of odd and even users.
        List<String> test = Files.readAllLines(d.resolve("test.csv"));
        List<String> valid = new ArrayList<>(List.of(test.get(0)));
        List<String> held = new ArrayList<>(List.of(test.get(0)));
        for (String line : test.subList(1, test.size())) {
            (Integer.parseInt(line.split(",", -1)[userCol]) % 2 == 1 ? valid : held).add(line);
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
                "--no-report", "--epochs", Integer.toString(epochs), "--seed", Long.toString(seed), "--mba-lambda",
                Double.toString(st.lambda()), "--min-count", Integer.toString(st.minCount()), "--device", "cpu"));
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
        double auc2 = tasks.size() > 1 ? ((Number) ((Map<String, Object>) tasks.get(1)).get("auc")).doubleValue() : Double.NaN;
        return new Run(world, seed, st, drop, ((Number) ((Map<String, Object>) tasks.get(0)).get("auc")).doubleValue(), auc2,
                ((Number) training.get("kept_epoch")).intValue());
    }

    /**
     * Per world and setting, over the seeds done: mean test AUC keeping user_id and dropping it; the loss of keeping
     * it against the better of the two on each seed (mean ± standard deviation, worst), which is the target;
     * and the loss against the best run of the whole grid on that world and seed (what the setting costs against
     * tuning, mean and worst).
     */
    private static void print(List<Run> runs, List<String> shapes, List<Setting> settings) {
        System.out.println();
        System.out.println("| world | λ | min-count | AUC user_id kept | AUC --ignore user_id | loss vs better of the two: mean ± sd (worst) "
                + "| loss vs best of grid: mean (worst) | epoch kept (mean) |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        boolean twoTask = false;
        for (String world : shapes) {
            List<Run> rs = runs.stream().filter(r -> r.world().equals(world)).toList();
            if (rs.isEmpty()) {
                continue;
            }
            twoTask |= world.equals("two-task");
            long[] seeds = rs.stream().mapToLong(Run::seed).distinct().filter(s -> complete(rs, s, settings)).toArray();
            if (seeds.length == 0) {
                continue;
            }
            for (Setting st : settings) {
                double[] keep = new double[seeds.length];
                double[] dropped = new double[seeds.length];
                double[] gap = new double[seeds.length];
                double[] grid = new double[seeds.length];
                double epoch = 0;
                for (int i = 0; i < seeds.length; i++) {
                    long s = seeds[i];
                    Run k = find(rs, s, st, false);
                    keep[i] = k.auc();
                    dropped[i] = find(rs, s, st, true).auc();
                    gap[i] = Math.max(keep[i], dropped[i]) - keep[i];
                    grid[i] = rs.stream().filter(r -> r.seed() == s).mapToDouble(Run::auc).max().orElseThrow() - keep[i];
                    epoch += (k.keptEpoch() + 1.0) / seeds.length;
                }
                System.out.printf(Locale.ROOT, "| %s | %s | %d | %.4f | %.4f | %.4f ± %.4f (%.4f) | %.4f (%.4f) | %.1f |%n", world,
                        fmt(st.lambda()), st.minCount(), mean(keep), mean(dropped), mean(gap), sd(gap), max(gap), mean(grid), max(grid),
                        epoch);
            }
        }
        if (twoTask) {
            System.out.println();
            System.out.println("| two-task, conversion AUC | λ | min-count | user_id kept | --ignore user_id |");
            System.out.println("|---|---|---|---|---|");
            List<Run> rs = runs.stream().filter(r -> r.world().equals("two-task")).toList();
            long[] seeds = rs.stream().mapToLong(Run::seed).distinct().filter(s -> complete(rs, s, settings)).toArray();
            for (Setting st : settings) {
                if (seeds.length > 0) {
                    System.out.printf(Locale.ROOT, "| | %s | %d | %.4f | %.4f |%n", fmt(st.lambda()), st.minCount(),
                            Arrays.stream(seeds).mapToDouble(s -> find(rs, s, st, false).auc2()).average().orElseThrow(),
                            Arrays.stream(seeds).mapToDouble(s -> find(rs, s, st, true).auc2()).average().orElseThrow());
                }
            }
        }
    }

    private static boolean complete(List<Run> rs, long seed, List<Setting> settings) {
        return rs.stream().filter(r -> r.seed() == seed).count() == 2L * settings.size();
    }

    private static double mean(double[] x) {
        return Arrays.stream(x).average().orElse(Double.NaN);
    }

    private static double max(double[] x) {
        return Arrays.stream(x).max().orElse(Double.NaN);
    }

    /** Sample standard deviation (0 for one seed). */
    private static double sd(double[] x) {
        if (x.length < 2) {
            return 0;
        }
        double m = mean(x);
        return Math.sqrt(Arrays.stream(x).map(v -> (v - m) * (v - m)).sum() / (x.length - 1));
    }

    private static Run find(List<Run> rs, long seed, Setting st, boolean drop) {
        return rs.stream().filter(r -> r.seed() == seed && r.setting().equals(st) && r.dropUser() == drop).findFirst().orElseThrow();
    }
}
