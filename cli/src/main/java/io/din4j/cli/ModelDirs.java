package io.din4j.cli;

import io.din4j.backend.Backend;
import io.din4j.io.ModelFiles;
import io.din4j.predict.Predictor;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opening model directories with one-line errors for missing or foreign directories. */
final class ModelDirs {
    /** Training metadata key under which the CLI records how data was read. */
    static final String DATA = ModelFiles.TRAINING_DATA;

    private ModelDirs() {
    }

    static boolean isModelDir(Path dir) {
        return Files.isRegularFile(dir.resolve(ModelFiles.MODEL_JSON));
    }

    static ModelFiles.Info info(Path dir) {
        check(dir);
        try {
            return ModelFiles.readInfo(dir);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw new UserError(message(dir, e), e);
        }
    }

    static Predictor load(Path dir, Backend backend, int maxBatch) {
        check(dir);
        try {
            return Predictor.load(dir, backend, maxBatch);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw new UserError(message(dir, e), e);
        }
    }

    private static String message(Path dir, RuntimeException e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        return m.contains(dir.toString()) ? m : dir + ": " + m;
    }

    private static void check(Path dir) {
        if (!Files.exists(dir)) {
            throw new UserError("--model: " + dir + ": no such directory");
        }
        if (!Files.isDirectory(dir)) {
            throw new UserError("--model: " + dir + ": not a directory (a model is a directory with model.json and weights.safetensors)");
        }
        if (!isModelDir(dir)) {
            throw new UserError("--model: " + dir + ": not a din4j model directory (no " + ModelFiles.MODEL_JSON + ")");
        }
    }
}
