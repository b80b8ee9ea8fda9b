package io.din4j.io;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.backend.Backend;
import io.din4j.backend.cpu.CpuBackend;
import io.din4j.data.Batch;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.model.TestData;
import io.din4j.tensor.HostArena;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutates valid model directories (bit flips, truncations, header-length edits, numbers in both JSON headers
 * replaced by extreme values, JSON structure edits, missing files, bit flips and truncations of vocabularies.bin)
 * and loads each result. Every case must either
 * load a model that scores finite probabilities, or fail with a {@link ModelFormatException} (or, for a missing
 * file, an {@link UncheckedIOException}) whose message names the file. Any other exception — an index out of bounds
 * (a native read outside a segment), an arithmetic overflow, a null pointer, an out-of-memory or stack-overflow
 * error — fails the test, as does a case whose native allocations peak above {@link #PEAK_LIMIT}.
 *
 * <p>Half of the weights mutations are "re-signed" (model.json's checksum updated to the mutated file) so that the
 * structural checks behind the checksum are reached, not just the checksum.
 */
class ModelFilesFuzzTest {
    /** Cases per run: a few seconds on 2 cores. Override with -Ddin4j.fuzz.cases=N for longer runs. */
    static final int CASES = Integer.getInteger("din4j.fuzz.cases", 4000);
    static final long SEED = Long.getLong("din4j.fuzz.seed", 20261129L);
    /** Native bytes a single case may hold at once: the valid models need well under 1 MiB. */
    static final long PEAK_LIMIT = 64L << 20;
    static final int[] VOCAB = {6, 9, 5, 4};

    @TempDir
    Path tmp;

    private record Base(byte[] json, byte[] weights, byte[] vocab) {
    }

    private Base base(Backend cpu, ModelConfig.Type type) throws IOException {
        Path dir = tmp.resolve("base-" + type.id());
        try (Model m = ModelFilesTest.trained(cpu, type, TestData.fullSchema())) {
            ModelFiles.save(m, dir, java.util.Map.of("note", "fuzz base"));
        }
        return new Base(Files.readAllBytes(dir.resolve(ModelFiles.MODEL_JSON)), Files.readAllBytes(dir.resolve(ModelFiles.WEIGHTS)),
                Files.readAllBytes(dir.resolve(ModelFiles.VOCABULARIES)));
    }

    @Test
    void mutatedModelDirectoriesFailCleanly() throws Exception {
        int loaded = 0;
        int rejected = 0;
        int missing = 0;
        long maxPeak = 0;
        java.util.Map<String, Integer> byKind = new java.util.TreeMap<>();
        try (Backend cpu = new CpuBackend(1)) {
            List<Base> bases = List.of(base(cpu, ModelConfig.Type.DIN), base(cpu, ModelConfig.Type.PLE), base(cpu, ModelConfig.Type.DIN_PLE));
            Path dir = tmp.resolve("case");
            Files.createDirectories(dir);
            SplittableRandom r = new SplittableRandom(SEED);
            long live0 = HostArena.liveBytes();
            for (int c = 0; c < CASES; c++) {
                Base b = bases.get(r.nextInt(bases.size()));
                byte[] json = b.json().clone();
                byte[] weights = b.weights().clone();
                byte[] vocab = b.vocab().clone();
                boolean vocabMutated = false;
                StringBuilder what = new StringBuilder();
                int mutations = 1 + (r.nextInt(4) == 0 ? 1 : 0);
                boolean deleteWeights = false;
                for (int m = 0; m < mutations; m++) {
                    int kind = r.nextInt(12);
                    switch (kind) {
                        case 0 -> weights = flipBits(weights, r, what, "weights", true);
                        case 1 -> json = flipBits(json, r, what, "model.json", false);
                        case 2 -> weights = truncate(weights, r, what, "weights");
                        case 3 -> json = truncate(json, r, what, "model.json");
                        case 4 -> weights = headerLength(weights, r, what);
                        case 5 -> weights = headerNumber(weights, r, what);
                        case 6 -> json = jsonNumber(json, r, what);
                        case 7 -> json = jsonStructure(json, r, what);
                        case 8 -> weights = headerStructure(weights, r, what);
                        case 10 -> {
                            vocab = flipBits(vocab, r, what, "vocabularies", false);
                            vocabMutated = true;
                        }
                        case 11 -> {
                            vocab = truncate(vocab, r, what, "vocabularies");
                            vocabMutated = true;
                        }
                        default -> {
                            if (r.nextInt(8) == 0) {
                                deleteWeights = true;
                                what.append("weights deleted; ");
                            } else {
                                weights = flipBits(weights, r, what, "weights (data)", false);
                            }
                        }
                    }
                }
                if (!deleteWeights && r.nextBoolean()) {
                    json = resign(json, weights);
                    what.append("re-signed; ");
                }
                if (vocabMutated && r.nextBoolean()) {
                    json = resignVocabularies(json, vocab);
                    what.append("vocabularies re-signed; ");
                }
                String label = what.toString().replaceAll("\\(.*?\\)|[0-9]+", "").trim();
                byKind.merge(label.isEmpty() ? "none" : label.split(";")[0].trim(), 1, Integer::sum);
                Files.write(dir.resolve(ModelFiles.MODEL_JSON), json);
                Files.write(dir.resolve(ModelFiles.VOCABULARIES), vocab);
                Files.deleteIfExists(dir.resolve(ModelFiles.WEIGHTS));
                if (!deleteWeights) {
                    Files.write(dir.resolve(ModelFiles.WEIGHTS), weights);
                }
                String where = "case " + c + " (" + what + ")";
                HostArena.resetPeak();
                try {
                    if (!deleteWeights) {
                        // The reader alone, without the checksum in front of it.
                        try (SafeTensors.Reader rd = new SafeTensors.Reader(dir.resolve(ModelFiles.WEIGHTS))) {
                            assertNotNull(rd.entries(), where);
                        } catch (ModelFormatException e) {
                            assertTrue(e.getMessage().contains(ModelFiles.WEIGHTS), where + ": " + e.getMessage());
                        }
                    }
                    try (Model m = ModelFiles.load(dir, cpu, 4)) {
                        loaded++;
                        if (m.schema().sparse().isEmpty()) {
                            continue;
                        }
                        Batch batch = TestData.random(m.schema(), m.vocabSizes(), new int[] {0, 3, 1}, new SplittableRandom(c));
                        for (float[] task : m.forward(batch, false)) {
                            for (float p : task) {
                                assertTrue(p >= 0 && p <= 1, where + ": probability " + p);
                            }
                        }
                    }
                } catch (ModelFormatException e) {
                    rejected++;
                    assertTrue(e.getMessage() != null && e.getMessage().contains(dir.toString()), where + ": " + e.getMessage());
                } catch (UncheckedIOException e) {
                    missing++;
                    assertTrue(deleteWeights, where + ": unexpected I/O error " + e);
                    assertTrue(e.getMessage().contains(ModelFiles.WEIGHTS), where + ": " + e.getMessage());
                } catch (Throwable e) {
                    fail(where + ": " + e, e);
                }
                long peak = HostArena.peakBytes() - live0;
                maxPeak = Math.max(maxPeak, peak);
                assertTrue(peak <= PEAK_LIMIT, where + ": native allocations peaked at " + peak + " bytes");
                assertEquals(live0, HostArena.liveBytes(), where + ": native memory leaked");
            }
        }
        System.out.printf("reliability: fuzz cases=%d seed=%d loaded=%d rejected=%d missing-file=%d max-native-peak=%d bytes kinds=%s%n",
                CASES, SEED, loaded, rejected, missing, maxPeak, byKind);
        assertTrue(rejected > CASES / 2, "most mutations must be caught, got " + rejected);
    }

    // ------------------------------------------------------------------ mutations

    private static final long[] EXTREMES = {0, 1, -1, 2, 7, 8, 255, 4096, 65535, 65536, Integer.MAX_VALUE, (long) Integer.MAX_VALUE + 1,
        Integer.MIN_VALUE, 1L << 32, 1L << 40, 1L << 53, 1L << 62, Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE / 4 + 1};

    private static long extreme(SplittableRandom r, long old) {
        return switch (r.nextInt(4)) {
            case 0 -> old + (r.nextBoolean() ? 1 : -1);
            case 1 -> old * 2;
            default -> EXTREMES[r.nextInt(EXTREMES.length)];
        };
    }

    private static int headerEnd(byte[] w) {
        if (w.length < 8) {
            return w.length;
        }
        long n = ByteBuffer.wrap(w).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        return (int) Math.max(8, Math.min(w.length, 8 + Math.max(0, n)));
    }

    private static byte[] flipBits(byte[] a, SplittableRandom r, StringBuilder what, String name, boolean headerBias) {
        if (a.length == 0) {
            return a;
        }
        int flips = 1 + r.nextInt(3);
        for (int i = 0; i < flips; i++) {
            int limit = headerBias && r.nextBoolean() ? headerEnd(a) : a.length;
            int at = r.nextInt(Math.max(1, limit));
            int bit = r.nextInt(8);
            a[at] ^= (byte) (1 << bit);
            what.append("bit flip ").append(name).append(" (").append(at).append(':').append(bit).append("); ");
        }
        return a;
    }

    private static byte[] truncate(byte[] a, SplittableRandom r, StringBuilder what, String name) {
        int len = r.nextInt(3) == 0 ? r.nextInt(Math.min(a.length, 16) + 1) : r.nextInt(a.length + 1);
        what.append("truncate ").append(name).append(" (").append(len).append("); ");
        return java.util.Arrays.copyOf(a, len);
    }

    private static byte[] headerLength(byte[] w, SplittableRandom r, StringBuilder what) {
        if (w.length < 8) {
            return w;
        }
        ByteBuffer bb = ByteBuffer.wrap(w).order(ByteOrder.LITTLE_ENDIAN);
        long v = extreme(r, bb.getLong(0));
        if (r.nextInt(4) == 0) {
            v = w.length - 8 + r.nextInt(3) - 1;
        }
        bb.putLong(0, v);
        what.append("header length (").append(v).append("); ");
        return w;
    }

    private static final Pattern NUMBER = Pattern.compile("-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?");

    /** Replaces one number token of {@code text} by an extreme value (or a float/huge literal). */
    private static String replaceNumber(String text, SplittableRandom r, StringBuilder what, String name) {
        Matcher m = NUMBER.matcher(text);
        List<int[]> spans = new ArrayList<>();
        while (m.find()) {
            spans.add(new int[] {m.start(), m.end()});
        }
        if (spans.isEmpty()) {
            return text;
        }
        int[] s = spans.get(r.nextInt(spans.size()));
        String old = text.substring(s[0], s[1]);
        String repl;
        int pick = r.nextInt(10);
        if (pick == 0) {
            repl = "1e400";
        } else if (pick == 1) {
            repl = "123456789012345678901234567890";
        } else if (pick == 2) {
            repl = "0.5";
        } else {
            long v;
            try {
                v = Long.parseLong(old);
            } catch (NumberFormatException e) {
                v = 1;
            }
            repl = Long.toString(extreme(r, v));
        }
        what.append("number in ").append(name).append(" (").append(old).append("->").append(repl).append("); ");
        return text.substring(0, s[0]) + repl + text.substring(s[1]);
    }

    /** Rewrites the safetensors header text with {@code edit}, fixing the length field (or not, at random). */
    private static byte[] editHeader(byte[] w, SplittableRandom r, java.util.function.UnaryOperator<String> edit) {
        int end = headerEnd(w);
        if (end <= 8) {
            return w;
        }
        String header = new String(w, 8, end - 8, StandardCharsets.UTF_8);
        byte[] h = edit.apply(header).getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[8 + h.length + (w.length - end)];
        long len = r.nextInt(5) == 0 ? end - 8 : h.length;
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(0, len);
        System.arraycopy(h, 0, out, 8, h.length);
        System.arraycopy(w, end, out, 8 + h.length, w.length - end);
        return out;
    }

    private static byte[] headerNumber(byte[] w, SplittableRandom r, StringBuilder what) {
        return editHeader(w, r, h -> replaceNumber(h, r, what, "header"));
    }

    private static byte[] headerStructure(byte[] w, SplittableRandom r, StringBuilder what) {
        return editHeader(w, r, h -> structure(h, r, what, "header"));
    }

    private static byte[] jsonNumber(byte[] json, SplittableRandom r, StringBuilder what) {
        return replaceNumber(new String(json, StandardCharsets.UTF_8), r, what, "model.json").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] jsonStructure(byte[] json, SplittableRandom r, StringBuilder what) {
        return structure(new String(json, StandardCharsets.UTF_8), r, what, "model.json").getBytes(StandardCharsets.UTF_8);
    }

    private static final String[] TOKENS = {"null", "[]", "{}", "\"x\"", "true", "-", "\"", "[[[[[[[[", "\\u0000", "\"F64\"",
        "\"__metadata__\"", ",", ":"};

    /** A structural edit: delete or duplicate a span, insert a token, swap two spans, or nest deeply. */
    private static String structure(String s, SplittableRandom r, StringBuilder what, String name) {
        if (s.isEmpty()) {
            return s;
        }
        int a = r.nextInt(s.length());
        int b = Math.min(s.length(), a + 1 + r.nextInt(40));
        switch (r.nextInt(6)) {
            case 0 -> {
                what.append("delete span of ").append(name).append(" (").append(a).append(',').append(b).append("); ");
                return s.substring(0, a) + s.substring(b);
            }
            case 1 -> {
                what.append("duplicate span of ").append(name).append(" (").append(a).append(',').append(b).append("); ");
                return s.substring(0, b) + s.substring(a, b) + s.substring(b);
            }
            case 2 -> {
                String t = TOKENS[r.nextInt(TOKENS.length)];
                what.append("insert token in ").append(name).append(" (").append(t).append("); ");
                return s.substring(0, a) + t + s.substring(a);
            }
            case 3 -> {
                String t = TOKENS[r.nextInt(4)];
                what.append("replace span of ").append(name).append(" (").append(t).append("); ");
                return s.substring(0, a) + t + s.substring(b);
            }
            case 4 -> {
                int depth = 30 + r.nextInt(5000);
                what.append("deep nesting in ").append(name).append(" (").append(depth).append("); ");
                return s.substring(0, a) + "[".repeat(depth) + "]".repeat(depth) + s.substring(a);
            }
            default -> {
                // Rename a key: tensors or fields no longer match what the other file expects.
                what.append("rename in ").append(name).append("; ");
                return s.replaceFirst("\"(emb|mlp|att|dense|tower|expert)[a-z_.0-9]*\"", "\"renamed\"");
            }
        }
    }

    /** model.json with its weights checksum replaced by the checksum of {@code weights}. */
    /** model.json with vocabulary_file.sha256 set to that of {@code vocab}, so the checks behind the checksum run. */
    private static byte[] resignVocabularies(byte[] json, byte[] vocab) throws Exception {
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(vocab));
        String s = new String(json, StandardCharsets.UTF_8).replaceFirst("(\"vocabulary_file\": \\{[^}]*\"sha256\": \")[0-9a-f]{64}", "$1" + sha);
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] resign(byte[] json, byte[] weights) throws Exception {
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(weights));
        String s = new String(json, StandardCharsets.UTF_8).replaceFirst("\"sha256\": \"[0-9a-f]{64}\"", "\"sha256\": \"" + sha + "\"");
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
