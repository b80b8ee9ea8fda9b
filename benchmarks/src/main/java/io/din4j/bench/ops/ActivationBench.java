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

/**
 * The unfused element-wise activations of a training graph, ReLU and PReLU forward, over PLE's level-0 expert
 * output (1024×768: six 128-wide experts), on the cpu backend. Memory-bound: the rate is against the copy bandwidth.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ActivationBench {
    @Param("1024")
    public int n;
    @Param("768")
    public int c;

    private Backend cpu;
    private TensorArena arena;
    private Tensor x, alpha, y;

    /** Bytes that must move: x in and y out. */
    public static double bytes(String method, Map<String, String> params) {
        return 2 * 4.0 * BenchData.param(params, "n") * BenchData.param(params, "c");
    }

    @Setup(Level.Trial)
    public void setup() {
        cpu = Backends.create("cpu", 0);
        arena = cpu.newArena();
        SplittableRandom rnd = new SplittableRandom(5);
        x = BenchData.random(arena, rnd, 2, n, c);
        alpha = BenchData.random(arena, rnd, 0.3, c);
        y = arena.f32(n, c);
        Backend ref = new ReferenceBackend();
        Tensor yr = arena.f32(n, c);
        cpu.activation().relu(x, y);
        ref.activation().relu(x, yr);
        BenchData.check("relu", yr, y, 0, 0);
        cpu.activation().prelu(x, alpha, y);
        ref.activation().prelu(x, alpha, yr);
        BenchData.check("prelu", yr, y, 1e-6, 1e-6);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
        cpu.close();
    }

    @Benchmark
    public Tensor relu() {
        cpu.activation().relu(x, y);
        return y;
    }

    @Benchmark
    public Tensor prelu() {
        cpu.activation().prelu(x, alpha, y);
        return y;
    }
}
