package io.din4j.predict;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.din4j.backend.Backend;
import io.din4j.backend.Backends;
import io.din4j.data.Batch;
import io.din4j.data.FeatureSchema;
import io.din4j.graph.HostIO;
import io.din4j.graph.Param;
import io.din4j.io.ModelFiles;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.model.TestData;
import io.din4j.tensor.DerivedCache;
import io.din4j.train.OptimizerSpec;
import io.din4j.train.TrainConfig;
import io.din4j.train.Trainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@link Backend} thread-safety contract as a {@link Predictor} relies on it, on cpu and reference: four threads
 * scoring at once through one predictor whose weight caches start cold get exactly what one thread gets serially
 * from a separately loaded copy; the cpu backend's data derived from the weights lives once per model (not per
 * thread), is dropped when a writer bumps the weights' version, and is freed when the model closes.
 */
class ThreadSafetyContractTest {
    static final int THREADS = 4;
    static final int[] VOCAB = {6, 20, 5, 4};
    final FeatureSchema schema = TestData.fullSchema();

    @TempDir
    Path tmp;

    private Path trained(Backend backend) {
        try (Model m = Model.create(TestData.small(ModelConfig.Type.DIN_PLE), schema, TestData.vocabularies(schema, VOCAB), backend, 16);
             Trainer t = new Trainer(m, TrainConfig.builder().optimizer(OptimizerSpec.adam(0.02)).build())) {
            SplittableRandom r = new SplittableRandom(4);
            for (int i = 0; i < 3; i++) {
                t.step(TestData.random(schema, VOCAB, TestData.lengths(16, 7, r), r), 0);
            }
            Path dir = tmp.resolve("model-" + backend.name());
            ModelFiles.save(m, dir, null);
            return dir;
        }
    }

    private List<Batch> batches() {
        SplittableRandom r = new SplittableRandom(12);
        List<Batch> out = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            out.add(TestData.random(schema, VOCAB, TestData.lengths(1 + r.nextInt(12), 1 + r.nextInt(8), r), r));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "reference"})
    void fourThreadsFromColdCachesEqualSerialScoringExactly(String backendName) throws Exception {
        try (Backend backend = Backends.create(backendName, 2)) {
            Path dir = trained(backend);
            List<Batch> batches = batches();
            List<float[][]> serial = new ArrayList<>();
            try (Predictor p = Predictor.load(dir, backend, 8)) {
                for (Batch b : batches) {
                    serial.add(p.predict(b));
                }
            }
            try (Predictor shared = Predictor.load(dir, backend, 8)) {
                CyclicBarrier start = new CyclicBarrier(THREADS);
                ExecutorService pool = Executors.newFixedThreadPool(THREADS);
                try {
                    List<Future<List<float[][]>>> results = new ArrayList<>();
                    for (int th = 0; th < THREADS; th++) {
                        int offset = th;
                        results.add(pool.submit(() -> {
                            start.await();
                            // Every thread scores every batch, each starting at a different one.
                            List<float[][]> got = new ArrayList<>();
                            for (int i = 0; i < batches.size(); i++) {
                                got.add(null);
                            }
                            for (int k = 0; k < batches.size(); k++) {
                                int i = (k + offset * 3) % batches.size();
                                got.set(i, shared.predict(batches.get(i)));
                            }
                            return got;
                        }));
                    }
                    for (Future<List<float[][]>> f : results) {
                        List<float[][]> got = f.get();
                        for (int i = 0; i < batches.size(); i++) {
                            for (int k = 0; k < serial.get(i).length; k++) {
                                assertArrayEquals(serial.get(i)[k], got.get(i)[k], backendName + " batch " + i + " task " + k);
                            }
                        }
                    }
                } finally {
                    pool.shutdown();
                }
            }
        }
    }

    @org.junit.jupiter.api.Test
    void cpuWeightCachesAreSharedInvalidatedByAVersionBumpAndFreedOnClose() {
        try (Backend cpu = Backends.create("cpu", 2)) {
            Path dir = trained(cpu);
            List<Batch> batches = batches();
            Predictor p = Predictor.load(dir, cpu, 8);
            for (Param x : p.model().parameters()) {
                // Trained parameters carry a cache; Dice running statistics (STATE) need none.
                assertEquals(x.trainable(), x.value().cache() != null, x.name());
                if (x.trainable()) {
                    assertEquals(0, x.value().cache().size(), "nothing derived before the first call: " + x.name());
                }
            }
            float[][] before = p.predict(batches.get(0));
            // A layer's weight that the dense GEMM packed (the first such, in model order).
            Param w = p.model().parameters().stream().filter(x -> x.trainable() && x.value().cache().size() > 0).findFirst().orElseThrow();
            DerivedCache cache = w.value().cache();
            int entries = cache.size();
            for (Batch b : batches) {
                p.predict(b);
            }
            assertEquals(entries, cache.size(), "one entry per layout, whatever the batches and threads");

            // A writer changes the weights and bumps the version: the next call must use the new weights, exactly as
            // a model loaded with those weights from the start does.
            float[] v = HostIO.downloadFloats(cpu, w.value());
            SplittableRandom r = new SplittableRandom(77);
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (r.nextDouble() - 0.5);
            }
            HostIO.upload(cpu, w.value(), v);
            long version = cache.version();
            w.changed();
            assertEquals(version + 1, cache.version());
            float[][] after = p.predict(batches.get(0));
            assertFalse(java.util.Arrays.equals(before[0], after[0]), "new weights, new scores");
            try (Model fresh = ModelFiles.load(dir, cpu, 8)) {
                Param fw = fresh.parameter(w.name());
                HostIO.upload(cpu, fw.value(), v);
                fw.changed();
                try (Predictor q = Predictor.of(fresh, 8, p.historyLimit())) {
                    float[][] expected = q.predict(batches.get(0));
                    for (int k = 0; k < expected.length; k++) {
                        assertArrayEquals(expected[k], after[k], "task " + k);
                    }
                }
            }
            p.close();
            assertEquals(0, cache.size(), "closing the model frees what the backend derived from its weights");
        }
    }
}
