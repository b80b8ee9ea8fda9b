package io.din4j.spark;

import io.din4j.backend.Backend;
import io.din4j.backend.Backends;
import io.din4j.data.Batch;
import io.din4j.data.BatchBuilder;
import io.din4j.graph.HostIO;
import io.din4j.graph.Param;
import io.din4j.io.ModelFiles;
import io.din4j.model.Model;
import io.din4j.predict.Predictor;
import java.io.Serial;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction2;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.TaskCompletionListener;
import scala.Tuple2;

/**
 * Scoring with a {@link ShardedModel}: no process holds a whole table. Each input partition names the rows its
 * rows touch; a join with the sharded tables (partitioned by row, so only the requests move) sends each such row to
 * that partition once; the partition's task then scores batch by batch with a model whose tables hold only the
 * batch's rows (as {@link LocalTables}), the dense tensors broadcast. The cpu backend's result for a row depends
 * only on the parameters it reads, so the probabilities equal the whole model's bit for bit.
 */
final class ShardedScoring {
    /** Model descriptions read in this JVM, by head identity (reading the vocabularies is the slow part). */
    private static final Map<String, ModelFiles.Info> INFO = new ConcurrentHashMap<>();

    private ShardedScoring() {
    }

    static ModelFiles.Info info(ModelBytes head) {
        return INFO.computeIfAbsent(head.id(), k -> ModelFiles.readInfo(head.materialize()));
    }

    static Dataset<Row> score(Dataset<Row> data, ShardedModel model, RowPlan plan, int[] keyIndex, StructType out,
                              SparkScorer.Options options) {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(data.sparkSession().sparkContext());
        // Read twice (the rows' keys, then the scoring), so kept; the scores are computed lazily like any DataFrame.
        JavaRDD<Row> input = data.javaRDD().persist(StorageLevel.MEMORY_AND_DISK());
        int parts = input.getNumPartitions();
        Broadcast<ModelBytes> head = sc.broadcast(model.head);
        Broadcast<float[][]> dense = sc.broadcast(model.dense);
        int batchSize = options.batchSize();
        JavaPairRDD<Long, Integer> need = input.mapPartitionsWithIndex(
                (Function2<Integer, Iterator<Row>, Iterator<Tuple2<Long, Integer>>>) (p, it) -> {
                    ModelFiles.Info info = info(head.value());
                    BatchBuilder builder = plan.builder(info.schema(), info.vocabularies());
                    List<Batch> batches = new ArrayList<>();
                    List<Row> chunk = new ArrayList<>(batchSize);
                    while (it.hasNext()) {
                        chunk.add(it.next());
                        if (chunk.size() == batchSize || !it.hasNext()) {
                            batches.add(plan.batch(chunk, builder));
                            chunk = new ArrayList<>(batchSize);
                        }
                    }
                    LocalTables lt = LocalTables.of(info.schema(), batches);
                    List<Tuple2<Long, Integer>> keys = new ArrayList<>();
                    for (int f = 0; f < lt.rows.length; f++) {
                        for (int r : lt.rows[f]) {
                            keys.add(new Tuple2<>(LocalTables.key(f, r), p));
                        }
                    }
                    return keys.iterator();
                }, true).mapToPair(t -> t);
        JavaRDD<Tuple2<Long, float[]>> pulled = need.join(model.rows, model.partitioner())
                .mapToPair(t -> new Tuple2<>(t._2()._1(), new Tuple2<>(t._1(), t._2()._2())))
                .partitionBy(new ShardedModel.ByPartition(parts)).values();
        JavaRDD<Row> scored = input.zipPartitions(pulled, new ScorePartition(head, dense, plan, keyIndex, options));
        return data.sparkSession().createDataFrame(scored, out);
    }

