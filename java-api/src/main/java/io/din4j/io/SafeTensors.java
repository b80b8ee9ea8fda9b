package io.din4j.io;

import io.din4j.json.Json;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The safetensors container (as written by Hugging Face's library): an 8-byte little-endian header length N, N
 * bytes of JSON {@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}} padded with
 * spaces to a multiple of 8, then the tensors' bytes, offsets relative to the end of the header. din4j writes
 * f32 only, tensors in the given order, with no gaps.
 */
public final class SafeTensors {
    /** The largest header a reader accepts (a model's header is a few KB; this bounds memory on corrupt files). */
    public static final long MAX_HEADER_BYTES = 100L << 20;
    /** The highest tensor rank a reader accepts. */
    public static final int MAX_RANK = 8;

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private SafeTensors() {
    }

    /** One tensor of the file. */
    public record Entry(String name, String dtype, long[] shape, long begin, long end) {
        public long count() {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }
    }

    /** Fills a tensor's f32 values into a little-endian destination. */
    public interface Source {
        void write(MemorySegment dst);
    }

    /**
     * Writes {@code tensors} (name → shape, in order) to {@code file}, each filled by {@code source}.
     *
     * @return the SHA-256 of the whole file, in hex
     */
    public static String write(Path file, Map<String, long[]> tensors, Map<String, Source> sources,
                               Map<String, String> metadata) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            // Sorted, so that the same tensors always give the same bytes (and checksum), whatever map the caller used.
            header.put("__metadata__", new TreeMap<String, Object>(metadata));
        }
        long offset = 0;
        List<long[]> ranges = new ArrayList<>();
        for (Map.Entry<String, long[]> e : tensors.entrySet()) {
            long bytes = 4;
            for (long d : e.getValue()) {
                bytes = Math.multiplyExact(bytes, d);
            }
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("dtype", "F32");
            t.put("shape", e.getValue().clone());
            t.put("data_offsets", new long[] {offset, offset + bytes});
            header.put(e.getKey(), t);
            ranges.add(new long[] {offset, offset + bytes});
            offset += bytes;
        }
        byte[] json = Json.write(header).replaceAll("\\s*\n\\s*", "").getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        long total = 8 + padded + offset;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
             Arena arena = Arena.ofConfined()) {
            MemorySegment m = ch.map(FileChannel.MapMode.READ_WRITE, 0, total, arena);
            m.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, padded);
            MemorySegment.copy(json, 0, m, ValueLayout.JAVA_BYTE, 8, json.length);
            m.asSlice(8 + json.length, padded - json.length).fill((byte) ' ');
            int i = 0;
            for (String name : tensors.keySet()) {
                long[] r = ranges.get(i++);
                sources.get(name).write(m.asSlice(8 + padded + r[0], r[1] - r[0]));
            }
            m.force();
            ch.force(true);
            return sha256(m);
        }
    }

    /** SHA-256 of a segment, in hex. */
    public static String sha256(MemorySegment m) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        long chunk = 1 << 24;
        for (long off = 0; off < m.byteSize(); off += chunk) {
            md.update(m.asSlice(off, Math.min(chunk, m.byteSize() - off)).asByteBuffer());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** A validated, memory-mapped safetensors file. */
    public static final class Reader implements AutoCloseable {
        private final Path file;
        private final Arena arena = Arena.ofShared();
        private final MemorySegment map;
        private final long dataStart;
        private final Map<String, Entry> entries = new LinkedHashMap<>();
        private final Map<String, String> metadata = new LinkedHashMap<>();

        /**
         * Opens and validates {@code file} before reading any tensor: the header length is at least 2, at most
         * {@link #MAX_HEADER_BYTES} and inside the file (checked before the header is copied, so a corrupt length
         * cannot make the reader allocate more than the file holds); the header is strict UTF-8 and well-formed JSON
         * of bounded depth; every tensor is F32 with non-negative dimensions whose element count does not overflow
         * and matches its byte range; every range lies inside the data section; ranges neither overlap nor leave
         * gaps, and together cover the data section exactly.
         *
         * @throws ModelFormatException when any of these fails (the message names the file and the tensor)
         * @throws IOException          when the file cannot be opened or mapped
         */
        public Reader(Path file) throws IOException {
            this.file = file;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                long size = ch.size();
                if (size < 8) {
                    throw bad("is " + size + " bytes, too short for a safetensors header");
                }
                map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
                long n = map.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
                if (n < 2 || n > MAX_HEADER_BYTES || n > size - 8) {
                    throw bad("declares a header of " + n + " bytes (file " + size + " bytes, limit " + MAX_HEADER_BYTES + ")");
                }
                dataStart = 8 + n;
                Map<String, Object> header;
                try {
                    String text = StandardCharsets.UTF_8.newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(map.asSlice(8, n).asByteBuffer()).toString();
                    header = Json.parseObject(text.strip());
                } catch (CharacterCodingException e) {
                    throw bad("has a header that is not UTF-8");
                } catch (IllegalArgumentException e) {
                    throw bad("has a malformed header: " + e.getMessage());
                }
                long dataBytes = size - dataStart;
                for (Map.Entry<String, Object> e : header.entrySet()) {
                    if (!(e.getValue() instanceof Map<?, ?>)) {
                        throw bad("header entry '" + e.getKey() + "' is not an object");
                    }
                    @SuppressWarnings("unchecked")
                    Map<String, Object> raw = (Map<String, Object>) e.getValue();
                    if (e.getKey().equals("__metadata__")) {
                        raw.forEach((k, v) -> metadata.put(k, String.valueOf(v)));
                        continue;
                    }
                    entries.put(e.getKey(), entry(e.getKey(), raw, dataBytes));
                }
                List<Entry> sorted = new ArrayList<>(entries.values());
                sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
                long at = 0;
                for (Entry en : sorted) {
                    if (en.begin() != at) {
                        throw bad("tensor '" + en.name() + "' starts at byte " + en.begin() + ", expected " + at
                                + (en.begin() < at ? " (it overlaps the previous tensor)" : " (gap)"));
                    }
                    at = en.end();
                }
                if (at != dataBytes) {
                    throw bad("has " + (dataBytes - at) + " bytes after the last tensor (data section " + dataBytes + " bytes)");
                }
            } catch (IOException | RuntimeException e) {
                arena.close();
                throw e;
            }
        }

        private Entry entry(String name, Map<String, Object> raw, long dataBytes) {
            try {
                Json.Obj o = new Json.Obj(raw, "tensor '" + name + "'");
                String dtype = o.str("dtype");
                if (!dtype.equals("F32")) {
                    throw bad("tensor '" + name + "' has dtype " + dtype + "; din4j reads F32");
                }
                long[] shape = o.longs("shape");
                if (shape.length > MAX_RANK) {
                    throw bad("tensor '" + name + "' has rank " + shape.length + " (at most " + MAX_RANK + ")");
                }
                long count = 1;
                for (long d : shape) {
                    if (d < 0) {
                        throw bad("tensor '" + name + "' has shape " + Arrays.toString(shape) + " with a negative dimension");
                    }
                    count = Math.multiplyExact(count, d);
                }
                long bytes = Math.multiplyExact(count, 4L);
                long[] off = o.longs("data_offsets");
                if (off.length != 2 || off[0] < 0 || off[1] < off[0] || off[1] > dataBytes) {
                    throw bad("tensor '" + name + "' has data_offsets " + Arrays.toString(off)
                            + " outside the data section of " + dataBytes + " bytes");
                }
                if (bytes != off[1] - off[0]) {
                    throw bad("tensor '" + name + "' of shape " + Arrays.toString(shape) + " needs " + bytes
                            + " bytes but its range holds " + (off[1] - off[0]));
                }
                return new Entry(name, dtype, shape, off[0], off[1]);
            } catch (ArithmeticException e) {
                throw bad("tensor '" + name + "' has a shape whose size overflows 64 bits");
            } catch (ModelFormatException e) {
                throw e;
            } catch (IllegalArgumentException e) {
                throw bad(e.getMessage());
            }
        }

        private ModelFormatException bad(String what) {
            return new ModelFormatException(file, what);
        }

        public Map<String, Entry> entries() {
            return entries;
        }

        public Map<String, String> metadata() {
            return metadata;
        }

        /** The bytes of a tensor (little-endian f32). */
        public MemorySegment data(Entry e) {
            return map.asSlice(dataStart + e.begin(), e.end() - e.begin());
        }

        /** A tensor's values as floats (small tensors and tests). */
        public float[] floats(String name) {
            Entry e = entries.get(name);
            if (e == null) {
                throw new IllegalArgumentException(file + " has no tensor '" + name + "'");
            }
            if (e.count() > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException(file + ": tensor '" + name + "' has " + e.count() + " elements, too many for a float[]");
            }
            MemorySegment d = data(e);
            float[] out = new float[Math.toIntExact(e.count())];
            for (int i = 0; i < out.length; i++) {
                out[i] = d.getAtIndex(F32_LE, i);
            }
            return out;
        }

        /** SHA-256 of the whole file. */
        public String sha256() {
            return SafeTensors.sha256(map);
        }

        @Override
        public void close() {
            arena.close();
        }
    }
}
