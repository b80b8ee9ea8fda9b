package io.din4j.model;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.backend.Activation;
import io.din4j.backend.SparseGrad;
import io.din4j.backend.reference.ReferenceBackend;
import io.din4j.data.Batch;
import io.din4j.data.FeatureSchema;
import io.din4j.graph.Param;
import io.din4j.tensor.DType;
import io.din4j.tensor.Tensor;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Whole-model gradient checks: the analytical gradient of {@code Σ_k w_k·BCE_k} from {@link Model#backward} against
 * central finite differences, on the reference backend in f64, for every model family. Dice runs in training mode
 * on both sides, so its batch statistics are part of the function being differentiated.
 */
class GradientCheckTest {
    static Stream<Arguments> models() {
        return Stream.of(
                Arguments.of("din-dice", TestData.small(ModelConfig.Type.DIN)),
                Arguments.of("din-prelu", TestData.small(ModelConfig.Type.DIN).toBuilder().mlpActivation(Activation.PRELU)
                        .attentionActivation(Activation.PRELU).build()),
                Arguments.of("din-softmax", TestData.small(ModelConfig.Type.DIN).toBuilder().attentionSoftmax(true).build()),
                Arguments.of("base", TestData.small(ModelConfig.Type.BASE)),
                Arguments.of("ple-2-levels", TestData.small(ModelConfig.Type.PLE).toBuilder().expertHidden(5, 4).build()),
                Arguments.of("cgc", TestData.small(ModelConfig.Type.CGC)),
                Arguments.of("mmoe", TestData.small(ModelConfig.Type.MMOE)),
                Arguments.of("shared-bottom", TestData.small(ModelConfig.Type.SHARED_BOTTOM)),
                Arguments.of("din-ple", TestData.small(ModelConfig.Type.DIN_PLE).toBuilder().expertActivation(Activation.DICE).build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void analyticalGradientsMatchFiniteDifferences(String name, ModelConfig config) {
        FeatureSchema schema = TestData.fullSchema();
        int[] vocab = {5, 7, 4, 3};
        // Lengths cover an empty history, length 1 and the full T.
        Batch batch = TestData.random(schema, vocab, new int[] {0, 1, 4, 2, 3, 4}, new SplittableRandom(11));
        double[] w = {1.0, 0.7};
        try (ReferenceBackend backend = new ReferenceBackend(DType.F64);
             Model model = new Model(config, schema, vocab, backend, 8)) {
            // Biases start at exactly 0, so a ReLU whose inputs are all 0 sits on its kink, where finite differences
            // see half a slope; jitter every trainable tensor off such points.
            SplittableRandom jitter = new SplittableRandom(19);
            for (Param p : model.parameters()) {
                if (p.trainable()) {
                    for (long i = 0; i < p.value().size(); i++) {
                        p.value().set(i, p.value().get(i) + 0.1 * (jitter.nextDouble() - 0.5));
                    }
                    p.changed();
                }
            }
            model.compute(batch, true);
            model.backward(w);
            // Capture every analytical gradient first: the finite differences below run backward again.
            java.util.Map<Param, double[]> analyticAll = new java.util.IdentityHashMap<>();
            for (Param p : model.parameters()) {
                if (p.trainable()) {
                    analyticAll.put(p, analytical(model, p));
                }
            }
            SplittableRandom pick = new SplittableRandom(3);
            int checked = 0;
            for (Param p : model.parameters()) {
                if (!p.trainable()) {
                    continue;
                }
                double[] analytic = analyticAll.get(p);
                Tensor v = p.value();
                int n = Math.toIntExact(v.size());
                // Every element of small tensors, a sample of larger ones (all touched embedding rows are small).
                for (int c = 0; c < Math.min(n, 24); c++) {
                    int i = n <= 24 ? c : pick.nextInt(n);
                    double numeric = numerical(model, batch, w, v, i);
                    // f64 central differences with h = 1e-5 are accurate to ~1e-9 here; the relative part covers
                    // curvature of Dice/sigmoid over the step.
                    double tol = 1e-7 + 1e-5 * Math.abs(numeric);
                    assertTrue(Math.abs(analytic[i] - numeric) <= tol, name + ": " + p.name() + "[" + i + "] analytic "
                            + analytic[i] + " numeric " + numeric);
                    checked++;
                }
            }
            assertTrue(checked > 50, "checked only " + checked + " elements");
        }
    }

    /** The gradient as a dense array (embedding rows scattered from the sparse gradient). */
    private static double[] analytical(Model m, Param p) {
        double[] g = new double[Math.toIntExact(p.value().size())];
        if (p.kind() == Param.Kind.EMBEDDING) {
            SparseGrad s = m.sparseGrad(p);
            int d = s.width();
            for (int r = 0; r < s.count(); r++) {
                int row = s.rows().getInt(r);
                for (int j = 0; j < d; j++) {
                    g[row * d + j] += s.values().get((long) r * d + j);
                }
            }
        } else {
            for (int i = 0; i < g.length; i++) {
                g[i] = m.grad(p).get(i);
            }
        }
        return g;
    }

    private static double loss(Model model, Batch batch, double[] w) {
        model.compute(batch, true);
        double[] l = model.backward(w);
        double s = 0;
        for (int k = 0; k < l.length; k++) {
            s += w[k] * l[k];
        }
        return s;
    }

    private static double numerical(Model model, Batch batch, double[] w, Tensor v, int i) {
        double h = 1e-5;
        double x = v.get(i);
        v.set(i, x + h);
        double up = loss(model, batch, w);
        v.set(i, x - h);
        double down = loss(model, batch, w);
        v.set(i, x);
        return (up - down) / (2 * h);
    }
}
