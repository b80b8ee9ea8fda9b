package io.din4j.data.csv;

import io.din4j.data.FeatureSchema;
import io.din4j.data.Row;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A canonical sequence CSV as a re-readable stream of rows: each {@link #iterator()} opens the file again (one
 * pass per epoch, constant memory) and closes it when exhausted; {@link #close()} closes passes left unfinished.
 */
public final class CsvDataset implements Iterable<Row>, AutoCloseable {
    private final Path path;
    private final FeatureSchema schema;
    private final boolean labelsRequired;
    private final Set<String> ignored;
    /** Passes not yet exhausted; a pass may be consumed on another thread (see {@code Prefetcher}). */
    private final List<SequenceCsvReader> open = new CopyOnWriteArrayList<>();

    /** For training: every column must be in the schema (see {@link SequenceCsvReader#open}). */
    public CsvDataset(Path path, FeatureSchema schema, boolean labelsRequired) {
        this(path, schema, labelsRequired, Set.of());
    }

    /** For training, skipping the columns named in {@code ignored} (null: every column outside the schema). */
    public CsvDataset(Path path, FeatureSchema schema, boolean labelsRequired, Set<String> ignored) {
        this.path = path;
        this.schema = schema;
        this.labelsRequired = labelsRequired;
        this.ignored = ignored == null ? null : Set.copyOf(ignored);
    }

    /** For scoring with a trained model: columns outside the schema are ignored (see {@link SequenceCsvReader#openForScoring}). */
    public static CsvDataset forScoring(Path path, FeatureSchema schema, boolean labelsRequired) {
        return new CsvDataset(path, schema, labelsRequired, null);
    }

    public Path path() {
        return path;
    }

    public FeatureSchema schema() {
        return schema;
    }

    @Override
    public Iterator<Row> iterator() {
        SequenceCsvReader r = new SequenceCsvReader(SequenceCsvReader.openRecords(path), schema, labelsRequired, ignored);
        open.add(r);
        return new Iterator<>() {
            private boolean done;

            @Override
            public boolean hasNext() {
                if (done) {
                    return false;
                }
                if (!r.hasNext()) {
                    done = true;
                    r.close();
                    open.remove(r);
                }
                return !done;
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return r.next();
            }
        };
    }

    @Override
    public void close() {
        open.forEach(SequenceCsvReader::close);
        open.clear();
    }
}
