package io.din4j.spark;

import io.din4j.data.Batch;
import io.din4j.data.BatchBuilder;
import io.din4j.io.ModelFiles;
import io.din4j.predict.Predictor;
import java.io.Serial;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.util.TaskCompletionListener;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Batch scoring of a DataFrame with a din4j model directory.
 *
 * <p>The driver reads the model directory once and broadcasts its bytes ({@link ModelBytes}); each executor
 * receives them once, writes them to local disk once and loads one {@link Predictor} (cpu backend by default) that every
 * task of the executor shares. Each partition is scored in batches of {@link Options#batchSize()} rows, in order.
 * The output has the key columns of the input followed by one probability column per task ({@code p_<task>},
 * FloatType), one row per input row, in the input's order within each partition. The probabilities are those of a
 * single-process {@link Predictor} on the same rows, bit for bit (the cpu backend's result for a row does not
 * depend on the other rows of its batch nor on the thread count).
 *
 * <p>Executors need din4j's JVM flags; see docs/spark.md.
 */
public final class SparkScorer {
    private SparkScorer() {
    }

    /**
     * Scoring settings.
     *
     * @param keyColumns input columns copied to the output (empty: every input column)
     * @param mapping    where the model's columns are in the input
     * @param batchSize  rows scored per call (the predictor's planned batch)
     * @param threads    cpu backend threads per executor model (1 matches Spark's one core per task)
     * @param prefix     prefix of the probability columns
     * @param backend    backend of the executors' models ({@code cpu}; {@code auto} takes cuda where an executor
     *                   has a GPU; the bit-for-bit parity with a single-process predictor is the cpu backend's)
     */
    public record Options(List<String> keyColumns, ColumnMapping mapping, int batchSize, int threads, String prefix,
                          String backend) implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;

        public Options {
            keyColumns = List.copyOf(keyColumns);
            if (mapping == null) {
                throw new IllegalArgumentException("mapping must be set (ColumnMapping.canonical() for the CSV columns)");
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("batchSize = " + batchSize + " must be >= 1");
            }
            if (threads < 1) {
                throw new IllegalArgumentException("threads = " + threads + " must be >= 1");
            }
            if (prefix == null) {
                throw new IllegalArgumentException("prefix must not be null");
            }
            if (backend == null || backend.isBlank()) {
                throw new IllegalArgumentException("backend must be set (cpu, auto, cuda), got '" + backend + "'");
            }
        }

        /**
         * Every input column kept, canonical mapping, batches of {@link Predictor#DEFAULT_MAX_BATCH}, cpu backend with
         * 1 thread, columns {@code p_<task>}.
         */
        public static Options defaults() {
            return new Options(List.of(), ColumnMapping.canonical(), Predictor.DEFAULT_MAX_BATCH, 1, "p_", "cpu");
        }

        public Options withKeys(String... columns) {
            return new Options(List.of(columns), mapping, batchSize, threads, prefix, backend);
        }

        public Options withMapping(ColumnMapping m) {
            return new Options(keyColumns, m, batchSize, threads, prefix, backend);
        }

        public Options withBatchSize(int n) {
            return new Options(keyColumns, mapping, n, threads, prefix, backend);
        }

        public Options withThreads(int n) {
            return new Options(keyColumns, mapping, batchSize, n, prefix, backend);
        }

        public Options withPrefix(String p) {
            return new Options(keyColumns, mapping, batchSize, threads, p, backend);
        }

        public Options withBackend(String b) {
            return new Options(keyColumns, mapping, batchSize, threads, prefix, b);
        }
    }

    /** Scores {@code data} with the model directory {@code modelDir} (read on the driver and broadcast). */
    public static Dataset<Row> score(Dataset<Row> data, String modelDir, Options options) {
        ModelBytes bytes = ModelBytes.read(Path.of(modelDir));
        return score(data, broadcast(data, bytes), options);
    }

    /** Broadcasts a model for {@link #score(Dataset, Broadcast, Options)} (to score several DataFrames with it). */
    public static Broadcast<ModelBytes> broadcast(Dataset<Row> anyFrameOfTheSession, ModelBytes model) {
        return JavaSparkContext.fromSparkContext(anyFrameOfTheSession.sparkSession().sparkContext()).broadcast(model);
    }

    /** Scores {@code data} with a broadcast model. */
    public static Dataset<Row> score(Dataset<Row> data, Broadcast<ModelBytes> model, Options options) {
        ModelFiles.Info info = ModelFiles.readInfo(model.value().materialize());
        if (info.vocabularies() == null) {
            throw new IllegalArgumentException("model " + model.value().id() + " was saved without vocabularies, so raw ids cannot be mapped");
        }
        RowPlan plan = new RowPlan(info.schema(), options.mapping(), data.schema(), false, RowPlan.maxHistory(options.mapping(), info));
        int[] keyIndex = keyIndex(data.schema(), options);
        StructType out = output(data.schema(), keyIndex, info.schema().tasks(), options);
        return data.mapPartitions(new ScorePartition(model, plan, keyIndex, options), Encoders.row(out));
    }

    /**
     * Scores {@code data} with a model whose tables are sharded in Spark (docs/spark.md, "Scoring a sharded model"):
     * each partition receives only the table rows its rows touch, by a join keyed by row; the probabilities equal
     * those of the whole model's {@link Predictor} bit for bit (cpu backend).
     */
    public static Dataset<Row> score(Dataset<Row> data, ShardedModel model, Options options) {
        ModelFiles.Info info = model.info();
        if (info.vocabularies() == null) {
            throw new IllegalArgumentException("the sharded model has no vocabularies, so raw ids cannot be mapped");
        }
        RowPlan plan = new RowPlan(info.schema(), options.mapping(), data.schema(), false, RowPlan.maxHistory(options.mapping(), info));
        int[] keyIndex = keyIndex(data.schema(), options);
        StructType out = output(data.schema(), keyIndex, info.schema().tasks(), options);
        return ShardedScoring.score(data, model, plan, keyIndex, out, options);
    }

    private static int[] keyIndex(StructType in, Options options) {
        List<String> keys = options.keyColumns().isEmpty() ? List.of(in.fieldNames()) : options.keyColumns();
        int[] keyIndex = new int[keys.size()];
        for (int i = 0; i < keyIndex.length; i++) {
            keyIndex[i] = List.of(in.fieldNames()).indexOf(keys.get(i));
            if (keyIndex[i] < 0) {
                throw new IllegalArgumentException("key column '" + keys.get(i) + "' is not among " + List.of(in.fieldNames()));
            }
        }
        return keyIndex;
    }

    /** The key columns, then one FloatType probability column per task. */
    private static StructType output(StructType in, int[] keyIndex, List<String> tasks, Options options) {
        List<StructField> fields = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (int i : keyIndex) {
            fields.add(in.fields()[i]);
            keys.add(in.fields()[i].name());
        }
        for (String t : tasks) {
            String name = options.prefix() + t;
            if (keys.contains(name)) {
                throw new IllegalArgumentException("output column '" + name + "' is also a key column; choose another prefix");
            }
            fields.add(DataTypes.createStructField(name, DataTypes.FloatType, false));
        }
        return DataTypes.createStructType(fields);
    }

    /** Scores one partition in batches; the predictor is shared by the executor's tasks. */
    private static final class ScorePartition implements MapPartitionsFunction<Row, Row> {
        @Serial
        private static final long serialVersionUID = 1L;
        private final Broadcast<ModelBytes> model;
        private final RowPlan plan;
        private final int[] keyIndex;
        private final Options options;

        ScorePartition(Broadcast<ModelBytes> model, RowPlan plan, int[] keyIndex, Options options) {
            this.model = model;
            this.plan = plan;
            this.keyIndex = keyIndex;
            this.options = options;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> input) {
            ModelBytes bytes = model.value();
            Predictor predictor = ExecutorModels.acquire(bytes, options.backend(), options.threads(), options.batchSize());
            TaskContext task = TaskContext.get();
            if (task != null) {
                task.addTaskCompletionListener((TaskCompletionListener) ctx -> ExecutorModels.release(bytes, options.backend(), options.threads(), options.batchSize()));
            }
            BatchBuilder builder = plan.builder(predictor);
            return new Iterator<>() {
                private List<Row> rows = List.of();
                private float[][] p;
                private int at;

                @Override
                public boolean hasNext() {
                    if (at < rows.size()) {
                        return true;
                    }
                    if (!input.hasNext()) {
                        return false;
                    }
                    List<Row> chunk = new ArrayList<>(options.batchSize());
                    while (chunk.size() < options.batchSize() && input.hasNext()) {
                        chunk.add(input.next());
                    }
                    Batch batch = plan.batch(chunk, builder);
                    p = predictor.predict(batch);
                    rows = chunk;
                    at = 0;
                    return true;
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    return outputRow(rows.get(at), keyIndex, p, at++);
                }
            };
        }
    }

    /** An output row: the input's key columns, then each task's probability for the row at {@code at} of its chunk. */
    static Row outputRow(Row r, int[] keyIndex, float[][] p, int at) {
        Object[] v = new Object[keyIndex.length + p.length];
        for (int i = 0; i < keyIndex.length; i++) {
            v[i] = r.get(keyIndex[i]);
        }
        for (int t = 0; t < p.length; t++) {
            v[keyIndex.length + t] = p[t][at];
        }
        return RowFactory.create(v);
    }
}
