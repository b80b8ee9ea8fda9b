package io.din4j.io;

import io.din4j.json.Json;
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
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A model on disk: a directory with {@code model.json} (format version, config, schema, vocabulary sizes, training
 * metadata, the tensor list and the SHA-256 of the other files), {@code vocabularies.bin} (raw ids and counts,
 * streamed; format 1 kept them in model.json) and {@code weights.safetensors} (f32 little-endian, {@code nn.Linear}
 * layout {@code [out, in]}). See docs/model-format.md.
 *
 * <p>Saving is atomic: everything is written into a temporary sibling directory that is then renamed over the
 * target, so a crash never leaves a half-written model. Loading validates the file against model.json and the
 * architecture, with errors that name the file.
 */
public final class ModelFiles {
    /** Format version written; readers accept this and every earlier version. */
    public static final int FORMAT_VERSION = 2;
    public static final String MODEL_JSON = "model.json";
    public static final String WEIGHTS = "weights.safetensors";
    /** The vocabularies' raw ids and counts (format 2; format 1 kept them inline in model.json). */
    public static final String VOCABULARIES = VocabularyFile.NAME;
    /** Extra tensors of a checkpoint (optimizer state), when saved. */
    public static final String STATE = "state.safetensors";

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final boolean NATIVE_LE = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private ModelFiles() {
    }

    /** Saves {@code model} into {@code dir} (replaced atomically if it exists) with optional training metadata. */
    public static void save(Model model, Path dir, Map<String, Object> training) {
        save(model, dir, training, Map.of());
    }

