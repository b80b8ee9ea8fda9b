package io.din4j.predict;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.backend.Backend;
import io.din4j.backend.cpu.CpuBackend;
import io.din4j.data.Batch;
import io.din4j.data.Batches;
import io.din4j.data.FeatureSchema;
import io.din4j.data.FieldRole;
import io.din4j.io.ModelFiles;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.model.TestData;
import io.din4j.train.OptimizerSpec;
import io.din4j.train.TrainConfig;
import io.din4j.train.Trainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PredictorTest {
    static final int[] VOCAB = {6, 20, 5, 4};
    final FeatureSchema schema = TestData.fullSchema();

    @TempDir
    Path tmp;

    private Path saved(Backend cpu, ModelConfig.Type type) {
        try (Model m = Model.create(TestData.small(type), schema, TestData.vocabularies(schema, VOCAB), cpu, 16);
             Trainer t = new Trainer(m, TrainConfig.builder().optimizer(OptimizerSpec.adam(0.02)).build())) {
            SplittableRandom r = new SplittableRandom(8);
            for (int i = 0; i < 4; i++) {
                t.step(TestData.random(schema, VOCAB, TestData.lengths(16, 7, r), r), 0);
            }
            Path dir = tmp.resolve(type.id());
            ModelFiles.save(m, dir, null);
            return dir;
        }
    }

    /** The user of row 0 of {@code b} against every row's candidate fields, as one replicated batch. */
    private Batch replicateUser(Batch b) {
        int n = b.size();
        int t = b.lengths()[0];
        int[][] sparse = new int[b.sparseFields()][n];
        for (int f = 0; f < sparse.length; f++) {
            boolean user = schema.sparse().get(f).role() == FieldRole.USER;
            for (int i = 0; i < n; i++) {
                sparse[f][i] = user ? b.sparse(f)[0] : b.sparse(f)[i];
            }
        }
        int[][] seqs = new int[b.sequenceFields()][n * t];
        for (int s = 0; s < seqs.length; s++) {
            for (int i = 0; i < n; i++) {
                System.arraycopy(b.sequence(s), 0, seqs[s], i * t, t);
            }
        }
        int[] lengths = new int[n];
        java.util.Arrays.fill(lengths, t);
        float[][] dense = new float[b.denseFeatures()][];
        for (int d = 0; d < dense.length; d++) {
            dense[d] = b.dense(d).clone();
        }
        float[][] labels = new float[b.tasks()][n];
        return new Batch(n, t, sparse, seqs, lengths, dense, labels, labels, null);
    }

    @ParameterizedTest
    @EnumSource(value = ModelConfig.Type.class, names = {"DIN", "BASE", "DIN_PLE", "PLE"})
    void candidatePathMatchesBatchScoringAndThreadsAgree(ModelConfig.Type type) throws Exception {
        try (Backend cpu = new CpuBackend(2)) {
            Path dir = saved(cpu, type);
            try (Predictor p = Predictor.load(dir, cpu, 8)) {
                SplittableRandom r = new SplittableRandom(21);
                // 19 candidates > maxBatch 8: the candidate path chunks too.
                Batch b = TestData.random(schema, VOCAB, new int[] {6, 0, 1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7, 1, 2, 3}, r);
                Batch user = Batches.slice(b, 0, 1);
                float[][] viaCandidates = p.scoreCandidates(user, b);
                float[][] viaBatch = p.predict(replicateUser(b));
                for (int k = 0; k < viaBatch.length; k++) {
                    // Same arithmetic per row; 1e-6 leaves room for a GEMM that blocks rows differently.
                    assertArrayEquals(viaBatch[k], viaCandidates[k], 1e-6f, type + " task " + k);
                }
                // Many threads, many batches: every result equals the single-threaded one.
                List<Batch> batches = new ArrayList<>();
                List<float[][]> expected = new ArrayList<>();
                for (int i = 0; i < 12; i++) {
                    Batch x = TestData.random(schema, VOCAB, TestData.lengths(1 + r.nextInt(20), 7, r), r);
                    batches.add(x);
                    expected.add(p.predict(x));
                }
                ExecutorService pool = Executors.newFixedThreadPool(4);
                try {
                    List<Future<float[][]>> got = new ArrayList<>();
                    for (int rep = 0; rep < 3; rep++) {
                        for (Batch x : batches) {
                            got.add(pool.submit(() -> p.predict(x)));
                        }
                    }
                    for (int i = 0; i < got.size(); i++) {
                        float[][] g = got.get(i).get();
                        float[][] e = expected.get(i % batches.size());
                        for (int k = 0; k < e.length; k++) {
                            assertArrayEquals(e[k], g[k], 0f, "batch " + i);
                        }
                    }
                } finally {
                    pool.shutdown();
                }
                if (type.usesAttention()) {
                    float[][] att = p.attention(b);
                    assertEquals(b.lengths()[3], att[3].length);
                    assertEquals(0, att[1].length);
                }
                if (type.isMultiTask()) {
                    var usage = p.gateUsage(batches);
                    double[] click0 = usage.get("click@0");
                    assertEquals(1.0, java.util.Arrays.stream(click0).sum(), 1e-5);
                }
            }
        }
    }
}
