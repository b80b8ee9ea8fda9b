package io.din4j.bench;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs this machine's limits ({@code io.din4j.bench.limits}) and then every JMH benchmark in
 * {@code io.din4j.bench.ops} (found through JMH's generated benchmark list, so new benchmark classes are picked up
 * without changes here), and prints a markdown table: each op's time, its rate from the class's static
 * {@code flops(method, params)} / {@code bytes(method, params)}, and that rate as a fraction of the FMA peak or
 * the copy bandwidth measured in the same run.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *      -cp benchmarks/target/din4j-benchmarks.jar io.din4j.bench.OpsReport [--quick|--full] [--forks N]
 *      [--warmup N] [--iterations N] [--time-ms N] [--warmup-ms N] [--include REGEX] [--out FILE] [--best]
 *      [--jvm-args "ARGS"]
 * </pre>
 */
public final class OpsReport {
    private static final String LIMITS = "io.din4j.bench.limits.";
    private static final String OPS = "io.din4j.bench.ops.";

    /**
     * Rates from the fastest iteration instead of the mean: on a machine shared with other work the fastest
     * iteration is the closest to what the op does alone (limits and ops are treated alike).
     */
    private static boolean useBest;

    private OpsReport() {
    }

    /** One benchmark's result with its work and rate. */
    record Row(String clazz, String method, Map<String, String> params, double ms, double msError, double msBest, double flops,
            double bytes) {
        /** The time the rates use: the mean, or with {@code --best} the fastest measured iteration. */
        double msUsed() {
            return useBest ? msBest : ms;
        }

        double gflops() {
            return flops / (msUsed() * 1e-3) / 1e9;
        }

        double gbytes() {
            return bytes / (msUsed() * 1e-3) / 1e9;
        }

        String simpleName() {
            return clazz.substring(clazz.lastIndexOf('.') + 1) + "." + method;
        }
    }

