package io.din4j.data;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The columns a model reads: sparse fields (each with an embedding table), behaviour sequences (sharing a sparse
 * field's table, all of the same length per row), dense features, and the tasks (one label column each).
 * Order is significant: it is the order of the arrays in a {@link Batch}.
 */
public record FeatureSchema(List<SparseField> sparse, List<SequenceField> sequences, List<String> dense, List<String> tasks) {
    public FeatureSchema {
        sparse = List.copyOf(sparse);
        sequences = List.copyOf(sequences);
        dense = List.copyOf(dense);
        tasks = List.copyOf(tasks);
        if (tasks.isEmpty()) {
            throw new IllegalArgumentException("schema needs at least one task");
        }
        Set<String> names = new HashSet<>();
        List<String> all = new ArrayList<>();
        sparse.forEach(f -> all.add(f.name()));
        sequences.forEach(f -> all.add(f.name()));
        all.addAll(dense);
        all.addAll(tasks);
        for (String n : all) {
            checkName(n);
            if (!names.add(n)) {
                throw new IllegalArgumentException("column '" + n + "' appears twice in the schema");
            }
        }
        for (SequenceField s : sequences) {
            if (sparse.stream().noneMatch(f -> f.name().equals(s.table()))) {
                throw new IllegalArgumentException("sequence '" + s.name() + "' shares the table of '" + s.table()
                        + "', which is not a sparse field");
            }
        }
    }

    /**
     * The canonical DIN schema: {@code user_id} (USER), {@code item_id} (ITEM), {@code cate_id} (CATEGORY),
     * {@code hist_item_id} and {@code hist_cate_id} sharing their tables, no dense features.
     */
    public static FeatureSchema canonical(List<String> tasks) {
        return new FeatureSchema(
                List.of(new SparseField("user_id", FieldRole.USER), new SparseField("item_id", FieldRole.ITEM),
                        new SparseField("cate_id", FieldRole.CATEGORY)),
                List.of(new SequenceField("hist_item_id", "item_id"), new SequenceField("hist_cate_id", "cate_id")),
                List.of(), tasks);
    }

    /** Index of the sparse field called {@code name}, or -1. */
    public int sparseIndex(String name) {
        for (int i = 0; i < sparse.size(); i++) {
            if (sparse.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /** Index of the first sparse field with {@code role}, or -1. */
    public int firstWithRole(FieldRole role) {
        for (int i = 0; i < sparse.size(); i++) {
            if (sparse.get(i).role() == role) {
                return i;
            }
        }
        return -1;
    }

    static void checkName(String name) {
        if (name == null || name.isBlank() || !name.matches("[A-Za-z0-9_.\\-]+")) {
            throw new IllegalArgumentException("bad column name '" + name + "' (letters, digits, _ . - only)");
        }
    }
}
