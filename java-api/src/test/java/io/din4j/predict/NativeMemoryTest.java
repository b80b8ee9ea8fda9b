package io.din4j.predict;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.backend.Backend;
import io.din4j.backend.cpu.CpuBackend;
import io.din4j.data.Batch;
import io.din4j.data.Batches;
import io.din4j.data.FeatureSchema;
import io.din4j.io.ModelFiles;
import io.din4j.io.SafeTensors;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.model.Session;
import io.din4j.model.TestData;
import io.din4j.tensor.HostArena;
import io.din4j.tensor.Tensor;
import io.din4j.train.OptimizerSpec;
import io.din4j.train.TrainConfig;
import io.din4j.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of create/use/close cycles of tensors, models, trainers, sessions and predictors leave native memory
 * exactly where it started (host-arena accounting: every byte din4j allocates for tensors, parameters, graph buffers
 * and staging goes through {@link HostArena}); and every object used after close throws
 * {@link IllegalStateException} instead of touching freed memory.
 */
class NativeMemoryTest {
    static final int CYCLES = Integer.getInteger("din4j.memory.cycles", 2000);
    static final int[] VOCAB = {6, 20, 5, 4};
    final FeatureSchema schema = TestData.fullSchema();

    @TempDir
    Path tmp;

    private Model model(Backend cpu, ModelConfig.Type type) {
        return Model.create(TestData.small(type), schema, TestData.vocabularies(schema, VOCAB), cpu, 8);
    }

    /** Resident set size from /proc (Linux), or -1. For the report only: the Java heap moves it too. */
    private static long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    private void cycle(Backend cpu, Path dir, int c, Batch batch) {
        try (HostArena a = new HostArena()) {
            Tensor t = a.f32(64, 33);
            t.setFloat(c % t.size(), 1f);
            cpu.tensor().fill(a.f32(17), 2f);
        }
        ModelConfig.Type type = ModelConfig.Type.values()[c % ModelConfig.Type.values().length];
        try (Model m = model(cpu, type)) {
            m.forward(batch, false);
            if (c % 4 == 0) {
                try (Trainer t = new Trainer(m, TrainConfig.builder().optimizer(OptimizerSpec.adam(0.01)).build())) {
                    t.step(batch, 0);
                }
            }
            if (c % 4 == 1) {
                try (Session s = m.newSession(Session.Mode.CANDIDATES, 8)) {
                    s.runCandidates(Batches.slice(batch, 0, 1), batch);
                }
            }
        }
        if (c % 10 == 0) {
            try (Predictor p = Predictor.load(dir, cpu, 4)) {
                p.predict(batch);
                p.scoreCandidates(Batches.slice(batch, 0, 1), batch);
            }
        }
    }

    @Test
    void createUseCloseCyclesLeaveNativeMemoryFlat() {
        try (Backend cpu = new CpuBackend(1)) {
            Path dir = tmp.resolve("model");
            try (Model m = model(cpu, ModelConfig.Type.DIN_PLE)) {
                ModelFiles.save(m, dir, null);
            }
            SplittableRandom r = new SplittableRandom(3);
            Batch batch = TestData.random(schema, VOCAB, new int[] {3, 0, 5, 1, 2, 6}, r);
            // Warm-up: thread-local scratch of the cpu kernels and class initialisation happen once.
            for (int c = 0; c < 20; c++) {
                cycle(cpu, dir, c, batch);
            }
            long live0 = HostArena.liveBytes();
            long rss0 = rssBytes();
            long heap0 = Runtime.getRuntime().totalMemory();
            HostArena.resetPeak();
            long midway = 0;
            long rssMid = 0;
            long heapMid = 0;
            for (int c = 0; c < CYCLES; c++) {
                cycle(cpu, dir, c, batch);
                if (c == CYCLES / 2) {
                    midway = HostArena.liveBytes();
                    rssMid = rssBytes();
                    heapMid = Runtime.getRuntime().totalMemory();
                }
            }
            long live1 = HostArena.liveBytes();
            long peak = HostArena.peakBytes() - live0;
            long rss1 = rssBytes();
            long heap1 = Runtime.getRuntime().totalMemory();
            System.out.printf("reliability: %d create/use/close cycles: host-arena bytes before %d, midway %d, after %d; "
                    + "peak within a cycle %d; RSS %+d KiB (committed Java heap %+d KiB), second half RSS %+d KiB (heap %+d KiB)%n",
                    CYCLES, live0, midway, live1, peak, (rss1 - rss0) / 1024, (heap1 - heap0) / 1024, (rss1 - rssMid) / 1024,
                    (heap1 - heapMid) / 1024);
            assertEquals(live0, midway, "native memory grew by midway");
            assertEquals(live0, live1, "native memory leaked");
        }
    }

    @Test
    void useAfterCloseThrowsIllegalStateException() throws IOException {
        try (Backend cpu = new CpuBackend(1)) {
            SplittableRandom r = new SplittableRandom(4);
            Batch batch = TestData.random(schema, VOCAB, new int[] {2, 4}, r);
            Path dir = tmp.resolve("m");

            Model m = model(cpu, ModelConfig.Type.DIN);
            m.forward(batch, false);
            Session s = m.newSession(Session.Mode.INFERENCE, 4);
            s.run(batch, false);
            Tensor weight = m.parameters().get(0).value();
            Trainer t = new Trainer(m, TrainConfig.builder().build());
            ModelFiles.save(m, dir, null);
            s.close();
            s.close();
            assertThrows(IllegalStateException.class, () -> s.run(batch, false));
            assertThrows(IllegalStateException.class, s::probabilities);
            t.close();
            assertThrows(IllegalStateException.class, () -> t.step(batch, 0));
            m.close();
            m.close();
            assertThrows(IllegalStateException.class, () -> m.forward(batch, false));
            assertThrows(IllegalStateException.class, () -> m.newSession(Session.Mode.INFERENCE, 4));
            assertThrows(IllegalStateException.class, () -> weight.getFloat(0));

            Predictor p = Predictor.load(dir, cpu, 4);
            p.predict(batch);
            p.close();
            p.close();
            assertThrows(IllegalStateException.class, () -> p.predict(batch));
            assertThrows(IllegalStateException.class, () -> p.scoreCandidates(Batches.slice(batch, 0, 1), batch));

            SafeTensors.Reader rd = new SafeTensors.Reader(dir.resolve(ModelFiles.WEIGHTS));
            SafeTensors.Entry e = rd.entries().values().iterator().next();
            rd.close();
            assertThrows(IllegalStateException.class, () -> rd.data(e).get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
        }
    }
}
