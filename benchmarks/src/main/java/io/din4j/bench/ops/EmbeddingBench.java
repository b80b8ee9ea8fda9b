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
 * Behaviour-sequence embedding lookup on the cpu backend: batch 1024, T = 50 or 200, D = 64 rows of a 2¹⁸-row
 * table (64 MiB, larger than the caches, as a real item table is), and its sparse backward.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class EmbeddingBench {
    static final int D = 64;
    static final int ROWS = 1 << 18;

    @Param("1024")
    public int batch;

    @Param({"50", "200"})
    public int history;

    @Param("0")
    public int threads;

    private HostArena arena;
    private Backend cpu;
    private Tensor table;
    private Tensor ids;
    private Tensor lengths;
    private Tensor out;
    private SparseGrad grad;

    @Setup(Level.Trial)
    public void setup() {
        arena = new HostArena();
        cpu = new CpuBackend(threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
        SplittableRandom r = new SplittableRandom(42);
        table = SeqBenchData.uniform(arena, r, 0.05, ROWS, D);
        ids = arena.i32(batch, history);
        for (long i = 0; i < ids.size(); i++) {
            ids.setInt(i, r.nextInt(ROWS));
        }
        lengths = SeqBenchData.fullLengths(arena, batch, history);
        out = arena.f32(batch, history, D);
        grad = cpu.embedding().newSparseGrad(arena, ROWS, D, batch * history);
        try (ReferenceBackend ref = new ReferenceBackend(); HostArena a = new HostArena()) {
            Tensor expect = a.f32(batch, history, D);
            ref.embedding().gatherSequence(table, ids, lengths, expect);
            cpu.embedding().gatherSequence(table, ids, lengths, out);
            BenchData.check("gatherSequence", expect, out, 0, 0);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        cpu.close();
        arena.close();
    }

    @Benchmark
    public Tensor gatherSequence() {
        cpu.embedding().gatherSequence(table, ids, lengths, out);
        return out;
    }

    @Benchmark
    public SparseGrad gatherSequenceBackward() {
        grad.clear();
        cpu.embedding().gatherSequenceBackward(ids, lengths, out, grad);
        return grad;
    }

    public static double flops(String method, Map<String, String> p) {
        return 0;
    }

    /** Rows read and written once (ids included); the backward reads dOut and writes at most as many rows. */
    public static double bytes(String method, Map<String, String> p) {
        double n = Double.parseDouble(p.getOrDefault("batch", "1024")) * Double.parseDouble(p.getOrDefault("history", "50"));
        return n * (2.0 * D * 4 + 4);
    }
}
