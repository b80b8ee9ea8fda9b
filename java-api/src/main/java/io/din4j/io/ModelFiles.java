package io.din4j.io;

import io.din4j.backend.Backend;
import io.din4j.data.FeatureSchema;
import io.din4j.data.FieldRole;
import io.din4j.data.SequenceField;
import io.din4j.data.SparseField;
import io.din4j.data.Vocabulary;
import io.din4j.graph.HostIO;
import io.din4j.graph.Param;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.tensor.DType;
import io.din4j.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A model on disk: a directory with {@code model.json} (format version, config, schema, vocabularies with counts,
 * training metadata, the tensor list and the SHA-256 of the weights) and {@code weights.safetensors} (f32
 * little-endian, {@code nn.Linear} layout {@code [out, in]}). See docs/model-format.md.
 *
 * <p>Saving is atomic: everything is written into a temporary sibling directory that is then renamed over the
 * target, so a crash never leaves a half-written model. Loading validates the file against model.json and the
 * architecture, with errors that name the file.
 */
public final class ModelFiles {
    /** Format version written; readers accept this and every earlier version. */
    public static final int FORMAT_VERSION = 1;
    public static final String MODEL_JSON = "model.json";
    public static final String WEIGHTS = "weights.safetensors";

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final boolean NATIVE_LE = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private ModelFiles() {
    }

