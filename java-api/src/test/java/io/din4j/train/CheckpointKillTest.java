package io.din4j.train;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.backend.Backend;
import io.din4j.backend.cpu.CpuBackend;
import io.din4j.graph.HostIO;
import io.din4j.graph.Param;
import io.din4j.io.ModelFiles;
import io.din4j.model.Model;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints survive a real process kill: a separate JVM ({@link CheckpointWorker}) trains and checkpoints after
 * every step, and is killed with SIGKILL at moments aimed inside a save (after it announces one, with varying delays).
 * After each kill the checkpoint directory loads, and resuming from it in this JVM — load, new trainer,
 * {@link Trainer#restore} — then taking three more steps gives weights bit-identical to an uninterrupted run.
 */
class CheckpointKillTest {
    /** Kills per run, each after a different number of steps and a different delay. */
    static final int KILLS = 4;
    static final int RESUMED_STEPS = 3;

    @TempDir
    Path tmp;

    private Process start(Path dir, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Xmx256m"));
        cmd.addAll(vectorFlags());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), CheckpointWorker.class.getName(), dir.toString(), "1000000"));
        return new ProcessBuilder(cmd).redirectError(log.toFile()).start();
    }

    /**
     * This JVM's flags that choose the cpu backend's vector width and tile plans ({@code -XX:MaxVectorSize},
     * {@code -XX:UseAVX}, {@code -Ddin4j.cpu.*}). The worker gets them too: a checkpoint trained at one width and
     * resumed at another differs in the last bits (another summation order), which is not what this test is about.
     * Without them the test failed under {@code -Ddin4j.cpu.vectorBits=512} (a worker at the host's 256 bits).
     */
    static List<String> vectorFlags() {
        return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("-XX:MaxVectorSize=") || a.startsWith("-XX:UseAVX=")
                        || a.equals("-XX:+IgnoreUnrecognizedVMOptions") || a.startsWith("-Ddin4j.cpu."))
                .toList();
    }

    /** Weights after {@code steps} uninterrupted steps, computed in this JVM. */
    private static List<float[]> uninterrupted(Backend cpu, long steps) {
        try (Model m = CheckpointWorker.newModel(cpu); Trainer t = new Trainer(m, CheckpointWorker.trainConfig())) {
            for (long i = 0; i < steps; i++) {
                t.step(CheckpointWorker.batch(i), 0);
            }
            return weights(cpu, m);
        }
    }

    private static List<float[]> weights(Backend cpu, Model m) {
        List<float[]> out = new ArrayList<>();
        for (Param p : m.parameters()) {
            out.add(HostIO.downloadFloats(cpu, p.value()));
        }
        return out;
    }

    @Test
    @Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void killedTrainingLeavesALoadableCheckpointThatResumesBitIdentically() throws Exception {
        Path dir = tmp.resolve("ckpt");
        Path log = tmp.resolve("worker.log");
        int[] killAt = {2, 4, 3, 6};
        long[] delayMicros = {200, 1_000, 3_000, 8_000};
        int midSave = 0;
        try (Backend cpu = new CpuBackend(1)) {
            for (int k = 0; k < KILLS; k++) {
                Process p = start(dir, log);
                try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    String target = "saving " + killAt[k];
                    String line;
                    while ((line = out.readLine()) != null && !line.equals(target)) {
                        // earlier steps
                    }
                    assertEquals(target, line, "worker stopped early: " + Files.readString(log));
                    // The save of step killAt[k] has just begun: kill the process somewhere inside it.
                    TimeUnit.MICROSECONDS.sleep(delayMicros[k]);
                    p.destroyForcibly();
                    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "worker did not die");
                }
                try (Stream<Path> s = Files.list(tmp)) {
                    if (s.anyMatch(x -> x.getFileName().toString().startsWith(".ckpt."))) {
                        midSave++;
                    }
                }
                // Whatever the kill interrupted, a complete checkpoint is there: the previous one, or the one whose
                // save the kill did not stop in time.
                long steps = (Long) ModelFiles.readInfo(dir).training().get("steps");
                assertTrue(steps == killAt[k] - 1 || steps == killAt[k], "checkpoint at step " + steps + ", killed while saving " + killAt[k]);
                try (Model m = ModelFiles.load(dir, cpu, 16); Trainer t = new Trainer(m, CheckpointWorker.trainConfig())) {
                    t.restore(dir);
                    assertEquals(steps, t.steps());
                    for (long i = steps; i < steps + RESUMED_STEPS; i++) {
                        t.step(CheckpointWorker.batch(i), 0);
                    }
                    List<float[]> expected = uninterrupted(cpu, steps + RESUMED_STEPS);
                    List<float[]> got = weights(cpu, m);
                    for (int i = 0; i < expected.size(); i++) {
                        assertArrayEquals(expected.get(i), got.get(i), 0f,
                                "kill " + k + ": " + m.parameters().get(i).name() + " after resuming at step " + steps);
                    }
                }
                System.out.printf("reliability: kill %d %d us into the save of step %d: checkpoint at step %d loads and resumes bit-identically%n",
                        k, delayMicros[k], killAt[k], steps);
            }
            System.out.printf("reliability: %d kills, %d of them inside a save (a temporary or .old directory was left)%n", KILLS, midSave);
            // Saving again cleans up whatever the kills left beside the checkpoint.
            try (Model m = ModelFiles.load(dir, cpu, 16)) {
                ModelFiles.save(m, dir, null);
            }
            try (Stream<Path> s = Files.list(tmp)) {
                assertEquals(List.of("ckpt", "worker.log"), s.map(x -> x.getFileName().toString()).sorted().toList());
            }
        }
    }

    @Test
    void aCrashBetweenTheTwoRenamesIsRecovered() throws IOException {
        Path dir = tmp.resolve("model");
        Path old = tmp.resolve(".model.old");
        try (Backend cpu = new CpuBackend(1); Model m = CheckpointWorker.newModel(cpu); Trainer t = new Trainer(m, CheckpointWorker.trainConfig())) {
            t.step(CheckpointWorker.batch(0), 0);
            t.checkpoint(dir);
            List<float[]> saved = weights(cpu, m);
            // The state a save leaves when killed after moving the old directory aside and before moving the new one
            // in: only ".model.old" and a half-written temporary directory.
            Files.move(dir, old);
            Path partial = Files.createDirectory(tmp.resolve(".model.tmp-999999999-1"));
            Files.writeString(partial.resolve(ModelFiles.MODEL_JSON), "{\"format\": \"din4j-mo");
            try (Model back = ModelFiles.load(dir, cpu, 16); Trainer resumed = new Trainer(back, CheckpointWorker.trainConfig())) {
                resumed.restore(dir);
                assertEquals(1, resumed.steps());
                List<float[]> got = weights(cpu, back);
                for (int i = 0; i < saved.size(); i++) {
                    assertArrayEquals(saved.get(i), got.get(i), 0f);
                }
            }
            t.step(CheckpointWorker.batch(1), 0);
            t.checkpoint(dir);
            assertEquals(2L, ModelFiles.readInfo(dir).training().get("steps"));
            assertFalse(Files.exists(old), "the recovered directory was replaced");
            assertFalse(Files.exists(partial), "the dead process's temporary directory was removed");
        }
    }

    @Test
    void corruptOrMismatchedOptimizerStateIsRejected() throws IOException {
        Path dir = tmp.resolve("state");
        try (Backend cpu = new CpuBackend(1); Model m = CheckpointWorker.newModel(cpu); Trainer t = new Trainer(m, CheckpointWorker.trainConfig())) {
            t.step(CheckpointWorker.batch(0), 0);
            t.checkpoint(dir);
            // Other optimizers than those that wrote the checkpoint: the state names differ.
            try (Model back = ModelFiles.load(dir, cpu, 16);
                 Trainer other = new Trainer(back, TrainConfig.builder().optimizer(OptimizerSpec.adam(0.01)).build())) {
                io.din4j.io.ModelFormatException e = assertThrows(io.din4j.io.ModelFormatException.class, () -> other.restore(dir));
                assertTrue(e.getMessage().contains(ModelFiles.STATE) && e.getMessage().contains("adagrad_acc"), e.getMessage());
            }
            // A flipped byte in the state: its own checksum in model.json catches it.
            Path state = dir.resolve(ModelFiles.STATE);
            byte[] bytes = Files.readAllBytes(state);
            bytes[bytes.length - 5] ^= 0x10;
            Files.write(state, bytes);
            try (Model back = ModelFiles.load(dir, cpu, 16); Trainer same = new Trainer(back, CheckpointWorker.trainConfig())) {
                io.din4j.io.ModelFormatException e = assertThrows(io.din4j.io.ModelFormatException.class, () -> same.restore(dir));
                assertTrue(e.getMessage().contains(state.toString()) && e.getMessage().contains("checksum"), e.getMessage());
            }
            // A model saved without state cannot be resumed.
            Path plain = tmp.resolve("plain");
            ModelFiles.save(m, plain, null);
            try (Model back = ModelFiles.load(plain, cpu, 16); Trainer same = new Trainer(back, CheckpointWorker.trainConfig())) {
                io.din4j.io.ModelFormatException e = assertThrows(io.din4j.io.ModelFormatException.class, () -> same.restore(plain));
                assertTrue(e.getMessage().contains("no saved state"), e.getMessage());
            }
        }
    }
}
