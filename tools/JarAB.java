import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Two builds of din4j timed against each other in one JVM: each benchmarks jar is loaded by its own class loader,
 * and the two run the same call in alternating blocks, so a host that slows down or speeds up (turbo, a neighbour,
 * the other vCPU) moves both alike. Separate JVMs, one per jar, differed by more than the changes being measured on
 * the 2-vCPU hosts (docs/architecture.md, "Where the dense GEMM loses at 512 bits").
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED tools/JarAB.java \
 *      [--rounds 100] [--calls 8] TARGET PARAMS OLD.jar NEW.jar
 * </pre>
 *
 * <ul>
 *   <li>TARGET {@code io.din4j.bench.ops.DenseBench#forward}: a JMH state class of the benchmarks module, its
 *       public parameter fields set from PARAMS ({@code shape=1024x256x768,threads=1}; every field the benchmark
 *       reads, since JMH's defaults do not apply here), then {@code setup()}, then the method.</li>
 *   <li>TARGET {@code engine#infer}, {@code engine#train} or {@code engine#serving}: a {@code PeerWorker} request
 *       to the din4j engine, PARAMS its keys ({@code model_dir=/tmp/peers/ple,batch=1024,hist=0,threads=2}; the
 *       model directories from {@code PeerWorker create DIR}).</li>
 * </ul>
 *
 * <p>Each round times {@code --calls} calls of one jar and then of the other and keeps each block's fastest call;
 * the first quarter of the rounds is the warm-up and is dropped. It prints each jar's median of those, and the
 * median and quartiles of NEW/OLD per round. The jar that runs second in a round came out a few percent slower on
 * some shapes, so run several JVMs with the jars' order swapped and read the ratios of both orders (the same jar
 * against a copy of itself shows the spread):
 *
 * <pre>
 * for i in 1 2 3 4; do java ... tools/JarAB.java T P old.jar new.jar; java ... tools/JarAB.java T P new.jar old.jar; done
 * </pre>
 *
 * <p>The two jars share the JDK's classes, and so the type profiles of the Vector API's methods: whatever vectors one
 * jar makes, the other's kernels are compiled against. The DIN training step with two threads at 256 bits
 * ({@code -XX:UseAVX=2}) ran 1.5–1.7× as long in whichever jar came second, in every JVM: the weight gradients
 * made 4-lane vectors besides the preferred ones, and the second jar's kernels, compiled after them, boxed their
 * accumulators (docs/architecture.md, "One vector species"). Builds since the cpu backend makes one species only
 * run alike here (the same jar against a copy of itself: 0.98–1.00); a build older than that pollutes the profiles
 * of the one it is compared with, so compare across that change with {@code benchmarks/peers/abpair.py} (one JVM
 * per jar, asked in turn) or one JVM per jar.
 */
public final class JarAB {
    private JarAB() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = 100;
        int calls = 8;
        int i = 0;
        while (i < args.length && args[i].startsWith("--")) {
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                case "--calls" -> calls = Integer.parseInt(args[i + 1]);
                default -> fail("unknown option " + args[i]);
            }
            i += 2;
        }
        if (args.length - i != 4 || !args[i].contains("#")) {
            fail("usage: JarAB [--rounds N] [--calls N] CLASS#METHOD|engine#MODE k=v,... OLD.jar NEW.jar");
        }
        if (rounds < 4 || calls < 1) {
            fail("--rounds must be at least 4 and --calls at least 1");
        }
        String target = args[i];
        Map<String, String> params = parse(args[i + 1]);
        Path[] jars = {Path.of(args[i + 2]), Path.of(args[i + 3])};
        Runnable[] run = new Runnable[2];
        for (int j = 0; j < 2; j++) {
            if (!jars[j].toFile().isFile()) {
                fail("no such jar: " + jars[j]);
            }
            URLClassLoader loader = new URLClassLoader(new URL[] {jars[j].toUri().toURL()}, ClassLoader.getPlatformClassLoader());
            run[j] = prepare(loader, target, params);
        }
        double[][] best = new double[2][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int j = 0; j < 2; j++) {
                double b = Double.MAX_VALUE;
                for (int q = 0; q < calls; q++) {
                    long t0 = System.nanoTime();
                    run[j].run();
                    b = Math.min(b, (System.nanoTime() - t0) / 1e6);
                }
                best[j][r] = b;
            }
        }
        int skip = rounds / 4;
        for (int j = 0; j < 2; j++) {
            double[] s = Arrays.copyOfRange(best[j], skip, rounds);
            Arrays.sort(s);
            System.out.printf(Locale.ROOT, "%s: median of each round's fastest call %.4f ms (quartiles %.4f–%.4f)%n", jars[j].getFileName(),
                    s[s.length / 2], s[s.length / 4], s[3 * s.length / 4]);
        }
        double[] ratio = new double[rounds - skip];
        for (int r = skip; r < rounds; r++) {
            ratio[r - skip] = best[1][r] / best[0][r];
        }
        Arrays.sort(ratio);
        System.out.printf(Locale.ROOT, "%s/%s per round: median %.3f (quartiles %.3f–%.3f)%n", jars[1].getFileName(), jars[0].getFileName(),
                ratio[ratio.length / 2], ratio[ratio.length / 4], ratio[3 * ratio.length / 4]);
        System.exit(0);
    }

    private static Runnable prepare(ClassLoader loader, String target, Map<String, String> params) throws Exception {
        String owner = target.substring(0, target.indexOf('#'));
        String method = target.substring(target.indexOf('#') + 1);
        if (owner.equals("engine")) {
            Map<String, Object> req = new HashMap<>();
            params.forEach((k, v) -> req.put(k, v.matches("-?[0-9]+") ? (Object) Integer.valueOf(v) : v));
            req.put("mode", method);
            Class<?> c = loader.loadClass("io.din4j.bench.peers.Din4jEngine");
            Constructor<?> k = c.getDeclaredConstructor();
            k.setAccessible(true);
            Method prepare = c.getDeclaredMethod("prepare", Map.class);
            prepare.setAccessible(true);
            return (Runnable) prepare.invoke(k.newInstance(), req);
        }
        Class<?> c = loader.loadClass(owner);
        Object state = c.getDeclaredConstructor().newInstance();
        for (Map.Entry<String, String> e : params.entrySet()) {
            Field f = c.getField(e.getKey());
            if (f.getType() == int.class) {
                f.setInt(state, Integer.parseInt(e.getValue()));
            } else {
                f.set(state, e.getValue());
            }
        }
        c.getMethod("setup").invoke(state);
        Method m = c.getMethod(method);
        return () -> {
            try {
                m.invoke(state);
            } catch (ReflectiveOperationException ex) {
                throw new IllegalStateException(ex);
            }
        };
    }

    private static Map<String, String> parse(String list) {
        Map<String, String> m = new HashMap<>();
        for (String kv : list.split(",")) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                fail("parameters are k=v,k=v; got '" + kv + "'");
            }
            m.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return m;
    }

    private static void fail(String message) {
        System.err.println("JarAB: " + message);
        System.exit(2);
    }
}
