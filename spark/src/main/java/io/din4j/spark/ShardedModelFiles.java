package io.din4j.spark;

import io.din4j.backend.Backend;
import io.din4j.backend.Backends;
import io.din4j.graph.HostIO;
import io.din4j.graph.Param;
import io.din4j.io.Json;
import io.din4j.io.ModelFiles;
import io.din4j.io.ModelFormatException;
import io.din4j.io.SafeTensors;
import io.din4j.model.Model;
import java.io.IOException;
import java.io.Serial;
import java.io.Serializable;
import java.io.UncheckedIOException;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * Sharded model directories (docs/model-format.md, "Sharded model directories"): one directory whose embedding
 * tables are split into several files of consecutive rows, so that no process writes or reads a whole table; every
 * file is a safetensors file checked as the single-directory format's weights are (structure, SHA-256 against
 * model.json, tensor name and shape, finite values). {@link #save} and {@link #load} run on Spark (executors write and
 * read the table files, so the directory must be on a file system the driver and every executor see);
 * {@link #fromSingle} and {@link #toSingle} convert to and from the single-directory format in one JVM.
 */
public final class ShardedModelFiles {
    /** {@code format} of a sharded directory's model.json. */
    public static final String FORMAT = "din4j-sharded-model";
    public static final int FORMAT_VERSION = 1;
    public static final String DENSE = "dense.safetensors";
    public static final String TABLES = "tables";
    /** Rows per table file unless told otherwise: 2^20 rows of 32 floats is 128 MiB. */
    public static final int DEFAULT_ROWS_PER_FILE = 1 << 20;
    /** Table file names: {@code tables/<tensor>.<part, 5 digits or more>.safetensors}; nothing else is read. */
    private static final Pattern PART_FILE = Pattern.compile(TABLES + "/(emb\\.[^/\\\\]+)\\.(\\d{5,})\\.safetensors");
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private ShardedModelFiles() {
    }

    /** One table file: rows {@code [firstRow, firstRow + rows)} of a table. */
    record Part(String table, int tableIndex, String file, int firstRow, int rows, int dim, String sha256) implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("file", file);
            m.put("first_row", firstRow);
            m.put("rows", rows);
            m.put("sha256", sha256);
            return m;
        }
    }

    private static String partFile(String table, int part) {
        return String.format("%s/%s.%05d.safetensors", TABLES, table, part);
    }

    /** Writes one table file: {@code rows × dim} values as the tensor {@code table}; returns its SHA-256. */
    static String writePart(Path file, String table, float[] values, int rows, int dim) throws IOException {
        Files.createDirectories(file.getParent());
        Map<String, long[]> shape = Map.of(table, new long[] {rows, dim});
        Map<String, SafeTensors.Source> src = Map.of(table, dst -> {
            for (int i = 0; i < values.length; i++) {
                dst.setAtIndex(F32_LE, i, values[i]);
            }
        });
        return SafeTensors.write(file, shape, src, Map.of("format", "din4j", "format_version", String.valueOf(FORMAT_VERSION)));
    }

    /** Reads and checks one table file against its description: structure, checksum, the one tensor's name and shape, finite values. */
    static float[] readPart(Path dir, Part p) {
        Path file = dir.resolve(p.file());
        try (SafeTensors.Reader r = new SafeTensors.Reader(file)) {
            if (!r.sha256().equals(p.sha256())) {
                throw new ModelFormatException(file, "checksum " + r.sha256() + " does not match model.json (" + p.sha256()
                        + "); the file is corrupt or belongs to another model");
            }
            SafeTensors.Entry e = r.entries().get(p.table());
            if (e == null || r.entries().size() != 1) {
                throw new ModelFormatException(file, "holds tensors " + r.entries().keySet() + ", model.json lists only '" + p.table() + "'");
            }
            if (!Arrays.equals(e.shape(), new long[] {p.rows(), p.dim()})) {
                throw new ModelFormatException(file, "tensor '" + p.table() + "' has shape " + Arrays.toString(e.shape())
                        + " but model.json lists [" + p.rows() + ", " + p.dim() + "]");
            }
            MemorySegment d = r.data(e);
            float[] out = new float[Math.multiplyExact(p.rows(), p.dim())];
            for (int i = 0; i < out.length; i++) {
                out[i] = d.getAtIndex(F32_LE, i);
                if (!Float.isFinite(out[i])) {
                    throw new ModelFormatException(file, "tensor '" + p.table() + "' holds " + out[i] + " at row "
                            + (p.firstRow() + i / p.dim()) + " (rows must be finite)");
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ model.json

    /** What a sharded model.json describes, checked. */
    record Layout(ModelBytes head, ModelFiles.Info info, String denseSha, Map<String, long[]> denseTensors, List<Part> parts) {
    }

    private static byte[] modelJson(ModelBytes head, String denseSha, List<String> denseNames, List<long[]> denseShapes,
                                    String[] tables, int[] rows, int dim, List<Part> parts) {
        Map<String, Object> inner = new LinkedHashMap<>(Json.parseObject(new String(head.modelJson(), StandardCharsets.UTF_8)));
        Map<String, Object> w = new LinkedHashMap<>();
        w.put("file", DENSE);
        w.put("sha256", denseSha);
        w.put("dtype", "F32");
        List<Object> list = new ArrayList<>();
        for (int i = 0; i < denseNames.size(); i++) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", denseNames.get(i));
            e.put("shape", denseShapes.get(i));
            list.add(e);
        }
        w.put("tensors", list);
        inner.put("weights", w);
        List<Object> tl = new ArrayList<>();
        for (int t = 0; t < tables.length; t++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", tables[t]);
            m.put("rows", rows[t]);
            m.put("dim", dim);
            List<Object> ps = new ArrayList<>();
            for (Part p : parts) {
                if (p.tableIndex() == t) {
                    ps.add(p.toJson());
                }
            }
            m.put("parts", ps);
            tl.add(m);
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("format", FORMAT);
        json.put("format_version", FORMAT_VERSION);
        json.put("model", inner);
        json.put("tables", tl);
        return Json.write(json).getBytes(StandardCharsets.UTF_8);
    }

    /** Whether {@code dir} holds a sharded model (its model.json says format {@value #FORMAT}). */
    public static boolean isSharded(Path dir) {
        Path file = dir.resolve(ModelFiles.MODEL_JSON);
        try {
            if (!Files.isRegularFile(file) || Files.size(file) > ModelFiles.MAX_JSON_BYTES) {
                return false;
            }
            return FORMAT.equals(Json.parseObject(Files.readString(file, StandardCharsets.UTF_8)).get("format"));
        } catch (IOException | IllegalArgumentException e) {
            return false; // not readable as a sharded model.json: the single-directory reader will say why
        }
    }

    /** Reads and checks a sharded directory's model.json and vocabularies (no weights read yet). */
    static Layout layout(Path dir) {
        Path file = dir.resolve(ModelFiles.MODEL_JSON);
        if (!Files.isRegularFile(file)) {
            throw new UncheckedIOException(dir + ": not a sharded din4j model directory (no " + ModelFiles.MODEL_JSON + ")",
                    new java.nio.file.NoSuchFileException(file.toString()));
        }
        try {
            if (Files.size(file) > ModelFiles.MAX_JSON_BYTES) {
                throw new ModelFormatException(file, "is larger than the " + ModelFiles.MAX_JSON_BYTES + " bytes a model.json may have");
            }
            Json.Obj o = new Json.Obj(Json.parseObject(Files.readString(file, StandardCharsets.UTF_8)), "model.json");
            if (!FORMAT.equals(o.str("format", ""))) {
                throw new ModelFormatException(file, "is not a sharded din4j model (format '" + o.str("format", "")
                        + "'; a single-directory model loads with ModelFiles.load, or converts with ShardedModelFiles.fromSingle)");
            }
            int version = o.integer("format_version");
            if (version < 1 || version > FORMAT_VERSION) {
                throw new ModelFormatException(file, "format_version " + version + " is not supported (this din4j reads 1 to " + FORMAT_VERSION + ")");
            }
            Json.Obj inner = o.obj("model");
            Path vfile = dir.resolve(ModelFiles.VOCABULARIES);
            byte[] vocab = Files.exists(vfile) ? Files.readAllBytes(vfile) : null;
            ModelBytes head = ModelBytes.of(Json.write(inner.map()).getBytes(StandardCharsets.UTF_8), new byte[0], vocab);
            ModelFiles.Info info;
            try {
                info = ModelFiles.readInfo(head.materialize());
            } catch (ModelFormatException e) {
                throw new ModelFormatException(file, "model: " + e.getMessage(), e);
            }
            Json.Obj w = inner.obj("weights");
            if (!DENSE.equals(w.str("file"))) {
                throw new ModelFormatException(file, "model.weights.file is '" + w.str("file") + "'; a sharded model reads " + DENSE);
            }
            Map<String, long[]> dense = new LinkedHashMap<>();
            for (Json.Obj t : w.objects("tensors")) {
                dense.put(t.str("name"), t.longs("shape"));
            }
            List<String> names = info.schema().sparse().stream().map(f -> "emb." + f.name()).toList();
            List<Json.Obj> tables = o.objects("tables");
            if (tables.size() != names.size()) {
                throw new ModelFormatException(file, "lists " + tables.size() + " tables, the schema has " + names.size());
            }
            List<Part> parts = new ArrayList<>();
            for (int t = 0; t < names.size(); t++) {
                Json.Obj tj = tables.get(t);
                String name = tj.str("name");
                if (!name.equals(names.get(t))) {
                    throw new ModelFormatException(file, "table " + t + " is '" + name + "', the schema's is '" + names.get(t) + "'");
                }
                int rows = tj.integer("rows");
                int dim = tj.integer("dim");
                if (rows != info.vocabSizes()[t] || dim != info.config().embeddingDim()) {
                    throw new ModelFormatException(file, "table '" + name + "' is [" + rows + ", " + dim + "], the model needs ["
                            + info.vocabSizes()[t] + ", " + info.config().embeddingDim() + "]");
                }
                int next = 0;
                for (Json.Obj pj : tj.objects("parts")) {
                    String f = pj.str("file");
                    var m = PART_FILE.matcher(f);
                    if (!m.matches() || !m.group(1).equals(name)) {
                        throw new ModelFormatException(file, "table '" + name + "': part file '" + f + "' is not named "
                                + TABLES + "/" + name + ".NNNNN.safetensors");
                    }
                    int first = pj.integer("first_row");
                    int n = pj.integer("rows");
                    String sha = pj.str("sha256");
                    if (first != next || n < 1) {
                        throw new ModelFormatException(file, "table '" + name + "': part '" + f + "' holds rows " + first + " to "
                                + ((long) first + n - 1) + " where row " + next + " comes next (parts must cover the table in order, without gaps or overlaps)");
                    }
                    if (!sha.matches("[0-9a-f]{64}")) {
                        throw new ModelFormatException(file, "table '" + name + "': sha256 '" + sha + "' is not a SHA-256 in lower-case hex");
                    }
                    parts.add(new Part(name, t, f, first, n, dim, sha));
                    next = first + n;
                }
                if (next != rows) {
                    throw new ModelFormatException(file, "table '" + name + "': parts cover rows 0 to " + (next - 1) + " of " + rows);
                }
            }
            return new Layout(head, info, w.str("sha256"), dense, parts);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (ModelFormatException e) {
            throw e;
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new ModelFormatException(file, e.getMessage(), e);
        }
    }

    /** The dense tensors of a sharded directory, checked against model.json and the architecture, in parameter order. */
    private static float[][] readDense(Path dir, Layout l, List<String> names, List<long[]> shapes) {
        Path file = dir.resolve(DENSE);
        if (!l.denseTensors().keySet().equals(new java.util.LinkedHashSet<>(names))) {
            throw new ModelFormatException(dir.resolve(ModelFiles.MODEL_JSON), "lists dense tensors " + l.denseTensors().keySet()
                    + ", the architecture has " + names);
        }
        try (SafeTensors.Reader r = new SafeTensors.Reader(file)) {
            if (!r.sha256().equals(l.denseSha())) {
                throw new ModelFormatException(file, "checksum " + r.sha256() + " does not match model.json (" + l.denseSha() + ")");
            }
            if (!r.entries().keySet().equals(l.denseTensors().keySet())) {
                throw new ModelFormatException(file, "tensors " + r.entries().keySet() + " differ from model.json's " + l.denseTensors().keySet());
            }
            float[][] out = new float[names.size()][];
            for (int i = 0; i < out.length; i++) {
                SafeTensors.Entry e = r.entries().get(names.get(i));
                if (!Arrays.equals(e.shape(), shapes.get(i)) || !Arrays.equals(e.shape(), l.denseTensors().get(names.get(i)))) {
                    throw new ModelFormatException(file, "tensor '" + names.get(i) + "' has shape " + Arrays.toString(e.shape())
                            + ", the architecture needs " + Arrays.toString(shapes.get(i)));
                }
                out[i] = r.floats(names.get(i));
                for (float v : out[i]) {
                    if (!Float.isFinite(v)) {
                        throw new ModelFormatException(file, "tensor '" + names.get(i) + "' holds " + v);
                    }
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Names and shapes of the architecture's non-embedding tensors (from a model built with one row per table). */
    private static void denseOf(ModelFiles.Info info, List<String> names, List<long[]> shapes) {
        int[] one = new int[info.vocabSizes().length];
        Arrays.fill(one, 1);
        try (Backend cpu = Backends.create("cpu", 1);
             Model m = Model.restore(info.config(), info.schema(), one, null, cpu, 1, Long.MAX_VALUE)) {
            for (Param p : m.parameters()) {
                if (p.kind() != Param.Kind.EMBEDDING) {
                    names.add(p.name());
                    shapes.add(p.value().shape());
                }
            }
        }
    }

    // ------------------------------------------------------------------ Spark

    /**
     * Saves {@code model} into {@code dir} (replaced if it exists): executors write the table files, {@code rowsPerFile}
     * consecutive rows each, into a temporary sibling directory that is renamed into place once model.json is written.
     */
    public static void save(ShardedModel model, Path dir, int rowsPerFile) {
        if (rowsPerFile < 1) {
            throw new IllegalArgumentException("rowsPerFile = " + rowsPerFile + " must be >= 1");
        }
        Path target = dir.toAbsolutePath().normalize();
        Path tmp = tmpDir(target);
        try {
            Files.createDirectories(tmp);
            String tmpPath = tmp.toString();
            int d = model.dim;
            String[] names = model.info.schema().sparse().stream().map(f -> "emb." + f.name()).toArray(String[]::new);
            int[] tableRows = model.tableRows;
            // One group per file: its rows arrive in one task, which checks they are all there and writes them.
            List<Part> parts = new ArrayList<>(model.rows
                    .mapToPair(e -> new Tuple2<>(LocalTables.key(LocalTables.table(e._1()), LocalTables.row(e._1()) / rowsPerFile), e))
                    .groupByKey()
                    .map(g -> {
                        int t = LocalTables.table(g._1());
                        int part = LocalTables.row(g._1());
                        int first = part * rowsPerFile;
                        int n = Math.min(rowsPerFile, tableRows[t] - first);
                        float[] values = new float[n * d];
                        int seen = 0;
                        for (Tuple2<Long, float[]> e : g._2()) {
                            System.arraycopy(e._2(), 0, values, (LocalTables.row(e._1()) - first) * d, d);
                            seen++;
                        }
                        if (seen != n) {
                            throw new IllegalStateException(names[t] + " rows " + first + ".." + (first + n - 1) + ": " + seen + " present");
                        }
                        String file = partFile(names[t], part);
                        String sha = writePart(Path.of(tmpPath).resolve(file), names[t], values, n, d);
                        return new Part(names[t], t, file, first, n, d, sha);
                    }).collect());
            parts.sort(Comparator.comparingInt(Part::tableIndex).thenComparingInt(Part::firstRow));
            finish(model.head, model.denseNames, model.dense, names, tableRows, d, parts, tmp, target);
        } catch (IOException e) {
            deleteTree(tmp);
            throw new UncheckedIOException("cannot save sharded model to " + target + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            deleteTree(tmp);
            throw e;
        }
    }

    /** Loads a sharded directory into {@code partitions} partitions: executors read and check the table files. */
    public static ShardedModel load(JavaSparkContext sc, Path dir, int partitions) {
        Layout l = layout(dir);
        List<String> names = new ArrayList<>();
        List<long[]> shapes = new ArrayList<>();
        denseOf(l.info(), names, shapes);
        float[][] dense = readDense(dir, l, names, shapes);
        String home = dir.toAbsolutePath().toString();
        JavaPairRDD<Long, float[]> rows = sc.parallelize(l.parts(), Math.max(1, Math.min(l.parts().size(), partitions * 4)))
                .flatMapToPair(p -> {
                    float[] v = readPart(Path.of(home), p);
                    List<Tuple2<Long, float[]>> out = new ArrayList<>(p.rows());
                    for (int i = 0; i < p.rows(); i++) {
                        out.add(new Tuple2<>(LocalTables.key(p.tableIndex(), p.firstRow() + i),
                                Arrays.copyOfRange(v, i * p.dim(), (i + 1) * p.dim())));
                    }
                    return out.iterator();
                }).partitionBy(new HashPartitioner(partitions)).persist(StorageLevel.MEMORY_AND_DISK());
        try {
            rows.count();
        } catch (Exception e) {
            // A task's checked SparkException reaches Java undeclared (Scala), hence the broad catch.
            rows.unpersist(false);
            throw unwrap(e);
        }
        return new ShardedModel(l.head(), l.info(), names, dense, rows);
    }

    /** A task's failure to read a file, as the file's own exception (one clear message) when it is one. */
    private static RuntimeException unwrap(Exception e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof ModelFormatException m) {
                return m;
            }
        }
        String msg = e.getMessage() == null ? "" : e.getMessage();
        var m = Pattern.compile("ModelFormatException: ([^\\n]+)").matcher(msg);
        if (m.find()) {
            return new IllegalArgumentException(m.group(1), e);
        }
        return new IllegalStateException(msg, e);
    }

    // ------------------------------------------------------------------ conversions (one JVM)

    /** Converts a single-directory model into a sharded directory of {@code rowsPerFile} rows per table file. */
    public static void fromSingle(Path single, Path sharded, int rowsPerFile) {
        if (rowsPerFile < 1) {
            throw new IllegalArgumentException("rowsPerFile = " + rowsPerFile + " must be >= 1");
        }
        Path target = sharded.toAbsolutePath().normalize();
        Path tmp = tmpDir(target);
        try (Backend cpu = Backends.create("cpu", 1); Model model = ModelFiles.load(single, cpu, 1)) {
            Files.createDirectories(tmp);
            ModelBytes head = ModelBytes.read(single).withoutWeights();
            List<String> denseNames = new ArrayList<>();
            List<float[]> dense = new ArrayList<>();
            List<String> names = new ArrayList<>();
            List<Part> parts = new ArrayList<>();
            int d = model.config().embeddingDim();
            for (Param p : model.parameters()) {
                float[] v = HostIO.downloadFloats(cpu, p.value());
                if (p.kind() != Param.Kind.EMBEDDING) {
                    denseNames.add(p.name());
                    dense.add(v);
                    continue;
                }
                int t = names.size();
                names.add(p.name());
                int rows = v.length / d;
                for (int first = 0, part = 0; first < rows; first += rowsPerFile, part++) {
                    int n = Math.min(rowsPerFile, rows - first);
                    String file = partFile(p.name(), part);
                    String sha = writePart(tmp.resolve(file), p.name(), Arrays.copyOfRange(v, first * d, (first + n) * d), n, d);
                    parts.add(new Part(p.name(), t, file, first, n, d, sha));
                }
            }
            finish(head, denseNames, dense.toArray(float[][]::new), names.toArray(String[]::new), model.vocabSizes(), d, parts, tmp, target);
        } catch (IOException e) {
            deleteTree(tmp);
            throw new UncheckedIOException("cannot convert " + single + " to " + target + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            deleteTree(tmp);
            throw e;
        }
    }

    /** Converts a sharded directory into a single-directory model (which must fit this JVM), every file checked. */
    public static void toSingle(Path sharded, Path single) {
        Layout l = layout(sharded);
        List<String> names = new ArrayList<>();
        List<long[]> shapes = new ArrayList<>();
        denseOf(l.info(), names, shapes);
        float[][] dense = readDense(sharded, l, names, shapes);
        ModelFiles.Info info = l.info();
        try (Backend cpu = Backends.create("cpu", 1);
             Model model = Model.restore(info.config(), info.schema(), info.vocabSizes(), info.vocabularies(), cpu, 1, Long.MAX_VALUE)) {
            int d = info.config().embeddingDim();
            Map<Integer, float[]> tables = new HashMap<>();
            for (Part p : l.parts()) {
                float[] v = readPart(sharded, p);
                float[] all = tables.computeIfAbsent(p.tableIndex(), t -> new float[Math.multiplyExact(info.vocabSizes()[t], d)]);
                System.arraycopy(v, 0, all, p.firstRow() * d, v.length);
            }
            int di = 0;
            int ti = 0;
            for (Param p : model.parameters()) {
                HostIO.upload(cpu, p.value(), p.kind() == Param.Kind.EMBEDDING ? tables.get(ti++) : dense[di++]);
            }
            ModelFiles.save(model, single, info.training());
        }
    }

    // ------------------------------------------------------------------ helpers

    private static void finish(ModelBytes head, List<String> denseNames, float[][] dense, String[] tables, int[] rows, int dim,
                               List<Part> parts, Path tmp, Path target) throws IOException {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, SafeTensors.Source> src = new LinkedHashMap<>();
        List<long[]> shapeList = new ArrayList<>();
        ModelFiles.Info info = ModelFiles.readInfo(head.materialize());
        List<String> names = new ArrayList<>();
        List<long[]> archShapes = new ArrayList<>();
        denseOf(info, names, archShapes);
        if (!names.equals(denseNames)) {
            throw new IllegalStateException("dense tensors " + denseNames + " differ from the architecture's " + names);
        }
        for (int i = 0; i < denseNames.size(); i++) {
            float[] v = dense[i];
            shapes.put(denseNames.get(i), archShapes.get(i));
            shapeList.add(archShapes.get(i));
            src.put(denseNames.get(i), dst -> {
                for (int j = 0; j < v.length; j++) {
                    dst.setAtIndex(F32_LE, j, v[j]);
                }
            });
        }
        String denseSha = SafeTensors.write(tmp.resolve(DENSE), shapes, src,
                Map.of("format", "din4j", "format_version", String.valueOf(FORMAT_VERSION)));
        byte[] vocab = head.vocabularies();
        if (vocab != null) {
            Files.write(tmp.resolve(ModelFiles.VOCABULARIES), vocab);
        }
        Files.write(tmp.resolve(ModelFiles.MODEL_JSON), modelJson(head, denseSha, denseNames, shapeList, tables, rows, dim, parts));
        Path old = target.resolveSibling("." + target.getFileName() + ".old");
        boolean hadOld = Files.exists(target);
        if (hadOld) {
            deleteTree(old);
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target);
        }
        if (hadOld) {
            deleteTree(old);
        }
    }

    private static Path tmpDir(Path target) {
        return target.resolveSibling("." + target.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
    }

    private static void deleteTree(Path p) {
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
