package io.din4j.io;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.backend.Backend;
import io.din4j.backend.reference.ReferenceBackend;
import io.din4j.data.FeatureSchema;
import io.din4j.data.Vocabulary;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model format 2 keeps vocabularies in vocabularies.bin: round trips exactly, and refuses what does not match. */
class VocabularyFileTest {
    @TempDir
    Path tmp;

    final FeatureSchema schema = FeatureSchema.canonical(List.of("click"));

    private Map<String, Vocabulary> vocabularies() {
        Map<String, Vocabulary> m = new LinkedHashMap<>();
        // Non-ASCII, empty, spaced and long ids: the decoder's fast ASCII path and its strict UTF-8 path.
        m.put("user_id", Vocabulary.of(List.of(Vocabulary.OOV_TOKEN, "é", "🙂", "", "x y", "u".repeat(1000)), new long[] {3, 1, 2, 5, 8, 13}));
        m.put("item_id", Vocabulary.of(List.of(Vocabulary.OOV_TOKEN, "i1", "i2"), new long[] {0, Long.MAX_VALUE, 1}));
        m.put("cate_id", Vocabulary.of(List.of(Vocabulary.OOV_TOKEN), new long[] {4}));
        return m;
    }

    private static int[] sizes(Map<String, Vocabulary> v) {
        return v.values().stream().mapToInt(Vocabulary::size).toArray();
    }

    @Test
    void roundTripsIdsAndCountsExactly() throws IOException {
        Map<String, Vocabulary> v = vocabularies();
        Path file = tmp.resolve(VocabularyFile.NAME);
        String sha = VocabularyFile.write(file, schema, v);
        Map<String, Vocabulary> back = VocabularyFile.read(file, schema, sizes(v), sha);
        assertEquals(v.keySet(), back.keySet());
        v.forEach((name, want) -> {
            assertEquals(want.tokens(), back.get(name).tokens(), name);
            assertArrayEquals(want.counts(), back.get(name).counts(), name);
        });
    }

    @Test
    void refusesAnotherChecksumOtherSizesAndTruncation() throws IOException {
        Map<String, Vocabulary> v = vocabularies();
        Path file = tmp.resolve(VocabularyFile.NAME);
        String sha = VocabularyFile.write(file, schema, v);
        String other = "0".repeat(64);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> VocabularyFile.read(file, schema, sizes(v), other));
        assertTrue(e.getMessage().startsWith(file + ": checksum " + sha + " does not match model.json"), e.getMessage());
        int[] wrong = sizes(v);
        wrong[1]++;
        e = assertThrows(ModelFormatException.class, () -> VocabularyFile.read(file, schema, wrong, sha));
        assertEquals(file + ": vocabulary 'item_id' has 3 rows, model.json says 4", e.getMessage());
        byte[] all = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(all, all.length - 3));
        e = assertThrows(ModelFormatException.class, () -> VocabularyFile.read(file, schema, sizes(v), sha));
        assertEquals(file + ": ends early (truncated)", e.getMessage());
    }

    @Test
    void modelDirectoriesOfFormatTwoKeepIdsOutOfModelJson() {
        Path dir = tmp.resolve("m");
        Map<String, Vocabulary> v = vocabularies();
        try (Backend b = new ReferenceBackend();
             Model m = Model.create(ModelConfig.builder(ModelConfig.Type.DIN).embeddingDim(2).attentionHidden(2).mlpHidden(2).build(),
                     schema, v, b, 4)) {
            ModelFiles.save(m, dir, Map.of());
        }
        String json = readString(dir.resolve(ModelFiles.MODEL_JSON));
        assertTrue(json.contains("\"format_version\": 2"), json);
        assertFalse(json.contains("\"tokens\"") || json.contains("🙂"), "ids live in vocabularies.bin, not model.json");
        ModelFiles.Info info = ModelFiles.readInfo(dir);
        assertEquals(2, info.formatVersion());
        v.forEach((name, want) -> assertEquals(want.tokens(), info.vocabularies().get(name).tokens(), name));
    }

    private static String readString(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
