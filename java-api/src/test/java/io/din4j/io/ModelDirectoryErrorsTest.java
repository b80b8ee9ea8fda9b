package io.din4j.io;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.backend.Backend;
import io.din4j.backend.reference.ReferenceBackend;
import io.din4j.predict.Predictor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A directory that cannot be a model says what is wrong in one message that names it once, as the CLI does. */
class ModelDirectoryErrorsTest {
    @TempDir
    Path tmp;

    private static String loadError(Path dir) {
        try (Backend b = new ReferenceBackend()) {
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> Predictor.load(dir, b));
            UncheckedIOException i = assertThrows(UncheckedIOException.class, () -> ModelFiles.readInfo(dir));
            assertEquals(e.getMessage(), i.getMessage(), "readInfo and load say the same");
            return e.getMessage();
        }
    }

    @Test
    void missingDirectory() {
        Path dir = tmp.resolve("models").resolve("din");
        assertEquals(dir + ": no such directory", loadError(dir));
    }

    @Test
    void aFileInsteadOfADirectory() throws IOException {
        Path file = Files.writeString(tmp.resolve("model.json"), "{}");
        assertEquals(file + ": not a directory (a model is a directory with model.json and weights.safetensors)", loadError(file));
    }

    @Test
    void aDirectoryWithoutModelJson() {
        assertEquals(tmp + ": not a din4j model directory (no model.json)", loadError(tmp));
    }
}
