package io.din4j.bench;

import io.din4j.bench.limits.MachineLimits;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Each op's rate as a fraction of the FMA peak measured right before and right after it, round after round, in one
 * JVM: a ratio whose two sides saw the same state of the machine.
 *
 * <p>Why beside {@link OpsReport}: that report measures the peak once, then each benchmark for seconds. On a host
 * whose FP units are throttled for stretches of seconds to minutes (the AVX2 server of 2026-12-06 halves its FMA rate
 * under load and for reasons outside the guest: docs/architecture.md, "The AVX2 server halves its FMA rate"), an op
 * and the peak it is divided by then come from different machines, and its percentage moves by 1.5× from report to
 * report. Here every round is {@code peak, op, peak} within about half a second; a round whose two peaks differ by
 * more than 10% straddled a change of state and is left out; the rest give a median and a range. On that host it
 * showed the peak holding its full rate in every round while the ops between moved by up to 2×: what moves them is
 * what they get from L2 and beyond, not the FP throttle (docs/architecture.md, "The ops move while the peak beside
 * them holds"). So a range here is the host's, and the median is what a user of that host gets.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp benchmarks/target/din4j-benchmarks.jar \
 *      io.din4j.bench.PairedRatios [--rounds N] [--op-ms N] [--warmup-s N] [--verbose] \
 *      'DenseBench.forward:shape=1024x256x768,weights=parameter,threads=1' 'AttentionBench.inference:activation=PRELU' ...
 * </pre>
 *
 * <p>An op is {@code Class.method} of a benchmark in {@code io.din4j.bench.ops} with {@code :name=value,...} for its
 * {@code @Param} fields (each unnamed one takes its annotation's first value). Its work comes from the class's static
 * {@code flops(method, params)}, as in the report. {@code threads=1} is divided by the one-thread peak, anything else
 * by the peak of every processor. Vector width and ISA are the JVM's own: pass {@code -XX:MaxVectorSize=16} or
 * {@code -XX:UseAVX=2} to the {@code java} command itself.
 */
public final class PairedRatios {
    private static final String OPS = "io.din4j.bench.ops.";
    /** Rounds of the FMA loop per peak measurement: 15 × ~2 ms, the best of them (as {@link MachineLimits}). */
    private static final int PEAK_ROUNDS = 15;
    /** Largest relative gap between a round's two peaks for the round to count. */
    private static final double SAME_STATE = 0.10;

    private PairedRatios() {
    }

    /** One op: a benchmark instance after its trial set-up, and the method timed. */
    private record Op(String spec, Object bench, Method method, Map<String, String> params, double flops, int threads) {
    }

    public static void main(String[] args) throws Exception {
        int rounds = 20;
        int opMs = 300;
        int warmupS = 4;
        boolean verbose = false;
        List<String> specs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rounds" -> rounds = positive(args, ++i);
                case "--op-ms" -> opMs = positive(args, ++i);
                case "--warmup-s" -> warmupS = positive(args, ++i);
                case "--verbose" -> verbose = true;
                default -> {
                    if (args[i].startsWith("--")) {
                        usage("unknown option " + args[i]);
                    }
                    specs.add(args[i]);
                }
            }
        }
        if (specs.isEmpty()) {
            usage("no op given");
        }
        List<Op> ops = new ArrayList<>();
        for (String s : specs) {
            ops.add(op(s));
        }
        int processors = Runtime.getRuntime().availableProcessors();
        System.out.printf(Locale.ROOT, "%s %s, %d processors of %s; vector ISA: %s%n", System.getProperty("java.vm.name"),
                System.getProperty("java.version"), processors, VectorIsaProbe.cpuModel(), io.din4j.backend.cpu.CpuBackend.vectorIsa());
        System.out.printf(Locale.ROOT, "%d rounds of peak, op (%d ms), peak; rounds whose peaks differ by more than %.0f%% left out%n%n",
                rounds, opMs, 100 * SAME_STATE);
        for (Op op : ops) {
            long until = System.nanoTime() + warmupS * 1_000_000_000L;
            while (System.nanoTime() < until) {
                op.method.invoke(op.bench);
            }
        }
        List<List<double[]>> results = new ArrayList<>();
        ops.forEach(o -> results.add(new ArrayList<>()));
        for (int r = 0; r < rounds; r++) {
            // ops in turn within a round, so a slow stretch of the host falls on all of them alike
            for (int i = 0; i < ops.size(); i++) {
                Op op = ops.get(i);
                int peakThreads = op.threads == 1 ? 1 : processors;
                double before = MachineLimits.fmaPeakGflops(peakThreads, PEAK_ROUNDS);
                double seconds = timeOp(op, opMs);
                double after = MachineLimits.fmaPeakGflops(peakThreads, PEAK_ROUNDS);
                double rate = op.flops / seconds / 1e9;
                results.get(i).add(new double[] {rate, before, after});
                if (verbose) {
                    System.out.printf(Locale.ROOT, "round %d, %s: peak %.1f, op %.1f, peak %.1f GFLOP/s%n", r, op.spec, before,
                            rate, after);
                }
            }
            if (!verbose) {
                System.out.print(".");
            }
        }
        System.out.println();
        System.out.println("| op | params | rounds kept | GFLOP/s (median) | peak (median of the pairs) | of peak: median (range) |");
        System.out.println("|---|---|---:|---:|---:|---:|");
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            List<double[]> kept = new ArrayList<>();
            for (double[] x : results.get(i)) {
                if (Math.abs(x[1] - x[2]) <= SAME_STATE * Math.max(x[1], x[2])) {
                    kept.add(x);
                }
            }
            if (kept.isEmpty()) {
                System.out.printf(Locale.ROOT, "| %s | %s | 0 of %d | – | – | – |%n", op.spec.split(":")[0], params(op.params), rounds);
                continue;
            }
            double[] rate = kept.stream().mapToDouble(x -> x[0]).sorted().toArray();
            double[] peak = kept.stream().mapToDouble(x -> (x[1] + x[2]) / 2).sorted().toArray();
            double[] frac = kept.stream().mapToDouble(x -> x[0] / ((x[1] + x[2]) / 2)).sorted().toArray();
            System.out.printf(Locale.ROOT, "| %s | %s | %d of %d | %.1f | %.1f | %.0f%% (%.0f–%.0f%%) |%n", op.spec.split(":")[0],
                    params(op.params), kept.size(), rounds, median(rate), median(peak), 100 * median(frac), 100 * frac[0],
                    100 * frac[frac.length - 1]);
        }
        for (Op op : ops) {
            for (Method m : op.bench.getClass().getMethods()) {
                TearDown t = m.getAnnotation(TearDown.class);
                if (t != null && t.value() == Level.Trial) {
                    m.invoke(op.bench);
                }
            }
        }
    }

    /** Seconds per call of {@code op}, the mean over calls for about {@code ms} milliseconds. */
    private static double timeOp(Op op, int ms) throws Exception {
        long start = System.nanoTime();
        long until = start + ms * 1_000_000L;
        int calls = 0;
        long now;
        do {
            op.method.invoke(op.bench);
            calls++;
        } while ((now = System.nanoTime()) < until);
        return (now - start) * 1e-9 / calls;
    }

    /** The op of a spec {@code Class.method[:name=value,...]}, its benchmark set up. */
    private static Op op(String spec) throws Exception {
        String[] parts = spec.split(":", 2);
        int dot = parts[0].lastIndexOf('.');
        if (dot < 0) {
            usage("op '" + spec + "' is not Class.method");
        }
        Class<?> clazz;
        try {
            clazz = Class.forName(OPS + parts[0].substring(0, dot));
        } catch (ClassNotFoundException e) {
            throw usage("no benchmark class " + parts[0].substring(0, dot) + " in " + OPS);
        }
        Method method;
        try {
            method = clazz.getMethod(parts[0].substring(dot + 1));
        } catch (NoSuchMethodException e) {
            throw usage("no benchmark method " + parts[0] + " (with no arguments)");
        }
        Object bench = clazz.getDeclaredConstructor().newInstance();
        Map<String, String> given = new LinkedHashMap<>();
        if (parts.length > 1 && !parts[1].isEmpty()) {
            for (String kv : parts[1].split(",")) {
                String[] p = kv.split("=", 2);
                if (p.length != 2) {
                    usage("parameter '" + kv + "' of " + parts[0] + " is not name=value");
                }
                given.put(p[0], p[1]);
            }
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (Field f : clazz.getFields()) {
            Param p = f.getAnnotation(Param.class);
            if (p == null) {
                continue;
            }
            String v = given.containsKey(f.getName()) ? given.remove(f.getName()) : p.value()[0];
            f.set(bench, switch (f.getType().getName()) {
                case "int" -> Integer.parseInt(v);
                case "long" -> Long.parseLong(v);
                case "boolean" -> Boolean.parseBoolean(v);
                default -> v;
            });
            params.put(f.getName(), v);
        }
        if (!given.isEmpty()) {
            usage(parts[0] + " has no parameter " + given.keySet().iterator().next());
        }
        for (Method m : clazz.getMethods()) {
            Setup s = m.getAnnotation(Setup.class);
            if (s != null && s.value() == Level.Trial) {
                try {
                    m.invoke(bench);
                } catch (java.lang.reflect.InvocationTargetException e) {
                    // a bad parameter value, or the benchmark's own check against the reference failing
                    throw usage("set-up of " + parts[0] + " " + params(params) + " failed: " + e.getCause());
                }
            }
        }
        Object work = clazz.getMethod("flops", String.class, Map.class).invoke(null, method.getName(), params);
        double flops = work instanceof Number n ? n.doubleValue() : Double.NaN;
        if (!(flops > 0)) {
            usage(parts[0] + " reports no FLOPs for these parameters");
        }
        int threads = params.containsKey("threads") ? Integer.parseInt(params.get("threads")) : 0;
        return new Op(spec, bench, method, params, flops, threads);
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static String params(Map<String, String> params) {
        StringBuilder s = new StringBuilder();
        params.forEach((k, v) -> s.append(s.isEmpty() ? "" : ", ").append(k).append('=').append(v));
        return s.toString();
    }

    private static int positive(String[] args, int i) {
        if (i >= args.length) {
            usage(args[i - 1] + " needs a value");
        }
        try {
            int v = Integer.parseInt(args[i]);
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw usage(args[i - 1] + " takes a positive integer, not '" + args[i] + "'");
    }

    private static IllegalArgumentException usage(String problem) {
        System.err.println("PairedRatios: " + problem);
        System.err.println("usage: PairedRatios [--rounds N] [--op-ms N] [--warmup-s N] [--verbose] Class.method[:name=value,...] ...");
        System.exit(2);
        return new IllegalArgumentException(problem);
    }
}
