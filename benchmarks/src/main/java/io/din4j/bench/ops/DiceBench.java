package io.din4j.bench.ops;

import io.din4j.backend.Backend;
import io.din4j.backend.Backends;
import io.din4j.backend.DiceState;
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

/** Dice (training mode, batch statistics) over DIN's first MLP layer, 1024×200, on the cpu backend. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class DiceBench {
    @Param("1024")
    public int n;
    @Param("200")
    public int c;

    private Backend cpu;
    private TensorArena arena;
    private Tensor x, alpha, y, dy, dx, dAlpha;
    private DiceState state;

    /** Bytes that must move: x in and y out forward; x, dy in and dx read + written backward. */
    public static double bytes(String method, Map<String, String> params) {
        double nc = (double) BenchData.param(params, "n") * BenchData.param(params, "c");
        return switch (method) {
            case "forwardTraining" -> 2 * 4 * nc;
            case "backward" -> 4 * 4 * nc;
            default -> Double.NaN;
        };
    }

    @Setup(Level.Trial)
    public void setup() {
        cpu = Backends.create("cpu", 0);
        arena = cpu.newArena();
        SplittableRandom rnd = new SplittableRandom(3);
        x = BenchData.random(arena, rnd, 2, n, c);
        alpha = BenchData.random(arena, rnd, 0.3, c);
        y = arena.f32(n, c);
        dy = BenchData.random(arena, rnd, 1, n, c);
        dx = arena.f32(n, c);
        dAlpha = arena.f32(c);
        state = cpu.activation().newDiceState(arena, c);
        cpu.activation().dice(x, alpha, state, true, y);
        Backend ref = new ReferenceBackend();
        Tensor yr = arena.f32(n, c);
        ref.activation().dice(x, alpha, ref.activation().newDiceState(arena, c), true, yr);
        BenchData.check("dice", yr, y, 1e-4, 1e-4);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
        cpu.close();
    }

    @Benchmark
    public Tensor forwardTraining() {
        cpu.activation().dice(x, alpha, state, true, y);
        return y;
    }

    @Benchmark
    public Tensor backward() {
        cpu.activation().diceBackward(x, alpha, state, dy, dx, dAlpha);
        return dx;
    }
}
