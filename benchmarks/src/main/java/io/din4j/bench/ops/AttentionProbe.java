package io.din4j.bench.ops;

import io.din4j.backend.Activation;
import io.din4j.backend.AttentionParams;
import io.din4j.backend.AttentionUnit;
import io.din4j.backend.AttentionWorkspace;
import io.din4j.backend.cpu.CpuBackend;
import io.din4j.tensor.HostArena;
import io.din4j.tensor.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The DIN attention unit's training pass on the cpu backend, timed call by call in one JVM: the forward (training,
 * Dice, 80/40) and the backward after it, on random histories of length 1..T. For A/Bs of the unit's kernels run in
 * alternating JVMs, one jar per side, where JMH's forks would take minutes per shape. After a 5-s warm-up it prints
 * three rounds of 100 calls, each with the p10 and median of the forward and of the backward.
 *
 * <pre>
 * java -XX:UseAVX=2 --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *      -cp benchmarks/target/din4j-benchmarks.jar io.din4j.bench.ops.AttentionProbe THREADS B T D
 * </pre>
 */
public final class AttentionProbe {
    private AttentionProbe() {
    }

    public static void main(String[] args) {
        if (args.length != 4) {
            System.err.println("usage: AttentionProbe THREADS B T D   (e.g. 1 256 39 32)");
            System.exit(2);
        }
        int threads = Integer.parseInt(args[0]);
        int batch = Integer.parseInt(args[1]);
        int hist = Integer.parseInt(args[2]);
        int d = Integer.parseInt(args[3]);
        try (HostArena arena = new HostArena(); CpuBackend cpu = new CpuBackend(threads)) {
            AttentionUnit unit = new AttentionUnit(d, new int[] {AttentionBench.H1, AttentionBench.H2}, Activation.DICE);
            SplittableRandom r = new SplittableRandom(42);
            AttentionParams params = SeqBenchData.params(arena, unit, r);
            AttentionParams grads = SeqBenchData.grads(arena, params);
            Tensor q = SeqBenchData.uniform(arena, r, 1, batch, d);
            Tensor keys = SeqBenchData.uniform(arena, r, 1, batch, hist, d);
            Tensor lengths = arena.i32(batch);
            for (int i = 0; i < batch; i++) {
                lengths.setInt(i, 1 + r.nextInt(hist));
            }
            Tensor scores = arena.f32(batch, hist);
            Tensor dScores = SeqBenchData.uniform(arena, r, 1, batch, hist);
            Tensor dq = arena.f32(batch, d);
            Tensor dKeys = arena.f32(batch, hist, d);
            AttentionWorkspace ws = cpu.attention().newWorkspace(unit, arena, batch, hist);
            long end = System.nanoTime() + 5_000_000_000L;
            while (System.nanoTime() < end) {
                cpu.attention().forward(unit, params, q, keys, lengths, ws, scores, true);
                cpu.attention().backward(unit, params, q, keys, lengths, ws, dScores, dq, dKeys, grads);
            }
            for (int round = 0; round < 3; round++) {
                double[] fwd = new double[100];
                double[] bwd = new double[100];
                for (int i = 0; i < fwd.length; i++) {
                    long t0 = System.nanoTime();
                    cpu.attention().forward(unit, params, q, keys, lengths, ws, scores, true);
                    long t1 = System.nanoTime();
                    cpu.attention().backward(unit, params, q, keys, lengths, ws, dScores, dq, dKeys, grads);
                    long t2 = System.nanoTime();
                    fwd[i] = (t1 - t0) / 1e3;
                    bwd[i] = (t2 - t1) / 1e3;
                }
                Arrays.sort(fwd);
                Arrays.sort(bwd);
                System.out.printf("threads=%d B=%d T=%d D=%d: forward p10 %.0f p50 %.0f us | backward p10 %.0f p50 %.0f us%n",
                        threads, batch, hist, d, fwd[10], fwd[50], bwd[10], bwd[50]);
            }
        }
    }
}
