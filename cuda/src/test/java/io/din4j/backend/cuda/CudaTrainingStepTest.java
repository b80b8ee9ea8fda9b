package io.din4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.din4j.backend.Backend;
import io.din4j.backend.cpu.CpuBackend;
import io.din4j.data.Batch;
import io.din4j.data.FeatureSchema;
import io.din4j.graph.HostIO;
import io.din4j.graph.Param;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.model.TestData;
import io.din4j.train.OptimizerSpec;
import io.din4j.train.TrainConfig;
import io.din4j.train.Trainer;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Whole models on the cuda backend: training steps of every model family (DIN, DIN+PLE, ...) equal the cpu backend's. */
class CudaTrainingStepTest {
    private static final int[] VOCAB = {6, 30, 5, 4};

    /**
     * After three Adam/Adagrad steps both backends' parameters are f32 results of the same computation in different
     * summation orders; Adam normalises each update by its own magnitude, so a relative error ε in a gradient moves a
     * weight by up to lr·ε-ish, and a near-zero gradient's sign can flip (a full lr step either way). 2·lr absolute
     * covers the latter without hiding a wrong kernel (which moves weights by O(lr) everywhere, failing the losses).
     */
    private static final double ATOL = 2e-4;

    @ParameterizedTest
    @MethodSource("io.din4j.backend.cuda.Dev#names")
    void trainingStepsOfEveryModelMatchTheCpuBackend(String name) {
        CudaBackend cuda = Dev.backend(name);
        FeatureSchema schema = TestData.fullSchema();
        TrainConfig cfg = TrainConfig.builder().embeddings(OptimizerSpec.adagrad(0.05)).dense(OptimizerSpec.adam(1e-4))
                .mbaLambda(0.01).build();
        for (ModelConfig.Type type : ModelConfig.Type.values()) {
            SplittableRandom r = new SplittableRandom(5);
            try (Backend cpu = new CpuBackend(2);
                 Model mc = Model.create(TestData.small(type), schema, TestData.vocabularies(schema, VOCAB), cpu, 16);
                 Model mg = Model.create(TestData.small(type), schema, TestData.vocabularies(schema, VOCAB), cuda, 16);
                 Trainer tc = new Trainer(mc, cfg); Trainer tg = new Trainer(mg, cfg)) {
                for (int step = 0; step < 3; step++) {
                    Batch batch = TestData.random(schema, VOCAB, TestData.lengths(step == 1 ? 1 : 11, 4, r), r);
                    double[] lc = tc.step(batch, 0);
                    double[] lg = tg.step(batch, 0);
                    for (int k = 0; k < lc.length; k++) {
                        assertEquals(lc[k], lg[k], 1e-5 + 1e-5 * Math.abs(lc[k]), type + " step " + step + " loss " + k);
                    }
                }
                for (int i = 0; i < mc.parameters().size(); i++) {
                    Param p = mc.parameters().get(i);
                    float[] a = HostIO.downloadFloats(cpu, p.value());
                    float[] b = HostIO.downloadFloats(cuda, mg.parameters().get(i).value());
                    for (int j = 0; j < a.length; j++) {
                        if (!(Math.abs(a[j] - b[j]) <= ATOL + 1e-4 * Math.abs(a[j]))) {
                            fail(type + " " + p.name() + "[" + j + "]: cpu " + a[j] + ", " + name + " " + b[j]);
                        }
                    }
                }
            }
        }
    }
}
