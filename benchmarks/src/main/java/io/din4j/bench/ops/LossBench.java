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

/** BCE with logits and its gradient over one batch on the cpu backend (masked: a quarter of the weights are 0). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class LossBench {
    @Param("1024")
    public int batch;

    private Backend cpu;
    private TensorArena arena;
    private Tensor logits, labels, weights, dLogits;

    /** Bytes that must move: z, y and w read, dz read and written. */
    public static double bytes(String method, Map<String, String> params) {
        return method.equals("bce") ? 4.0 * 5 * BenchData.param(params, "batch") : Double.NaN;
    }

    @Setup(Level.Trial)
    public void setup() {
        cpu = Backends.create("cpu", 0);
        arena = cpu.newArena();
        SplittableRandom rnd = new SplittableRandom(11);
        logits = BenchData.random(arena, rnd, 5, batch);
        labels = arena.f32(batch);
        weights = arena.f32(batch);
        for (int i = 0; i < batch; i++) {
            labels.setFloat(i, rnd.nextInt(2));
            weights.setFloat(i, rnd.nextInt(4) == 0 ? 0 : 1);
        }
        dLogits = arena.f32(batch);
        Tensor dr = arena.f32(batch);
        double lr = new ReferenceBackend().loss().bceWithLogits(logits, labels, weights, 1f, dr);
        double lc = cpu.loss().bceWithLogits(logits, labels, weights, 1f, dLogits);
        if (Math.abs(lr - lc) > 1e-5 * Math.abs(lr)) {
            throw new IllegalStateException("bce: reference " + lr + ", got " + lc);
        }
        BenchData.check("bce dLogits", dr, dLogits, 1e-7, 1e-5);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
        cpu.close();
    }

    @Benchmark
    public double bce() {
        return cpu.loss().bceWithLogits(logits, labels, weights, 1f, dLogits);
    }
}
