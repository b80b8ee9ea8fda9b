package io.din4j.data;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@link Vocabulary} per sparse field of a schema; a sequence field uses the vocabulary of the field whose
 * table it shares, so a behaviour and a candidate with the same raw id get the same row (DIN paper §4.1).
 */
public final class Vocabularies {
    /**
     * The frequency threshold {@code din4j train} uses unless told otherwise: ids seen fewer than 3 times in the
     * training data share the out-of-vocabulary row. An id with one or two rows cannot be learned, only memorised;
     * chosen by the sweep in docs/models.md ("Choosing the defaults").
     */
    public static final int DEFAULT_MIN_COUNT = 3;

    private final FeatureSchema schema;
    private final Vocabulary[] tables;

    private Vocabularies(FeatureSchema schema, Vocabulary[] tables) {
        this.schema = schema;
        this.tables = tables;
    }

    /**
     * Builds vocabularies in one pass over {@code rows}, counting occurrences in candidate and behaviour columns
     * alike. Ids seen fewer than {@code minCount} times are left out: they map to the out-of-vocabulary row, whose
     * count is then the number of occurrences left out.
     */
    public static Vocabularies build(FeatureSchema schema, Iterator<Row> rows, int minCount) {
        if (minCount < 1) {
            throw new IllegalArgumentException("minCount = " + minCount + " must be >= 1");
        }
        int nf = schema.sparse().size();
        Vocabulary[] v = new Vocabulary[nf];
        for (int f = 0; f < nf; f++) {
            v[f] = new Vocabulary();
        }
        int[] seqTable = sequenceTables(schema);
        while (rows.hasNext()) {
            Row r = rows.next();
            for (int f = 0; f < nf; f++) {
                if (r.sparse()[f] != null) {
                    v[f].add(r.sparse()[f]);
                }
            }
            for (int s = 0; s < seqTable.length; s++) {
                for (String id : r.sequences()[s]) {
                    v[seqTable[s]].add(id);
                }
            }
        }
        for (int f = 0; f < nf; f++) {
            v[f] = minCount > 1 ? prune(v[f], minCount) : v[f].freeze();
        }
        return new Vocabularies(schema, v);
    }

    /** {@link #build(FeatureSchema, Iterator, int)} with the default threshold, {@link #DEFAULT_MIN_COUNT}. */
    public static Vocabularies build(FeatureSchema schema, Iterator<Row> rows) {
        return build(schema, rows, DEFAULT_MIN_COUNT);
    }

    private static Vocabulary prune(Vocabulary v, int minCount) {
        long[] counts = v.counts();
        List<String> kept = new ArrayList<>();
        List<Long> keptCounts = new ArrayList<>();
        kept.add(Vocabulary.OOV_TOKEN);
        long oov = counts[0];
        for (int i = 1; i < v.size(); i++) {
            if (counts[i] >= minCount) {
                kept.add(v.token(i));
                keptCounts.add(counts[i]);
            } else {
                oov += counts[i];
            }
        }
        long[] c = new long[kept.size()];
        c[0] = oov;
        for (int i = 1; i < c.length; i++) {
            c[i] = keptCounts.get(i - 1);
        }
        return Vocabulary.of(kept, c);
    }

    /** Vocabularies read back from a model file, keyed by sparse field name; each must exist in the schema. */
    public static Vocabularies of(FeatureSchema schema, Map<String, Vocabulary> byField) {
        Vocabulary[] v = new Vocabulary[schema.sparse().size()];
        for (int f = 0; f < v.length; f++) {
            String name = schema.sparse().get(f).name();
            v[f] = byField.get(name);
            if (v[f] == null) {
                throw new IllegalArgumentException("no vocabulary for sparse field '" + name + "'");
            }
            v[f].freeze();
        }
        return new Vocabularies(schema, v);
    }

    /** For each sequence field, the index of the sparse field whose table it shares. */
    public static int[] sequenceTables(FeatureSchema schema) {
        int[] t = new int[schema.sequences().size()];
        for (int s = 0; s < t.length; s++) {
            t[s] = schema.sparseIndex(schema.sequences().get(s).table());
        }
        return t;
    }

    public FeatureSchema schema() {
        return schema;
    }

    /** Vocabulary of sparse field {@code f} (schema order). */
    public Vocabulary get(int f) {
        return tables[f];
    }

    /** Vocabulary of the sparse field called {@code name}. */
    public Vocabulary get(String name) {
        int f = schema.sparseIndex(name);
        if (f < 0) {
            throw new IllegalArgumentException("no sparse field '" + name + "'");
        }
        return tables[f];
    }

    /** Rows of each sparse field's table (schema order), the OOV row included. */
    public int[] sizes() {
        int[] s = new int[tables.length];
        for (int f = 0; f < s.length; f++) {
            s[f] = tables[f].size();
        }
        return s;
    }

    /** Field name to vocabulary, in schema order. */
    public Map<String, Vocabulary> asMap() {
        Map<String, Vocabulary> m = new LinkedHashMap<>();
        for (int f = 0; f < tables.length; f++) {
            m.put(schema.sparse().get(f).name(), tables[f]);
        }
        return m;
    }
}
