package io.din4j.spark;

import io.din4j.data.Batch;
import io.din4j.data.FeatureSchema;
import io.din4j.data.BatchBuilder;
import io.din4j.data.SequenceField;
import io.din4j.data.Vocabularies;
import io.din4j.data.Vocabulary;
import io.din4j.io.ModelFiles;
import io.din4j.predict.Predictor;
import java.io.Serial;
import java.io.Serializable;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.StructType;

/**
 * Reads Spark rows into {@link Batch}es for one model: the positions of the schema's columns in a DataFrame,
 * resolved on the driver (so a missing column fails before any task runs), then applied on executors. Each Spark
 * row becomes the {@link io.din4j.data.Row} the CSV readers would have read (docs/data-format.md), and the data
 * package's {@link BatchBuilder} maps it with the model's vocabularies: unseen and missing ids to
 * {@link Vocabulary#OOV}, histories cut to their most recent {@code maxHistory} behaviours and padded to the
 * longest in the batch.
 */
final class RowPlan implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;
    private static final Pattern SPACES = Pattern.compile("[ \\t]+");

    private final String[] sparseNames;
    private final int tasks;
    private final int[] sparse;
    private final int[] sequences;
    private final boolean[] sequenceArrays;
    private final String[] sequenceNames;
    private final int[] seqTable;
    private final int[] dense;
    private final String[] denseNames;
    private final int[] labels;
    private final String[] labelNames;
    private final int maxHistory;

    /**
     * @param withLabels whether the task columns are read (training, evaluation) or ignored (scoring)
     * @param maxHistory most recent behaviours kept, 0 for all
     */
    RowPlan(FeatureSchema schema, ColumnMapping mapping, StructType frame, boolean withLabels, int maxHistory) {
        this.sparseNames = schema.sparse().stream().map(f -> f.name()).toArray(String[]::new);
        this.tasks = schema.tasks().size();
        this.maxHistory = maxHistory;
        List<String> names = List.of(frame.fieldNames());
        this.sparse = schema.sparse().stream().mapToInt(f -> index(mapping, f.name(), names, "sparse")).toArray();
        this.sequences = schema.sequences().stream().mapToInt(s -> index(mapping, s.name(), names, "sequence")).toArray();
        this.sequenceNames = schema.sequences().stream().map(s -> mapping.column(s.name())).toArray(String[]::new);
        this.sequenceArrays = new boolean[sequences.length];
        for (int s = 0; s < sequences.length; s++) {
            sequenceArrays[s] = frame.fields()[sequences[s]].dataType() instanceof ArrayType;
        }
        this.seqTable = new int[sequences.length];
        for (int s = 0; s < sequences.length; s++) {
            SequenceField f = schema.sequences().get(s);
            seqTable[s] = schema.sparseIndex(f.table());
        }
        this.dense = schema.dense().stream().mapToInt(d -> index(mapping, d, names, "dense")).toArray();
        this.denseNames = schema.dense().stream().map(mapping::column).toArray(String[]::new);
        this.labels = withLabels ? schema.tasks().stream().mapToInt(t -> index(mapping, t, names, "label")).toArray() : null;
        this.labelNames = schema.tasks().stream().map(mapping::column).toArray(String[]::new);
    }

    /** The history limit a mapping asks for, resolving {@link ColumnMapping#FROM_MODEL} from model.json. */
    static int maxHistory(ColumnMapping mapping, ModelFiles.Info info) {
        if (mapping.maxHistory() != ColumnMapping.FROM_MODEL) {
            return mapping.maxHistory();
        }
        return info.historyLimit();
    }

    private static int index(ColumnMapping mapping, String schemaColumn, List<String> names, String what) {
        String col = mapping.column(schemaColumn);
        int i = names.indexOf(col);
        if (i < 0) {
            throw new IllegalArgumentException("the model's " + what + " column '" + schemaColumn + "' reads DataFrame column '"
                    + col + "', which is not among " + names + " (map it with ColumnMapping.map)");
        }
        return i;
    }

    /** K, the model's tasks. */
    int tasks() {
        return tasks;
    }

    /** What maps this plan's rows to batches for a model: its vocabularies and the plan's history limit. */
    BatchBuilder builder(FeatureSchema schema, Map<String, Vocabulary> vocabularies) {
        return new BatchBuilder(Vocabularies.of(schema, vocabularies), maxHistory);
    }

    /** What maps this plan's rows to batches for a served model: {@link Predictor#batchBuilder(int)}. */
    BatchBuilder builder(Predictor predictor) {
        return predictor.batchBuilder(maxHistory);
    }

    /** The batch of {@code rows}, in order. */
    Batch batch(List<Row> rows, BatchBuilder builder) {
        List<io.din4j.data.Row> raw = new ArrayList<>(rows.size());
        for (Row r : rows) {
            raw.add(read(r));
        }
        return builder.build(raw);
    }

    /** A Spark row as the CSV readers would have read it: raw ids, histories, dense values, labels (NaN: none). */
    io.din4j.data.Row read(Row r) {
        String[] ids = new String[sparse.length];
        for (int f = 0; f < ids.length; f++) {
            ids[f] = id(r.get(sparse[f]));
        }
        float[] dn = new float[dense.length];
        for (int d = 0; d < dn.length; d++) {
            dn[d] = number(r.get(dense[d]), denseNames[d], 0f);
        }
        float[] lab = new float[tasks];
        for (int k = 0; k < tasks; k++) {
            lab[k] = labels == null ? Float.NaN : number(r.get(labels[k]), labelNames[k], Float.NaN);
            if (!Float.isNaN(lab[k]) && !(lab[k] >= 0 && lab[k] <= 1)) {
                throw new IllegalArgumentException("column " + labelNames[k] + ": label " + lab[k] + " is not in [0, 1]");
            }
        }
        return new io.din4j.data.Row(lab, ids, histories(r), dn);
    }

    /** Receives the raw ids of a row: {@code field} is the sparse field whose table the id belongs to. */
    @FunctionalInterface
    interface IdSink {
        void accept(int field, String id);
    }

    /** Every raw id of {@code r}, candidates and behaviours alike (missing ids skipped), for vocabularies. */
    void ids(Row r, IdSink sink) {
        for (int f = 0; f < sparse.length; f++) {
            String id = id(r.get(sparse[f]));
            if (id != null) {
                sink.accept(f, id);
            }
        }
        String[][] h = histories(r);
        for (int s = 0; s < h.length; s++) {
            for (String id : h[s]) {
                sink.accept(seqTable[s], id);
            }
        }
    }

    /** Sparse field names in schema order. */
    String[] sparseNames() {
        return sparseNames.clone();
    }

    private String[][] histories(Row r) {
        String[][] out = new String[sequences.length][];
        for (int s = 0; s < sequences.length; s++) {
            out[s] = sequenceArrays[s] ? ids(r.getList(sequences[s])) : split(r.get(sequences[s]));
            if (out[s].length != out[0].length) {
                throw new IllegalArgumentException("column " + sequenceNames[s] + " has " + out[s].length + " ids but "
                        + sequenceNames[0] + " has " + out[0].length + " (row " + r + ")");
            }
        }
        return out;
    }

    private static String[] ids(List<Object> cell) {
        if (cell == null) {
            return new String[0];
        }
        String[] out = new String[cell.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = id(cell.get(i));
            if (out[i] == null) {
                out[i] = "";
            }
        }
        return out;
    }

    private static String[] split(Object cell) {
        if (cell == null) {
            return new String[0];
        }
        String s = cell.toString().strip();
        return s.isEmpty() ? new String[0] : SPACES.split(s);
    }

    /** A raw id as the CSV readers see it: integers in plain decimal, null for a missing (null or empty) cell. */
    static String id(Object cell) {
        return switch (cell) {
            case null -> null;
            case Integer i -> i.toString();
            case Long l -> l.toString();
            case Short s -> s.toString();
            case Byte b -> b.toString();
            case BigInteger bi -> bi.toString();
            case BigDecimal bd -> bd.stripTrailingZeros().scale() <= 0 ? bd.toBigIntegerExact().toString() : bd.toPlainString();
            default -> {
                String s = cell.toString();
                yield s.isEmpty() ? null : s;
            }
        };
    }

    private static float number(Object cell, String column, float empty) {
        return switch (cell) {
            case null -> empty;
            case Number n -> n.floatValue();
            case Boolean b -> b ? 1f : 0f;
            default -> {
                String s = cell.toString().strip();
                if (s.isEmpty()) {
                    yield empty;
                }
                try {
                    yield Float.parseFloat(s);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("column " + column + ": '" + s + "' is not a number", e);
                }
            }
        };
    }

    @Override
    public String toString() {
        return "RowPlan[sparse=" + Arrays.toString(sparse) + ", sequences=" + Arrays.toString(sequences) + "]";
    }
}
