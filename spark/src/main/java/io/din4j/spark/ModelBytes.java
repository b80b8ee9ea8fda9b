package io.din4j.spark;

import io.din4j.io.ModelFiles;
import io.din4j.model.Model;
import java.io.IOException;
import java.io.Serial;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * A din4j model directory ({@link ModelFiles}: model.json, weights.safetensors and, from format 2,
 * vocabularies.bin) held in memory, so that Spark can
 * broadcast it: the driver reads the directory once, each executor receives the bytes once per broadcast and
 * writes them to a local directory once per JVM ({@link #materialize()}), from which the model is loaded.
 *
 * <p>The identity of a model is the SHA-256 of model.json (which holds the vocabulary file's checksum) and the
 * weights, so two broadcasts of the same directory share one local copy and one loaded model per executor. A Java array bounds the weights to 2 GiB; a larger model
 * is scored and trained with its tables sharded instead ({@link ShardedModel}, docs/spark.md).
 */
public final class ModelBytes implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    private static final Map<String, Path> LOCAL = new ConcurrentHashMap<>();

    private final byte[] modelJson;
    private final byte[] weights;
    /** vocabularies.bin (model format 2), or null for a format 1 directory or a model without vocabularies. */
    private final byte[] vocabularies;
    private final String id;

    private ModelBytes(byte[] modelJson, byte[] weights, byte[] vocabularies) {
        this.modelJson = modelJson;
        this.weights = weights;
        this.vocabularies = vocabularies;
        // model.json holds the vocabulary file's SHA-256, so hashing it covers the vocabularies too.
        this.id = sha256(modelJson, weights);
    }

    /** Reads a model directory (checked when an executor loads it, as {@link ModelFiles#load} checks). */
    public static ModelBytes read(Path dir) {
        try {
            Path vocab = dir.resolve(ModelFiles.VOCABULARIES);
            return new ModelBytes(Files.readAllBytes(dir.resolve(ModelFiles.MODEL_JSON)),
                    Files.readAllBytes(dir.resolve(ModelFiles.WEIGHTS)), Files.exists(vocab) ? Files.readAllBytes(vocab) : null);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read model directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Saves {@code model} (with {@code training} metadata, may be null) and holds the files' bytes. */
    public static ModelBytes of(Model model, Map<String, Object> training) {
        Path tmp = null;
        try {
            tmp = Files.createTempDirectory("din4j-model-");
            Path dir = tmp.resolve("model");
            ModelFiles.save(model, dir, training);
            return read(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save model to a temporary directory: " + e.getMessage(), e);
        } finally {
            deleteTree(tmp);
        }
    }

    /**
     * The same model without its weights file: its description (model.json, vocabularies.bin) for processes that
     * get the parameters another way (sharded tables). {@link ModelFiles#readInfo} reads it; loading it fails.
     */
    ModelBytes withoutWeights() {
        return new ModelBytes(modelJson, new byte[0], vocabularies);
    }

    /** model.json's bytes. */
    byte[] modelJson() {
        return modelJson.clone();
    }

    /** vocabularies.bin's bytes, or null. */
    byte[] vocabularies() {
        return vocabularies == null ? null : vocabularies.clone();
    }

    /** A model description from its files' bytes (weights may be empty, as {@link #withoutWeights}). */
    static ModelBytes of(byte[] modelJson, byte[] weights, byte[] vocabularies) {
        return new ModelBytes(modelJson, weights, vocabularies);
    }

    /** SHA-256 of model.json and the weights: the model's identity in executor caches. */
    public String id() {
        return id;
    }

    /** Bytes broadcast (every file). */
    public long size() {
        return (long) modelJson.length + weights.length + (vocabularies == null ? 0 : vocabularies.length);
    }

    /**
     * The model as a directory on this machine: written on first use (atomically, under java.io.tmpdir), then
     * reused by every task of this JVM.
     */
    public Path materialize() {
        return LOCAL.computeIfAbsent(id, k -> {
            try {
                Path root = Path.of(System.getProperty("java.io.tmpdir"), "din4j-spark-models");
                Files.createDirectories(root);
                Path target = root.resolve(k);
                if (Files.isRegularFile(target.resolve(ModelFiles.WEIGHTS))) {
                    return target;
                }
                Path tmp = Files.createTempDirectory(root, k + ".tmp-");
                Files.write(tmp.resolve(ModelFiles.MODEL_JSON), modelJson);
                Files.write(tmp.resolve(ModelFiles.WEIGHTS), weights);
                if (vocabularies != null) {
                    Files.write(tmp.resolve(ModelFiles.VOCABULARIES), vocabularies);
                }
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, target);
                } catch (IOException e) {
                    // another JVM on this machine wrote the same model first: its copy is identical
                    deleteTree(tmp);
                    if (!Files.isRegularFile(target.resolve(ModelFiles.WEIGHTS))) {
                        throw e;
                    }
                }
                return target;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write model " + k + " to local disk: " + e.getMessage(), e);
            }
        });
    }

    private static String sha256(byte[] a, byte[] b) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(a);
            md.update(b);
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    static void deleteTree(Path p) {
        if (p == null || !Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(x);
            }
        } catch (IOException ignored) {
            // best effort: a leftover temporary directory is harmless
        }
    }
}
