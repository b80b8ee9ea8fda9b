package io.din4j.backend;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.backend.cpu.CpuBackend;
import io.din4j.backend.reference.ReferenceBackend;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.model.SyntheticWorld;
import io.din4j.predict.Predictor;
import io.din4j.train.OptimizerSpec;
import io.din4j.train.TrainConfig;
import io.din4j.train.Trainer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM started without {@code --add-modules jdk.incubator.vector} (surefire always passes it to this one, so the
 * check runs in a child JVM): {@code cpu} and {@code auto} fall back to the reference backend, say so with the
 * remedy, and train and score to the reference backend's results.
 */
class WithoutVectorApiTest {
    @TempDir
    Path tmp;

    /** Child JVM: creates the named backends, then trains and scores a small DIN on the last one. */
    public static void main(String[] args) {
        List<Backend> made = new ArrayList<>();
        try {
            for (String name : args) {
                made.add(Backends.create(name, 1));
            }
            System.out.println("backends " + String.join(" ", made.stream().map(Backend::name).toList()));
            for (float p : trainAndScore(made.getLast())) {
                System.out.println(Float.floatToRawIntBits(p));
            }
        } finally {
            made.forEach(Backend::close);
        }
    }

    /** One epoch of a tiny DIN on a synthetic world, then the probabilities of the first test batch. */
    static float[] trainAndScore(Backend backend) {
        SyntheticWorld.Data d = SyntheticWorld.interests(11, 30, 6, 2, 32);
        ModelConfig c = ModelConfig.builder(ModelConfig.Type.DIN).embeddingDim(4).attentionHidden(8).mlpHidden(8).seed(5).build();
        try (Model m = new Model(c, d.schema(), d.vocab(), backend, 64);
             Trainer t = new Trainer(m, TrainConfig.builder().epochs(1).optimizer(OptimizerSpec.adam(0.01)).progressEvery(1_000_000).build());
             Predictor p = Predictor.of(m, 64)) {
            t.fit(d.train(), null);
            return p.predict(d.test().getFirst())[0];
        }
    }

    @Test
    void withoutTheModuleCpuAndAutoRunTheReferenceBackendAndSaySoOnce() throws IOException, InterruptedException {
        assertTrue(Backends.vectorApiAvailable(), "this JVM has the module (surefire's argLine)");
        Path out = tmp.resolve("out.txt");
        Path err = tmp.resolve("err.txt");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                WithoutVectorApiTest.class.getName(), "cpu", "cpu", "auto")
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "child JVM finished");
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        List<String> stdout = Files.readAllLines(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "child JVM failed:\n" + stderr);
        assertFalse(stderr.contains("NoClassDefFoundError"), stderr);
        assertEquals("backends reference reference reference", stdout.getFirst(), stderr);
        // One line from the two cpu requests together (said once per JVM), one from auto's choice.
        long remedies = stderr.lines().filter(l -> l.contains("--add-modules jdk.incubator.vector")).count();
        assertEquals(2, remedies, stderr);

        float[] reference;
        try (Backend r = new ReferenceBackend()) {
            reference = trainAndScore(r);
        }
        float[] child = new float[stdout.size() - 1];
        for (int i = 0; i < child.length; i++) {
            child[i] = Float.intBitsToFloat(Integer.parseInt(stdout.get(i + 1)));
        }
        assertArrayEquals(reference, child, 0f, "the fallback is the reference backend, bit for bit");

        // And the fast path it stands in for agrees with it after training.
        float[] fast;
        try (Backend c = new CpuBackend(1)) {
            fast = trainAndScore(c);
        }
        double worst = 0;
        for (int i = 0; i < fast.length; i++) {
            worst = Math.max(worst, Math.abs(fast[i] - reference[i]));
        }
        System.out.println("cpu vs reference after one epoch: max |Δp| = " + worst);
        assertTrue(worst < 1e-5, "cpu vs reference after one epoch: max |Δp| = " + worst);
    }
}