    /**
     * Saves {@code model} and, when {@code state} is not empty, extra named tensors (a trainer's optimizer state)
     * into {@link #STATE} with their own checksum, all replaced together.
     *
     * <p>Crash safety: every file is written into a temporary sibling directory and forced to disk (file and
     * directory fsync); then the old directory is renamed to {@code .<name>.old}, the new one into place, and the
     * old one deleted. A crash at any point leaves either the complete old or the complete new model: between the
     * two renames only {@code .<name>.old} exists, and {@link #load} and the next save use it.
     */
    public static void save(Model model, Path dir, Map<String, Object> training, Map<String, Tensor> state) {
        Path target = dir.toAbsolutePath().normalize();
        Path parent = target.getParent();
        Path tmp = parent.resolve("." + target.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        try {
            Files.createDirectories(parent);
            recover(target);
            Files.createDirectory(tmp);
            Map<String, Tensor> weights = new LinkedHashMap<>();
            Map<String, String> kinds = new LinkedHashMap<>();
            for (Param p : model.parameters()) {
                weights.put(p.name(), p.value());
                kinds.put(p.name(), p.kind().name().toLowerCase(Locale.ROOT));
            }
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("format", "din4j-model");
            json.put("format_version", FORMAT_VERSION);
            json.put("config", model.config().toJson());
            json.put("schema", schemaToJson(model.schema()));
            json.put("vocabularies", vocabulariesToJson(model));
            json.put("training", training == null ? Map.of() : training);
            json.put("weights", writeTensors(model.backend(), tmp.resolve(WEIGHTS), weights, kinds));
            if (!state.isEmpty()) {
                json.put("state", writeTensors(model.backend(), tmp.resolve(STATE), state, Map.of()));
            }
            if (model.vocabularies() != null) {
                Path vfile = tmp.resolve(VOCABULARIES);
                String vsha = VocabularyFile.write(vfile, model.schema(), model.vocabularies());
                fsync(vfile);
                Map<String, Object> vf = new LinkedHashMap<>();
                vf.put("file", VOCABULARIES);
                vf.put("sha256", vsha);
                json.put("vocabulary_file", vf);
            }
            Path jsonFile = tmp.resolve(MODEL_JSON);
            Files.writeString(jsonFile, Json.write(json), StandardCharsets.UTF_8);
            fsync(jsonFile);
            fsync(tmp);
            replace(tmp, target);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new UncheckedIOException("cannot save model to " + target + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            deleteQuietly(tmp);
            throw e;
        }
    }

    /** Writes backend tensors as an F32 safetensors file; returns its model.json description. */
    private static Map<String, Object> writeTensors(Backend backend, Path file, Map<String, Tensor> tensors,
                                                    Map<String, String> kinds) throws IOException {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, SafeTensors.Source> sources = new LinkedHashMap<>();
        List<Object> list = new ArrayList<>();
        tensors.forEach((name, t) -> {
            shapes.put(name, t.shape());
            sources.put(name, dst -> writeF32(backend, t, dst));
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", name);
            e.put("shape", t.shape());
            if (kinds.containsKey(name)) {
                e.put("kind", kinds.get(name));
            }
            list.add(e);
        });
        String sha = SafeTensors.write(file, shapes, sources,
                Map.of("format", "din4j", "format_version", String.valueOf(FORMAT_VERSION)));
        Map<String, Object> w = new LinkedHashMap<>();
        w.put("file", file.getFileName().toString());
        w.put("sha256", sha);
        w.put("dtype", "F32");
        w.put("tensors", list);
        return w;
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

    private static Path oldOf(Path target) {
        return target.resolveSibling("." + target.getFileName() + ".old");
    }

    /**
     * Finishes what a crashed save left: the old directory alone means the crash fell between the two renames
     * (put it back); both means it fell after them (drop the old one). Stale temporary directories of dead
     * processes are removed.
     */
    private static void recover(Path target) throws IOException {
        Path old = oldOf(target);
        if (Files.exists(old)) {
            if (Files.exists(target)) {
                deleteQuietly(old);
            } else {
                Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
            }
        }
        String prefix = "." + target.getFileName() + ".tmp-";
        try (Stream<Path> s = Files.list(target.getParent())) {
            for (Path p : s.filter(x -> x.getFileName().toString().startsWith(prefix)).toList()) {
                String rest = p.getFileName().toString().substring(prefix.length());
                int dash = rest.indexOf('-');
                try {
                    long pid = Long.parseLong(dash < 0 ? rest : rest.substring(0, dash));
                    if (ProcessHandle.of(pid).isEmpty()) {
                        deleteQuietly(p);
                    }
                } catch (NumberFormatException ignored) {
                    // not ours
                }
            }
        }
    }

    private static void replace(Path tmp, Path target) throws IOException {
        Path old = oldOf(target);
        boolean hadOld = Files.exists(target);
        if (hadOld) {
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target);
        }
        fsync(target.getParent());
        if (hadOld) {
            deleteQuietly(old);
        }
    }

    /** Forces a file or directory to disk; directories cannot be opened on every platform, which is tolerated. */
    private static void fsync(Path p) throws IOException {
        boolean dir = Files.isDirectory(p);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            if (!dir) {
                throw e;
            }
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

    /** The largest model.json a reader accepts (format 1 kept vocabularies in it; the bound caps memory). */
    public static final long MAX_JSON_BYTES = 512L << 20;

    /** Key of the {@code training} metadata under which the trainer records how data was read. */
    public static final String TRAINING_DATA = "data";
    /** Key, under {@link #TRAINING_DATA}, of the history limit the model was trained with (0 or absent: none). */
    public static final String TRAINED_MAX_HISTORY = "max_history";

    /** model.json, parsed: what a model directory describes before any weights are read. */
    public record Info(int formatVersion, ModelConfig config, FeatureSchema schema, int[] vocabSizes,
                       Map<String, Vocabulary> vocabularies, Map<String, Object> training, String sha256,
                       Map<String, long[]> tensors) {
        /**
         * The most recent behaviours per history the model was trained on ({@code training.data.max_history}), or 0
         * when training kept every behaviour. Scoring cuts histories the same way, so a request sees what training
         * saw. Not {@code config.max_history}: that is only the history length buffers are first planned for.
         */
        public int historyLimit() {
            Object d = training == null ? null : training.get(TRAINING_DATA);
            if (d instanceof Map<?, ?> m && m.get(TRAINED_MAX_HISTORY) instanceof Number n) {
                long v = n.longValue();
                if (v < 0 || v > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("training." + TRAINING_DATA + "." + TRAINED_MAX_HISTORY + " = " + v
                            + " is not a history length");
                }
                return (int) v;
            }
            return 0;
        }
    }

    /** A loaded model with the model.json description it was built from. */
    public record Loaded(Info info, Model model) {
    }

    /**
     * Fails with one clear message when {@code dir} cannot be a model directory: missing, not a directory, or
     * without model.json (and no {@code .<name>.old} left by an interrupted save).
     */
    private static void requireModelDir(Path dir) {
        if (Files.isDirectory(located(dir))) {
            if (Files.exists(located(dir).resolve(MODEL_JSON))) {
                return;
            }
            throw new UncheckedIOException(dir + ": not a din4j model directory (no " + MODEL_JSON + ")",
                    new NoSuchFileException(dir.resolve(MODEL_JSON).toString()));
        }
        String why = Files.exists(dir) ? "not a directory (a model is a directory with " + MODEL_JSON + " and " + WEIGHTS + ")"
                : "no such directory";
        throw new UncheckedIOException(dir + ": " + why, new NoSuchFileException(dir.toString()));
    }

    /** An I/O failure on {@code file} as one message that names the file once. */
    private static UncheckedIOException ioFailure(String verb, Path file, IOException e) {
        String detail = switch (e) {
            case NoSuchFileException x -> "no such file";
            case AccessDeniedException x -> "permission denied";
            default -> e.getMessage() == null || e.getMessage().equals(file.toString()) ? e.getClass().getSimpleName() : e.getMessage();
        };
        return new UncheckedIOException("cannot " + verb + " " + file + ": " + detail, e);
    }

    /**
     * The directory to read: {@code dir} itself, or its {@code .<name>.old} sibling when a save crashed between
     * its two renames (see {@link #save(Model, Path, Map, Map)}).
     */
    private static Path located(Path dir) {
        if (!Files.exists(dir.resolve(MODEL_JSON)) && Files.exists(oldOf(dir.toAbsolutePath().normalize()).resolve(MODEL_JSON))) {
            return oldOf(dir.toAbsolutePath().normalize());
        }
        return dir;
    }

    private static Json.Obj readJson(Path file) {
        String text;
        try {
            long size = Files.size(file);
            if (size > MAX_JSON_BYTES) {
                throw new ModelFormatException(file, "is " + size + " bytes, more than the " + MAX_JSON_BYTES + " a model.json may have");
            }
            byte[] bytes = Files.readAllBytes(file);
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ModelFormatException(file, "is not UTF-8");
        } catch (IOException e) {
            throw ioFailure("read", file, e);
        }
        try {
            return new Json.Obj(Json.parseObject(text), "model.json");
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, e.getMessage(), e);
        }
    }

    /** Reads and checks {@code <dir>/model.json}. Malformed or inconsistent content: {@link ModelFormatException}. */
    public static Info readInfo(Path dir) {
        requireModelDir(dir);
        Path file = located(dir).resolve(MODEL_JSON);
        Json.Obj o = readJson(file);
        try {
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
                if (sizes[f] < 1) {
                    throw new IllegalArgumentException("vocabulary '" + name + "' has size " + sizes[f] + " (at least the out-of-vocabulary row)");
                }
                // Format 1: ids inline. Format 2 keeps them in vocabularies.bin, read below.
                if (v.has("tokens")) {
                    List<String> tokens = v.strings("tokens");
                    long[] counts = v.has("counts") ? v.longs("counts") : new long[tokens.size()];
                    if (tokens.size() != sizes[f]) {
                        throw new IllegalArgumentException("vocabulary '" + name + "' has " + tokens.size() + " tokens but size " + sizes[f]);
                    }
                    vocabs.put(name, Vocabulary.of(tokens, counts));
                }
            }
            if (o.has("vocabulary_file")) {
                Json.Obj vf = o.obj("vocabulary_file");
                // A fixed name: a path taken from the file could point anywhere on disk.
                if (!VOCABULARIES.equals(vf.str("file"))) {
                    throw new IllegalArgumentException("vocabulary_file.file is '" + vf.str("file") + "'; din4j reads " + VOCABULARIES);
                }
                String vsha = vf.str("sha256");
                if (!vsha.matches("[0-9a-f]{64}")) {
                    throw new IllegalArgumentException("vocabulary_file.sha256 '" + vsha + "' is not a SHA-256 in lower-case hex");
                }
                vocabs = VocabularyFile.read(file.resolveSibling(VOCABULARIES), schema, sizes, vsha);
            }
            Json.Obj w = o.obj("weights");
            if (!"F32".equals(w.str("dtype", "F32"))) {
                throw new IllegalArgumentException("weights.dtype is '" + w.str("dtype") + "'; din4j reads F32");
            }
            Map<String, long[]> tensors = tensorList(w, "weights");
            String sha = w.str("sha256");
            if (!sha.matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException("weights.sha256 '" + sha + "' is not a SHA-256 in lower-case hex");
            }
            Map<String, Object> training = o.has("training") ? o.obj("training").map() : Map.of();
            return new Info(version, config, schema, sizes, vocabs.size() == n ? vocabs : null, training, sha, tensors);
        } catch (ModelFormatException e) {
            throw e;
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new ModelFormatException(file, e.getMessage(), e);
        }
    }

    /** The {@code tensors} list of a file description: unique names, non-negative dimensions. */
    private static Map<String, long[]> tensorList(Json.Obj w, String what) {
        Map<String, long[]> tensors = new LinkedHashMap<>();
        for (Json.Obj t : w.objects("tensors")) {
            String name = t.str("name");
            long[] shape = t.longs("shape");
            for (long d : shape) {
                if (d < 0) {
                    throw new IllegalArgumentException(what + ": tensor '" + name + "' has a negative dimension " + Arrays.toString(shape));
                }
            }
            if (tensors.put(name, shape) != null) {
                throw new IllegalArgumentException(what + ": tensor '" + name + "' is listed twice");
            }
        }
        return tensors;
    }

    /** Opens a safetensors file; structural problems are {@link ModelFormatException}s, I/O failures unchecked. */
    private static SafeTensors.Reader open(Path file) {
        try {
            return new SafeTensors.Reader(file);
        } catch (IOException e) {
            throw ioFailure("read", file, e);
        }
    }

    /** Checks a safetensors file against its model.json description: checksum, then tensor names and shapes. */
    private static void verify(SafeTensors.Reader r, Path file, String sha256, Map<String, long[]> listed) {
        String sha = r.sha256();
        if (!sha.equals(sha256)) {
            throw new ModelFormatException(file, "checksum " + sha + " does not match model.json (" + sha256
                    + "); the file is corrupt or belongs to another model");
        }
        if (!r.entries().keySet().equals(listed.keySet())) {
            throw new ModelFormatException(file, "tensors " + r.entries().keySet() + " differ from model.json's " + listed.keySet());
        }
        for (SafeTensors.Entry e : r.entries().values()) {
            if (!Arrays.equals(e.shape(), listed.get(e.name()))) {
                throw new ModelFormatException(file, "tensor '" + e.name() + "' has shape " + Arrays.toString(e.shape())
                        + " but model.json lists " + Arrays.toString(listed.get(e.name())));
            }
        }
    }

    /**
     * Loads a model directory onto {@code backend}, planned for {@code maxBatch} rows. Everything is checked before
     * tensor memory is allocated or read: model.json (size, JSON, config and schema bounds), the weights file's
     * structure ({@link SafeTensors.Reader}), its SHA-256 against model.json, the tensor list against model.json,
     * and the architecture against the file — the model is built with a parameter budget derived from the file's
     * size, so a config inflated by corruption fails instead of allocating — then tensor by tensor.
     *
     * @throws ModelFormatException  for any malformed, inconsistent or corrupt content (the message names the file)
     * @throws UncheckedIOException  when a file cannot be read
     */
    public static Model load(Path dir, Backend backend, int maxBatch) {
        return loadWithInfo(dir, backend, maxBatch).model();
    }

    /** {@link #load}, also returning the model.json description (read once). */
    public static Loaded loadWithInfo(Path dir, Backend backend, int maxBatch) {
        requireModelDir(dir);
        Path home = located(dir);
        Info info = readInfo(home);
        Path jsonFile = home.resolve(MODEL_JSON);
        Path wfile = home.resolve(WEIGHTS);
        try (SafeTensors.Reader r = open(wfile)) {
            verify(r, wfile, info.sha256(), info.tensors());
            long elements = 0;
            for (SafeTensors.Entry e : r.entries().values()) {
                elements += e.count();
            }
            Model model;
            try {
                // Twice the file's scalars: room for what the file does not hold (embedding frequencies, Dice
                // batch statistics) while bounding what a corrupt config can make us allocate.
                model = Model.restore(info.config(), info.schema(), info.vocabSizes(), info.vocabularies(), backend,
                        maxBatch, 2 * elements + 4096);
            } catch (IllegalArgumentException | ArithmeticException e) {
                throw new ModelFormatException(jsonFile, "describes a model that cannot be built from " + wfile.getFileName()
                        + ": " + e.getMessage(), e);
            }
            try {
                for (Param p : model.parameters()) {
                    SafeTensors.Entry e = r.entries().get(p.name());
                    if (e == null) {
                        throw new ModelFormatException(wfile, "missing tensor '" + p.name() + "' that the architecture needs");
                    }
                    if (!Arrays.equals(e.shape(), p.value().shape())) {
                        throw new ModelFormatException(wfile, "tensor '" + p.name() + "' has shape " + Arrays.toString(e.shape())
                                + ", the architecture in model.json needs " + Arrays.toString(p.value().shape()));
                    }
                    requireFinite(wfile, p.name(), r.data(e));
                    readF32(backend, r.data(e), p.value());
                    p.changed();
                }
                if (r.entries().size() != model.parameters().size()) {
                    throw new ModelFormatException(wfile, "holds " + r.entries().size() + " tensors, the architecture has "
                            + model.parameters().size());
                }
            } catch (RuntimeException e) {
                model.close();
                throw e;
            }
            return new Loaded(info, model);
        }
    }

    /**
     * Reads the extra tensors saved with {@link #save(Model, Path, Map, Map)} into {@code into} (same names, same
     * shapes, each tensor on {@code backend}), with the same checks as the weights.
     *
     * @throws ModelFormatException when the directory has no state, or it is corrupt or does not match {@code into}
     */
    public static void readState(Path dir, Backend backend, Map<String, Tensor> into) {
        requireModelDir(dir);
        Path home = located(dir);
        Path jsonFile = home.resolve(MODEL_JSON);
        Json.Obj o = readJson(jsonFile);
        Map<String, long[]> listed;
        String sha;
        try {
            if (!o.has("state")) {
                throw new IllegalArgumentException("no saved state (a checkpoint written without optimizer state)");
            }
            Json.Obj s = o.obj("state");
            listed = tensorList(s, "state");
            sha = s.str("sha256");
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(jsonFile, e.getMessage(), e);
        }
        Path file = home.resolve(STATE);
        try (SafeTensors.Reader r = open(file)) {
            verify(r, file, sha, listed);
            if (!r.entries().keySet().equals(into.keySet())) {
                throw new ModelFormatException(file, "holds state " + r.entries().keySet() + ", expected " + into.keySet());
            }
            into.forEach((name, t) -> {
                SafeTensors.Entry e = r.entries().get(name);
                if (!Arrays.equals(e.shape(), t.shape())) {
                    throw new ModelFormatException(file, "state '" + name + "' has shape " + Arrays.toString(e.shape())
                            + ", expected " + Arrays.toString(t.shape()));
                }
                requireFinite(file, name, r.data(e));
                readF32(backend, r.data(e), t);
            });
        }
    }

    /** A trained model never holds NaN or infinity; one in a file is corruption that a checksum cannot see. */
    private static void requireFinite(Path file, String name, MemorySegment src) {
        long n = src.byteSize() / 4;
        for (long i = 0; i < n; i++) {
            float v = src.getAtIndex(F32_LE, i);
            if (!Float.isFinite(v)) {
                throw new ModelFormatException(file, "tensor '" + name + "' holds " + v + " at index " + i);
            }
        }
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
            m.put(name, v);
        }
        return m;
    }
}
