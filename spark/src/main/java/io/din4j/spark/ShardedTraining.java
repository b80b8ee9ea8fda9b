package io.din4j.spark;

import io.din4j.train.TrainConfig;
import java.io.Serial;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.stream.IntStream;
import org.apache.spark.Partitioner;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.Optional;
import org.apache.spark.api.java.function.FlatMapFunction2;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * The rounds of sharded training (docs/spark.md, "Sharded embedding tables"): per round, a join pulls to each worker
 * the rows its next batches touch, the workers train, and the changed rows go back to their owners by a shuffle
 * keyed by row, where they are merged by the replicated design's row rule; dense tensors are broadcast and averaged
 * by a tree reduction as in the replicated design.
 */
final class ShardedTraining {
    private ShardedTraining() {
    }

    /** Sum of the deltas of one row over the workers that changed it, and how many did. */
    record RowSum(float[] delta, int votes) implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;

        static RowSum add(RowSum a, RowSum b) {
            float[] d = a.delta.clone();
            for (int c = 0; c < d.length; c++) {
                d[c] += b.delta[c];
            }
            return new RowSum(d, a.votes + b.votes);
        }
    }

    /** The merge at the owner, as {@link ParamUpdate#applyTo} does for a replicated table: the mean delta of the voters. */
    static float[] apply(float[] row, RowSum s) {
        float[] out = row.clone();
        for (int c = 0; c < out.length; c++) {
            out[c] = (float) (out[c] + (double) s.delta[c] / s.votes);
        }
        return out;
    }

    static SparkTrainer.ShardedResult run(Dataset<Row> train, ShardedModel initial, TrainConfig config,
                                          SparkTrainer.Options options, RowPlan plan,
                                          BiConsumer<SparkTrainer.Round, ShardedModel> onRound) {
        long t0 = System.nanoTime();
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(train.sparkSession().sparkContext());
        Dataset<Row> frame = options.workers() > 0 ? train.repartition(options.workers()) : train;
        JavaRDD<Row> rows = frame.javaRDD().persist(StorageLevel.DISK_ONLY());
        int workers = rows.getNumPartitions();
        String run = UUID.randomUUID().toString();
        ShardWorker.Spec spec = new ShardWorker.Spec(initial.head, options.threads(), options.batchSize(), options.syncEvery(),
                options.embeddingCapBytes(), plan);
        Settings settings = new Settings(config);
        int states = switch (config.embeddings().kind()) {
            case ADAM -> 2;
            case ADAGRAD -> 1;
            case SGD -> 0;
        };
        int dim = initial.dim;
        int width = dim * (1 + states);
        float initialState = (float) config.embeddings().initialAccumulator();
        // Training rows carry their optimizer state: value ‖ state_1 ‖ ... (Adagrad's accumulator starts at its
        // initial value, Adam's moments at 0).
        Partitioner owners = initial.partitioner();
        JavaPairRDD<Long, float[]> shards = initial.rows.mapValues(v -> {
            float[] p = new float[width];
            System.arraycopy(v, 0, p, 0, dim);
            if (states == 1) {
                java.util.Arrays.fill(p, dim, width, initialState);
            }
            return p;
        }).persist(StorageLevel.MEMORY_AND_DISK());
        float[][] dense = initial.dense.clone();
        long denseBytes = 0;
        for (float[] d : dense) {
            denseBytes += 4L * d.length;
        }
        ShardedModel current = initial;
        try {
            List<long[]> loaded;
            try {
                loaded = rows.mapPartitionsWithIndex((Function2<Integer, Iterator<Row>, Iterator<long[]>>) (p, it) -> {
                    ShardWorker w = ShardWorker.get(run, p, () -> ShardWorker.create(spec, settings.config(), p, it));
                    return List.of(new long[] {w.rows, w.embeddingBytes}).iterator();
                }, true).collect();
            } catch (Exception e) {
                // A worker over the cap is the caller's setting: its one-line message, not Spark's job failure.
                for (Throwable c = e; c != null; c = c.getCause()) {
                    if (c instanceof IllegalArgumentException a) {
                        throw new IllegalArgumentException(a.getMessage(), e);
                    }
                }
                throw e;
            }
            long[] perWorker = loaded.stream().mapToLong(a -> a[0]).toArray();
            long embeddingBytes = loaded.stream().mapToLong(a -> a[1]).max().orElse(0);
            int stepsPerEpoch = 0;
            for (long c : perWorker) {
                stepsPerEpoch = (int) Math.max(stepsPerEpoch, (c + options.batchSize() - 1) / options.batchSize());
            }
            if (stepsPerEpoch == 0) {
                throw new IllegalArgumentException("the training DataFrame is empty");
            }
            long totalSteps = (long) config.epochs() * stepsPerEpoch;
            int rounds = (int) ((totalSteps + options.syncEvery() - 1) / options.syncEvery());
            List<SparkTrainer.Round> report = new ArrayList<>();
            long samples = 0;
            Function2<ParamUpdate, ParamUpdate, ParamUpdate> add = ParamUpdate::merge;
            int n = options.syncEvery();
            int spe = stepsPerEpoch;
            for (int r = 0; r < rounds; r++) {
                long r0 = System.nanoTime();
                int round = r;
                Broadcast<float[][]> now = sc.broadcast(dense);
                // Pull: every worker names the rows of its next batches; a join with the shards (already partitioned by
                // row, so only the requests move) brings each row to the workers that asked, one copy per worker.
                JavaPairRDD<Long, Integer> requests = rows.mapPartitionsWithIndex(
                        (Function2<Integer, Iterator<Row>, Iterator<Tuple2<Long, Integer>>>) (p, it) -> {
                            ShardWorker w = ShardWorker.get(run, p, () -> ShardWorker.create(spec, settings.config(), p, it));
                            long[] keys = w.keys(round, n, totalSteps);
                            List<Tuple2<Long, Integer>> out = new ArrayList<>(keys.length);
                            for (long k : keys) {
                                out.add(new Tuple2<>(k, p));
                            }
                            return out.iterator();
                        }, true).mapToPair(t -> t);
                JavaPairRDD<Integer, Tuple2<Long, float[]>> pulled = requests.join(shards, owners)
                        .mapToPair(t -> new Tuple2<>(t._2()._1(), new Tuple2<>(t._1(), t._2()._2())))
                        .partitionBy(new ShardedModel.ByPartition(workers));
                JavaRDD<ShardWorker.Push> pushes = rows.zipPartitions(pulled.values(),
                        new TrainRound(run, spec, settings, now, round, n, totalSteps, spe)).persist(StorageLevel.MEMORY_AND_DISK());
                ParamUpdate sum = pushes.filter(p -> p.dense() != null).map(ShardWorker.Push::dense).treeReduce(add, 2);
                // Push: changed rows go to their owners (a shuffle keyed by row, partitioned like the shards, so the
                // merge below is a narrow join with the shard partitions).
                JavaPairRDD<Long, RowSum> sums = pushes.filter(p -> p.dense() == null)
                        .mapToPair(p -> new Tuple2<>(p.key(), new RowSum(p.delta(), 1))).reduceByKey(owners, RowSum::add);
                JavaPairRDD<Long, float[]> next = shards.leftOuterJoin(sums, owners)
                        .mapValues((Tuple2<float[], Optional<RowSum>> t) -> t._2().isPresent() ? apply(t._1(), t._2().get()) : t._1())
                        .persist(StorageLevel.MEMORY_AND_DISK());
                // Cut the lineage every round: a long chain of joins would make every task carry all earlier rounds.
                next.rdd().localCheckpoint();
                long merged = sums.count();
                next.count();
                pushes.unpersist(false);
                shards.unpersist(false);
                now.destroy();
                shards = next;
                float[][] nextDense = new float[dense.length][];
                for (int p = 0; p < dense.length; p++) {
                    nextDense[p] = dense[p].clone();
                }
                sum.applyTo(nextDense, new int[dense.length]);
                dense = nextDense;
                samples += sum.samples;
                long first = (long) r * n;
                long end = Math.min(totalSteps, first + n);
                long wire = workers * denseBytes + sum.sentBytes + sum.rowsPulled * (12L + 8 + 4L * width)
                        + sum.rowsPushed * (8L + 4L * width + 4);
                SparkTrainer.Round done = new SparkTrainer.Round(r, (int) (first / spe), end / spe > first / spe,
                        sum.lossSum / Math.max(1, sum.steps), sum.samples, merged, sum.sentBytes, (System.nanoTime() - r0) / 1e9,
                        sum.rowsPulled, wire);
                report.add(done);
                JavaPairRDD<Long, float[]> values = shards.mapValues(p -> java.util.Arrays.copyOf(p, dim));
                current = new ShardedModel(initial.head, initial.info, initial.denseNames, dense, values);
                onRound.accept(done, current);
            }
            SparkTrainer.Result result = new SparkTrainer.Result(workers, perWorker, stepsPerEpoch,
                    Collections.unmodifiableList(report), samples, (System.nanoTime() - t0) / 1e9, workers * denseBytes, true,
                    embeddingBytes);
            JavaPairRDD<Long, float[]> values = shards.mapValues(p -> java.util.Arrays.copyOf(p, dim))
                    .persist(StorageLevel.MEMORY_AND_DISK());
            values.count();
            return new SparkTrainer.ShardedResult(result, new ShardedModel(initial.head, initial.info, initial.denseNames, dense, values));
        } finally {
            int p = rows.getNumPartitions();
            sc.parallelize(IntStream.range(0, p).boxed().toList(), p).foreachPartition(it -> ShardWorker.drop(run));
            ShardWorker.drop(run);
            rows.unpersist(false);
            shards.unpersist(false);
        }
    }

    /** TrainConfig in a serializable form. */
    record Settings(double[][] optimizers, String[] kinds, int epochs, double mbaLambda, double lrDecay, int warmupSteps)
            implements Serializable {
        Settings(TrainConfig c) {
            this(new double[][] {spec(c.embeddings()), spec(c.dense())},
                    new String[] {c.embeddings().kind().name(), c.dense().kind().name()}, c.epochs(), c.mbaLambda(),
                    c.lrDecay(), c.warmupSteps());
        }

        private static double[] spec(io.din4j.train.OptimizerSpec s) {
            return new double[] {s.lr(), s.beta1(), s.beta2(), s.eps(), s.initialAccumulator(), s.weightDecay()};
        }

        private static io.din4j.train.OptimizerSpec spec(String kind, double[] v) {
            return new io.din4j.train.OptimizerSpec(io.din4j.train.OptimizerSpec.Kind.valueOf(kind), v[0], v[1], v[2], v[3], v[4], v[5]);
        }

        TrainConfig config() {
            return TrainConfig.builder().epochs(epochs).embeddings(spec(kinds[0], optimizers[0]))
                    .dense(spec(kinds[1], optimizers[1])).mbaLambda(mbaLambda).lrDecay(lrDecay).warmupSteps(warmupSteps)
                    .build();
        }
    }

    /** One round on one worker: its partition's rows (to rebuild it if lost) zipped with the rows pulled for it. */
    private record TrainRound(String run, ShardWorker.Spec spec, Settings settings, Broadcast<float[][]> dense, int round,
                              int syncEvery, long totalSteps, int stepsPerEpoch)
            implements FlatMapFunction2<Iterator<Row>, Iterator<Tuple2<Long, float[]>>, ShardWorker.Push> {
        @Override
        public Iterator<ShardWorker.Push> call(Iterator<Row> rows, Iterator<Tuple2<Long, float[]>> pulled) {
            int p = TaskContext.getPartitionId();
            ShardWorker w = ShardWorker.get(run, p, () -> ShardWorker.create(spec, settings.config(), p, rows));
            synchronized (w) {
                return w.train(round, syncEvery, totalSteps, stepsPerEpoch, pulled, dense.value()).iterator();
            }
        }
    }
}
