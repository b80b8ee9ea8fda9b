package io.din4j.io;

import io.din4j.data.FeatureSchema;
import io.din4j.data.Vocabulary;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code vocabularies.bin} (model format 2): every sparse field's raw ids and counts, streamed in and out so that a
 * vocabulary of tens of millions of ids never becomes one String (format 1 kept them inline in model.json, read as
 * one String of at most 512 MiB). All integers little-endian:
 *
 * <pre>
 *   "DIN4JVOC"  u32 version (1)  u32 F
 *   F times, in schema order:
 *     u32 name bytes, name (UTF-8)   u32 n (rows, row 0 = "&lt;oov&gt;")
 *     n × i64 counts                 n × (u32 token bytes, token (UTF-8))
 * </pre>
 *
 * Reading validates as it goes (names and sizes against model.json, lengths bounded, strict UTF-8, no duplicate
 * token) and the SHA-256 of the whole file against model.json; every problem is a {@link ModelFormatException}
 * naming the file.
 */
final class VocabularyFile {
    static final String NAME = "vocabularies.bin";
    private static final byte[] MAGIC = "DIN4JVOC".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;
    /** Longest raw id accepted: far above any real id, low enough that a corrupt length cannot allocate much. */
    static final int MAX_TOKEN_BYTES = 1 << 16;

    private VocabularyFile() {
    }

