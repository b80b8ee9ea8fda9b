package io.din4j.bench.ops;

import io.din4j.backend.*;
import io.din4j.backend.cpu.CpuBackend;
import io.din4j.backend.reference.ReferenceBackend;
import io.din4j.tensor.HostArena;
import io.din4j.tensor.Tensor;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * DIN's local activation unit on the cpu backend at the paper's shape: batch 1024, D = 2·32 (item ⊕ category),
 * hidden 80/40, Dice or PReLU, T = 50 or 200 behaviours per sample. {@code variant=unfolded} runs the first
 * layer's forward on explicit {@code [q, k, q − k, q ⊙ k]} rows, so the fold's gain is measured in the same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class AttentionBench {
    static final int D = 64;
    static final int H1 = 80;
    static final int H2 = 40;

    @Param("1024")
    public int batch;

    @Param({"50", "200"})
    public int history;

    @Param({"DICE", "PRELU"})
    public String activation;

    @Param({"folded", "unfolded"})
    public String variant;

    /** Backend threads; 0 = one per available processor. */
    @Param("0")
    public int threads;

    private HostArena arena;
    private Backend cpu;
    private AttentionUnit unit;
    private AttentionParams params;
    private AttentionParams grads;
    private AttentionWorkspace ws;
    private Tensor q;
    private Tensor keys;
    private Tensor lengths;
    private Tensor scores;
    private Tensor dScores;
    private Tensor dq;
    private Tensor dKeys;

    @Setup(Level.Trial)
    public void setup() {
        arena = new HostArena();
        unit = new AttentionUnit(D, new int[] {H1, H2}, Activation.parse(activation));
        if (variant.equals("unfolded")) {
            System.setProperty("din4j.cpu.attention.fold", "false");
        }
        cpu = new CpuBackend(threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
        System.clearProperty("din4j.cpu.attention.fold");
        SplittableRandom r = new SplittableRandom(42);
        params = SeqBenchData.params(arena, unit, r);
        grads = SeqBenchData.grads(arena, params);
        q = SeqBenchData.uniform(arena, r, 1, batch, D);
        keys = SeqBenchData.uniform(arena, r, 1, batch, history, D);
        lengths = SeqBenchData.fullLengths(arena, batch, history);
        scores = arena.f32(batch, history);
        dScores = SeqBenchData.uniform(arena, r, 1, batch, history);
        dq = arena.f32(batch, D);
        dKeys = arena.f32(batch, history, D);
        ws = cpu.attention().newWorkspace(unit, arena, batch, history);
        checkAgainstReference();
    }

    /**
     * Runs 8 samples through both backends (forward in training mode and backward); the reference is too slow for
     * the whole batch. Tolerances as in the unit tests (f32 against double).
     */
    private void checkAgainstReference() {
        int b = 8;
        try (ReferenceBackend ref = new ReferenceBackend(); HostArena a = new HostArena()) {
            SplittableRandom r = new SplittableRandom(7);
            AttentionParams pRef = SeqBenchData.params(a, unit, new SplittableRandom(42));
            AttentionParams gRef = SeqBenchData.grads(a, pRef);
            AttentionParams pCpu = SeqBenchData.params(a, unit, new SplittableRandom(42));
            AttentionParams gCpu = SeqBenchData.grads(a, pCpu);
            Tensor qs = SeqBenchData.uniform(a, r, 1, b, D);
            Tensor ks = SeqBenchData.uniform(a, r, 1, b, history, D);
            Tensor len = a.i32(b);
            for (int i = 0; i < b; i++) {
                len.setInt(i, i == 0 ? history : r.nextInt(history + 1));
            }
            Tensor ds = SeqBenchData.uniform(a, r, 1, b, history);
            Tensor sRef = a.f32(b, history), sCpu = a.f32(b, history);
            Tensor dqRef = a.f32(b, D), dqCpu = a.f32(b, D);
            Tensor dkRef = a.f32(b, history, D), dkCpu = a.f32(b, history, D);
            AttentionWorkspace wRef = ref.attention().newWorkspace(unit, a, b, history);
            ref.attention().forward(unit, pRef, qs, ks, len, wRef, sRef, true);
            ref.attention().backward(unit, pRef, qs, ks, len, wRef, ds, dqRef, dkRef, gRef);
            cpu.attention().forward(unit, pCpu, qs, ks, len, ws, sCpu, true);
            cpu.attention().backward(unit, pCpu, qs, ks, len, ws, ds, dqCpu, dkCpu, gCpu);
            SeqBenchData.checkScaled("scores", sRef, sCpu, 2e-5, 2e-4);
            SeqBenchData.checkScaled("dq", dqRef, dqCpu, 2e-5, 2e-4);
            SeqBenchData.checkScaled("dKeys", dkRef, dkCpu, 2e-5, 2e-4);
            for (int l = 0; l <= unit.layers(); l++) {
                SeqBenchData.checkScaled("dW" + l, gRef.weights()[l], gCpu.weights()[l], 2e-5, 2e-4);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        cpu.close();
        arena.close();
    }

    @Benchmark
    public Tensor forward() {
        cpu.attention().forward(unit, params, q, keys, lengths, ws, scores, true);
        return scores;
    }

    /** The serving and prediction path: no Dice statistics, inference constants (what a Predictor runs). */
    @Benchmark
    public Tensor inference() {
        cpu.attention().forward(unit, params, q, keys, lengths, ws, scores, false);
        return scores;
    }

    @Benchmark
    public Tensor forwardBackward() {
        cpu.attention().forward(unit, params, q, keys, lengths, ws, scores, true);
        cpu.attention().backward(unit, params, q, keys, lengths, ws, dScores, dq, dKeys, grads);
        return dKeys;
    }

    /**
     * Multiply-adds ×2 of the GEMM-shaped work (activations not counted). Folded forward per behaviour: D·H1 for
     * the first layer, H1·H2, H2 for the score; per sample A_q and c_q: 2·D·H1. Unfolded: 4D·H1 per behaviour.
     * Backward per behaviour: ∂K and M (2·D·H1), ∂a₁ and ∂W₂ (2·H1·H2), the output layer (2·H2); per sample ~5·D·H1.
     */
    public static double flops(String method, Map<String, String> p) {
        double b = Double.parseDouble(p.getOrDefault("batch", "1024"));
        double rows = b * Double.parseDouble(p.getOrDefault("history", "50"));
        boolean folded = !"unfolded".equals(p.get("variant"));
        double fwd = 2 * rows * ((folded ? D : 4 * D) * H1 + H1 * H2 + H2) + (folded ? 2 * b * 2 * D * H1 : 0);
        double bwd = 2 * rows * (2 * D * H1 + 2 * H1 * H2 + 2 * H2) + 2 * b * 5 * D * H1;
        return method.equals("forwardBackward") ? fwd + bwd : fwd;
    }

    /** Bytes that must move at least once: q and keys in, scores out; backward adds dScores in, dq and dKeys in/out. */
    public static double bytes(String method, Map<String, String> p) {
        double b = Double.parseDouble(p.getOrDefault("batch", "1024"));
        double t = Double.parseDouble(p.getOrDefault("history", "50"));
        double fwd = 4 * (b * D + b * t * D + b * t);
        double bwd = 4 * (b * t + 2 * b * D + 2 * b * t * D);
        return method.equals("forwardBackward") ? fwd + bwd + 4 * (b * D + b * t * D) : fwd;
    }
}