    /** Saves {@code model} into {@code dir} (replaced atomically if it exists) with optional training metadata. */
    public static void save(Model model, Path dir, Map<String, Object> training) {
        Path target = dir.toAbsolutePath().normalize();
        Path parent = target.getParent();
        Path tmp = parent.resolve("." + target.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        try {
            Files.createDirectories(parent);
            Files.createDirectory(tmp);
            Map<String, long[]> shapes = new LinkedHashMap<>();
            Map<String, SafeTensors.Source> sources = new LinkedHashMap<>();
            List<Object> tensorList = new ArrayList<>();
            for (Param p : model.parameters()) {
                shapes.put(p.name(), p.value().shape());
                sources.put(p.name(), dst -> writeF32(model.backend(), p.value(), dst));
                Map<String, Object> t = new LinkedHashMap<>();
                t.put("name", p.name());
                t.put("shape", p.value().shape());
                t.put("kind", p.kind().name().toLowerCase(Locale.ROOT));
                tensorList.add(t);
            }
            String sha = SafeTensors.write(tmp.resolve(WEIGHTS), shapes, sources,
                    Map.of("format", "din4j", "format_version", String.valueOf(FORMAT_VERSION)));
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("format", "din4j-model");
            json.put("format_version", FORMAT_VERSION);
            json.put("config", model.config().toJson());
            json.put("schema", schemaToJson(model.schema()));
            json.put("vocabularies", vocabulariesToJson(model));
            json.put("training", training == null ? Map.of() : training);
            Map<String, Object> w = new LinkedHashMap<>();
            w.put("file", WEIGHTS);
            w.put("sha256", sha);
            w.put("dtype", "F32");
            w.put("tensors", tensorList);
            json.put("weights", w);
            Files.writeString(tmp.resolve(MODEL_JSON), Json.write(json), StandardCharsets.UTF_8);
            replace(tmp, target);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new UncheckedIOException("cannot save model to " + target + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            deleteQuietly(tmp);
            throw e;
        }
    }

    private static void writeF32(Backend backend, Tensor t, MemorySegment dst) {
        if (t.dtype() == DType.F32 && NATIVE_LE) {
            backend.copyToHost(t, dst);
            return;
        }
        double[] d = HostIO.download(backend, t);
        for (int i = 0; i < d.length; i++) {
            dst.setAtIndex(F32_LE, i, (float) d[i]);
        }
    }

    private static void replace(Path tmp, Path target) throws IOException {
        Path old = null;
        if (Files.exists(target)) {
            old = target.resolveSibling("." + target.getFileName() + ".old-" + System.nanoTime());
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target);
        }
        if (old != null) {
            deleteQuietly(old);
        }
    }

    private static void deleteQuietly(Path p) {
        if (!Files.exists(p)) {
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

    // ------------------------------------------------------------------ loading

    /** model.json, parsed: what a model directory describes before any weights are read. */
    public record Info(int formatVersion, ModelConfig config, FeatureSchema schema, int[] vocabSizes,
                       Map<String, Vocabulary> vocabularies, Map<String, Object> training, String sha256,
                       Map<String, long[]> tensors) {
    }

    /** Reads and checks {@code <dir>/model.json}. */
    public static Info readInfo(Path dir) {
        Path file = dir.resolve(MODEL_JSON);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        try {
            Json.Obj o = new Json.Obj(Json.parseObject(text), file.toString());
            if (!"din4j-model".equals(o.str("format", ""))) {
                throw new IllegalArgumentException("not a din4j model (format '" + o.str("format", "") + "')");
            }
            int version = o.integer("format_version");
            if (version < 1 || version > FORMAT_VERSION) {
                throw new IllegalArgumentException("format_version " + version + " is not supported (this din4j reads 1 to "
                        + FORMAT_VERSION + "; a newer din4j wrote it)");
            }
            ModelConfig config = ModelConfig.fromJson(o.obj("config").map());
            FeatureSchema schema = schemaFromJson(o.obj("schema"));
            Json.Obj vj = o.obj("vocabularies");
            int n = schema.sparse().size();
            int[] sizes = new int[n];
            Map<String, Vocabulary> vocabs = new LinkedHashMap<>();
            for (int f = 0; f < n; f++) {
                String name = schema.sparse().get(f).name();
                Json.Obj v = vj.obj(name);
                sizes[f] = v.integer("size");
                if (v.has("tokens")) {
                    List<String> tokens = v.strings("tokens");
                    long[] counts = v.has("counts") ? v.longs("counts") : new long[tokens.size()];
                    if (tokens.size() != sizes[f]) {
                        throw new IllegalArgumentException("vocabulary '" + name + "' has " + tokens.size() + " tokens but size " + sizes[f]);
                    }
                    vocabs.put(name, Vocabulary.of(tokens, counts));
                }
            }
            Json.Obj w = o.obj("weights");
            Map<String, long[]> tensors = new LinkedHashMap<>();
            for (Json.Obj t : w.objects("tensors")) {
                tensors.put(t.str("name"), t.longs("shape"));
            }
            Map<String, Object> training = o.has("training") ? o.obj("training").map() : Map.of();
            return new Info(version, config, schema, sizes, vocabs.size() == n ? vocabs : null, training, w.str("sha256"), tensors);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Loads a model directory onto {@code backend}, planned for {@code maxBatch} rows. Checks the weights file
     * against model.json (checksum, tensor names, dtypes, shapes) and against the architecture model.json
     * describes.
     */
    public static Model load(Path dir, Backend backend, int maxBatch) {
        Info info = readInfo(dir);
        Path wfile = dir.resolve(WEIGHTS);
        Model model = info.vocabularies() != null
                ? Model.create(info.config(), info.schema(), info.vocabularies(), backend, maxBatch)
                : new Model(info.config(), info.schema(), info.vocabSizes(), backend, maxBatch);
        try (SafeTensors.Reader r = new SafeTensors.Reader(wfile)) {
            String sha = r.sha256();
            if (!sha.equals(info.sha256())) {
                throw new IllegalArgumentException(wfile + ": checksum " + sha + " does not match model.json (" + info.sha256()
                        + "); the file is corrupt or belongs to another model");
            }
            if (!r.entries().keySet().equals(info.tensors().keySet())) {
                throw new IllegalArgumentException(wfile + ": tensors " + r.entries().keySet() + " differ from model.json's " + info.tensors().keySet());
            }
            for (Param p : model.parameters()) {
                SafeTensors.Entry e = r.entries().get(p.name());
                if (e == null) {
                    throw new IllegalArgumentException(wfile + ": missing tensor '" + p.name() + "' that the architecture needs");
                }
                long[] listed = info.tensors().get(p.name());
                if (!Arrays.equals(e.shape(), p.value().shape()) || !Arrays.equals(listed, e.shape())) {
                    throw new IllegalArgumentException(wfile + ": tensor '" + p.name() + "' has shape " + Arrays.toString(e.shape())
                            + " (model.json " + Arrays.toString(listed) + "), the architecture needs " + Arrays.toString(p.value().shape()));
                }
                readF32(backend, r.data(e), p.value());
            }
            if (r.entries().size() != model.parameters().size()) {
                throw new IllegalArgumentException(wfile + ": holds " + r.entries().size() + " tensors, the architecture has "
                        + model.parameters().size());
            }
        } catch (IOException e) {
            model.close();
            throw new UncheckedIOException(e.getMessage(), e);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return model;
    }

    private static void readF32(Backend backend, MemorySegment src, Tensor t) {
        if (t.dtype() == DType.F32 && NATIVE_LE) {
            backend.copyFromHost(src, t);
            return;
        }
        try (Arena a = Arena.ofConfined()) {
            Tensor host = Tensor.wrap(t.dtype(), a.allocate(Math.max(1, t.byteSize()), 64).asSlice(0, t.byteSize()), t.shape());
            for (long i = 0; i < t.size(); i++) {
                host.set(i, src.getAtIndex(F32_LE, i));
            }
            backend.copyFromHost(host.segment(), t);
        }
    }

    // ------------------------------------------------------------------ JSON parts

    /** The schema as stored in model.json. */
    public static Map<String, Object> schemaToJson(FeatureSchema s) {
        Map<String, Object> m = new LinkedHashMap<>();
        List<Object> sparse = new ArrayList<>();
        for (SparseField f : s.sparse()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("name", f.name());
            x.put("role", f.role().name().toLowerCase(Locale.ROOT));
            sparse.add(x);
        }
        m.put("sparse", sparse);
        List<Object> seqs = new ArrayList<>();
        for (SequenceField f : s.sequences()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("name", f.name());
            x.put("table", f.table());
            seqs.add(x);
        }
        m.put("sequences", seqs);
        m.put("dense", new ArrayList<Object>(s.dense()));
        m.put("tasks", new ArrayList<Object>(s.tasks()));
        return m;
    }

    /** Reads a schema written by {@link #schemaToJson}. */
    public static FeatureSchema schemaFromJson(Json.Obj o) {
        List<SparseField> sparse = new ArrayList<>();
        for (Json.Obj f : o.objects("sparse")) {
            sparse.add(new SparseField(f.str("name"), FieldRole.valueOf(f.str("role").toUpperCase(Locale.ROOT))));
        }
        List<SequenceField> seqs = new ArrayList<>();
        for (Json.Obj f : o.objects("sequences")) {
            seqs.add(new SequenceField(f.str("name"), f.str("table")));
        }
        return new FeatureSchema(sparse, seqs, o.strings("dense"), o.strings("tasks"));
    }

    private static Map<String, Object> vocabulariesToJson(Model model) {
        Map<String, Object> m = new LinkedHashMap<>();
        int[] sizes = model.vocabSizes();
        for (int f = 0; f < sizes.length; f++) {
            String name = model.schema().sparse().get(f).name();
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("size", sizes[f]);
            Vocabulary voc = model.vocabularies() == null ? null : model.vocabularies().get(name);
            if (voc != null) {
                v.put("tokens", new ArrayList<Object>(voc.tokens()));
                v.put("counts", voc.counts());
            }
            m.put(name, v);
        }
        return m;
    }
}
