package io.din4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.din4j.backend.Backend;
import io.din4j.backend.cpu.CpuBackend;
import io.din4j.backend.reference.ReferenceBackend;
import io.din4j.data.Batch;
import io.din4j.data.FeatureSchema;
import io.din4j.graph.HostIO;
import io.din4j.graph.Param;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The cpu backend reuses what it derives from the weights (packed GEMM panels, the attention unit's folded layout)
 * while their version is unchanged; weights written (and {@link Param#changed() bumped}) between two calls must be
 * seen by the second. Both models start from
 * the same seed, get the same new weights after a first inference, and must then agree.
 */
class ChangedWeightsTest {
    @ParameterizedTest
    @EnumSource(value = ModelConfig.Type.class, names = {"DIN", "PLE"})
    void inferenceSeesWeightsWrittenBetweenCalls(ModelConfig.Type type) {
        FeatureSchema schema = TestData.fullSchema();
        int[] vocab = {6, 20, 5, 4};
        SplittableRandom r = new SplittableRandom(5);
        ModelConfig config = TestData.small(type).toBuilder().embeddingDim(5).attentionHidden(17, 7).mlpHidden(23, 9).build();
        Batch batch = TestData.random(schema, vocab, TestData.lengths(9, 6, r), r);
        try (Backend ref = new ReferenceBackend(); Backend cpu = new CpuBackend(2);
             Model a = new Model(config, schema, vocab, ref, 16); Model b = new Model(config, schema, vocab, cpu, 16)) {
            b.forward(batch, false);
            SplittableRandom w = new SplittableRandom(9);
            for (int i = 0; i < a.parameters().size(); i++) {
                Param p = a.parameters().get(i);
                if (p.kind() == Param.Kind.DENSE) {
                    double[] v = new double[Math.toIntExact(p.value().size())];
                    for (int j = 0; j < v.length; j++) {
                        v[j] = w.nextDouble() - 0.5;
                    }
                    HostIO.upload(ref, p.value(), v);
                    HostIO.upload(cpu, b.parameters().get(i).value(), v);
                    // The writer's side of the contract: bump the version, so cached derivations are dropped.
                    p.changed();
                    b.parameters().get(i).changed();
                }
            }
            float[][] pa = a.forward(batch, false);
            float[][] pb = b.forward(batch, false);
            for (int k = 0; k < pa.length; k++) {
                for (int i = 0; i < pa[k].length; i++) {
                    // f32 on both sides, different summation orders; stale weights would be off by O(0.1).
                    assertEquals(pa[k][i], pb[k][i], 1e-5, type + " task " + k + " row " + i);
                }
            }
        }
    }
}
