package io.din4j.data.prepare;

import io.din4j.data.DataException;
import io.din4j.data.FeatureSchema;
import io.din4j.data.FieldRole;
import io.din4j.data.Row;
import io.din4j.data.SparseField;
import io.din4j.data.csv.Csv;
import io.din4j.data.csv.CsvRecordReader;
import io.din4j.data.csv.SchemaFiles;
import io.din4j.data.csv.SequenceCsvWriter;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Converts public data sets to canonical sequence CSVs (docs/data-format.md): Amazon reviews and Taobao
 * UserBehavior by the DIN paper's protocol, and Ali-CCP / AliExpress-style multi-task CSVs. Inputs may be gzipped.
 */
public final class Prepare {
    private Prepare() {
    }

    /**
     * Amazon reviews (the DIN paper's data). {@code reviews}: JSON lines with {@code reviewerID}, {@code asin},
     * {@code unixReviewTime} (the 5-core files); {@code meta}: one object per line with {@code asin} and
     * {@code categories} (a list of category paths; the last path's last, most specific entry is used, as the
     * DIN authors did) or {@code category} (a list; its last entry). Both strict JSON and Python-literal lines are
     * accepted. Items without metadata get category {@code unknown}.
     */
    public static PrepareSummary amazon(Path reviews, Path meta, Path trainOut, Path testOut, int maxHistory, long seed) throws IOException {
        BehaviourLog log = new BehaviourLog();
        forEachLiteral(reviews, (obj, line) -> {
            String user = field(obj, "reviewerID", reviews, line);
            String item = field(obj, "asin", reviews, line);
            String time = field(obj, "unixReviewTime", reviews, line);
            long t;
            try {
                t = (long) Double.parseDouble(time);
            } catch (NumberFormatException e) {
                throw new DataException(reviews.toString(), line, "unixReviewTime", "field unixReviewTime: '" + time + "' is not a number");
            }
            log.add(user, item, null, t);
        });
        if (meta != null) {
            forEachLiteral(meta, (obj, line) -> {
                String item = field(obj, "asin", meta, line);
                if (log.hasItem(item)) {
                    String c = lastCategory(obj);
                    if (c != null) {
                        log.setCategory(item, c);
                    }
                }
            });
        }
        return writeLog(log, trainOut, testOut, maxHistory, 0, seed);
    }

    /**
     * Taobao UserBehavior ({@code user_id,item_id,category_id,behavior_type,timestamp}, no header) by the same
     * protocol as Amazon. {@code behaviours}: the behaviour types kept (pv, buy, cart, fav), empty = all.
     */
    public static PrepareSummary taobao(Path input, Path trainOut, Path testOut, Set<String> behaviours, int maxHistory,
                                        int samplesPerUser, long seed) throws IOException {
        BehaviourLog log = new BehaviourLog();
        String file = input.toString();
        try (CsvRecordReader r = records(input)) {
            String[] f;
            while ((f = r.next()) != null) {
                if (f.length != 5) {
                    throw new DataException(file, r.line(), null, f.length + " fields, expected 5 (user_id,item_id,category_id,behavior_type,timestamp)");
                }
                if (!behaviours.isEmpty() && !behaviours.contains(f[3])) {
                    continue;
                }
                long t;
                try {
                    t = Long.parseLong(f[4].trim());
                } catch (NumberFormatException e) {
                    throw new DataException(file, r.line(), "timestamp", "column timestamp: '" + f[4] + "' is not an integer"
                            + (r.line() == 1 ? " (the file must not have a header)" : ""));
                }
                log.add(f[0], f[1], f[2], t);
            }
        }
        return writeLog(log, trainOut, testOut, maxHistory, samplesPerUser, seed);
    }

    private static PrepareSummary writeLog(BehaviourLog log, Path trainOut, Path testOut, int maxHistory, int samplesPerUser, long seed) throws IOException {
        try (SequenceCsvWriter tr = new SequenceCsvWriter(Csv.create(trainOut), BehaviourLog.schema());
             SequenceCsvWriter te = new SequenceCsvWriter(Csv.create(testOut), BehaviourLog.schema())) {
            return log.write(tr, te, maxHistory, samplesPerUser, seed);
        }
    }

