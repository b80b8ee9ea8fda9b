package io.din4j.predict;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.backend.Backend;
import io.din4j.backend.cpu.CpuBackend;
import io.din4j.data.Batch;
import io.din4j.data.Batches;
import io.din4j.data.FeatureSchema;
import io.din4j.io.ModelFiles;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.model.TestData;
import io.din4j.train.OptimizerSpec;
import io.din4j.train.TrainConfig;
import io.din4j.train.Trainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many threads scoring through one {@link Predictor} at once get exactly the results of serial scoring: batch
 * scoring (with chunking above the planned batch), candidate scoring and attention weights, interleaved at random
 * with a fixed seed and a fixed number of calls; and closing the predictor while calls are in flight lets them
 * finish or fail with {@link IllegalStateException}, nothing else.
 */
class PredictorStressTest {
    static final int THREADS = 8;
    static final int ITERATIONS = 150;
    static final int[] VOCAB = {6, 20, 5, 4};
    final FeatureSchema schema = TestData.fullSchema();

    @TempDir
    Path tmp;

    private Path saved(Backend cpu) {
        try (Model m = Model.create(TestData.small(ModelConfig.Type.DIN_PLE), schema, TestData.vocabularies(schema, VOCAB), cpu, 16);
             Trainer t = new Trainer(m, TrainConfig.builder().optimizer(OptimizerSpec.adam(0.02)).build())) {
            SplittableRandom r = new SplittableRandom(8);
            for (int i = 0; i < 4; i++) {
                t.step(TestData.random(schema, VOCAB, TestData.lengths(16, 7, r), r), 0);
            }
            Path dir = tmp.resolve("model");
            ModelFiles.save(m, dir, null);
            return dir;
        }
    }

    /** One request and its serial answer, flattened to compare exactly. */
    private record Request(int kind, Batch batch, Batch user, float[] expected) {
    }

    private static float[] flat(float[][] a) {
        int n = 0;
        for (float[] x : a) {
            n += x.length;
        }
        float[] out = new float[n];
        int at = 0;
        for (float[] x : a) {
            System.arraycopy(x, 0, out, at, x.length);
            at += x.length;
        }
        return out;
    }

    private static float[] call(Predictor p, Request q) {
        return switch (q.kind) {
            case 0 -> flat(p.predict(q.batch));
            case 1 -> flat(p.scoreCandidates(q.user, q.batch));
            default -> flat(p.attention(q.batch));
        };
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void concurrentScoringEqualsSerialScoring() throws Exception {
        try (Backend cpu = new CpuBackend(2)) {
            Path dir = saved(cpu);
            try (Predictor p = Predictor.load(dir, cpu, 8)) {
                SplittableRandom r = new SplittableRandom(31);
                List<Request> requests = new ArrayList<>();
                for (int i = 0; i < 24; i++) {
                    // Sizes 1..20 around maxBatch 8: single rows, tails and chunked batches.
                    Batch b = TestData.random(schema, VOCAB, TestData.lengths(1 + r.nextInt(20), 1 + r.nextInt(9), r), r);
                    int kind = i % 3;
                    Batch user = Batches.slice(b, 0, 1);
                    Request q = new Request(kind, b, user, null);
                    requests.add(new Request(kind, b, user, call(p, q)));
                }
                CyclicBarrier start = new CyclicBarrier(THREADS);
                ExecutorService pool = Executors.newFixedThreadPool(THREADS);
                AtomicInteger calls = new AtomicInteger();
                try {
                    List<Future<String>> results = new ArrayList<>();
                    for (int th = 0; th < THREADS; th++) {
                        long seed = th;
                        results.add(pool.submit(() -> {
                            SplittableRandom tr = new SplittableRandom(seed);
                            start.await();
                            for (int it = 0; it < ITERATIONS; it++) {
                                Request q = requests.get(tr.nextInt(requests.size()));
                                float[] got = call(p, q);
                                calls.incrementAndGet();
                                if (!Arrays.equals(q.expected, got)) {
                                    return "thread " + seed + " iteration " + it + " kind " + q.kind + ": " + Arrays.toString(got)
                                            + " != " + Arrays.toString(q.expected);
                                }
                            }
                            return null;
                        }));
                    }
                    for (Future<String> f : results) {
                        assertNull(f.get());
                    }
                } finally {
                    pool.shutdown();
                }
                assertEquals(THREADS * ITERATIONS, calls.get());
                System.out.printf("reliability: predictor stress %d threads x %d iterations = %d calls, all equal to serial scoring%n",
                        THREADS, ITERATIONS, calls.get());
            }
        }
    }

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void closingUnderLoadLetsCallsFinishOrFailCleanly() throws Exception {
        try (Backend cpu = new CpuBackend(2)) {
            Path dir = saved(cpu);
            SplittableRandom r = new SplittableRandom(5);
            Batch b = TestData.random(schema, VOCAB, TestData.lengths(12, 6, r), r);
            for (int round = 0; round < 5; round++) {
                Predictor p = Predictor.load(dir, cpu, 8);
                float[] expected = flat(p.predict(b));
                ExecutorService pool = Executors.newFixedThreadPool(4);
                AtomicInteger ok = new AtomicInteger();
                List<Future<Throwable>> results = new ArrayList<>();
                for (int th = 0; th < 4; th++) {
                    results.add(pool.submit(() -> {
                        for (int it = 0; it < 10_000; it++) {
                            try {
                                if (!Arrays.equals(expected, flat(p.predict(b)))) {
                                    return new AssertionError("wrong result while closing");
                                }
                                ok.incrementAndGet();
                            } catch (IllegalStateException e) {
                                return e.getMessage().contains("closed") ? null : e;
                            } catch (Throwable e) {
                                return e;
                            }
                        }
                        return null;
                    }));
                }
                Thread.sleep(20 + 10 * round);
                p.close();
                for (Future<Throwable> f : results) {
                    Throwable t = f.get();
                    if (t != null) {
                        throw new AssertionError("round " + round + ": " + t, t);
                    }
                }
                pool.shutdown();
                assertThrows(IllegalStateException.class, () -> p.predict(b));
            }
        }
    }
}
