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
import io.din4j.io.Json;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import io.din4j.train.TrainConfig;
import io.din4j.train.Trainer;
import java.io.IOException;
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
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp din4j-benchmarks.jar \
 *      io.din4j.bench.gpu.GpuBench [--device cuda|cuda-emu] [--quick] [--out DIR] [--budget-s N]
 *      [--hbm-gbps 4800] [--fp32-tflops 67]
 * </pre>
 * {@code --device cuda-emu --quick} runs every code path on the emulator with tiny shapes (a smoke test; the
 * timings mean nothing there).
 */
public final class GpuBench {
    private final CudaBackend cuda;
    private final Device device;
    private final boolean quick;
    private final double hbmGbps;
    private final double fp32Tflops;
    private final long deadlineNanos;
    private final List<Map<String, Object>> kernels = new ArrayList<>();
    private final List<Map<String, Object>> models = new ArrayList<>();

    private GpuBench(CudaBackend cuda, boolean quick, double hbmGbps, double fp32Tflops, long budgetSeconds) {
        this.cuda = cuda;
        this.device = cuda.device();
        this.quick = quick;
        this.hbmGbps = hbmGbps;
        this.fp32Tflops = fp32Tflops;
        this.deadlineNanos = System.nanoTime() + budgetSeconds * 1_000_000_000L;
    }

