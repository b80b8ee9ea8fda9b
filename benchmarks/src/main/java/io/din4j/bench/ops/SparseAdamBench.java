package io.din4j.bench.ops;

import io.din4j.backend.Backend;
import io.din4j.backend.Backends;
import io.din4j.backend.SparseGrad;
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
 * Lazy sparse Adam over the rows one batch touches in a large embedding table (V = 1M rows of D = 32) on the cpu
 * backend: random rows, so each row update is a cache miss on the table and both moments.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class SparseAdamBench {
    @Param("1000000")
    public int v;
    @Param("32")
    public int d;
    @Param("20000")
    public int touched;

    private Backend cpu;
    private TensorArena arena;
    private Tensor table, m, vv;
    private SparseGrad grad;
    private long step;

    /** Bytes that must move: a gradient row read, and the table row and both moment rows read and written. */
    public static double bytes(String method, Map<String, String> params) {
        return method.equals("adamSparse")
                ? 4.0 * 7 * BenchData.param(params, "d") * BenchData.param(params, "touched") : Double.NaN;
    }

    @Setup(Level.Trial)
    public void setup() {
        cpu = Backends.create("cpu", 0);
        arena = cpu.newArena();
        SplittableRandom rnd = new SplittableRandom(11);
        table = BenchData.random(arena, rnd, 0.05, v, d);
        m = arena.f32(v, d);
        vv = arena.f32(v, d);
        grad = BenchData.uniqueRowsGrad(arena, rnd, v, d, touched);
        // The check runs on a small table: the reference over the full one would touch 384 MB in scalar code.
        Backend ref = new ReferenceBackend();
        SplittableRandom r2 = new SplittableRandom(12);
        Tensor t0 = BenchData.random(arena, r2, 0.05, 1000, d);
        SparseGrad g0 = BenchData.uniqueRowsGrad(arena, r2, 1000, d, 100);
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
    public Tensor adamSparse() {
        cpu.optimizer().adamSparse(table, grad, m, vv, 1e-3f, 0.9f, 0.999f, 1e-8f, ++step);
        return table;
    }
}
