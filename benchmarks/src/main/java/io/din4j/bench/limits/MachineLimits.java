package io.din4j.bench.limits;

import io.din4j.backend.cpu.CpuBackend;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * This machine's limits as Java sees them: Vector API FMA throughput from registers (one thread and every
 * processor) and memory bandwidth (a 256 MiB copy and a read-only sum, on every processor). The op report divides
 * each op's rate by these, measured in the same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class MachineLimits {
    private static final VectorSpecies<Float> S = CpuBackend.vectorSpecies();
    /** System property: f32 lanes of the benchmark JVMs, set by a report whose own width differs. */
    public static final String FORK_LANES = "din4j.bench.forkLanes";
    /** FMA iterations per thread per invocation: 12 chains × 16 lanes × 2^18 iterations, 0.1 GFLOP, ~0.4 ms per core. */
    private static final int ITER = 1 << 18;
    /** Independent accumulator chains: FMA latency (4) × pipes (2), with room to spare. */
    private static final int CHAINS = 12;
    private static final long BYTES = 256L << 20;
    private static final int THREADS = Runtime.getRuntime().availableProcessors();

    private Arena arena;
    private MemorySegment src;
    private MemorySegment dst;
    private ExecutorService pool;
    private float seed = 1e-3f;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        src = arena.allocate(BYTES, 64);
        dst = arena.allocate(BYTES, 64);
        for (long i = 0; i < BYTES; i += 4096) {
            src.set(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, 1f);
            dst.set(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, 1f);
        }
        pool = Executors.newFixedThreadPool(THREADS);
        float check = fmaLoop(1e-3f, 1);
        if (!Float.isFinite(check)) {
            throw new IllegalStateException("FMA loop diverged: " + check);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.shutdownNow();
        arena.close();
    }

    /** Work of one invocation. */
    public static double flops(String method, Map<String, String> params) {
        // The report calls this in its own JVM, whose vector width may differ from the forks' (-XX:MaxVectorSize):
        // it passes the forks' lane count in this property.
        double one = 2.0 * ITER * CHAINS * Integer.getInteger(FORK_LANES, S.length());
        return switch (method) {
            case "fmaOneThread" -> one;
            case "fmaAllThreads" -> one * THREADS;
            default -> Double.NaN;
        };
    }

    /** Bytes that one invocation moves. */
    public static double bytes(String method, Map<String, String> params) {
        return switch (method) {
            case "copyAllThreads", "copyOneThread" -> 2.0 * BYTES;
            case "readAllThreads" -> BYTES;
            default -> Double.NaN;
        };
    }

    private static float fmaLoop(float x, int iter) {
        // Each chain accumulates through the FMA's addend, c = m·a + c, as a GEMM's accumulators do. Chaining through
        // a multiplicand instead (c = c·m + a) measured 63-84 GFLOP/s on one thread of the AVX2 (AMD EPYC) host
        // against 90-102 for this form in the same JVM, below what our own GEMM reached (85): a "peak" a kernel
        // can beat makes every percentage of it meaningless. Chains start apart so no two are the same value; the
        // increment m·a is tiny so nothing overflows.
        FloatVector m = FloatVector.broadcast(S, 1e-7f * x);
        FloatVector a = FloatVector.broadcast(S, x);
        FloatVector c0 = a, c1 = a.add(1), c2 = a.add(2), c3 = a.add(3), c4 = a.add(4), c5 = a.add(5);
        FloatVector c6 = a.add(6), c7 = a.add(7), c8 = a.add(8), c9 = a.add(9), c10 = a.add(10), c11 = a.add(11);
        for (int i = 0; i < iter; i++) {
            c0 = m.fma(a, c0);
            c1 = m.fma(a, c1);
            c2 = m.fma(a, c2);
            c3 = m.fma(a, c3);
            c4 = m.fma(a, c4);
            c5 = m.fma(a, c5);
            c6 = m.fma(a, c6);
            c7 = m.fma(a, c7);
            c8 = m.fma(a, c8);
            c9 = m.fma(a, c9);
            c10 = m.fma(a, c10);
            c11 = m.fma(a, c11);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(VectorOperators.ADD);
    }

    @Benchmark
    public float fmaOneThread() {
        return fmaLoop(seed, ITER);
    }

    @Benchmark
    public float fmaAllThreads() throws Exception {
        Future<?>[] f = new Future<?>[THREADS - 1];
        float[] out = new float[THREADS];
        for (int t = 1; t < THREADS; t++) {
            int id = t;
            f[t - 1] = pool.submit(() -> out[id] = fmaLoop(seed, ITER));
        }
        out[0] = fmaLoop(seed, ITER);
        for (Future<?> x : f) {
            x.get();
        }
        float s = 0;
        for (float v : out) {
            s += v;
        }
        return s;
    }

    @Benchmark
    public void copyOneThread() {
        MemorySegment.copy(src, 0, dst, 0, BYTES);
    }

    @Benchmark
    public void copyAllThreads() throws Exception {
        Future<?>[] f = new Future<?>[THREADS - 1];
        long chunk = BYTES / THREADS;
        for (int t = 1; t < THREADS; t++) {
            long off = t * chunk;
            long len = t == THREADS - 1 ? BYTES - off : chunk;
            f[t - 1] = pool.submit(() -> MemorySegment.copy(src, off, dst, off, len));
        }
        MemorySegment.copy(src, 0, dst, 0, chunk);
        for (Future<?> x : f) {
            x.get();
        }
    }

    private static float sum(MemorySegment s, long from, long to) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        long step = 4L * S.vectorByteSize();
        long last = to - step;
        // `i <= last` with a constant step keeps this a counted loop that C2 unrolls.
        for (long i = from; i <= last; i += step) {
            a0 = a0.add(FloatVector.fromMemorySegment(S, s, i, ByteOrder.nativeOrder()));
            a1 = a1.add(FloatVector.fromMemorySegment(S, s, i + S.vectorByteSize(), ByteOrder.nativeOrder()));
            a2 = a2.add(FloatVector.fromMemorySegment(S, s, i + 2L * S.vectorByteSize(), ByteOrder.nativeOrder()));
            a3 = a3.add(FloatVector.fromMemorySegment(S, s, i + 3L * S.vectorByteSize(), ByteOrder.nativeOrder()));
        }
        return a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
    }

    @Benchmark
    public float readAllThreads() throws Exception {
        @SuppressWarnings("unchecked")
        Future<Float>[] f = new Future[THREADS - 1];
        long chunk = BYTES / THREADS;
        for (int t = 1; t < THREADS; t++) {
            long off = t * chunk;
            long end = t == THREADS - 1 ? BYTES : off + chunk;
            f[t - 1] = pool.submit(() -> sum(src, off, end));
        }
        float s = sum(src, 0, chunk);
        for (Future<Float> x : f) {
            s += x.get();
        }
        return s;
    }

    /**
     * The f32 FMA peak of {@code threads} threads running the loop of {@link #fmaOneThread} at once, in GFLOP/s:
     * the best of {@code rounds} timed rounds after a warm-up (a peak is a best case; a slower round only says the
     * machine was busy). For reports that divide a measured time by it outside JMH, such as the peers' serving floor.
     */
    public static double fmaPeakGflops(int threads, int rounds) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            double flopsPerRound = 2.0 * ITER * CHAINS * S.length() * threads * 4;
            float sink = 0;
            double best = 0;
            for (int r = -5; r < rounds; r++) {
                Future<?>[] f = new Future<?>[threads];
                float[] out = new float[threads];
                long t0 = System.nanoTime();
                for (int t = 0; t < threads; t++) {
                    int id = t;
                    f[t] = pool.submit(() -> {
                        float x = 0;
                        for (int i = 0; i < 4; i++) {
                            x += fmaLoop(1e-3f + id + i, ITER);
                        }
                        out[id] = x;
                    });
                }
                for (Future<?> x : f) {
                    x.get();
                }
                long dt = System.nanoTime() - t0;
                for (float v : out) {
                    sink += v;
                }
                if (r >= 0) {
                    best = Math.max(best, flopsPerRound / dt);
                }
            }
            if (!Float.isFinite(sink)) {
                throw new IllegalStateException("FMA loop diverged: " + sink);
            }
            return best;
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * The rate {@code threads} threads keep with the loop of {@link #fmaOneThread} held for {@code seconds} without a
     * pause, in GFLOP/s: the mean over the second half of that time. {@link #fmaPeakGflops} is what the cores give
     * after idle; this is what a benchmark that runs for seconds gets. Some hosts throttle their FP units after a few
     * seconds of load (an AVX2 server of 2026-12-06 to exactly half the peak: docs/architecture.md, "The AVX2 server
     * halves its FMA rate"), and there the two differ by that much.
     */
    public static double fmaSustainedGflops(int threads, double seconds) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            long start = System.nanoTime();
            long half = start + (long) (seconds * 0.5e9);
            long end = start + (long) (seconds * 1e9);
            @SuppressWarnings("unchecked")
            Future<double[]>[] f = new Future[threads];
            for (int t = 0; t < threads; t++) {
                int id = t;
                f[t] = pool.submit(() -> {
                    // {flops in the second half, the second half's length in ns, the loops' sum}
                    double flops = 0;
                    float x = 0;
                    long from = 0;
                    long now;
                    while ((now = System.nanoTime()) < end) {
                        if (now >= half && from == 0) {
                            from = now;
                        }
                        x += fmaLoop(1e-3f + id, ITER);
                        if (from != 0) {
                            flops += 2.0 * ITER * CHAINS * S.length();
                        }
                    }
                    return new double[] {flops, from == 0 ? 0 : System.nanoTime() - from, x};
                });
            }
            double rate = 0;
            double sink = 0;
            for (Future<double[]> x : f) {
                double[] r = x.get();
                rate += r[1] > 0 ? r[0] / r[1] : 0;
                sink += r[2];
            }
            if (!Double.isFinite(sink)) {
                throw new IllegalStateException("FMA loop diverged: " + sink);
            }
            return rate;
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * {@code MachineLimits THREADS [ROUNDS] [--sustained SECONDS]}: prints {@code {"threads": n, "fma_gflops": x,
     * "lanes": l}}, with {@code "fma_sustained_gflops"} ({@link #fmaSustainedGflops}) when asked for.
     */
    public static void main(String[] args) throws Exception {
        java.util.List<String> rest = new java.util.ArrayList<>(java.util.List.of(args));
        double sustained = 0;
        int at = rest.indexOf("--sustained");
        if (at >= 0) {
            if (at + 1 >= rest.size()) {
                usage();
            }
            sustained = Double.parseDouble(rest.get(at + 1));
            rest.subList(at, at + 2).clear();
        }
        if (rest.isEmpty() || rest.size() > 2 || sustained < 0) {
            usage();
        }
        int threads = Integer.parseInt(rest.get(0));
        int rounds = rest.size() > 1 ? Integer.parseInt(rest.get(1)) : 40;
        double g = fmaPeakGflops(threads, rounds);
        String held = sustained > 0
                ? String.format(java.util.Locale.ROOT, ", \"fma_sustained_gflops\": %.2f, \"sustained_s\": %s",
                        fmaSustainedGflops(threads, sustained), sustained)
                : "";
        System.out.printf(java.util.Locale.ROOT, "{\"threads\": %d, \"fma_gflops\": %.2f, \"lanes\": %d%s}%n", threads, g,
                S.length(), held);
    }

    private static void usage() {
        System.err.println("usage: MachineLimits THREADS [ROUNDS] [--sustained SECONDS]");
        System.exit(2);
    }
}