    public static void main(String[] args) throws IOException {
        String dev = "cuda";
        boolean quick = false;
        Path out = Path.of(".");
        double hbm = 4800;
        double tflops = 67;
        long budget = 300;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--device" -> dev = args[++i];
                case "--quick" -> quick = true;
                case "--out" -> out = Path.of(args[++i]);
                case "--hbm-gbps" -> hbm = Double.parseDouble(args[++i]);
                case "--fp32-tflops" -> tflops = Double.parseDouble(args[++i]);
                case "--budget-s" -> budget = Long.parseLong(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Files.createDirectories(out);
        try (CudaBackend b = dev.equals("cuda-emu") ? CudaBackend.emulated() : CudaBackend.gpu()) {
            GpuBench g = new GpuBench(b, quick, hbm, tflops, budget);
            System.out.println("device: " + b.device().description());
            g.kernelBenches();
            g.modelBenches();
            g.write(out);
        }
    }

    private boolean timeLeft() {
        return System.nanoTime() < deadlineNanos;
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
        kernels.add(r);
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

    private void kernelBenches() {
        int b = quick ? 8 : 65536;
        int t = quick ? 5 : 100;
        int d = 32;  // item ⊕ category, 16 each
        int v = quick ? 50 : 1_000_000;
        int[] hidden = {80, 40};
        SplittableRandom r = new SplittableRandom(1);
        String bt = "B=" + b + " T=" + t + " D=" + d;
        long rows = (long) b * t;
        try (TensorArena a = cuda.newArena()) {
            Tensor table = random(a, r, 0.1, v, d);
            Tensor ids = ints(a, rows, () -> r.nextInt(v));
            Tensor len = ints(a, b, () -> 1 + r.nextInt(t));
            Tensor keys = a.f32(b, t, d);
            Tensor q = random(a, r, 1, b, d);
            cuda.embedding().gatherSequence(table, ids.reshape(b, t), len, keys);
            kernel("gatherSequence", bt, time(() -> cuda.embedding().gatherSequence(table, ids.reshape(b, t), len, keys)),
                    rows * 4 + 2.0 * rows * d * 4, 0);
            Tensor w = random(a, r, 1, b, t);
            Tensor pooled = a.f32(b, d);
            kernel("weightedSum", bt, time(() -> cuda.pooling().weightedSum(w, keys, len, pooled)),
                    rows * d * 4.0 + rows * 4 + b * d * 4.0, 0);
            Tensor dPooled = random(a, r, 1, b, d);
            Tensor dw = a.f32(b, t);
            Tensor dk = a.f32(b, t, d);
            kernel("weightedSumBackward", bt, time(() -> cuda.pooling().weightedSumBackward(w, keys, len, dPooled, dw, dk)),
                    3.0 * rows * d * 4 + 2.0 * rows * 4, 0);

            for (Activation act : new Activation[] {Activation.DICE, Activation.PRELU}) {
                if (!timeLeft()) {
                    break;
                }
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
                kernel(name + " inference (fused)", bt, time(() -> cuda.attention().forward(unit, p, q, keys, len, ws, scores, false)), 0, flops);
                kernel(name + " gather+attention+pool (fused)", bt, time(() -> cuda.attentionPoolFused(unit, p, q, table,
                        ids.reshape(b, t), len, ws, null, pooled)), 0, flops);
                kernel(name + " training forward", bt, time(() -> cuda.attention().forward(unit, p, q, keys, len, ws, scores, true)), 0, flops);
                Tensor dS = random(a, r, 1, b, t);
                Tensor dq = a.f32(b, d);
                kernel(name + " backward", bt, time(() -> cuda.attention().backward(unit, p, q, keys, len, ws, dS, dq, dk, g)), 0, 2 * flops);
            }

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

            Tensor dKeys = random(a, r, 1, b, t, d);
            SparseGrad sg = cuda.embedding().newSparseGrad(a, v, d, (int) rows);
            kernel("gatherSequenceBackward (sparse)", bt + " V=" + v, time(() -> {
                sg.clear();
                cuda.embedding().gatherSequenceBackward(ids.reshape(b, t), len, dKeys, sg);
            }), rows * d * 4.0 + sg.count() * (double) d * 4, 0);
            Tensor m = a.f32(v, d);
            Tensor s2 = a.f32(v, d);
            int count = sg.count();
            kernel("adamSparse", count + " rows of D=" + d, time(() -> cuda.optimizer().adamSparse(table, sg, m, s2, 1e-3f,
                    0.9f, 0.999f, 1e-8f, 1)), 7.0 * count * d * 4, 0);
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

    private void modelBenches() {
        int[] batches = quick ? new int[] {8} : new int[] {4096, 65536};
        int[] histories = quick ? new int[] {5} : new int[] {50, 100};
        int[] vocab = quick ? new int[] {20, 30, 10} : new int[] {200_000, 1_000_000, 1_000};
        for (ModelConfig.Type type : new ModelConfig.Type[] {ModelConfig.Type.DIN, ModelConfig.Type.DIN_PLE}) {
            List<String> tasks = type == ModelConfig.Type.DIN ? List.of("click") : List.of("click", "buy");
            FeatureSchema schema = FeatureSchema.canonical(tasks);
            for (int t : histories) {
                for (int b : batches) {
                    if (!timeLeft()) {
                        System.out.println("time budget spent: skipping " + type + " B=" + b + " T=" + t);
                        continue;
                    }
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
                        models.add(row);
                        System.out.printf(Locale.ROOT, "%-8s B=%-6d T=%-4d train %,12.0f samples/s   inference %,12.0f samples/s%n",
                                type, b, t, train, infer);
                    }
                }
            }
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

    private void write(Path out) throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("date", ZonedDateTime.now().toString());
        doc.put("device", device.description());
        doc.put("hbmGBps", hbmGbps);
        doc.put("fp32TFLOPs", fp32Tflops);
        doc.put("kernels", kernels);
        doc.put("models", models);
        Files.writeString(out.resolve("gpu-bench.json"), Json.write(doc) + "\n");
        StringBuilder md = new StringBuilder();
        md.append("## din4j kernels on ").append(device.description()).append("\n\n");
        md.append("| op | shape | ms | achieved | of limit |\n|---|---|---:|---:|---:|\n");
        for (Map<String, Object> k : kernels) {
            boolean bw = k.containsKey("GBps");
            md.append(String.format(Locale.ROOT, "| %s | %s | %.4f | %s | %.1f%% |\n", k.get("op"), k.get("shape"), k.get("ms"),
                    bw ? String.format(Locale.ROOT, "%.0f GB/s", (Double) k.get("GBps"))
                            : String.format(Locale.ROOT, "%.2f TFLOP/s", (Double) k.get("TFLOPs")),
                    100 * (Double) (bw ? k.get("fractionOfHbm") : k.get("fractionOfFp32"))));
        }
        md.append("\nLimits: HBM ").append(hbmGbps).append(" GB/s, FP32 ").append(fp32Tflops).append(" TFLOP/s.\n\n");
        md.append("| model | batch | T | train samples/s | inference samples/s |\n|---|---:|---:|---:|---:|\n");
        for (Map<String, Object> m : models) {
            md.append(String.format(Locale.ROOT, "| %s | %d | %d | %,.0f | %,.0f |\n", m.get("model"), m.get("batch"),
                    m.get("history"), m.get("trainSamplesPerS"), m.get("inferSamplesPerS")));
        }
        Files.writeString(out.resolve("gpu-bench.md"), md.toString());
        System.out.println("wrote " + out.resolve("gpu-bench.json") + " and " + out.resolve("gpu-bench.md"));
    }
}
