package io.din4j.bench.ops;

import io.din4j.backend.Backend;
import io.din4j.backend.Backends;
import io.din4j.backend.reference.ReferenceBackend;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** A PLE gate (softmax over E of Etot experts and the mix) on the cpu backend; memory-bound, reported in bytes. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class GateBench {
    @Param("1024")
    public int b;
    @Param("4")
    public int e;
    @Param("6")
    public int eTot;
    @Param("128")
    public int h;

    private Backend cpu;
    private TensorArena arena;
    private Tensor logits, experts, probs, out, dOut, dLogits, dExperts;
    private int[] selected;

    /** Bytes that must move: the selected expert rows (read, and read + written by backward), out/dOut, logits. */
    public static double bytes(String method, Map<String, String> params) {
        double b = BenchData.param(params, "b");
        double e = BenchData.param(params, "e");
        double h = BenchData.param(params, "h");
        return switch (method) {
            case "forward" -> 4 * (b * e * h + b * h + 2 * b * e);
            case "backward" -> 4 * (3 * b * e * h + b * h + 3 * b * e);
            default -> Double.NaN;
        };
    }

    @Setup(Level.Trial)
    public void setup() {
        cpu = Backends.create("cpu", 0);
        arena = cpu.newArena();
        SplittableRandom rnd = new SplittableRandom(7);
        selected = new int[e];
        for (int j = 0; j < e; j++) {
            selected[j] = (j * 5 + 1) % eTot; // a shared/task-specific mix, not just the first E
        }
        logits = BenchData.random(arena, rnd, 2, b, e);
        experts = BenchData.random(arena, rnd, 1, b, eTot, h);
        probs = arena.f32(b, e);
        out = arena.f32(b, h);
        dOut = BenchData.random(arena, rnd, 1, b, h);
        dLogits = arena.f32(b, e);
        dExperts = arena.f32(b, eTot, h);
        cpu.gate().softmaxMix(logits, experts, selected, probs, out);
        Tensor pr = arena.f32(b, e), or = arena.f32(b, h);
        new ReferenceBackend().gate().softmaxMix(logits, experts, selected, pr, or);
        BenchData.check("softmaxMix out", or, out, 1e-5, 1e-5);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
        cpu.close();
    }

    @Benchmark
    public Tensor forward() {
        cpu.gate().softmaxMix(logits, experts, selected, probs, out);
        return out;
    }

    @Benchmark
    public Tensor backward() {
        cpu.gate().softmaxMixBackward(probs, experts, selected, dOut, dLogits, dExperts);
        return dExperts;
    }
}
