import java.util.concurrent.CyclicBarrier;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Whether this host keeps its FMA peak under sustained load: every thread runs back-to-back bursts of the register
 * FMA loop that {@code MachineLimits} times (12 independent chains, ~40 µs a burst at 256 bits) for the given
 * seconds, and prints per thread and per second the mean and the best burst's GFLOP/s, then the time of a dependent
 * integer chain on the same thread (one multiply-add per step: the core's clock, which FP throttling leaves alone).
 *
 * <p>{@code MachineLimits} reports the best of short rounds, which is the peak a quiet moment gives; a benchmark that
 * runs for seconds gets whatever the host gives then. On the AVX2 server of 2026-12-06 (AMD EPYC, 2 vCPUs) the best
 * burst of every second read 103.6 GFLOP/s a thread for the first ~4 s and then exactly half, 51.8, for as long as the
 * load lasted (128-bit vectors: 51.8, then 25.9), on one thread as on two, while the integer chain kept its time:
 * the FP units were throttled, not the clock. That was every run of one half hour; in the next, runs held the full
 * rate from start to end, and later ones halved again: the throttle comes and goes with the physical host
 * (docs/architecture.md, "The AVX2 server halves its FMA rate").
 *
 * <pre>
 * java [-XX:MaxVectorSize=16] --add-modules jdk.incubator.vector tools/FmaPhases.java [THREADS] [SECONDS]
 * </pre>
 */
public class FmaPhases {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Iterations of 12 FMAs per burst: 12 × 20,000 vector FMAs, ~40 µs at 100 GFLOP/s on 256 bits. */
    private static final int ITERATIONS = 20_000;
    private static final int CHAIN_STEPS = 1_000_000;
    private static volatile float floatSink;
    private static volatile long longSink;

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 15;
        if (threads < 1 || !(seconds > 0)) {
            System.err.println("usage: FmaPhases [THREADS >= 1] [SECONDS > 0]");
            System.exit(2);
        }
        // Warm-up on this thread: C2 compiles both loops before any window is timed.
        for (int i = 0; i < 300; i++) {
            floatSink += burst(1e-3f);
            longSink += chain(i, 10_000);
        }
        double flops = 12.0 * 2 * S.length() * ITERATIONS;
        System.out.printf("%d thread(s), %d-bit vectors, %.0f s; per thread and second: mean and best burst GFLOP/s, "
                + "ns per integer multiply-add step%n", threads, S.vectorBitSize(), seconds);
        CyclicBarrier start = new CyclicBarrier(threads);
        Thread[] workers = new Thread[threads];
        String[][] lines = new String[threads][];
        for (int t = 0; t < threads; t++) {
            int id = t;
            workers[t] = new Thread(() -> lines[id] = run(start, seconds, flops));
            workers[t].start();
        }
        for (Thread w : workers) {
            w.join();
        }
        for (int s = 0; s < lines[0].length; s++) {
            StringBuilder row = new StringBuilder(String.format("%3d s:", s));
            for (int t = 0; t < threads; t++) {
                row.append("  thread ").append(t).append(' ').append(s < lines[t].length ? lines[t][s] : "-");
            }
            System.out.println(row);
        }
    }

    private static String[] run(CyclicBarrier start, double seconds, double flops) {
        try {
            start.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        int windows = (int) Math.ceil(seconds);
        String[] out = new String[windows];
        for (int wi = 0; wi < windows; wi++) {
            long windowEnd = System.nanoTime() + 1_000_000_000L;
            double sum = 0;
            double best = Double.MAX_VALUE;
            int n = 0;
            while (System.nanoTime() < windowEnd) {
                long t0 = System.nanoTime();
                floatSink += burst(1e-3f);
                double dt = System.nanoTime() - t0;
                sum += dt;
                best = Math.min(best, dt);
                n++;
            }
            long c0 = System.nanoTime();
            longSink += chain(c0, CHAIN_STEPS);
            double chainNs = (System.nanoTime() - c0) / (double) CHAIN_STEPS;
            out[wi] = String.format("%6.1f %6.1f %5.2f", flops * n / sum, flops / best, chainNs);
        }
        return out;
    }

    /** 12 independent FMA chains (latency 4 × 2 pipes needs 8; 12 leave room), all in registers. */
    private static float burst(float x) {
        FloatVector m = FloatVector.broadcast(S, 0.999f);
        FloatVector a = FloatVector.broadcast(S, x);
        FloatVector c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a, c10 = a, c11 = a;
        for (int i = 0; i < ITERATIONS; i++) {
            c0 = m.fma(a, c0); c1 = m.fma(a, c1); c2 = m.fma(a, c2); c3 = m.fma(a, c3);
            c4 = m.fma(a, c4); c5 = m.fma(a, c5); c6 = m.fma(a, c6); c7 = m.fma(a, c7);
            c8 = m.fma(a, c8); c9 = m.fma(a, c9); c10 = m.fma(a, c10); c11 = m.fma(a, c11);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(VectorOperators.ADD);
    }

    /** A dependent chain of integer multiply-adds: its time per step follows the core's clock. */
    private static long chain(long x, int steps) {
        for (int i = 0; i < steps; i++) {
            x = x * 3 + 1;
        }
        return x;
    }
}
