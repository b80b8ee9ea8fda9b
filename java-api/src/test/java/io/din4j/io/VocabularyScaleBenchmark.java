package io.din4j.io;

import io.din4j.backend.Backend;
import io.din4j.backend.Backends;
import io.din4j.data.FeatureSchema;
import io.din4j.data.Vocabulary;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.predict.Predictor;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Saves and loads a DIN model whose item vocabulary has N ids (10 million by default), printing the wall and CPU
 * time, the file sizes, the heap pools' peak (garbage included) and the heap held after each phase: the figures in
 * docs/model-format.md. Run it with a small {@code -Xmx} to see the heap a load needs. A benchmark run by hand, not a
 * test (its timings depend on the machine):
 *
 * <pre>
 * ./mvnw -o -q -pl java-api -am test-compile -DskipTests
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx1536m \
 *   -cp java-api/target/classes:java-api/target/test-classes \
 *   io.din4j.io.VocabularyScaleBenchmark /tmp/vocab-bench 10000000
 * </pre>
 */
public final class VocabularyScaleBenchmark {
    private VocabularyScaleBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "/tmp/din4j-vocab-bench");
        int items = args.length > 1 ? Integer.parseInt(args[1]) : 10_000_000;
        System.out.printf(Locale.ROOT, "items=%,d max heap=%,d MiB%n", items, Runtime.getRuntime().maxMemory() >> 20);
        // One method per phase, so nothing of a phase stays reachable from a stack slot while the next is measured.
        try (Backend b = Backends.create("cpu", 1)) {
            save(b, dir, items);
            readInfo(dir);
            load(b, dir, items);
        }
    }

    private static void save(Backend b, Path dir, int items) throws IOException {
        FeatureSchema schema = FeatureSchema.canonical(List.of("click"));
        ModelConfig config = ModelConfig.builder(ModelConfig.Type.DIN).embeddingDim(4).attentionHidden(8).mlpHidden(8).tasks("click").build();
        long t0 = System.nanoTime();
        Map<String, Vocabulary> v = new LinkedHashMap<>();
        v.put("user_id", vocabulary("u", 1000));
        // ASIN-like ids (10 characters), as in the Amazon data sets.
        v.put("item_id", vocabulary("B", items));
        v.put("cate_id", vocabulary("c", 1000));
        System.out.printf(Locale.ROOT, "built in memory: %.1f s, heap after GC %,d MiB%n", seconds(t0), heapAfterGc() >> 20);
        try (Model m = Model.create(config, schema, v, b, 16)) {
            resetPeaks();
            long t = System.nanoTime();
            double c = cpu();
            ModelFiles.save(m, dir, Map.of());
            System.out.printf(Locale.ROOT, "save: %.1f s wall, %.1f s cpu, peak heap %,d MiB; model.json %,d bytes, vocabularies.bin %,d MiB, weights %,d MiB%n",
                    seconds(t), cpu() - c, peakHeap() >> 20, Files.size(dir.resolve(ModelFiles.MODEL_JSON)),
                    Files.size(dir.resolve(ModelFiles.VOCABULARIES)) >> 20, Files.size(dir.resolve(ModelFiles.WEIGHTS)) >> 20);
        }
    }

    private static void readInfo(Path dir) {
        long base = heapAfterGc();
        resetPeaks();
        long t = System.nanoTime();
        double c = cpu();
        ModelFiles.Info info = ModelFiles.readInfo(dir);
        double wall = seconds(t);
        double used = cpu() - c;
        long peak = peakHeap();
        long held = heapAfterGc() - base;
        System.out.printf(Locale.ROOT, "readInfo (model.json + vocabularies.bin): %.1f s wall, %.1f s cpu, peak heap %,d MiB, held %,d MiB (%d ids)%n",
                wall, used, peak >> 20, held >> 20, info.vocabularies().get("item_id").size());
    }

    private static void load(Backend b, Path dir, int items) {
        long base = heapAfterGc();
        resetPeaks();
        long t = System.nanoTime();
        double c = cpu();
        try (Predictor p = Predictor.load(dir, b)) {
            float[] s = p.request().id("user_id", "u7").id("item_id", "B" + String.format(Locale.ROOT, "%09d", items - 1)).id("cate_id", "c3")
                    .history("hist_item_id", "B000000001").history("hist_cate_id", "c1").score();
            double wall = seconds(t);
            double used = cpu() - c;
            long peak = peakHeap();
            long held = heapAfterGc() - base;
            System.out.printf(Locale.ROOT, "Predictor.load + one request: %.1f s wall, %.1f s cpu, peak heap %,d MiB, held %,d MiB (p=%.4f)%n",
                    wall, used, peak >> 20, held >> 20, s[0]);
        }
    }

    private static Vocabulary vocabulary(String prefix, int n) {
        List<String> tokens = new ArrayList<>(n + 1);
        tokens.add(Vocabulary.OOV_TOKEN);
        long[] counts = new long[n + 1];
        for (int i = 0; i < n; i++) {
            tokens.add(prefix + String.format(Locale.ROOT, "%09d", i));
            counts[i + 1] = 1 + (i % 7);
        }
        return Vocabulary.of(tokens, counts);
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    /** CPU seconds of the whole process (GC threads included): on a shared machine wall time overstates the work. */
    private static double cpu() {
        return ProcessHandle.current().info().totalCpuDuration().orElseThrow().toNanos() / 1e9;
    }

    private static long heapAfterGc() {
        System.gc();
        System.gc();
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    private static void resetPeaks() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            p.resetPeakUsage();
        }
    }

    /** Sum of the heap pools' peaks since the last reset (an upper bound of the live heap at any moment). */
    private static long peakHeap() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                sum += p.getPeakUsage().getUsed();
            }
        }
        return sum;
    }
}