    /**
     * Options of {@link #aliccp}.
     *
     * @param click                  click label column
     * @param conversion             conversion label column
     * @param user                   column to write as {@code user_id} (for GAUC), or null
     * @param item                   column to write as {@code item_id}, or null
     * @param category               column to write as {@code cate_id}, or null
     * @param dense                  dense columns (besides those named numerical* or dense*)
     * @param drop                   columns left out (e.g. a row id)
     * @param conversionOnlyOnClicks leave conversion empty on unclicked rows (conversion's sample space is clicks,
     *                               as in ESMM and PLE's CVR task)
     * @param testFraction           share of rows sent to the test file when there is no separate test input
     * @param seed                   seed of that split
     */
    public record AliCcpOptions(String click, String conversion, String user, String item, String category, Set<String> dense,
                                Set<String> drop, boolean conversionOnlyOnClicks, double testFraction, long seed) {
    }

    /**
     * Ali-CCP / AliExpress-style CSV with a header, click and conversion labels, sparse and dense feature columns.
     * Writes canonical CSVs with tasks {@code click,conversion} and a schema file describing them.
     *
     * @param testInput a separate test file with the same header, or null to split {@code input}
     */
    public static PrepareSummary aliccp(Path input, Path testInput, Path trainOut, Path testOut, Path schemaOut, AliCcpOptions o) throws IOException {
        String[] header;
        try (CsvRecordReader r = records(input)) {
            header = r.next();
        }
        if (header == null) {
            throw new DataException(input.toString(), 0, null, "empty file: expected a header row");
        }
        List<String> cols = List.of(header);
        int click = require(cols, o.click(), input, "click");
        int conv = require(cols, o.conversion(), input, "conversion");
        List<SparseField> sparse = new ArrayList<>();
        List<Integer> sparseSrc = new ArrayList<>();
        mapCanonical(cols, o.user(), SchemaFiles.USER, FieldRole.USER, input, sparse, sparseSrc);
        mapCanonical(cols, o.item(), SchemaFiles.ITEM, FieldRole.ITEM, input, sparse, sparseSrc);
        mapCanonical(cols, o.category(), SchemaFiles.CATEGORY, FieldRole.CATEGORY, input, sparse, sparseSrc);
        for (String d : o.dense()) {
            require(cols, d, input, "dense");
        }
        for (String d : o.drop()) {
            require(cols, d, input, "dropped");
        }
        List<String> dense = new ArrayList<>();
        List<Integer> denseSrc = new ArrayList<>();
        for (int i = 0; i < header.length; i++) {
            String h = header[i];
            if (i == click || i == conv || sparseSrc.contains(i) || o.drop().contains(h)) {
                continue;
            }
            String lower = h.toLowerCase(Locale.ROOT);
            if (o.dense().contains(h) || lower.startsWith("numerical") || lower.startsWith("dense")) {
                dense.add(h);
                denseSrc.add(i);
            } else if (!h.equals(SchemaFiles.USER) && !h.equals(SchemaFiles.ITEM) && !h.equals(SchemaFiles.CATEGORY)) {
                sparse.add(new SparseField(h, FieldRole.CONTEXT));
                sparseSrc.add(i);
            } else {
                throw new DataException(input.toString(), 1, h, "column '" + h + "' has a canonical name but another column was mapped to it");
            }
        }
        FeatureSchema schema;
        try {
            schema = new FeatureSchema(sparse, List.of(), dense, List.of("click", "conversion"));
        } catch (IllegalArgumentException e) {
            throw new DataException(input.toString(), 1, null, e.getMessage());
        }
        try (Writer w = Csv.create(schemaOut)) {
            SchemaFiles.write(schema, w);
        }
        SplittableRandom rnd = new SplittableRandom(o.seed());
        long[] counts = new long[2];
        try (SequenceCsvWriter tr = new SequenceCsvWriter(Csv.create(trainOut), schema);
             SequenceCsvWriter te = new SequenceCsvWriter(Csv.create(testOut), schema)) {
            for (Path in : testInput == null ? List.of(input) : List.of(input, testInput)) {
                try (CsvRecordReader r = records(in)) {
                    String[] h = r.next();
                    if (h == null || !List.of(h).equals(cols)) {
                        throw new DataException(in.toString(), 1, null, "header differs from " + input.getFileName() + "'s");
                    }
                    String[] f;
                    while ((f = r.next()) != null) {
                        if (f.length != header.length) {
                            throw new DataException(in.toString(), r.line(), null, f.length + " fields but the header has " + header.length);
                        }
                        float c = binary(f[click], in, r.line(), o.click());
                        float v = binary(f[conv], in, r.line(), o.conversion());
                        float[] labels = {c, o.conversionOnlyOnClicks() && c == 0 ? Float.NaN : v};
                        String[] sp = new String[sparseSrc.size()];
                        for (int j = 0; j < sp.length; j++) {
                            String id = f[sparseSrc.get(j)];
                            sp[j] = id.isEmpty() ? null : id;
                        }
                        float[] de = new float[denseSrc.size()];
                        for (int j = 0; j < de.length; j++) {
                            de[j] = number(f[denseSrc.get(j)], in, r.line(), dense.get(j));
                        }
                        boolean isTest = testInput != null ? in == testInput : rnd.nextDouble() < o.testFraction();
                        (isTest ? te : tr).write(new Row(labels, sp, new String[0][], de));
                        counts[isTest ? 1 : 0]++;
                    }
                }
            }
        }
        return new PrepareSummary(-1, -1, counts[0], counts[1]);
    }

