package io.din4j.bench.gpu;

import io.din4j.backend.Activation;
import io.din4j.backend.AttentionParams;
import io.din4j.backend.AttentionUnit;
import io.din4j.backend.AttentionWorkspace;
import io.din4j.backend.DiceState;
import io.din4j.backend.SparseGrad;
import io.din4j.backend.cuda.CudaBackend;
import io.din4j.backend.cuda.Device;
import io.din4j.data.Batch;
import io.din4j.data.FeatureSchema;
import io.din4j.json.Json;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import io.din4j.train.TrainConfig;
import io.din4j.train.Trainer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The GPU half of the device check (benchmarks/gpu/device-check.sh): times each cuda kernel family with CUDA events
 * and reports its achieved bandwidth or FLOP rate against the card's limits, then DIN and DIN+PLE training and
 * inference throughput in samples/s; writes {@code gpu-bench.json} and {@code gpu-bench.md} into the output folder.
 *
 * <p>Faults lose nothing: each benchmark ({@link #units}) runs in its own child JVM (a CUDA fault poisons the whole
 * context, a hang or a crash the whole process), which appends each result to {@code gpu-bench.jsonl} as soon as
 * it is measured; after every child the parent rewrites the JSON and markdown, with a row naming each benchmark
 * that failed (its exit status or time-out and its last output line), and goes on with the next.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp din4j-gpu.jar \
 *      io.din4j.bench.gpu.GpuBench [--device cuda|cuda-emu] [--quick] [--out DIR] [--budget-s N]
 *      [--hbm-gbps 4800] [--fp32-tflops 67] [--only UNIT,UNIT] [--in-process] [--unit-timeout-s 90]
 * </pre>
 * {@code --device cuda-emu --quick} runs every code path on the emulator with tiny shapes (a smoke test; the
 * timings mean nothing there). {@code --in-process} runs every benchmark in this JVM, each inside its own
 * try/catch (no protection from a crash or a poisoned context).
 */
public final class GpuBench {
    /** A child's exit status when the device does not open: no later benchmark can run either. */
    static final int NO_DEVICE = 4;

    /** Where a child JVM appends its results, one JSON object per line. */
    static final String JSONL = "gpu-bench.jsonl";

    private final CudaBackend cuda;
    private final Device device;
    private final boolean quick;
    private final double hbmGbps;
    private final double fp32Tflops;
    private final Path results;
    private final String unit;

    private GpuBench(CudaBackend cuda, boolean quick, double hbmGbps, double fp32Tflops, Path results, String unit) {
        this.cuda = cuda;
        this.device = cuda.device();
        this.quick = quick;
        this.hbmGbps = hbmGbps;
        this.fp32Tflops = fp32Tflops;
        this.results = results;
        this.unit = unit;
    }

    /** The benchmarks, by name, in the order they run: kernel families, then the models. */
    static List<String> units(boolean quick) {
        List<String> u = new ArrayList<>(List.of("gather-pool", "attention-dice", "attention-prelu", "dense", "sparse",
                "loss-reduce"));
        for (String model : new String[] {"DIN", "DIN_PLE"}) {
            for (int t : quick ? new int[] {5} : new int[] {50, 100}) {
                for (int b : quick ? new int[] {8} : new int[] {4096, 65536}) {
                    u.add(model + "-B" + b + "-T" + t);
                }
            }
        }
        return u;
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        String dev = "cuda";
        boolean quick = false;
        boolean inProcess = false;
        Path out = Path.of(".");
        double hbm = 4800;
        double tflops = 67;
        long budget = 300;
        long unitTimeout = 90;
        String child = null;
        String fail = null;
        List<String> only = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--device" -> dev = args[++i];
                case "--quick" -> quick = true;
                case "--in-process" -> inProcess = true;
                case "--out" -> out = Path.of(args[++i]);
                case "--hbm-gbps" -> hbm = Double.parseDouble(args[++i]);
                case "--fp32-tflops" -> tflops = Double.parseDouble(args[++i]);
                case "--budget-s" -> budget = Long.parseLong(args[++i]);
                case "--unit-timeout-s" -> unitTimeout = Long.parseLong(args[++i]);
                case "--only" -> only = List.of(args[++i].split(","));
                case "--child" -> child = args[++i];
                // test hook: the named benchmark's process dies (halt) after its first result, as on a crash
                case "--fail" -> fail = args[++i];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Files.createDirectories(out);
        List<String> units = units(quick);
        if (only != null) {
            for (String u : only) {
                if (!units.contains(u)) {
                    throw new IllegalArgumentException("--only: no benchmark " + u + " (have " + units + ")");
                }
            }
            units = units.stream().filter(only::contains).toList();
        }
        Path jsonl = out.resolve(JSONL);
        if (child != null) {
            CudaBackend b;
            try {
                b = open(dev);
            } catch (RuntimeException e) {
                System.out.println("device " + dev + " did not open: " + e.getMessage());
                System.exit(NO_DEVICE);
                return;
            }
            try (b) {
                new GpuBench(b, quick, hbm, tflops, jsonl, child).run(child, child.equals(fail));
            }
            return;
        }
        Files.deleteIfExists(jsonl);
        long deadline = System.nanoTime() + budget * 1_000_000_000L;
        String description;
        if (inProcess) {
            try (CudaBackend b = open(dev)) {
                description = b.device().description();
                System.out.println("device: " + description);
                for (String u : units) {
                    long left = (deadline - System.nanoTime()) / 1_000_000_000L;
                    if (left <= 0) {
                        record(jsonl, failure(u, "skipped: time budget spent"));
                        continue;
                    }
                    try {
                        new GpuBench(b, quick, hbm, tflops, jsonl, u).run(u, u.equals(fail));
                    } catch (RuntimeException e) {
                        System.out.println(u + " failed: " + e);
                        record(jsonl, failure(u, e.toString()));
                    }
                    write(out, description, hbm, tflops);
                }
            }
        } else {
            description = dev;
            String noDevice = null;
            for (String u : units) {
                long left = (deadline - System.nanoTime()) / 1_000_000_000L;
                if (noDevice != null) {
                    record(jsonl, failure(u, "not run: " + noDevice));
                } else if (left <= 5) {
                    System.out.println("time budget spent: skipping " + u);
                    record(jsonl, failure(u, "skipped: time budget spent"));
                } else {
                    String err = child(u, dev, quick, out, hbm, tflops, left, Math.min(left, unitTimeout), fail);
                    if (err != null) {
                        record(jsonl, failure(u, err));
                        if (err.startsWith("exit status " + NO_DEVICE + ";")) {
                            noDevice = err;
                        }
                    }
                }
                write(out, description, hbm, tflops);
            }
        }
        write(out, description, hbm, tflops);
        System.out.println("wrote " + out.resolve("gpu-bench.json") + " and " + out.resolve("gpu-bench.md"));
    }

    private static CudaBackend open(String dev) {
        return dev.equals("cuda-emu") ? CudaBackend.emulated() : CudaBackend.gpu();
    }

    /**
     * Runs benchmark {@code u} in a child JVM (this JVM's flags and class path) for at most {@code timeoutS}
     * seconds, echoing its output; null when it succeeded, else why not (exit status or time-out, last line).
     */
    private static String child(String u, String dev, boolean quick, Path out, double hbm, double tflops, long budgetS,
                                long timeoutS, String fail) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), GpuBench.class.getName(), "--child", u,
                "--device", dev, "--out", out.toString(), "--hbm-gbps", String.valueOf(hbm), "--fp32-tflops",
                String.valueOf(tflops), "--budget-s", String.valueOf(budgetS)));
        if (quick) {
            cmd.add("--quick");
        }
        if (fail != null) {
            cmd.addAll(List.of("--fail", fail));
        }
        System.out.println("== " + u);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String[] last = {""};
        Thread echo = Thread.ofPlatform().daemon().start(() -> {
            try (var r = p.inputReader()) {
                for (String line; (line = r.readLine()) != null; ) {
                    System.out.println(line);
                    // the last unindented line: an exception's message rather than its stack frames
                    if (!line.isBlank() && !Character.isWhitespace(line.charAt(0))) {
                        last[0] = line;
                    }
                }
            } catch (IOException ignored) {
                // the child is gone; what it printed is printed
            }
        });
        boolean done = p.waitFor(timeoutS, java.util.concurrent.TimeUnit.SECONDS);
        if (!done) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor();
        }
        echo.join(2000);
        if (!done) {
            return "timed out after " + timeoutS + " s; last output: " + last[0];
        }
        return p.exitValue() == 0 ? null : "exit status " + p.exitValue() + "; last output: " + last[0];
    }

    private static Map<String, Object> failure(String unit, String error) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("unit", unit);
        r.put("error", error);
        return r;
    }

    /** Appends one result to the JSONL file and forces it out, so that it survives any later fault. */
    private static synchronized void record(Path jsonl, Map<String, Object> row) {
        try (var ch = java.nio.channels.FileChannel.open(jsonl, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.APPEND)) {
            ch.write(java.nio.ByteBuffer.wrap((Json.write(row).replace("\n", "") + "\n").getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot append to " + jsonl, e);
        }
    }

    private void run(String u, boolean fail) {
        if (fail) {
            failAfterFirst = true;
        }
        System.out.println("device: " + device.description());
        switch (u) {
            case "gather-pool" -> gatherPool();
            case "attention-dice" -> attention(Activation.DICE);
            case "attention-prelu" -> attention(Activation.PRELU);
            case "dense" -> dense();
            case "sparse" -> sparse();
            case "loss-reduce" -> lossReduce();
            default -> {
                String[] m = u.split("-B|-T");
                model(ModelConfig.Type.valueOf(m[0]), Integer.parseInt(m[1]), Integer.parseInt(m[2]));
            }
        }
    }

    private boolean failAfterFirst;

    private void emit(Map<String, Object> row) {
        row.put("unit", unit);
        row.put("device", device.description());
        record(results, row);
        if (failAfterFirst) {
            System.out.println("--fail " + unit + ": halting after the first result, as a crash would");
            System.out.flush();
            Runtime.getRuntime().halt(3);
        }
    }

    /** Milliseconds per run of {@code body}: warm-up, then CUDA events around enough runs to fill ~0.2 s. */
    private double time(Runnable body) {
        body.run();
        device.synchronize();
        long e0 = device.createEvent();
        long e1 = device.createEvent();
        try {
            int reps = 1;
            double ms;
            for (;;) {
                device.recordEvent(e0);
                long t0 = System.nanoTime();
                for (int i = 0; i < reps; i++) {
                    body.run();
                }
                device.recordEvent(e1);
                device.synchronize();
                double wall = (System.nanoTime() - t0) / 1e6;
                ms = device.emulated() ? wall / reps : device.elapsedMillis(e0, e1) / reps;
                if (quick || wall > 200 || reps >= 1 << 12) {
                    return ms;
                }
                reps *= 4;
            }
        } finally {
            device.destroyEvent(e0);
            device.destroyEvent(e1);
        }
    }

    private void kernel(String op, String shape, double ms, double bytes, double flops) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("op", op);
        r.put("shape", shape);
        r.put("ms", ms);
        if (bytes > 0) {
            double gbps = bytes / (ms * 1e-3) / 1e9;
            r.put("GBps", gbps);
            r.put("fractionOfHbm", gbps / hbmGbps);
        }
        if (flops > 0) {
            double tf = flops / (ms * 1e-3) / 1e12;
            r.put("TFLOPs", tf);
            r.put("fractionOfFp32", tf / fp32Tflops);
        }
        emit(r);
        System.out.printf(Locale.ROOT, "%-34s %-28s %9.4f ms %s%n", op, shape, ms,
                bytes > 0 ? String.format(Locale.ROOT, "%8.1f GB/s", (Double) r.get("GBps"))
                        : String.format(Locale.ROOT, "%8.2f TFLOP/s", (Double) r.get("TFLOPs")));
    }

    private Tensor random(TensorArena a, SplittableRandom r, double scale, long... shape) {
        Tensor t = a.f32(shape);
        try (Arena h = Arena.ofConfined()) {
            MemorySegment m = h.allocate(t.byteSize(), 4);
            for (long i = 0; i < t.size(); i++) {
                m.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) ((2 * r.nextDouble() - 1) * scale));
            }
            cuda.copyFromHost(m, t);
        }
        return t;
    }

    private Tensor ints(TensorArena a, long n, Supplier<Integer> gen) {
        Tensor t = a.i32(n);
        try (Arena h = Arena.ofConfined()) {
            MemorySegment m = h.allocate(4 * n, 4);
            for (long i = 0; i < n; i++) {
                m.setAtIndex(ValueLayout.JAVA_INT, i, gen.get());
            }
            cuda.copyFromHost(m, t);
        }
        return t;
    }

    // Kernel shapes: B samples, history T, D = item ⊕ category (16 each), V table rows, attention 80/40.
    private int kb() {
        return quick ? 8 : 65536;
    }

    private int kt() {
        return quick ? 5 : 100;
    }

    private int kv() {
        return quick ? 50 : 1_000_000;
    }

    private static final int D = 32;
    private static final int[] HIDDEN = {80, 40};

    private String bt() {
        return "B=" + kb() + " T=" + kt() + " D=" + D;
    }

    /** The embedding table, a batch of ids and lengths, their gathered keys and queries. */
    private record Seq(Tensor table, Tensor ids, Tensor len, Tensor keys, Tensor q) {
    }

    private Seq seq(TensorArena a, SplittableRandom r) {
        int b = kb(), t = kt(), v = kv();
        Tensor table = random(a, r, 0.1, v, D);
        Tensor ids = ints(a, (long) b * t, () -> r.nextInt(v));
        Tensor len = ints(a, b, () -> 1 + r.nextInt(t));
        Tensor keys = a.f32(b, t, D);
        Tensor q = random(a, r, 1, b, D);
        cuda.embedding().gatherSequence(table, ids.reshape(b, t), len, keys);
        return new Seq(table, ids.reshape(b, t), len, keys, q);
    }

    private void gatherPool() {
        int b = kb(), t = kt(), d = D;
        long rows = (long) b * t;
        SplittableRandom r = new SplittableRandom(1);
        try (TensorArena a = cuda.newArena()) {
            Seq s = seq(a, r);
            kernel("gatherSequence", bt(), time(() -> cuda.embedding().gatherSequence(s.table(), s.ids(), s.len(), s.keys())),
                    rows * 4 + 2.0 * rows * d * 4, 0);
            Tensor w = random(a, r, 1, b, t);
            Tensor pooled = a.f32(b, d);
            kernel("weightedSum", bt(), time(() -> cuda.pooling().weightedSum(w, s.keys(), s.len(), pooled)),
                    rows * d * 4.0 + rows * 4 + b * d * 4.0, 0);
            Tensor dPooled = random(a, r, 1, b, d);
            Tensor dw = a.f32(b, t);
            Tensor dk = a.f32(b, t, d);
            kernel("weightedSumBackward", bt(), time(() -> cuda.pooling().weightedSumBackward(w, s.keys(), s.len(), dPooled, dw, dk)),
                    3.0 * rows * d * 4 + 2.0 * rows * 4, 0);
        }
    }

    private void attention(Activation act) {
        int b = kb(), t = kt(), d = D;
        int[] hidden = HIDDEN;
        long rows = (long) b * t;
        SplittableRandom r = new SplittableRandom(2);
        try (TensorArena a = cuda.newArena()) {
            Seq s = seq(a, r);
            Tensor pooled = a.f32(b, d);
            Tensor dk = a.f32(b, t, d);
            AttentionUnit unit = new AttentionUnit(d, hidden, act);
            AttentionParams p = attentionParams(a, unit, r);
            AttentionParams g = attentionGrads(a, unit);
            AttentionWorkspace ws = cuda.attention().newWorkspace(unit, a, b, t);
            Tensor scores = a.f32(b, t);
            // folded FLOPs per valid behaviour: layer 1 is one D-wide dot per hidden unit, then H0×H1, H1
            double perRow = 2.0 * (d * hidden[0] + hidden[0] * hidden[1] + hidden[1]);
            double perSample = 2.0 * hidden[0] * d * 2;  // building A_q and c_q
            double flops = rows * perRow + b * perSample;
            String name = "attention[" + act.name().toLowerCase(Locale.ROOT) + "]";
            kernel(name + " inference (fused)", bt(), time(() -> cuda.attention().forward(unit, p, s.q(), s.keys(), s.len(), ws, scores, false)), 0, flops);
            kernel(name + " gather+attention+pool (fused)", bt(), time(() -> cuda.attentionPoolFused(unit, p, s.q(), s.table(),
                    s.ids(), s.len(), ws, null, pooled)), 0, flops);
            kernel(name + " training forward", bt(), time(() -> cuda.attention().forward(unit, p, s.q(), s.keys(), s.len(), ws, scores, true)), 0, flops);
            Tensor dS = random(a, r, 1, b, t);
            Tensor dq = a.f32(b, d);
            kernel(name + " backward", bt(), time(() -> cuda.attention().backward(unit, p, s.q(), s.keys(), s.len(), ws, dS, dq, dk, g)), 0, 2 * flops);
        }
    }

    private void dense() {
        SplittableRandom r = new SplittableRandom(3);
        try (TensorArena a = cuda.newArena()) {
            int n = quick ? 16 : 65536;
            Tensor x = random(a, r, 1, n, 512);
            Tensor wd = random(a, r, 0.05, 256, 512);
            Tensor bias = random(a, r, 0.1, 256);
            Tensor y = a.f32(n, 256);
            kernel("linear (GEMM)", "N=" + n + " in=512 out=256", time(() -> cuda.dense().linear(x, wd, bias, y)), 0,
                    2.0 * n * 512 * 256);
            Tensor dy = random(a, r, 1, n, 256);
            Tensor dx = a.f32(n, 512);
            Tensor dW = a.f32(256, 512);
            Tensor db = a.f32(256);
            kernel("linearBackward (2 GEMMs + bias)", "N=" + n + " in=512 out=256",
                    time(() -> cuda.dense().linearBackward(x, wd, dy, dx, dW, db)), 0, 4.0 * n * 512 * 256);
            Tensor alpha = random(a, r, 0.2, 256);
            DiceState ds = cuda.activation().newDiceState(a, 256);
            Tensor ya = a.f32(n, 256);
            kernel("dice training", "N=" + n + " C=256", time(() -> cuda.activation().dice(y, alpha, ds, true, ya)),
                    3.0 * n * 256 * 4, 0);
            kernel("dice backward", "N=" + n + " C=256",
                    time(() -> cuda.activation().diceBackward(y, alpha, ds, dy, ya, alpha)), 4.0 * n * 256 * 4, 0);
        }
    }

    private void sparse() {
        int b = kb(), t = kt(), d = D, v = kv();
        long rows = (long) b * t;
        SplittableRandom r = new SplittableRandom(4);
        try (TensorArena a = cuda.newArena()) {
            Seq s = seq(a, r);
            Tensor dKeys = random(a, r, 1, b, t, d);
            SparseGrad sg = cuda.embedding().newSparseGrad(a, v, d, (int) rows);
            kernel("gatherSequenceBackward (sparse)", bt() + " V=" + v, time(() -> {
                sg.clear();
                cuda.embedding().gatherSequenceBackward(s.ids(), s.len(), dKeys, sg);
            }), rows * d * 4.0 + sg.count() * (double) d * 4, 0);
            Tensor m = a.f32(v, d);
            Tensor s2 = a.f32(v, d);
            int count = sg.count();
            kernel("adamSparse", count + " rows of D=" + d, time(() -> cuda.optimizer().adamSparse(s.table(), sg, m, s2, 1e-3f,
                    0.9f, 0.999f, 1e-8f, 1)), 7.0 * count * d * 4, 0);
        }
    }

    private void lossReduce() {
        int b = kb(), t = kt(), d = D;
        long rows = (long) b * t;
        SplittableRandom r = new SplittableRandom(5);
        try (TensorArena a = cuda.newArena()) {
            Tensor keys = random(a, r, 1, b, t, d);
            Tensor logits = random(a, r, 3, b);
            Tensor fl = a.f32(b);
            cuda.tensor().fill(fl, 1f);
            Tensor dl = a.f32(b);
            kernel("bceWithLogits (+grad)", "B=" + b, time(() -> cuda.loss().bceWithLogits(logits, fl, null, 1f, dl)),
                    4.0 * b * 4, 0);
            kernel("sumSquares", "n=" + rows * d, time(() -> cuda.tensor().sumSquares(keys)), rows * d * 4.0, 0);
        }
    }

    private AttentionParams attentionParams(TensorArena a, AttentionUnit unit, SplittableRandom r) {
        int layers = unit.layers();
        int[] h = unit.hidden();
        Tensor[] w = new Tensor[layers + 1];
        Tensor[] bias = new Tensor[layers + 1];
        Tensor[] al = new Tensor[layers];
        DiceState[] dice = new DiceState[layers];
        for (int l = 0; l <= layers; l++) {
            int in = l == layers ? h[layers - 1] : unit.inputWidth(l);
            int out = l == layers ? 1 : h[l];
            w[l] = random(a, r, 1 / Math.sqrt(in), out, in);
            bias[l] = random(a, r, 0.1, out);
            if (l < layers) {
                al[l] = random(a, r, 0.25, out);
                dice[l] = cuda.activation().newDiceState(a, out);
            }
        }
        return new AttentionParams(w, bias, al, unit.activation() == Activation.DICE ? dice : null);
    }

    private static AttentionParams attentionGrads(TensorArena a, AttentionUnit unit) {
        int layers = unit.layers();
        int[] h = unit.hidden();
        Tensor[] w = new Tensor[layers + 1];
        Tensor[] bias = new Tensor[layers + 1];
        Tensor[] al = new Tensor[layers];
        for (int l = 0; l <= layers; l++) {
            int in = l == layers ? h[layers - 1] : unit.inputWidth(l);
            int out = l == layers ? 1 : h[l];
            w[l] = a.f32(out, in);
            bias[l] = a.f32(out);
            if (l < layers) {
                al[l] = a.f32(out);
            }
        }
        return new AttentionParams(w, bias, al, null);
    }

    /** A random batch of the canonical schema: lengths uniform in [1, T] with one of T. */
    static Batch batch(FeatureSchema schema, int[] vocab, int b, int t, SplittableRandom r) {
        int[][] sparse = new int[schema.sparse().size()][b];
        for (int f = 0; f < sparse.length; f++) {
            for (int i = 0; i < b; i++) {
                sparse[f][i] = r.nextInt(vocab[f]);
            }
        }
        int[] lengths = new int[b];
        for (int i = 0; i < b; i++) {
            lengths[i] = 1 + r.nextInt(t);
        }
        lengths[0] = t;
        int[][] seqs = new int[schema.sequences().size()][b * t];
        for (int s = 0; s < seqs.length; s++) {
            int table = schema.sparseIndex(schema.sequences().get(s).table());
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < lengths[i]; j++) {
                    seqs[s][i * t + j] = r.nextInt(vocab[table]);
                }
            }
        }
        int k = schema.tasks().size();
        float[][] labels = new float[k][b];
        float[][] masks = new float[k][b];
        String[] groups = new String[b];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < k; j++) {
                labels[j][i] = r.nextInt(2);
                masks[j][i] = 1;
            }
            groups[i] = "u" + sparse[0][i];
        }
        return new Batch(b, t, sparse, seqs, lengths, new float[0][], labels, masks, groups);
    }

    private void model(ModelConfig.Type type, int b, int t) {
        int[] vocab = quick ? new int[] {20, 30, 10} : new int[] {200_000, 1_000_000, 1_000};
        List<String> tasks = type == ModelConfig.Type.DIN ? List.of("click") : List.of("click", "buy");
        FeatureSchema schema = FeatureSchema.canonical(tasks);
        // NVIDIA's DIN-style TF2 model: embedding 16 (item ⊕ category = 32 for attention), attention 80/40,
        // MLP 200/80, Dice.
        ModelConfig cfg = ModelConfig.builder(type).embeddingDim(16).attentionHidden(80, 40).mlpHidden(200, 80)
                .levels(1).specificExperts(1).sharedExperts(1).expertHidden(64).towerHidden(32)
                .tasks(tasks.toArray(String[]::new)).maxHistory(t).seed(1).build();
        SplittableRandom r = new SplittableRandom(b + t);
        List<Batch> data = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            data.add(batch(schema, vocab, b, t, r));
        }
        try (Model model = new Model(cfg, schema, vocab, cuda, b);
             Trainer trainer = new Trainer(model, TrainConfig.builder().build())) {
            double train = samplesPerSecond(b, data, x -> trainer.step(x, 0));
            double infer = samplesPerSecond(b, data, x -> model.compute(x, false));
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("model", type.name());
            row.put("batch", b);
            row.put("history", t);
            row.put("trainSamplesPerS", train);
            row.put("inferSamplesPerS", infer);
            emit(row);
            System.out.printf(Locale.ROOT, "%-8s B=%-6d T=%-4d train %,12.0f samples/s   inference %,12.0f samples/s%n",
                    type, b, t, train, infer);
        }
    }

    private double samplesPerSecond(int b, List<Batch> data, java.util.function.Consumer<Batch> step) {
        step.accept(data.get(0));
        cuda.synchronize();
        int n = quick ? 1 : 0;
        long t0 = System.nanoTime();
        do {
            step.accept(data.get(n % data.size()));
            n++;
        } while (!quick && (System.nanoTime() - t0 < 2_000_000_000L && n < 50));
        cuda.synchronize();
        double s = (System.nanoTime() - t0) / 1e9;
        return (double) b * (quick ? 1 : n) / s;
    }

    /** Rewrites gpu-bench.json and gpu-bench.md from the JSONL results so far (each file replaced whole). */
    static void write(Path out, String device, double hbmGbps, double fp32Tflops) throws IOException {
        List<Map<String, Object>> kernels = new ArrayList<>();
        List<Map<String, Object>> models = new ArrayList<>();
        List<Map<String, Object>> failures = new ArrayList<>();
        Path jsonl = out.resolve(JSONL);
        if (Files.exists(jsonl)) {
            for (String line : Files.readAllLines(jsonl)) {
                if (line.isBlank()) {
                    continue;
                }
                Map<String, Object> row = Json.parseObject(line);
                (row.containsKey("error") ? failures : row.containsKey("model") ? models : kernels).add(row);
            }
        }
        // the children opened the device: their description beats the name the parent was given
        for (Map<String, Object> row : kernels.isEmpty() ? models : kernels) {
            device = String.valueOf(row.getOrDefault("device", device));
            break;
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("date", ZonedDateTime.now().toString());
        doc.put("device", device);
        doc.put("hbmGBps", hbmGbps);
        doc.put("fp32TFLOPs", fp32Tflops);
        doc.put("kernels", kernels);
        doc.put("models", models);
        doc.put("failures", failures);
        replace(out.resolve("gpu-bench.json"), Json.write(doc));
        StringBuilder md = new StringBuilder();
        md.append("## din4j kernels on ").append(device).append("\n\n");
        md.append("| op | shape | ms | achieved | of limit |\n|---|---|---:|---:|---:|\n");
        for (Map<String, Object> k : kernels) {
            boolean bw = k.containsKey("GBps");
            md.append(String.format(Locale.ROOT, "| %s | %s | %.4f | %s | %.1f%% |\n", k.get("op"), k.get("shape"), num(k, "ms"),
                    bw ? String.format(Locale.ROOT, "%.0f GB/s", num(k, "GBps"))
                            : String.format(Locale.ROOT, "%.2f TFLOP/s", num(k, "TFLOPs")),
                    100 * num(k, bw ? "fractionOfHbm" : "fractionOfFp32")));
        }
        md.append("\nLimits: HBM ").append(hbmGbps).append(" GB/s, FP32 ").append(fp32Tflops).append(" TFLOP/s.\n\n");
        md.append("| model | batch | T | train samples/s | inference samples/s |\n|---|---:|---:|---:|---:|\n");
        for (Map<String, Object> m : models) {
            md.append(String.format(Locale.ROOT, "| %s | %d | %d | %,.0f | %,.0f |\n", m.get("model"),
                    (long) num(m, "batch"), (long) num(m, "history"), num(m, "trainSamplesPerS"), num(m, "inferSamplesPerS")));
        }
        if (!failures.isEmpty()) {
            md.append("\nBenchmarks that did not finish (the others' results above are complete):\n\n");
            for (Map<String, Object> f : failures) {
                md.append("- ").append(f.get("unit")).append(": ").append(f.get("error")).append('\n');
            }
        }
        replace(out.resolve("gpu-bench.md"), md.toString());
    }

    private static double num(Map<String, Object> row, String key) {
        return ((Number) row.get(key)).doubleValue();
    }

    /** Writes {@code file} through a temporary file and a rename: a reader never sees half a file. */
    private static void replace(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