    /** Scores one partition in batches, with the rows pulled for it. */
    private record ScorePartition(Broadcast<ModelBytes> head, Broadcast<float[][]> dense, RowPlan plan, int[] keyIndex,
                                  SparkScorer.Options options)
            implements FlatMapFunction2<Iterator<Row>, Iterator<Tuple2<Long, float[]>>, Row> {
        @Serial
        private static final long serialVersionUID = 1L;

        @Override
        public Iterator<Row> call(Iterator<Row> input, Iterator<Tuple2<Long, float[]>> pulled) {
            ModelFiles.Info info = info(head.value());
            Map<Long, float[]> rows = new HashMap<>();
            while (pulled.hasNext()) {
                Tuple2<Long, float[]> e = pulled.next();
                rows.put(e._1(), e._2());
            }
            BatchBuilder builder = plan.builder(info.schema(), info.vocabularies());
            Local local = new Local(info, dense.value(), options);
            TaskContext task = TaskContext.get();
            if (task != null) {
                task.addTaskCompletionListener((TaskCompletionListener) ctx -> local.close());
            }
            return new Iterator<>() {
                private List<Row> chunk = List.of();
                private float[][] p;
                private int at;

                @Override
                public boolean hasNext() {
                    if (at < chunk.size()) {
                        return true;
                    }
                    if (!input.hasNext()) {
                        local.close();
                        return false;
                    }
                    List<Row> next = new ArrayList<>(options.batchSize());
                    while (next.size() < options.batchSize() && input.hasNext()) {
                        next.add(input.next());
                    }
                    p = local.predict(plan.batch(next, builder), rows);
                    chunk = next;
                    at = 0;
                    return true;
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    return SparkScorer.outputRow(chunk.get(at), keyIndex, p, at++);
                }
            };
        }
    }

    /** A task's model with tables of as many rows as its largest batch so far touched (rebuilt when one needs more). */
    private static final class Local implements AutoCloseable {
        private final ModelFiles.Info info;
        private final float[][] dense;
        private final SparkScorer.Options options;
        private Backend backend;
        private Model model;
        private Predictor predictor;
        private int[] capacity;

        Local(ModelFiles.Info info, float[][] dense, SparkScorer.Options options) {
            this.info = info;
            this.dense = dense;
            this.options = options;
        }

        float[][] predict(Batch batch, Map<Long, float[]> rows) {
            LocalTables lt = LocalTables.of(info.schema(), List.of(batch));
            ensure(lt);
            List<Param> tables = model.parameters(Param.Kind.EMBEDDING);
            int d = info.config().embeddingDim();
            for (int f = 0; f < tables.size(); f++) {
                float[] v = new float[capacity[f] * d];
                for (int s = 0; s < lt.rows[f].length; s++) {
                    float[] row = rows.get(LocalTables.key(f, lt.rows[f][s]));
                    if (row == null) {
                        throw new IllegalStateException("row " + lt.rows[f][s] + " of " + tables.get(f).name() + " was not pulled");
                    }
                    System.arraycopy(row, 0, v, s * d, d);
                }
                HostIO.upload(backend, tables.get(f).value(), v);
                tables.get(f).changed();
            }
            return predictor.predict(lt.remap(batch));
        }

        private void ensure(LocalTables lt) {
            boolean fits = capacity != null;
            for (int f = 0; fits && f < lt.rows.length; f++) {
                fits = lt.rows[f].length <= capacity[f];
            }
            if (fits) {
                return;
            }
            int[] want = new int[lt.rows.length];
            for (int f = 0; f < want.length; f++) {
                want[f] = Math.max(lt.rows[f].length, capacity == null ? 1 : capacity[f]);
            }
            close();
            backend = Backends.create(options.backend(), options.threads());
            model = Model.restore(info.config(), info.schema(), want, null, backend, options.batchSize(), Long.MAX_VALUE);
            int i = 0;
            for (Param p : model.parameters()) {
                if (p.kind() != Param.Kind.EMBEDDING) {
                    HostIO.upload(backend, p.value(), dense[i++]);
                    p.changed();
                }
            }
            predictor = Predictor.of(model, options.batchSize());
            capacity = want;
        }

        @Override
        public void close() {
            if (predictor != null) {
                predictor.close();
                model.close();
                backend.close();
                predictor = null;
                model = null;
                backend = null;
                capacity = null;
            }
        }
    }
}
