package io.din4j.spark;

import io.din4j.graph.HostIO;
import io.din4j.graph.Param;
import io.din4j.io.ModelFiles;
import io.din4j.model.Model;
import java.io.Serial;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.HashPartitioner;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * A model whose embedding tables live in Spark, sharded by row: a persisted pair RDD keyed by (table, row)
 * ({@link LocalTables#key}) and hash-partitioned, so each partition (and the executor that holds it) owns a share of
 * every table and no process needs a whole table. The dense tensors (and Dice statistics), a few megabytes, stay on
 * the driver and are broadcast where needed; the model's description (model.json and vocabularies.bin, without
 * weights) travels as a {@link ModelBytes} head.
 *
 * <p>Made from a driver {@link Model} ({@link #of}), a sharded model directory ({@link ShardedModelFiles#load}) or
 * sharded training ({@link SparkTrainer#fitSharded}); scored by {@link SparkScorer#score(org.apache.spark.sql.Dataset,
 * ShardedModel, SparkScorer.Options)}; saved by {@link ShardedModelFiles#save}. Holds Spark state: {@link #release}
 * unpersists the rows.
 */
public final class ShardedModel {
    final ModelBytes head;
    final ModelFiles.Info info;
    /** Names of the non-embedding tensors (dense weights and Dice statistics), parameter order. */
    final List<String> denseNames;
    final float[][] dense;
    /** Rows of each table, schema order of the sparse fields. */
    final int[] tableRows;
    final int dim;
    final JavaPairRDD<Long, float[]> rows;

    ShardedModel(ModelBytes head, List<String> denseNames, float[][] dense, JavaPairRDD<Long, float[]> rows) {
        this(head, ModelFiles.readInfo(head.materialize()), denseNames, dense, rows);
    }

    ShardedModel(ModelBytes head, ModelFiles.Info info, List<String> denseNames, float[][] dense, JavaPairRDD<Long, float[]> rows) {
        this.head = head;
        this.info = info;
        this.denseNames = List.copyOf(denseNames);
        this.dense = dense;
        this.tableRows = info.vocabSizes();
        this.dim = info.config().embeddingDim();
        this.rows = rows;
    }

    /**
     * Shards the tables of a driver {@code model} over {@code partitions} partitions (with {@code training}
     * metadata for model.json, may be null).
     */
    public static ShardedModel of(Model model, JavaSparkContext sc, int partitions, Map<String, Object> training) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions = " + partitions + " must be >= 1");
        }
        ModelBytes head = ModelBytes.of(model, training).withoutWeights();
        List<String> names = new ArrayList<>();
        List<float[]> dense = new ArrayList<>();
        List<Tuple2<Long, float[]>> rows = new ArrayList<>();
        int table = 0;
        for (Param p : model.parameters()) {
            float[] v = HostIO.downloadFloats(model.backend(), p.value());
            if (p.kind() != Param.Kind.EMBEDDING) {
                names.add(p.name());
                dense.add(v);
                continue;
            }
            int d = (int) p.value().dim(1);
            for (int r = 0; r < v.length / d; r++) {
                float[] row = new float[d];
                System.arraycopy(v, r * d, row, 0, d);
                rows.add(new Tuple2<>(LocalTables.key(table, r), row));
            }
            table++;
        }
        JavaPairRDD<Long, float[]> rdd = sc.parallelizePairs(rows, partitions).partitionBy(new HashPartitioner(partitions))
                .persist(StorageLevel.MEMORY_AND_DISK());
        return new ShardedModel(head, names, dense.toArray(float[][]::new), rdd);
    }

    /** The rows' partitioner (a hash partitioner over the row key). */
    Partitioner partitioner() {
        return rows.partitioner().get();
    }

    /** Bytes of the embedding tables (values only). */
    public long tableBytes() {
        long n = 0;
        for (int r : tableRows) {
            n += 4L * r * dim;
        }
        return n;
    }

    /** The model's description: config, schema, vocabularies (parsed from the head's model.json). */
    public ModelFiles.Info info() {
        return info;
    }

    /**
     * Copies the sharded parameters into {@code model} (same architecture and table sizes): the dense tensors, and
     * every table row streamed partition by partition to the driver ({@code toLocalIterator}), so the driver holds
     * the model plus one partition at a time.
     */
    public void writeInto(Model model) {
        List<Param> params = model.parameters();
        int d = 0;
        List<Param> tables = new ArrayList<>();
        for (Param p : params) {
            if (p.kind() == Param.Kind.EMBEDDING) {
                tables.add(p);
            } else {
                if (!p.name().equals(denseNames.get(d))) {
                    throw new IllegalArgumentException("model tensor '" + p.name() + "' where the sharded model has '" + denseNames.get(d) + "'");
                }
                HostIO.upload(model.backend(), p.value(), dense[d++]);
            }
        }
        float[][] values = new float[tables.size()][];
        for (int t = 0; t < values.length; t++) {
            if (tables.get(t).value().dim(0) != tableRows[t]) {
                throw new IllegalArgumentException("table " + tables.get(t).name() + " has " + tables.get(t).value().dim(0)
                        + " rows, the sharded model " + tableRows[t]);
            }
            values[t] = new float[Math.toIntExact((long) tableRows[t] * dim)];
        }
        Iterator<Tuple2<Long, float[]>> it = rows.toLocalIterator();
        while (it.hasNext()) {
            Tuple2<Long, float[]> e = it.next();
            System.arraycopy(e._2(), 0, values[LocalTables.table(e._1())], LocalTables.row(e._1()) * dim, dim);
        }
        for (int t = 0; t < values.length; t++) {
            HostIO.upload(model.backend(), tables.get(t).value(), values[t]);
        }
    }

    /** Unpersists the rows. */
    public void release() {
        rows.unpersist(false);
    }

    /** Routes a pair whose key is a worker's (or task's) partition index to that partition. */
    static final class ByPartition extends Partitioner {
        @Serial
        private static final long serialVersionUID = 1L;
        private final int n;

        ByPartition(int n) {
            this.n = n;
        }

        @Override
        public int numPartitions() {
            return n;
        }

        @Override
        public int getPartition(Object key) {
            return (Integer) key;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ByPartition p && p.n == n;
        }

        @Override
        public int hashCode() {
            return n;
        }
    }
}