    private static void mapCanonical(List<String> cols, String from, String to, FieldRole role, Path input,
                                     List<SparseField> sparse, List<Integer> src) {
        String name = from != null ? from : cols.contains(to) ? to : null;
        if (name != null) {
            src.add(require(cols, name, input, to));
            sparse.add(new SparseField(to, role));
        }
    }

    private static int require(List<String> cols, String name, Path file, String what) {
        int i = cols.indexOf(name);
        if (i < 0) {
            throw new DataException(file.toString(), 1, name, "no column '" + name + "' (" + what + ") in the header " + cols);
        }
        return i;
    }

    private static float binary(String v, Path file, long line, String column) {
        float x = v.isEmpty() ? Float.NaN : number(v, file, line, column);
        if (x != 0 && x != 1) {
            throw new DataException(file.toString(), line, column, "column " + column + ": '" + v + "' is not 0 or 1");
        }
        return x;
    }

    private static float number(String v, Path file, long line, String column) {
        if (v.isEmpty()) {
            return 0f;
        }
        try {
            float x = Float.parseFloat(v.trim());
            if (Float.isFinite(x)) {
                return x;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new DataException(file.toString(), line, column, "column " + column + ": '" + v + "' is not a number");
    }

    private static CsvRecordReader records(Path path) throws IOException {
        try {
            return new CsvRecordReader(Csv.open(path), path.toString());
        } catch (NoSuchFileException e) {
            throw new DataException(path.toString(), 0, null, "no such file");
        }
    }

    private interface LiteralLine {
        void accept(Map<?, ?> obj, long line);
    }

    private static void forEachLiteral(Path path, LiteralLine sink) throws IOException {
        BufferedReader in;
        try {
            in = Csv.open(path);
        } catch (NoSuchFileException e) {
            throw new DataException(path.toString(), 0, null, "no such file");
        }
        try (in) {
            String s;
            long line = 0;
            while ((s = in.readLine()) != null) {
                line++;
                if (s.isBlank()) {
                    continue;
                }
                Object v;
                try {
                    v = LiteralParser.parse(s);
                } catch (IllegalArgumentException e) {
                    throw new DataException(path.toString(), line, null, "neither JSON nor a Python literal: " + e.getMessage());
                }
                if (!(v instanceof Map<?, ?> m)) {
                    throw new DataException(path.toString(), line, null, "expected an object ({...}) on each line");
                }
                sink.accept(m, line);
            }
        }
    }

    private static String field(Map<?, ?> obj, String name, Path file, long line) {
        Object v = obj.get(name);
        if (v == null) {
            throw new DataException(file.toString(), line, name, "missing field '" + name + "'");
        }
        if (v instanceof Double d && d == Math.rint(d)) {
            return Long.toString(d.longValue());
        }
        return v.toString();
    }

    private static String lastCategory(Map<?, ?> obj) {
        Object c = obj.get("categories");
        if (c == null) {
            c = obj.get("category");
        }
        while (c instanceof List<?> l) {
            if (l.isEmpty()) {
                return null;
            }
            c = l.get(l.size() - 1);
        }
        return c == null || c.toString().isBlank() ? null : c.toString();
    }
}
