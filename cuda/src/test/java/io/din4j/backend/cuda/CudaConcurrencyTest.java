package io.din4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.din4j.backend.Backend;
import io.din4j.backend.cpu.CpuBackend;
import io.din4j.data.Batch;
import io.din4j.data.Batches;
import io.din4j.data.FeatureSchema;
import io.din4j.io.ModelFiles;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.model.TestData;
import io.din4j.predict.Predictor;
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
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Predictor} promises that any number of threads may call it, and the Spark scorer shares one per executor:
 * four threads scoring through one predictor on the cuda backend get exactly the results of serial scoring
 * (batch scoring with chunking, candidate scoring, attention weights).
 */
class CudaConcurrencyTest {
    static final int THREADS = 4;
    static final int ITERATIONS = 12;
    static final int[] VOCAB = {6, 20, 5, 4};
    final FeatureSchema schema = TestData.fullSchema();

    @TempDir
    Path tmp;

    static java.util.stream.Stream<String> devices() {
        return Dev.names();
    }

    private record Request(int kind, Batch batch, Batch user, float[] expected) {
    }

    private static float[] concat(float[][] a) {
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
            case 0 -> concat(p.predict(q.batch));
            case 1 -> concat(p.scoreCandidates(q.user, q.batch));
            default -> concat(p.attention(q.batch));
        };
    }

    @ParameterizedTest
    @MethodSource("devices")
    @Timeout(value = 300, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void fourThreadsScoreAsSerialScoringDoes(String name) throws Exception {
        CudaBackend cuda = Dev.backend(name);
        Path dir = tmp.resolve("model");
        try (Backend cpu = new CpuBackend(1);
             Model m = Model.create(TestData.small(ModelConfig.Type.DIN_PLE), schema, TestData.vocabularies(schema, VOCAB), cpu, 16);
             Trainer t = new Trainer(m, TrainConfig.builder().optimizer(OptimizerSpec.adam(0.02)).build())) {
            SplittableRandom r = new SplittableRandom(8);
            for (int i = 0; i < 3; i++) {
                t.step(TestData.random(schema, VOCAB, TestData.lengths(16, 7, r), r), 0);
            }
            ModelFiles.save(m, dir, null);
        }
        try (Predictor p = Predictor.load(dir, cuda, 8)) {
            SplittableRandom r = new SplittableRandom(31);
            List<Request> requests = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                // sizes 1..14 around maxBatch 8: single rows, tails and chunked batches
                Batch b = TestData.random(schema, VOCAB, TestData.lengths(1 + r.nextInt(14), 1 + r.nextInt(9), r), r);
                Batch user = Batches.slice(b, 0, 1);
                Request q = new Request(i % 3, b, user, null);
                requests.add(new Request(q.kind, b, user, call(p, q)));
            }
            CyclicBarrier start = new CyclicBarrier(THREADS);
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
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
                            if (!Arrays.equals(q.expected, got)) {
                                return "thread " + seed + " iteration " + it + " kind " + q.kind + ": " + Arrays.toString(got)
                                        + " != " + Arrays.toString(q.expected);
                            }
                        }
                        return null;
                    }));
                }
                int done = 0;
                for (Future<String> f : results) {
                    assertNull(f.get());
                    done++;
                }
                assertEquals(THREADS, done);
            } finally {
                pool.shutdown();
            }
        }
    }
}