    public static void main(String[] args) throws RunnerException, IOException {
        int forks = 1;
        int warmup = 5;
        int iterations = 5;
        int timeMs = 500;
        int warmupMs = -1;
        List<String> jvmArgs = new ArrayList<>(List.of("--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-Xmx4g"));
        String include = ".*";
        String out = null;
        java.util.Map<String, String[]> params = new java.util.LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> {
                    forks = 1;
                    warmup = 5;
                    iterations = 5;
                    timeMs = 500;
                    warmupMs = 1000;
                }
                case "--full" -> {
                    forks = 3;
                    warmup = 5;
                    iterations = 10;
                    timeMs = 1000;
                }
                case "--forks" -> forks = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--iterations" -> iterations = Integer.parseInt(args[++i]);
                case "--time-ms" -> timeMs = Integer.parseInt(args[++i]);
                case "--include" -> include = args[++i];
                case "--out" -> out = args[++i];
                case "--best" -> useBest = true;
                case "--warmup-ms" -> warmupMs = Integer.parseInt(args[++i]);
                case "--jvm-args" -> jvmArgs.addAll(List.of(args[++i].trim().split("\\s+")));
                case "--param" -> {
                    // e.g. --param history=50 --param variant=folded: fixes a JMH @Param for every benchmark that has it
                    String[] kv = args[++i].split("=", 2);
                    params.put(kv[0], kv[1].split(","));
                }
                default -> {
                    System.err.println("usage: OpsReport [--quick|--full] [--forks N] [--warmup N] [--iterations N] "
                            + "[--time-ms N] [--warmup-ms N] [--include REGEX] [--param NAME=V1,V2] [--out FILE] [--best] [--jvm-args \"ARGS\"]");
                    System.exit(2);
                }
            }
        }
        if (warmupMs < 0) {
            warmupMs = timeMs;
        }
        String settings = String.format(Locale.ROOT, "forks %d, warmup %d × %d ms, measurement %d × %d ms; rates from the %s",
                forks, warmup, warmupMs, iterations, timeMs, useBest ? "fastest iteration" : "mean");

        String[] jvm = jvmArgs.toArray(String[]::new);
        String isa = VectorIsaProbe.isaOf(jvmArgs);
        java.util.regex.Matcher lanes = java.util.regex.Pattern.compile("\\((\\d+) f32 lanes\\)").matcher(isa);
        if (lanes.find()) {
            System.setProperty(io.din4j.bench.limits.MachineLimits.FORK_LANES, lanes.group(1));
        }
        List<Row> limits = run(options(forks, warmup, warmupMs, iterations, timeMs, jvm).include(quote(LIMITS) + ".*"));
        ChainedOptionsBuilder opsOptions = options(forks, warmup, warmupMs, iterations, timeMs, jvm).include(quote(OPS) + ".*" + include);
        params.forEach(opsOptions::param);
        List<Row> ops = run(opsOptions);

        double fmaPeak = rate(limits, "fmaAllThreads", true);
        double fmaOne = rate(limits, "fmaOneThread", true);
        double copyBw = rate(limits, "copyAllThreads", false);
        double copyOne = rate(limits, "copyOneThread", false);
        double readBw = rate(limits, "readAllThreads", false);

        StringBuilder md = new StringBuilder();
        md.append("## din4j op report\n\n");
        md.append(String.format(Locale.ROOT, "%s; %s %s, %d processors of %s; JMH %s.%n%n",
                ZonedDateTime.now().withNano(0), System.getProperty("java.vm.name"), System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(), VectorIsaProbe.cpuModel(), settings));
        md.append(String.format(Locale.ROOT, "Vector ISA of the benchmark JVMs: %s (JVM flags: %s).%n%n",
                isa, String.join(" ", jvmArgs)));
        md.append("Limits measured in this run:\n\n");
        md.append("| limit | value |\n|---|---:|\n");
        md.append(String.format(Locale.ROOT, "| f32 FMA peak, all threads | %.1f GFLOP/s |%n", fmaPeak));
        md.append(String.format(Locale.ROOT, "| f32 FMA peak, one thread | %.1f GFLOP/s |%n", fmaOne));
        md.append(String.format(Locale.ROOT, "| copy 256 MiB, all threads (read + write) | %.1f GB/s |%n", copyBw));
        md.append(String.format(Locale.ROOT, "| copy 256 MiB, one thread (read + write) | %.1f GB/s |%n", copyOne));
        md.append(String.format(Locale.ROOT, "| read 256 MiB, all threads | %.1f GB/s |%n%n", readBw));
        md.append("| benchmark | params | ms/op (mean ± 99.9%) | ms/op (best) | rate | of limit |\n|---|---|---:|---:|---:|---:|\n");
        for (Row r : ops) {
            String rate;
            String frac;
            if (!Double.isNaN(r.flops())) {
                rate = String.format(Locale.ROOT, "%.1f GFLOP/s", r.gflops());
                // A benchmark pinned to one thread is measured against the one-thread peak of the same run.
                boolean one = "1".equals(r.params().get("threads"));
                frac = String.format(Locale.ROOT, "%.0f%% of %s FMA peak", 100 * r.gflops() / (one ? fmaOne : fmaPeak),
                        one ? "one-thread" : "all-threads");
            } else if (!Double.isNaN(r.bytes())) {
                rate = String.format(Locale.ROOT, "%.1f GB/s", r.gbytes());
                boolean one = "1".equals(r.params().get("threads"));
                frac = String.format(Locale.ROOT, "%.0f%% of %s copy bw", 100 * r.gbytes() / (one ? copyOne : copyBw),
                        one ? "one-thread" : "all-threads");
            } else {
                rate = "–";
                frac = "–";
            }
            md.append(String.format(Locale.ROOT, "| %s | %s | %.4f ± %.4f | %.4f | %s | %s |%n", r.simpleName(),
                    params(r.params()), r.ms(), r.msError(), r.msBest(), rate, frac));
        }
        System.out.println();
        System.out.print(md);
        if (out != null) {
            Files.writeString(Path.of(out), md.toString());
            System.out.println("written to " + out);
        }
    }

    private static String quote(String pkg) {
        return pkg.replace(".", "\\.");
    }

    private static ChainedOptionsBuilder options(int forks, int warmup, int warmupMs, int iterations, int timeMs, String[] jvm) {
        return new OptionsBuilder()
                .mode(Mode.AverageTime)
                .timeUnit(TimeUnit.MILLISECONDS)
                .forks(forks)
                .warmupIterations(warmup)
                .warmupTime(TimeValue.milliseconds(warmupMs))
                .measurementIterations(iterations)
                .measurementTime(TimeValue.milliseconds(timeMs))
                .jvmArgsAppend(jvm)
                .shouldFailOnError(true);
    }

    private static List<Row> run(ChainedOptionsBuilder opts) throws RunnerException {
        Collection<RunResult> results = new Runner(opts.build()).run();
        List<Row> rows = new ArrayList<>();
        for (RunResult rr : results) {
            BenchmarkParams p = rr.getParams();
            String full = p.getBenchmark();
            String clazz = full.substring(0, full.lastIndexOf('.'));
            String method = full.substring(full.lastIndexOf('.') + 1);
            Map<String, String> params = new LinkedHashMap<>();
            for (String k : p.getParamsKeys()) {
                params.put(k, p.getParam(k));
            }
            rows.add(new Row(clazz, method, params, rr.getPrimaryResult().getScore(), rr.getPrimaryResult().getScoreError(),
                    rr.getPrimaryResult().getStatistics().getMin(), work(clazz, "flops", method, params),
                    work(clazz, "bytes", method, params)));
        }
        return rows;
    }

    /** Calls the benchmark class's static {@code flops} or {@code bytes}; NaN when it has none for the method. */
    private static double work(String clazz, String kind, String method, Map<String, String> params) {
        try {
            Method m = Class.forName(clazz).getMethod(kind, String.class, Map.class);
            Object v = m.invoke(null, method, params);
            return v instanceof Number n ? n.doubleValue() : Double.NaN;
        } catch (NoSuchMethodException e) {
            return Double.NaN;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(clazz + "." + kind + "(" + method + ") failed", e);
        }
    }

    private static double rate(List<Row> limits, String method, boolean flops) {
        for (Row r : limits) {
            if (r.method().equals(method)) {
                return flops ? r.gflops() : r.gbytes();
            }
        }
        return Double.NaN;
    }

    private static String params(Map<String, String> params) {
        StringBuilder s = new StringBuilder();
        params.forEach((k, v) -> s.append(s.isEmpty() ? "" : ", ").append(k).append('=').append(v));
        return s.toString();
    }
}
