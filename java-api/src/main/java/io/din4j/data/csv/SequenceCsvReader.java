package io.din4j.data.csv;

import io.din4j.data.DataException;
import io.din4j.data.FeatureSchema;
import io.din4j.data.Row;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * Streams the rows of a canonical sequence CSV (docs/data-format.md) in file order, holding one row at a time.
 * Columns are found by header name, in any order. Every problem is a {@link DataException} naming file, line and
 * column.
 *
 * <p>Cells: a label is 0 or 1 (any value in [0, 1] is accepted as a soft label), an empty label cell means the row
 * is outside that task's sample space; an empty sparse cell is a missing id (null in the {@link Row}, the
 * out-of-vocabulary row in a batch); sequences are space-separated ids, oldest first; an empty dense cell is 0.
 */
public final class SequenceCsvReader implements Iterator<Row>, AutoCloseable {
    private final CsvRecordReader in;
    private final String file;
    private final FeatureSchema schema;
    private final String[] header;
    private final int[] labelCol;
    private final int[] sparseCol;
    private final int[] seqCol;
    private final int[] denseCol;
    private Row next;

    /**
     * Opens {@code path} (gzip when it ends in .gz) and checks its header against {@code schema}.
     *
     * @param labelsRequired when false, label columns may be absent (scoring unlabelled data): their labels are NaN
     */
    public static SequenceCsvReader open(Path path, FeatureSchema schema, boolean labelsRequired) {
        return new SequenceCsvReader(openRecords(path), schema, labelsRequired, Set.of());
    }

    /** Like {@link #open(Path, FeatureSchema, boolean)}, skipping the columns named in {@code ignored}. */
    public static SequenceCsvReader open(Path path, FeatureSchema schema, boolean labelsRequired, Set<String> ignored) {
        return new SequenceCsvReader(openRecords(path), schema, labelsRequired, ignored);
    }

    /**
     * Opens {@code path} for scoring with a trained model: columns the model does not read (a row id, another
     * task's label) are ignored instead of rejected.
     */
    public static SequenceCsvReader openForScoring(Path path, FeatureSchema schema, boolean labelsRequired) {
        return new SequenceCsvReader(openRecords(path), schema, labelsRequired, null);
    }

    /** The header of a CSV file, for schema inference. */
    public static List<String> header(Path path) {
        try (CsvRecordReader r = openRecords(path)) {
            String[] h = r.next();
            if (h == null) {
                throw new DataException(path.toString(), 0, null, "empty file: expected a header row");
            }
            return List.of(h);
        }
    }

    static CsvRecordReader openRecords(Path path) {
        try {
            return new CsvRecordReader(Csv.open(path), path.toString());
        } catch (NoSuchFileException e) {
            throw new DataException(path.toString(), 0, null, "no such file");
        } catch (IOException e) {
            throw new DataException(path.toString(), 0, null, "cannot open: " + e.getMessage(), e);
        }
    }

