package io.din4j.predict;

import io.din4j.data.FeatureSchema;
import io.din4j.data.Row;
import io.din4j.data.SequenceField;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One row to score, keyed by the model's column names and holding raw ids (what a data file holds, before
 * vocabulary mapping). Made by {@link Predictor#request()}; the predictor maps the ids with the model's own
 * vocabularies (unseen ids to the out-of-vocabulary row) and cuts histories to the model's trained limit
 * ({@link Predictor#historyLimit()}), exactly as {@code din4j predict} reads a CSV row.
 *
 * <p>Fields left unset are what an empty CSV cell is: a sparse field maps to the out-of-vocabulary row, a history
 * is empty, a dense feature is 0. Every history of a request must have the same length (they describe the same
 * behaviours). A request is a mutable builder and is not thread-safe; build one per call, or reuse one on one
 * thread.
 */
public final class Request {
    private final Predictor predictor;
    private final FeatureSchema schema;
    private final String[] sparse;
    private final String[][] sequences;
    private final float[] dense;

    Request(Predictor predictor) {
        this.predictor = predictor;
        this.schema = predictor.schema();
        this.sparse = new String[schema.sparse().size()];
        this.sequences = new String[schema.sequences().size()][];
        this.dense = new float[schema.dense().size()];
    }

    /** Sets sparse field {@code field} (e.g. {@code item_id}) to the raw id {@code rawId}; null means missing. */
    public Request id(String field, String rawId) {
        int f = schema.sparseIndex(field);
        if (f < 0) {
            throw new IllegalArgumentException("field: '" + field + "' is not a sparse field of this model " + names(sparseNames()));
        }
        sparse[f] = rawId == null || rawId.isEmpty() ? null : rawId;
        return this;
    }

    /** Sets sparse field {@code field} to an integer raw id (written in plain decimal, as in a CSV file). */
    public Request id(String field, long rawId) {
        return id(field, Long.toString(rawId));
    }

    /** Sets behaviour sequence {@code sequence} (e.g. {@code hist_item_id}) to raw ids, oldest first. */
    public Request history(String sequence, List<String> rawIds) {
        int s = sequenceIndex(sequence);
        String[] ids = rawIds.toArray(String[]::new);
        for (int j = 0; j < ids.length; j++) {
            if (ids[j] == null) {
                throw new IllegalArgumentException("history '" + sequence + "': id " + j + " is null");
            }
        }
        sequences[s] = ids;
        return this;
    }

    /** Sets behaviour sequence {@code sequence} to raw ids, oldest first. */
    public Request history(String sequence, String... rawIds) {
        return history(sequence, Arrays.asList(rawIds));
    }

    /** Sets dense feature {@code feature}. */
    public Request dense(String feature, float value) {
        int d = schema.dense().indexOf(feature);
        if (d < 0) {
            throw new IllegalArgumentException("feature: '" + feature + "' is not a dense feature of this model " + names(schema.dense()));
        }
        if (!Float.isFinite(value)) {
            throw new IllegalArgumentException("dense '" + feature + "' = " + value + " is not finite");
        }
        dense[d] = value;
        return this;
    }

    /** Per-task probabilities of this one row (in the order of {@link Predictor#tasks()}). */
    public float[] score() {
        float[][] p = predictor.score(List.of(this));
        float[] out = new float[p.length];
        for (int k = 0; k < p.length; k++) {
            out[k] = p[k][0];
        }
        return out;
    }

    /** The predictor this request belongs to. */
    Predictor predictor() {
        return predictor;
    }

    /** The positional row the CSV readers would have produced from the same cells (labels NaN: none). */
    public Row toRow() {
        int len = -1;
        String first = null;
        for (int s = 0; s < sequences.length; s++) {
            int n = sequences[s] == null ? 0 : sequences[s].length;
            if (len >= 0 && n != len) {
                throw new IllegalArgumentException("history '" + schema.sequences().get(s).name() + "' has " + n
                        + " ids but '" + first + "' has " + len + " (histories describe the same behaviours)");
            }
            if (len < 0) {
                len = n;
                first = schema.sequences().get(s).name();
            }
        }
        String[][] seqs = new String[sequences.length][];
        for (int s = 0; s < seqs.length; s++) {
            seqs[s] = sequences[s] == null ? new String[0] : sequences[s].clone();
        }
        float[] labels = new float[schema.tasks().size()];
        Arrays.fill(labels, Float.NaN);
        return new Row(labels, sparse.clone(), seqs, dense.clone());
    }

    private int sequenceIndex(String name) {
        List<String> all = new ArrayList<>();
        for (int s = 0; s < schema.sequences().size(); s++) {
            SequenceField f = schema.sequences().get(s);
            if (f.name().equals(name)) {
                return s;
            }
            all.add(f.name());
        }
        throw new IllegalArgumentException("sequence: '" + name + "' is not a behaviour sequence of this model " + names(all));
    }

    private List<String> sparseNames() {
        return schema.sparse().stream().map(f -> f.name()).toList();
    }

    private static String names(List<String> names) {
        return names.isEmpty() ? "(it has none)" : "(it has " + String.join(", ", names) + ")";
    }
}
