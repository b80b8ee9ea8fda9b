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
 * <p>Each phase is {@code MODE:MODEL_DIR:BATCH:SECONDS} ({@code infer} or {@code train}; history 0, two threads), a
 * {@code PeerWorker} request to the engine the peers' worker uses (model directories from {@code PeerWorker create
 * DIR}); requests with the same directory share one model and trainer, as in the worker. After each phase it prints
 * the median call time and, for every trainer, how many parameter values and Adam moments are subnormal and how many
 * dense gradients are below 1e-19 (read through the trainer's private fields: a development tool, tied to the code).
 */
public final class EngineSequence {
    private EngineSequence() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: EngineSequence BENCHMARKS.jar MODE:MODEL_DIR:BATCH:SECONDS...");
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
            if (phase.length != 4) {
                System.err.println("EngineSequence: phase '" + args[a] + "' is not MODE:MODEL_DIR:BATCH:SECONDS");
                System.exit(2);
            }
            Map<String, Object> req = new HashMap<>();
            req.put("mode", phase[0]);
            req.put("model_dir", phase[1]);
            req.put("batch", Integer.valueOf(phase[2]));
            req.put("hist", 0);
            req.put("threads", 2);
            Runnable call = (Runnable) prepare.invoke(engine, req);
            long end = System.nanoTime() + (long) (Double.parseDouble(phase[3]) * 1e9);
            List<Double> ms = new ArrayList<>();
            while (System.nanoTime() < end) {
                long s = System.nanoTime();
                call.run();
                ms.add((System.nanoTime() - s) / 1e6);
            }
            Collections.sort(ms);
            System.out.printf("%s: %d calls, median %.3f ms%n", args[a], ms.size(), ms.get(ms.size() / 2));
            printTrainerState(engineClass, engine);
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
