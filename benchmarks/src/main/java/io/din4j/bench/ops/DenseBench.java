package io.din4j.bench.ops;

import io.din4j.backend.Backend;
import io.din4j.backend.Backends;
import io.din4j.backend.reference.ReferenceBackend;
import io.din4j.tensor.DerivedCache;
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

/**
 * Dense layers on the cpu backend (all processors): the MLP layers of DIN and PLE towers (1024×256→128,
 * 1024×128→128) and PLE's experts of one level run as one wide GEMM (six experts of 128: 1024×256→768).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class DenseBench {
    /** {@code N x in x out}. */
    @Param({"1024x256x128", "1024x128x128", "1024x256x768"})
    public String shape;

    /**
     * {@code parameter}: W carries a {@link DerivedCache}, as a model's parameters do, so its packed panels are made on
     * the first call and reused (what every layer of a model runs); {@code fresh}: a raw tensor, packed on every call
     * (a one-off product). On the AVX2 host JFR had put 17% of a 128 × 256 → 768 forward in that packing.
     */
    @Param({"parameter", "fresh"})
    public String weights;

    /** Backend threads; 0 = one per available processor (1 isolates the kernels from the hand-off and the neighbours). */
    @Param("0")
    public int threads;

    private Backend cpu;
    private TensorArena arena;
    private Tensor x, w, b, y, dy, dx, dW, db;

    private static int[] parse(String shape) {
        String[] p = shape.split("x");
        return new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2])};
    }

    /** FLOPs of one call: 2·N·in·out forward; dx and dW (2·N·in·out each) plus db (N·out) backward. */
    public static double flops(String method, Map<String, String> params) {
        int[] s = parse(params.get("shape"));
        double nio = (double) s[0] * s[1] * s[2];
        return switch (method) {
            case "forward" -> 2 * nio;
            case "backward" -> 4 * nio + (double) s[0] * s[2];
            default -> Double.NaN;
        };
    }

    @Setup(Level.Trial)
    public void setup() {
        int[] s = parse(shape);
        int n = s[0], in = s[1], out = s[2];
        cpu = Backends.create("cpu", threads);
        arena = cpu.newArena();
        SplittableRandom rnd = new SplittableRandom(42);
        x = BenchData.random(arena, rnd, 1, n, in);
        w = BenchData.random(arena, rnd, 0.1, out, in);
        if (weights.equals("parameter")) {
            w = w.withCache(new DerivedCache());
        } else if (!weights.equals("fresh")) {
            throw new IllegalArgumentException("weights must be parameter or fresh: " + weights);
        }
        b = BenchData.random(arena, rnd, 0.1, out);
        y = arena.f32(n, out);
        dy = BenchData.random(arena, rnd, 1, n, out);
        dx = arena.f32(n, in);
        dW = arena.f32(out, in);
        db = arena.f32(out);
        // Check the first rows against the reference (the whole product in scalar double would take seconds).
        cpu.dense().linear(x, w, b, y);
        int rows = 8;
        Tensor yRef = arena.f32(rows, out);
        new ReferenceBackend().dense().linear(x.rows(0, rows), w, b, yRef);
        BenchData.check("linear " + shape, yRef, y.rows(0, rows), 1e-4, 1e-4);
        Tensor dWRef = arena.f32(out, in);
        new ReferenceBackend().dense().linearBackward(x.rows(0, rows), w, dy.rows(0, rows), null, dWRef, null);
        Tensor dWc = arena.f32(out, in);
        cpu.dense().linearBackward(x.rows(0, rows), w, dy.rows(0, rows), null, dWc, null);
        BenchData.check("linearBackward dW " + shape, dWRef, dWc, 1e-4, 1e-4);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
        cpu.close();
    }

    @Benchmark
    public Tensor forward() {
        cpu.dense().linear(x, w, b, y);
        return y;
    }

    @Benchmark
    public Tensor backward() {
        cpu.dense().linearBackward(x, w, dy, dx, dW, db);
        return dW;
    }
}
