package io.din4j.bench.peers;

import io.din4j.json.Json;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Java side of benchmarks/peers/compare.py: a long-lived worker that times din4j (cpu backend) or ONNX Runtime
 * on request, so the peers can be run alternately, shape by shape, without paying a JVM start and JIT warm-up for
 * every measurement.
 *
 * <pre>
 *   PeerWorker create DIR     writes the benchmark models DIR/din and DIR/ple (din4j model directories)
 *   PeerWorker din4j          worker: times din4j
 *   PeerWorker ort            worker: times ONNX Runtime on the ONNX file named in each request
 * </pre>
 *
 * A worker reads one JSON request per line on stdin — {@code model_dir}, {@code onnx} (ort), {@code mode}
 * ({@code infer}, {@code train}, {@code serving}), {@code batch}, {@code hist}, {@code threads}, {@code warmup_s},
 * {@code min_reps}, {@code min_s}, {@code max_reps}, optional {@code max_s} — and answers one JSON line: {@code ms} (every timed
 * repetition), {@code median_ms}, {@code warmup_ran_s} (the warm-up runs on until the JIT is quiet, see
 * {@link #measure}), {@code jit_ms_timed}, {@code threads}, or {@code error}. With {@code "ops": N} (din4j) it then
 * runs N more steps with {@link io.din4j.graph.OpTimes} on and adds {@code ops}: µs and calls per step of every op. With {@code "predict": true} it answers the
 * first task's {@code predictions} for the request's batch instead (the same batch for both engines). Inputs are random ids drawn uniformly from
 * each table, every history full (length T); {@code serving} is one user (USER fields and history shared by every
 * row) against {@code batch} candidates.
 */
public final class PeerWorker {
    /** One engine's way of preparing and running a request. */
    interface Engine {
        /** Prepares inputs for {@code req} and returns the timed step. */
        Runnable prepare(Map<String, Object> req) throws Exception;

        /** The first task's probabilities for the batch {@code req} describes (mode {@code infer}). */
        float[] predict(Map<String, Object> req) throws Exception;
    }

    private PeerWorker() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("create")) {
            BenchModels.create(Path.of(args[1]));
            return;
        }
        if (args.length != 1 || !(args[0].equals("din4j") || args[0].equals("ort"))) {
            System.err.println("usage: PeerWorker create DIR | PeerWorker din4j | PeerWorker ort");
            System.exit(2);
        }
        Engine engine = args[0].equals("din4j") ? new Din4jEngine() : new OrtEngine();
        // Answers go to the real stdout only; anything a library prints goes to stderr.
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        System.setOut(System.err);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) {
                continue;
            }
            Map<String, Object> req = Json.parseObject(line);
            if (Boolean.TRUE.equals(req.get("quit"))) {
                break;
            }
            Map<String, Object> res;
            try {
                if (Boolean.TRUE.equals(req.get("predict"))) {
                    res = new LinkedHashMap<>();
                    List<Object> p = new ArrayList<>();
                    for (float x : engine.predict(req)) {
                        p.add((double) x);
                    }
                    res.put("predictions", p);
                } else {
                    res = measure(engine.prepare(req), req);
                }
            } catch (Exception | Error e) {
                e.printStackTrace();
                res = new LinkedHashMap<>();
                res.put("error", e.toString());
            }
            res.put("threads", (long) integer(req, "threads"));
            out.println(Json.write(res).replaceAll("\\n\\s*", " ").trim());
        }
    }

    /** A warm-up second in which the JIT compiled for longer than this has not reached steady state. */
    static final long JIT_QUIET_MS_PER_S = 10;
    /** The longest the warm-up is extended while the JIT is still compiling. */
    static final double JIT_QUIET_MAX_S = 60;

    /**
     * Runs {@code step} for {@code warmup_s}, and on until the JIT has gone quiet (a second of steps with at most
     * {@value #JIT_QUIET_MS_PER_S} ms of compilation, for at most {@value #JIT_QUIET_MAX_S} s more), then times
     * repetitions until {@code min_reps} and {@code min_s} are both reached, or, after 3 repetitions, {@code max_s}
     * (optional) has passed. A fixed warm-up alone ended the DIN training case's while C2 was still compiling its
     * backward kernels, so its first round ran 1.2–1.6× slower than the next (notes.md). The answer says how long
     * the warm-up ran ({@code warmup_ran_s}) and how much compiling happened while timing ({@code jit_ms_timed}).
     */
    static Map<String, Object> measure(Runnable step, Map<String, Object> req) {
        double warmup = number(req, "warmup_s");
        int minReps = integer(req, "min_reps");
        int maxReps = integer(req, "max_reps");
        long minNanos = (long) (number(req, "min_s") * 1e9);
        long maxNanos = req.containsKey("max_s") ? (long) (number(req, "max_s") * 1e9) : Long.MAX_VALUE;
        long start = System.nanoTime();
        long end = start + (long) (warmup * 1e9);
        do {
            step.run();
        } while (System.nanoTime() < end);
        long cap = System.nanoTime() + (long) (JIT_QUIET_MAX_S * 1e9);
        long windowStart = System.nanoTime();
        long jitAtWindow = jitMillis();
        while (System.nanoTime() < cap) {
            step.run();
            long now = System.nanoTime();
            if (now - windowStart >= 1_000_000_000L) {
                long jit = jitMillis();
                if ((jit - jitAtWindow) * 1e9 / (now - windowStart) <= JIT_QUIET_MS_PER_S) {
                    break;
                }
                windowStart = now;
                jitAtWindow = jit;
            }
        }
        double warmupRan = (System.nanoTime() - start) / 1e9;
        long jitBefore = jitMillis();
        List<Object> ms = new ArrayList<>();
        double[] sorted = new double[maxReps];
        long t0 = System.nanoTime();
        int n = 0;
        while (n < maxReps && (n < minReps || System.nanoTime() - t0 < minNanos)
                && !(n >= 3 && System.nanoTime() - t0 >= maxNanos)) {
            long a = System.nanoTime();
            step.run();
            double d = (System.nanoTime() - a) / 1e6;
            ms.add(d);
            sorted[n++] = d;
        }
        java.util.Arrays.sort(sorted, 0, n);
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("ms", ms);
        res.put("median_ms", n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2);
        res.put("warmup_ran_s", warmupRan);
        res.put("jit_ms_timed", (double) (jitMillis() - jitBefore));
        if (req.containsKey("ops")) {
            // Where din4j's step spends its time, op by op (io.din4j.graph.OpTimes; thread time per step).
            int steps = integer(req, "ops");
            io.din4j.graph.OpTimes.start();
            for (int i = 0; i < steps; i++) {
                step.run();
            }
            List<Object> ops = new ArrayList<>();
            for (io.din4j.graph.OpTimes.Row r : io.din4j.graph.OpTimes.stop()) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("op", r.label());
                o.put("us_per_step", r.nanos() / 1e3 / steps);
                o.put("calls_per_step", r.calls() / (double) steps);
                ops.add(o);
            }
            res.put("ops", ops);
        }
        return res;
    }

    /** Milliseconds the JIT has compiled for so far, 0 where the JVM does not say. */
    private static long jitMillis() {
        CompilationMXBean c = ManagementFactory.getCompilationMXBean();
        return c != null && c.isCompilationTimeMonitoringSupported() ? c.getTotalCompilationTime() : 0;
    }

    static int integer(Map<String, Object> req, String key) {
        return (int) number(req, key);
    }

    static double number(Map<String, Object> req, String key) {
        Object v = req.get(key);
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException("request needs a number '" + key + "', got " + v);
        }
        return n.doubleValue();
    }

    static String string(Map<String, Object> req, String key) {
        Object v = req.get(key);
        if (!(v instanceof String s)) {
            throw new IllegalArgumentException("request needs a string '" + key + "', got " + v);
        }
        return s;
    }

    /** A small cache keyed by strings, closing nothing (workers live for one comparison run). */
    static final class Cache<V> {
        private final Map<String, V> map = new HashMap<>();

        interface Maker<V> {
            V make() throws Exception;
        }

        V get(String key, Maker<V> maker) throws Exception {
            V v = map.get(key);
            if (v == null) {
                v = maker.make();
                map.put(key, v);
            }
            return v;
        }
    }
}
