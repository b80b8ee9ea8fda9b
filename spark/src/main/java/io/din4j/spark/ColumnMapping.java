package io.din4j.spark;

import io.din4j.data.FeatureSchema;
import java.io.Serial;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which DataFrame column feeds each column of a model's {@link FeatureSchema}. By default a schema column reads the
 * DataFrame column of the same name: the canonical CSV columns ({@code user_id, item_id, cate_id, hist_item_id,
 * hist_cate_id}, further sparse and dense columns, one label column per task) as docs/data-format.md describes
 * them. Immutable; {@link #map} returns a new mapping.
 *
 * <p>Cell types accepted (see docs/spark.md): sparse ids as strings or integers (an empty or null cell is a missing
 * id); histories as space-separated strings or arrays; dense values and labels as numbers, booleans or numeric
 * strings (an empty dense cell is 0, an empty or null label leaves the row out of that task's sample space).
 */
public final class ColumnMapping implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    /** {@link #maxHistory()} when the model's training setting (model.json {@code training.data.max_history}) applies. */
    public static final int FROM_MODEL = -1;

    private final Map<String, String> columns;
    private final int maxHistory;

    private ColumnMapping(Map<String, String> columns, int maxHistory) {
        this.columns = columns;
        this.maxHistory = maxHistory;
    }

    /** Every schema column read from the DataFrame column of the same name; history limit from the model. */
    public static ColumnMapping canonical() {
        return new ColumnMapping(Map.of(), FROM_MODEL);
    }

    /** This mapping with schema column {@code schemaColumn} read from DataFrame column {@code dataFrameColumn}. */
    public ColumnMapping map(String schemaColumn, String dataFrameColumn) {
        if (schemaColumn == null || schemaColumn.isBlank() || dataFrameColumn == null || dataFrameColumn.isBlank()) {
            throw new IllegalArgumentException("column names must not be blank, got '" + schemaColumn + "' -> '" + dataFrameColumn + "'");
        }
        Map<String, String> m = new LinkedHashMap<>(columns);
        m.put(schemaColumn, dataFrameColumn);
        return new ColumnMapping(Map.copyOf(m), maxHistory);
    }

    /**
     * This mapping keeping at most the {@code n} most recent behaviours of each history (0: no limit,
     * {@link #FROM_MODEL}: what the model was trained with, else no limit).
     */
    public ColumnMapping maxHistory(int n) {
        if (n < FROM_MODEL) {
            throw new IllegalArgumentException("maxHistory = " + n + " must be >= 0 (or FROM_MODEL)");
        }
        return new ColumnMapping(columns, n);
    }

    /** The DataFrame column read for schema column {@code schemaColumn}. */
    public String column(String schemaColumn) {
        return columns.getOrDefault(schemaColumn, schemaColumn);
    }

    public int maxHistory() {
        return maxHistory;
    }

    @Override
    public String toString() {
        return "ColumnMapping" + columns + (maxHistory == FROM_MODEL ? "" : ", maxHistory=" + maxHistory);
    }
}