    /**
     * @param labelsRequired when false, label columns may be absent: their labels are NaN
     * @param ignored        columns outside the schema that are skipped; any other such column is an error (a typo
     *                       or an undeclared feature should not be silently dropped at training time); null skips
     *                       every column outside the schema
     */
    public SequenceCsvReader(CsvRecordReader in, FeatureSchema schema, boolean labelsRequired, Set<String> ignored) {
        this.in = in;
        this.file = in.file();
        this.schema = schema;
        this.header = in.next();
        if (header == null) {
            throw new DataException(file, 0, null, "empty file: expected a header row");
        }
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < header.length; i++) {
            if (index.put(header[i], i) != null) {
                throw new DataException(file, 1, header[i], "column '" + header[i] + "' appears twice in the header");
            }
        }
        List<String> used = new ArrayList<>();
        labelCol = new int[schema.tasks().size()];
        for (int k = 0; k < labelCol.length; k++) {
            String t = schema.tasks().get(k);
            Integer i = index.get(t);
            if (i == null && labelsRequired) {
                throw missing(t, "label");
            }
            labelCol[k] = i == null ? -1 : i;
            used.add(t);
        }
        sparseCol = new int[schema.sparse().size()];
        for (int f = 0; f < sparseCol.length; f++) {
            sparseCol[f] = column(index, schema.sparse().get(f).name(), "sparse", used);
        }
        seqCol = new int[schema.sequences().size()];
        for (int s = 0; s < seqCol.length; s++) {
            seqCol[s] = column(index, schema.sequences().get(s).name(), "sequence", used);
        }
        denseCol = new int[schema.dense().size()];
        for (int d = 0; d < denseCol.length; d++) {
            denseCol[d] = column(index, schema.dense().get(d), "dense", used);
        }
        for (String h : header) {
            if (ignored != null && !ignored.contains(h) && !used.contains(h)) {
                throw new DataException(file, 1, h, "column '" + h + "' is not in the schema " + SequenceCsvWriter.header(schema)
                        + " (declare it, or ignore it with --ignore " + h + ")");
            }
        }
    }

    private int column(Map<String, Integer> index, String name, String kind, List<String> used) {
        Integer i = index.get(name);
        if (i == null) {
            throw missing(name, kind);
        }
        used.add(name);
        return i;
    }

    private DataException missing(String name, String kind) {
        return new DataException(file, 1, name, "missing " + kind + " column '" + name + "' (header: " + String.join(",", header) + ")");
    }

    public FeatureSchema schema() {
        return schema;
    }

    /** Line of the row last returned by {@link #next()}. */
    public long line() {
        return in.line();
    }

    @Override
    public boolean hasNext() {
        if (next == null) {
            next = read();
        }
        return next != null;
    }

    @Override
    public Row next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        Row r = next;
        next = null;
        return r;
    }

    private Row read() {
        String[] f = in.next();
        if (f == null) {
            return null;
        }
        long line = in.line();
        if (f.length != header.length) {
            throw new DataException(file, line, null, f.length + " fields but the header has " + header.length);
        }
        float[] labels = new float[labelCol.length];
        for (int k = 0; k < labels.length; k++) {
            labels[k] = labelCol[k] < 0 ? Float.NaN : label(f[labelCol[k]], line, schema.tasks().get(k));
        }
        String[] sparse = new String[sparseCol.length];
        for (int i = 0; i < sparse.length; i++) {
            String v = f[sparseCol[i]];
            sparse[i] = v.isEmpty() ? null : v;
        }
        String[][] seqs = new String[seqCol.length][];
        for (int s = 0; s < seqs.length; s++) {
            seqs[s] = splitIds(f[seqCol[s]]);
            if (seqs[s].length != seqs[0].length) {
                throw new DataException(file, line, schema.sequences().get(s).name(), "column " + schema.sequences().get(s).name()
                        + " has " + seqs[s].length + " ids but " + schema.sequences().get(0).name() + " has " + seqs[0].length);
            }
        }
        float[] dense = new float[denseCol.length];
        for (int d = 0; d < dense.length; d++) {
            String v = f[denseCol[d]];
            dense[d] = v.isEmpty() ? 0f : number(v, line, schema.dense().get(d));
            if (!Float.isFinite(dense[d])) {
                throw new DataException(file, line, schema.dense().get(d), "column " + schema.dense().get(d) + ": '" + v + "' is not a finite number");
            }
        }
        return new Row(labels, sparse, seqs, dense);
    }

    private float label(String v, long line, String column) {
        if (v.isEmpty()) {
            return Float.NaN;
        }
        float x = number(v, line, column);
        if (!(x >= 0 && x <= 1)) {
            throw new DataException(file, line, column, "column " + column + ": label '" + v + "' is not in [0, 1] (or empty: no label)");
        }
        return x;
    }

    private float number(String v, long line, String column) {
        try {
            return Float.parseFloat(v.trim());
        } catch (NumberFormatException e) {
            throw new DataException(file, line, column, "column " + column + ": '" + v + "' is not a number");
        }
    }

    private static final String[] NONE = new String[0];

    /** Splits on runs of spaces (tabs too); an empty or blank cell is an empty history. */
    static String[] splitIds(String cell) {
        int n = 0;
        boolean in = false;
        for (int i = 0; i < cell.length(); i++) {
            boolean space = cell.charAt(i) == ' ' || cell.charAt(i) == '\t';
            if (!space && !in) {
                n++;
            }
            in = !space;
        }
        if (n == 0) {
            return NONE;
        }
        String[] out = new String[n];
        int k = 0;
        int start = -1;
        for (int i = 0; i <= cell.length(); i++) {
            boolean space = i == cell.length() || cell.charAt(i) == ' ' || cell.charAt(i) == '\t';
            if (space && start >= 0) {
                out[k++] = cell.substring(start, i);
                start = -1;
            } else if (!space && start < 0) {
                start = i;
            }
        }
        return out;
    }

    @Override
    public void close() {
        in.close();
    }

    @Override
    public String toString() {
        return "SequenceCsvReader[" + file + ", header=" + Arrays.toString(header) + "]";
    }
}
