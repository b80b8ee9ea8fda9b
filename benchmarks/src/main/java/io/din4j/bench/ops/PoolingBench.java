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

/** DIN's weighted-sum pooling (paper eq. 3) on the cpu backend: batch 1024, T = 50 or 200, D = 64. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class PoolingBench {
    static final int D = 64;

    @Param("1024")
    public int batch;

    @Param({"50", "200"})
    public int history;

    @Param("0")
    public int threads;

    private HostArena arena;
    private Backend cpu;
    private Tensor weights;
    private Tensor keys;
    private Tensor lengths;
    private Tensor out;
    private Tensor dOut;
    private Tensor dWeights;
    private Tensor dKeys;

    @Setup(Level.Trial)
    public void setup() {
        arena = new HostArena();
        cpu = new CpuBackend(threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
        SplittableRandom r = new SplittableRandom(42);
        weights = SeqBenchData.uniform(arena, r, 1, batch, history);
        keys = SeqBenchData.uniform(arena, r, 1, batch, history, D);
        lengths = SeqBenchData.fullLengths(arena, batch, history);
        out = arena.f32(batch, D);
        dOut = SeqBenchData.uniform(arena, r, 1, batch, D);
        dWeights = arena.f32(batch, history);
        dKeys = arena.f32(batch, history, D);
        try (ReferenceBackend ref = new ReferenceBackend(); HostArena a = new HostArena()) {
            Tensor expect = a.f32(batch, D);
            ref.pooling().weightedSum(weights, keys, lengths, expect);
            cpu.pooling().weightedSum(weights, keys, lengths, out);
            // f32 sums of T products against double: see PoolingOpsTest.
            BenchData.check("weightedSum", expect, out, 1e-5, 1e-4);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        cpu.close();
        arena.close();
    }

    @Benchmark
    public Tensor weightedSum() {
        cpu.pooling().weightedSum(weights, keys, lengths, out);
        return out;
    }

    @Benchmark
    public Tensor weightedSumBackward() {
        cpu.pooling().weightedSumBackward(weights, keys, lengths, dOut, dWeights, dKeys);
        return dKeys;
    }

    /** One multiply-add per key element forward; two (∂w and ∂keys) backward. */
    public static double flops(String method, Map<String, String> p) {
        double n = Double.parseDouble(p.getOrDefault("batch", "1024")) * Double.parseDouble(p.getOrDefault("history", "50")) * D;
        return method.equals("weightedSumBackward") ? 4 * n : 2 * n;
    }

    /** Keys read once forward; backward reads keys and reads and writes dKeys. */
    public static double bytes(String method, Map<String, String> p) {
        double n = Double.parseDouble(p.getOrDefault("batch", "1024")) * Double.parseDouble(p.getOrDefault("history", "50")) * D;
        return method.equals("weightedSumBackward") ? 3 * 4 * n : 4 * n;
    }
}
