package io.din4j.io;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.backend.Backend;
import io.din4j.backend.cpu.CpuBackend;
import io.din4j.data.Batch;
import io.din4j.data.FeatureSchema;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.model.TestData;
import io.din4j.train.OptimizerSpec;
import io.din4j.train.TrainConfig;
import io.din4j.train.Trainer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ModelFilesTest {
    static final int[] VOCAB = {6, 9, 5, 4};

    @TempDir
    Path tmp;

    /** A model of {@code type} trained a few steps (so Dice statistics and every weight have moved). */
    static Model trained(Backend backend, ModelConfig.Type type, FeatureSchema schema) {
        Model m = Model.create(TestData.small(type), schema, TestData.vocabularies(schema, VOCAB), backend, 16);
        try (Trainer t = new Trainer(m, TrainConfig.builder().optimizer(OptimizerSpec.adam(0.01)).mbaLambda(0.01).build())) {
            SplittableRandom r = new SplittableRandom(4);
            for (int i = 0; i < 3; i++) {
                t.step(TestData.random(schema, VOCAB, TestData.lengths(12, 5, r), r), 0);
            }
        }
        return m;
    }

    @ParameterizedTest
    @EnumSource(ModelConfig.Type.class)
    void saveLoadPredictIsBitIdentical(ModelConfig.Type type) throws IOException {
        FeatureSchema schema = TestData.fullSchema();
        Batch batch = TestData.random(schema, VOCAB, new int[] {0, 3, 5, 1, 2, 5, 4}, new SplittableRandom(9));
        try (Backend cpu = new CpuBackend(2); Model m = trained(cpu, type, schema)) {
            float[][] before = m.forward(batch, false);
            Path dir = tmp.resolve(type.id());
            ModelFiles.save(m, dir, java.util.Map.of("note", "test"));
            try (Model back = ModelFiles.load(dir, cpu, 16)) {
                float[][] after = back.forward(batch, false);
                for (int k = 0; k < before.length; k++) {
                    assertArrayEquals(before[k], after[k], 0f, type + " task " + k);
                }
                assertEquals(m.config(), back.config());
                assertEquals(m.schema(), back.schema());
                assertEquals(m.vocabularies().get("item_id").tokens(), back.vocabularies().get("item_id").tokens());
                assertArrayEquals(m.vocabularies().get("item_id").counts(), back.vocabularies().get("item_id").counts());
            }
            // Saving over an existing model replaces it and leaves no temporary directories behind.
            ModelFiles.save(m, dir, null);
            try (Stream<Path> s = Files.list(tmp)) {
                assertEquals(List.of(dir), s.toList());
            }
        }
    }

    private Path savedDin(Backend cpu) {
        FeatureSchema schema = TestData.fullSchema();
        try (Model m = trained(cpu, ModelConfig.Type.DIN, schema)) {
            Path dir = tmp.resolve("din");
            ModelFiles.save(m, dir, null);
            return dir;
        }
    }

    @Test
    void corruptWeightsAreRejectedNamingTheFile() throws IOException {
        try (Backend cpu = new CpuBackend(1)) {
            Path dir = savedDin(cpu);
            Path w = dir.resolve(ModelFiles.WEIGHTS);
            byte[] bytes = Files.readAllBytes(w);
            bytes[bytes.length - 3] ^= 0x40;
            Files.write(w, bytes);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.load(dir, cpu, 4));
            assertTrue(e.getMessage().contains(w.toString()) && e.getMessage().contains("checksum"), e.getMessage());
        }
    }

    @Test
    void absurdHeaderLengthIsRejected() throws IOException {
        try (Backend cpu = new CpuBackend(1)) {
            Path dir = savedDin(cpu);
            Path w = dir.resolve(ModelFiles.WEIGHTS);
            byte[] bytes = Files.readAllBytes(w);
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
            Files.write(w, bytes);
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFiles.load(dir, cpu, 4));
            assertTrue(e.getMessage().contains(w.toString()) && e.getMessage().contains("header"), e.getMessage());
        }
    }

    @Test
    void offsetsOutsideTheFileAreRejected() throws IOException {
        try (Backend cpu = new CpuBackend(1)) {
            Path dir = savedDin(cpu);
            Path w = dir.resolve(ModelFiles.WEIGHTS);
            byte[] bytes = Files.readAllBytes(w);
            // Truncating the data section leaves the last tensor's range outside the file.
            Files.write(w, java.util.Arrays.copyOf(bytes, bytes.length - 8));
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFiles.load(dir, cpu, 4));
            assertTrue(e.getMessage().contains(w.toString()) && e.getMessage().contains("outside"), e.getMessage());
        }
    }

    @Test
    void newerFormatVersionAndShapeMismatchAreReported() throws IOException {
        try (Backend cpu = new CpuBackend(1)) {
            Path dir = savedDin(cpu);
            Path json = dir.resolve(ModelFiles.MODEL_JSON);
            String text = Files.readString(json, StandardCharsets.UTF_8);
            Files.writeString(json, text.replace("\"format_version\": " + ModelFiles.FORMAT_VERSION, "\"format_version\": 99"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.load(dir, cpu, 4));
            assertTrue(e.getMessage().contains("format_version 99") && e.getMessage().contains(json.toString()), e.getMessage());
            // An architecture that disagrees with the weights (wider embeddings) is caught tensor by tensor.
            Files.writeString(json, text.replace("\"embedding_dim\": 3", "\"embedding_dim\": 4"));
            e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.load(dir, cpu, 4));
            assertTrue(e.getMessage().contains("emb.user_id") && e.getMessage().contains("shape"), e.getMessage());
        }
    }
}
