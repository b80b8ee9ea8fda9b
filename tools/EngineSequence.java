import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Phases of din4j engine requests run one after another in one JVM, each for a fixed time, to see how a step's speed
 * depends on what ran before it: the peers' worker ({@code benchmarks/peers/compare.py}) trains one model per
 * directory through B = 1, 64 and 1,024 in turn, and its training rows moved with that history (docs/architecture.md,
 * "No subnormal optimizer state").
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED tools/EngineSequence.java \
 *      benchmarks/target/din4j-benchmarks.jar train:/tmp/peers/ple:1:8 train:/tmp/peers/ple:64:5 ...
 * </pre>
 *
 * <p>A profile of a phase after its warm-up: {@code -XX:StartFlightRecording=delay=6s,duration=8s,filename=F.jfr,
 * settings=profile} before {@code tools/EngineSequence.java}, read with {@code jfr view hot-methods F.jfr}.
 *
 * <p>Each phase is {@code MODE:MODEL_DIR:BATCH:SECONDS[:HIST]} ({@code infer}, {@code train} or {@code serving}: one
 * user against BATCH candidates; history HIST, 0 by default, for DIN), a {@code PeerWorker} request to the engine the
 * peers' worker uses (model directories from {@code PeerWorker create DIR}); requests with the same directory share
 * one model and trainer, as in the worker. After each phase it prints the median call time and, for every trainer,
 * how many parameter values and Adam moments are subnormal and how many dense gradients are below 1e-19 (read
 * through the trainer's private fields: a development tool, tied to the code). Options before the jar:
 * {@code --threads N} the backend's threads (2 by default, as the peers' worker), {@code --op-times} prints the
 * phase's ten slowest ops ({@code OpTimes}, mean µs per call), {@code --scan} the training graph's buffers that hold
 * subnormal or tiny values after the phase (docs/architecture.md, "Saturated rows give no gradient").
 */
public final class EngineSequence {
    private EngineSequence() {
    }

    public static void main(String[] args) throws Exception {
        boolean opTimes = false;
        boolean scan = false;
        int threads = 2;
        int first = 0;
        for (; first < args.length && args[first].startsWith("--"); first++) {
            switch (args[first]) {
                case "--op-times" -> opTimes = true;
                case "--scan" -> scan = true;
                case "--threads" -> {
                    boolean given = first + 1 < args.length && args[first + 1].matches("[1-9][0-9]{0,3}");
                    threads = given ? Integer.parseInt(args[++first]) : 0;
                    if (threads < 1) {
                        System.err.println("EngineSequence: --threads needs a whole number of threads, 1 or more");
                        System.exit(2);
                    }
                }
                default -> {
                    System.err.println("EngineSequence: unknown option " + args[first]);
                    System.exit(2);
                }
            }
        }
        args = java.util.Arrays.copyOfRange(args, first, args.length);
        if (args.length < 2) {
            System.err.println("usage: EngineSequence [--op-times] [--scan] [--threads N] BENCHMARKS.jar"
                    + " MODE:MODEL_DIR:BATCH:SECONDS[:HIST]...");
            System.exit(2);
        }
        if (!java.nio.file.Files.isRegularFile(Path.of(args[0]))) {
            System.err.println("EngineSequence: no benchmarks jar at " + args[0] + " (./mvnw -q install -DskipTests)");
            System.exit(2);
        }
        URLClassLoader loader = new URLClassLoader(new URL[] {Path.of(args[0]).toUri().toURL()},
                EngineSequence.class.getClassLoader());
        Class<?> engineClass = loader.loadClass("io.din4j.bench.peers.Din4jEngine");
        Constructor<?> make = engineClass.getDeclaredConstructor();
        make.setAccessible(true);
        Object engine = make.newInstance();
        Method prepare = engineClass.getDeclaredMethod("prepare", Map.class);
        prepare.setAccessible(true);
        for (int a = 1; a < args.length; a++) {
            String[] phase = args[a].split(":");
            if (phase.length != 4 && phase.length != 5) {
                System.err.println("EngineSequence: phase '" + args[a] + "' is not MODE:MODEL_DIR:BATCH:SECONDS[:HIST]");
                System.exit(2);
            }
            Map<String, Object> req = new HashMap<>();
            req.put("mode", phase[0]);
            req.put("model_dir", phase[1]);
            req.put("batch", Integer.valueOf(phase[2]));
            req.put("hist", phase.length == 5 ? Integer.valueOf(phase[4]) : 0);
            req.put("threads", threads);
            Runnable call = (Runnable) prepare.invoke(engine, req);
            long end = System.nanoTime() + (long) (Double.parseDouble(phase[3]) * 1e9);
            List<Double> ms = new ArrayList<>();
            Class<?> times = loader.loadClass("io.din4j.graph.OpTimes");
            if (opTimes) {
                times.getMethod("start").invoke(null);
            }
            while (System.nanoTime() < end) {
                long s = System.nanoTime();
                call.run();
                ms.add((System.nanoTime() - s) / 1e6);
            }
            List<?> rows = opTimes ? (List<?>) times.getMethod("stop").invoke(null) : List.of();
            Collections.sort(ms);
            System.out.printf("%s: %d calls, median %.3f ms%n", args[a], ms.size(), ms.get(ms.size() / 2));
            printOpTimes(rows);
            printTrainerState(engineClass, engine);
            if (scan) {
                scanBuffers(engineClass, engine);
            }
        }
    }

