package io.din4j.data.csv;

import io.din4j.data.FeatureSchema;
import io.din4j.data.Row;
import io.din4j.data.SequenceField;
import io.din4j.data.SparseField;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes rows as a canonical sequence CSV (docs/data-format.md): header, then one line per row with the columns
 * in the order of {@link #header(FeatureSchema)}: labels, sparse fields, sequences (space-separated ids, oldest
 * first), dense features.
 */
public final class SequenceCsvWriter implements Closeable {
    private final Writer out;
    private final FeatureSchema schema;
    private final StringBuilder line = new StringBuilder(256);

    public SequenceCsvWriter(Writer out, FeatureSchema schema) {
        this.out = out;
        this.schema = schema;
        List<String> header = header(schema);
        for (int i = 0; i < header.size(); i++) {
            if (i > 0) {
                line.append(',');
            }
            line.append(header.get(i));
        }
        flushLine();
    }

    /** Column names in file order: tasks, sparse fields, sequences, dense features. */
    public static List<String> header(FeatureSchema schema) {
        List<String> h = new ArrayList<>(schema.tasks());
        schema.sparse().stream().map(SparseField::name).forEach(h::add);
        schema.sequences().stream().map(SequenceField::name).forEach(h::add);
        h.addAll(schema.dense());
        return h;
    }

    public void write(Row row) {
        if (row.labels().length != schema.tasks().size() || row.sparse().length != schema.sparse().size()
                || row.sequences().length != schema.sequences().size() || row.dense().length != schema.dense().size()) {
            throw new IllegalArgumentException("row does not match the schema's column counts");
        }
        boolean first = true;
        for (float l : row.labels()) {
            first = sep(first);
            line.append(Csv.formatNumber(l));
        }
        for (String id : row.sparse()) {
            first = sep(first);
            Csv.appendField(line, id == null ? "" : id);
        }
        for (String[] seq : row.sequences()) {
            first = sep(first);
            Csv.appendField(line, String.join(" ", seq));
        }
        for (float d : row.dense()) {
            first = sep(first);
            line.append(Csv.formatNumber(d));
        }
        flushLine();
    }

    private boolean sep(boolean first) {
        if (!first) {
            line.append(',');
        }
        return false;
    }

    private void flushLine() {
        line.append('\n');
        try {
            out.append(line);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        line.setLength(0);
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
