import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Whether the attention unit's two-thread speed-up is lost in the cpu backend's hand-off or on the host: in one JVM,
 * rounds of the inference pass ({@code AttentionBench.inference}, Dice) run
 * <ol>
 *   <li>on a one-thread backend over all B samples (before and after the others; their mean is the round's base),</li>
 *   <li>on a two-thread backend over all B samples,</li>
 *   <li>on two one-thread backends, each over B / 2 samples of its own, in two plain threads at once (the slower of
 *       the two is the round's time).</li>
 * </ol>
 * It prints the median and range of the base over (2) and over (3). Where (3) scales no better than (2), two threads
 * that share nothing but the JVM lose as much, and the hand-off is not what costs (docs/architecture.md, "Why the
 * attention unit scales 1.6× on the AVX2 server").
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED tools/AttentionScaling.java \
 *      benchmarks/target/din4j-benchmarks.jar [BATCH [HISTORY [ROUNDS [SECONDS]]]]     # 200 100 20 0.4
 * </pre>
 */
public final class AttentionScaling {
    private AttentionScaling() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length > 5 || !java.nio.file.Files.isRegularFile(Path.of(args[0]))) {
            System.err.println("usage: AttentionScaling BENCHMARKS.jar [BATCH [HISTORY [ROUNDS [SECONDS]]]]"
                    + " (the jar from ./mvnw -q install -DskipTests)");
            System.exit(2);
        }
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int history = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 20;
        double seconds = args.length > 4 ? Double.parseDouble(args[4]) : 0.4;
        if (batch < 2 || history < 1 || rounds < 1 || !(seconds > 0)) {
            System.err.println("AttentionScaling: BATCH ≥ 2, HISTORY ≥ 1, ROUNDS ≥ 1 and SECONDS > 0");
            System.exit(2);
        }
        URLClassLoader loader = new URLClassLoader(new URL[] {Path.of(args[0]).toUri().toURL()},
                AttentionScaling.class.getClassLoader());
        Class<?> bench = loader.loadClass("io.din4j.bench.ops.AttentionBench");
        Object one = state(bench, 1, batch, history);
        Object two = state(bench, 2, batch, history);
        Object left = state(bench, 1, batch / 2, history);
        Object right = state(bench, 1, batch - batch / 2, history);
        Method inference = bench.getMethod("inference");
        time(inference, one, 3);
        time(inference, two, 3);
        time(inference, left, 2);
        time(inference, right, 2);
        double[] backend = new double[rounds];
        double[] apart = new double[rounds];
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int r = 0; r < rounds; r++) {
                double before = time(inference, one, seconds);
                double together = time(inference, two, seconds);
                Future<Double> a = pool.submit(() -> time(inference, left, seconds));
                Future<Double> b = pool.submit(() -> time(inference, right, seconds));
                double halves = Math.max(a.get(), b.get());
                double base = (before + time(inference, one, seconds)) / 2;
                backend[r] = base / together;
                apart[r] = base / halves;
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.printf("B = %d, T = %d, Dice, %d rounds of %.1f s per measure%n", batch, history, rounds, seconds);
        System.out.println("speed-up over one thread: two-thread backend " + summary(backend)
                + "; two one-thread backends on halves " + summary(apart));
        System.exit(0);
    }

    /** An {@code AttentionBench} with its parameter fields set and its trial set up. */
    private static Object state(Class<?> bench, int threads, int batch, int history) throws Exception {
        Object s = bench.getDeclaredConstructor().newInstance();
        set(bench, s, "batch", batch);
        set(bench, s, "history", history);
        set(bench, s, "threads", threads);
        bench.getField("activation").set(s, "DICE");
        bench.getField("variant").set(s, "folded");
        bench.getMethod("setup").invoke(s);
        return s;
    }

    private static void set(Class<?> bench, Object s, String name, int value) throws Exception {
        Field f = bench.getField(name);
        f.setInt(s, value);
    }

    /** Mean milliseconds per call over about {@code seconds} of back-to-back calls. */
    private static double time(Method inference, Object s, double seconds) throws Exception {
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        int calls = 0;
        while (System.nanoTime() < end) {
            inference.invoke(s);
            calls++;
        }
        return (System.nanoTime() - start) / 1e6 / calls;
    }

    private static String summary(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return String.format("median %.2f (%.2f–%.2f)", s[s.length / 2], s[0], s[s.length - 1]);
    }
}