    /** The ten ops with the most time per call, from {@code OpTimes.stop()}'s rows. */
    private static void printOpTimes(List<?> rows) throws Exception {
        List<Object[]> perCall = new ArrayList<>();
        for (Object r : rows) {
            Class<?> c = r.getClass();
            long calls = (long) c.getMethod("calls").invoke(r);
            long nanos = (long) c.getMethod("nanos").invoke(r);
            perCall.add(new Object[] {c.getMethod("label").invoke(r), nanos / 1e3 / Math.max(1, calls)});
        }
        perCall.sort((x, y) -> Double.compare((double) y[1], (double) x[1]));
        for (Object[] r : perCall.subList(0, Math.min(10, perCall.size()))) {
            System.out.printf("   %10.1f µs  %s%n", (double) r[1], r[0]);
        }
    }

    /**
     * For every trainer's training graph, the buffers whose values or gradients hold subnormal floats or values below
     * 1e-30 or 1e-19, with counts: where the tiny values of a slow phase come from.
     */
    private static void scanBuffers(Class<?> engineClass, Object engine) throws Exception {
        Object cache = field(engineClass, "trainers").get(engine);
        for (Object trainer : ((Map<?, ?>) field(cache.getClass(), "map").get(cache)).values()) {
            Object model = field(trainer.getClass(), "model").get(trainer);
            Object session = field(model.getClass(), "training").get(model);
            Object graph = session.getClass().getMethod("graph").invoke(session);
            for (Object buf : (List<?>) graph.getClass().getMethod("buffers").invoke(graph)) {
                StringBuilder line = new StringBuilder();
                for (String view : new String[] {"v", "g"}) {
                    Object t = buf.getClass().getMethod(view).invoke(buf);
                    if (t == null || !t.getClass().getMethod("dtype").invoke(t).toString().equals("F32")) {
                        continue;
                    }
                    long zero = 0;
                    long subnormal = 0;
                    long below30 = 0;
                    long below19 = 0;
                    float[] values = floats(t);
                    for (float x : values) {
                        float m = Math.abs(x);
                        if (x == 0) {
                            zero++;
                        } else if (m < Float.MIN_NORMAL) {
                            subnormal++;
                        } else if (m < 1e-30f) {
                            below30++;
                        } else if (m < 1e-19f) {
                            below19++;
                        }
                    }
                    if (subnormal + below30 + below19 > 0) {
                        line.append(String.format("  %s: %d values, %d zero, %d subnormal, %d below 1e-30, %d below 1e-19",
                                view, values.length, zero, subnormal, below30, below19));
                    }
                }
                if (!line.isEmpty()) {
                    System.out.println("   " + buf.getClass().getMethod("name").invoke(buf) + line);
                }
            }
        }
    }

    /** Subnormal parameters and moments, and tiny dense gradients, of every trainer the engine holds. */
    private static void printTrainerState(Class<?> engineClass, Object engine) throws Exception {
        Object cache = field(engineClass, "trainers").get(engine);
        for (Object trainer : ((Map<?, ?>) field(cache.getClass(), "map").get(cache)).values()) {
            Object model = field(trainer.getClass(), "model").get(trainer);
            Method grad = null;
            for (Method m : model.getClass().getMethods()) {
                if (m.getName().equals("grad") && m.getParameterCount() == 1) {
                    grad = m;
                }
            }
            long[] subnormal = new long[3];
            long values = 0;
            long tinyGrads = 0;
            long grads = 0;
            for (Map.Entry<?, ?> e : ((Map<?, ?>) field(trainer.getClass(), "moments").get(trainer)).entrySet()) {
                Object param = e.getKey();
                Object[] state = (Object[]) e.getValue();
                List<Object> tensors = new ArrayList<>();
                tensors.add(param.getClass().getMethod("value").invoke(param));
                tensors.addAll(List.of(state));
                for (int i = 0; i < Math.min(3, tensors.size()); i++) {
                    for (float x : floats(tensors.get(i))) {
                        if (i == 0) {
                            values++;
                        }
                        if (x != 0 && Math.abs(x) < Float.MIN_NORMAL) {
                            subnormal[i]++;
                        }
                    }
                }
                if (!param.getClass().getMethod("kind").invoke(param).toString().equals("EMBEDDING")) {
                    for (float x : floats(grad.invoke(model, param))) {
                        grads++;
                        if (x != 0 && Math.abs(x) < 1e-19f) {
                            tinyGrads++;
                        }
                    }
                }
            }
            System.out.printf("   of %d values: %d parameters, %d first moments, %d second moments subnormal;"
                    + " %d of %d dense gradients below 1e-19%n", values, subnormal[0], subnormal[1], subnormal[2],
                    tinyGrads, grads);
        }
    }

    private static float[] floats(Object tensor) throws Exception {
        return (float[]) tensor.getClass().getMethod("toFloatArray").invoke(tensor);
    }

    private static Field field(Class<?> c, String name) throws NoSuchFieldException {
        Field f = c.getDeclaredField(name);
        f.setAccessible(true);
        return f;
    }
}