    /** Writes the vocabularies of {@code schema}'s sparse fields; returns the file's SHA-256 (lower-case hex). */
    static String write(Path file, FeatureSchema schema, Map<String, Vocabulary> vocabularies) throws IOException {
        MessageDigest md = sha256();
        try (OutputStream out = new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16), md)) {
            Writer w = new Writer(out);
            w.bytes(MAGIC);
            w.u32(VERSION);
            w.u32(schema.sparse().size());
            for (var field : schema.sparse()) {
                Vocabulary v = vocabularies.get(field.name());
                byte[] name = field.name().getBytes(StandardCharsets.UTF_8);
                w.u32(name.length);
                w.bytes(name);
                int n = v.size();
                w.u32(n);
                for (int r = 0; r < n; r++) {
                    w.i64(v.count(r));
                }
                for (int r = 0; r < n; r++) {
                    byte[] t = v.token(r).getBytes(StandardCharsets.UTF_8);
                    if (t.length > MAX_TOKEN_BYTES) {
                        throw new IllegalArgumentException("vocabulary '" + field.name() + "': id at row " + r + " is "
                                + t.length + " bytes; at most " + MAX_TOKEN_BYTES + " can be saved");
                    }
                    w.u32(t.length);
                    w.bytes(t);
                }
            }
            w.flush();
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * Reads the vocabularies of {@code schema}'s sparse fields, each of {@code sizes[f]} rows, from a file whose
     * SHA-256 must be {@code sha256}.
     */
    static Map<String, Vocabulary> read(Path file, FeatureSchema schema, int[] sizes, String sha256) {
        MessageDigest md = sha256();
        Map<String, Vocabulary> out = new LinkedHashMap<>();
        try (InputStream in = new DigestInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16), md)) {
            Reader r = new Reader(in, file);
            if (!Arrays.equals(r.bytes(MAGIC.length), MAGIC)) {
                throw new ModelFormatException(file, "is not a din4j vocabulary file (bad magic)");
            }
            int version = r.u32("version");
            if (version != VERSION) {
                throw new ModelFormatException(file, "vocabulary file version " + version + " is not supported (this din4j reads " + VERSION + ")");
            }
            int fields = r.u32("field count");
            if (fields != schema.sparse().size()) {
                throw new ModelFormatException(file, "holds " + fields + " vocabularies, model.json has " + schema.sparse().size() + " sparse fields");
            }
            for (int f = 0; f < fields; f++) {
                String expected = schema.sparse().get(f).name();
                String name = r.utf8(r.length("name length of field " + f), "field " + f + " name");
                if (!name.equals(expected)) {
                    throw new ModelFormatException(file, "vocabulary " + f + " is '" + name + "', model.json's field " + f + " is '" + expected + "'");
                }
                int n = r.u32("size of '" + name + "'");
                if (n != sizes[f]) {
                    throw new ModelFormatException(file, "vocabulary '" + name + "' has " + n + " rows, model.json says " + sizes[f]);
                }
                long[] counts = new long[n];
                for (int i = 0; i < n; i++) {
                    counts[i] = r.i64();
                    if (counts[i] < 0) {
                        throw new ModelFormatException(file, "vocabulary '" + name + "': count at row " + i + " is negative (" + counts[i] + ")");
                    }
                }
                String[] tokens = new String[n];
                for (int i = 0; i < n; i++) {
                    tokens[i] = r.utf8(r.length("id length at row " + i + " of '" + name + "'"), "id at row " + i + " of '" + name + "'");
                }
                try {
                    out.put(name, Vocabulary.of(Arrays.asList(tokens), counts));
                } catch (IllegalArgumentException e) {
                    throw new ModelFormatException(file, e.getMessage(), e);
                }
            }
            if (in.read() != -1) {
                throw new ModelFormatException(file, "has bytes after the last vocabulary");
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + file + ": " + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()), e);
        }
        String sha = HexFormat.of().formatHex(md.digest());
        if (!sha.equals(sha256)) {
            throw new ModelFormatException(file, "checksum " + sha + " does not match model.json (" + sha256
                    + "); the file is corrupt or belongs to another model");
        }
        return out;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Little-endian primitives into a stream through one small buffer. */
    private static final class Writer {
        private final OutputStream out;
        private final ByteBuffer buf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        Writer(OutputStream out) {
            this.out = out;
        }

        void u32(int v) throws IOException {
            buf.clear();
            buf.putInt(v);
            out.write(buf.array(), 0, 4);
        }

        void i64(long v) throws IOException {
            buf.clear();
            buf.putLong(v);
            out.write(buf.array(), 0, 8);
        }

        void bytes(byte[] b) throws IOException {
            out.write(b);
        }

        void flush() throws IOException {
            out.flush();
        }
    }

    /** Little-endian primitives from a stream, with errors naming the file. */
    private static final class Reader {
        private final InputStream in;
        private final Path file;
        private final byte[] eight = new byte[8];
        private byte[] scratch = new byte[256];
        private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);

        Reader(InputStream in, Path file) {
            this.in = in;
            this.file = file;
        }

        private void fill(byte[] b, int n) throws IOException {
            int got = in.readNBytes(b, 0, n);
            if (got < n) {
                throw new ModelFormatException(file, "ends early (truncated)", new EOFException());
            }
        }

        byte[] bytes(int n) throws IOException {
            byte[] b = new byte[n];
            fill(b, n);
            return b;
        }

        int u32(String what) throws IOException {
            fill(eight, 4);
            int v = ByteBuffer.wrap(eight, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
            if (v < 0) {
                throw new ModelFormatException(file, what + " " + Integer.toUnsignedString(v) + " is out of range");
            }
            return v;
        }

        int length(String what) throws IOException {
            int n = u32(what);
            if (n > MAX_TOKEN_BYTES) {
                throw new ModelFormatException(file, what + " " + n + " is more than " + MAX_TOKEN_BYTES + " bytes");
            }
            return n;
        }

        long i64() throws IOException {
            fill(eight, 8);
            return ByteBuffer.wrap(eight).order(ByteOrder.LITTLE_ENDIAN).getLong();
        }

        /** A strict UTF-8 string of {@code n} bytes; ASCII, the common case for ids, skips the decoder. */
        String utf8(int n, String what) throws IOException {
            if (scratch.length < n) {
                scratch = new byte[Math.max(n, scratch.length * 2)];
            }
            fill(scratch, n);
            boolean ascii = true;
            for (int i = 0; i < n && ascii; i++) {
                ascii = scratch[i] >= 0;
            }
            if (ascii) {
                return new String(scratch, 0, n, StandardCharsets.ISO_8859_1);
            }
            try {
                CharBuffer c = utf8.reset().decode(ByteBuffer.wrap(scratch, 0, n));
                return c.toString();
            } catch (CharacterCodingException e) {
                throw new ModelFormatException(file, what + " is not UTF-8");
            }
        }
    }
}
