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
 * The end of a training step on the cpu backend: BCE with logits over a batch (with its gradient) and a lazy
 * sparse Adam update of the rows one batch touches in a large embedding table.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class LossOptimizerBench {
    @Param("1024")
    public int batch;
    /** Table rows V, width D and touched rows of the sparse Adam update. */
    @Param("1000000")
    public int v;
    @Param("32")
    public int d;
    @Param("20000")
    public int touched;

    private Backend cpu;
    private TensorArena arena;
    private Tensor logits, labels, weights, dLogits;
    private Tensor table, m, vv;
    private BenchData.RowsGrad grad;
    private long step;

    /** Bytes that must move: BCE reads z, y, w and updates dz; Adam reads a gradient row and updates p, m, v. */
    public static double bytes(String method, Map<String, String> params) {
        return switch (method) {
            case "bce" -> 4.0 * 5 * BenchData.param(params, "batch");
            case "sparseAdam" -> 4.0 * 7 * BenchData.param(params, "d") * BenchData.param(params, "touched");
            default -> Double.NaN;
        };
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
        table = BenchData.random(arena, rnd, 0.05, v, d);
        m = arena.f32(v, d);
        vv = arena.f32(v, d);
        grad = new BenchData.RowsGrad(arena, rnd, v, d, touched);

        Backend ref = new ReferenceBackend();
        Tensor dr = arena.f32(batch);
        double lr = ref.loss().bceWithLogits(logits, labels, weights, 1f, dr);
        double lc = cpu.loss().bceWithLogits(logits, labels, weights, 1f, dLogits);
        if (Math.abs(lr - lc) > 1e-5 * Math.abs(lr)) {
            throw new IllegalStateException("bce: reference " + lr + ", got " + lc);
        }
        BenchData.check("bce dLogits", dr, dLogits, 1e-7, 1e-5);
        // A small table for the Adam check: the reference on the full table would touch 128 MB three times.
        SplittableRandom r2 = new SplittableRandom(12);
        Tensor t0 = BenchData.random(arena, r2, 0.05, 1000, d);
        BenchData.RowsGrad g0 = new BenchData.RowsGrad(arena, r2, 1000, d, 100);
        Tensor tr = arena.f32(1000, d), tc = arena.f32(1000, d);
        cpu.tensor().copy(t0, tr);
        cpu.tensor().copy(t0, tc);
        ref.optimizer().adamSparse(tr, g0, arena.f32(1000, d), arena.f32(1000, d), 1e-3f, 0.9f, 0.999f, 1e-8f, 1);
        cpu.optimizer().adamSparse(tc, g0, arena.f32(1000, d), arena.f32(1000, d), 1e-3f, 0.9f, 0.999f, 1e-8f, 1);
        BenchData.check("adamSparse", tr, tc, 1e-6, 1e-5);
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

    @Benchmark
    public Tensor sparseAdam() {
        cpu.optimizer().adamSparse(table, grad, m, vv, 1e-3f, 0.9f, 0.999f, 1e-8f, ++step);
        return table;
    }
}
