package io.din4j.spark;

import io.din4j.data.Batch;
import io.din4j.graph.HostIO;
import io.din4j.graph.Param;
import io.din4j.io.ModelFiles;
import io.din4j.model.Model;
import io.din4j.train.OptimizerSpec;
import io.din4j.train.TrainConfig;
import java.io.Serial;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * Data-parallel training on Spark by synchronous model averaging (docs/spark.md has the algorithm, its relation to
 * synchronous SGD and what it approximates).
 *
 * <p>Each partition of the training DataFrame is one worker. A worker keeps, in its executor, its shard as batches
 * and a replica of the model with its own {@link io.din4j.train.Trainer}. Every round the driver broadcasts the
 * global parameters; each worker loads them, takes {@link Options#syncEvery()} optimizer steps on its next batches,
 * and returns how its replica moved; Spark's tree reduction adds the workers' moves and the driver averages them
 * into the new global parameters: dense tensors by a sample-weighted mean of the replicas, embedding rows by the mean
 * over the workers that changed the row (rows no worker touched keep their value). Optimizer state stays with each
 * worker.
 *
 * <p>Embedding tables larger than {@link Options#embeddingCapBytes()} (with their optimizer state) are sharded
 * instead of replicated: they stay in Spark partitions and each worker receives, each round, only the rows its next
 * batches touch ({@link #fitSharded}, docs/spark.md "Sharded embedding tables").
 *
 * <p>The trained parameters end up in the driver's {@link Model} given to {@link #fit}. Validation, early stopping
 * and checkpoints are not done here: score a validation DataFrame with {@link SparkScorer} (or evaluate on the
 * driver) between calls.
 */
public final class SparkTrainer {
    private SparkTrainer() {
    }

    /**
     * Distributed training settings.
     *
     * @param batchSize rows per optimizer step on each worker
     * @param syncEvery optimizer steps each worker takes between two averagings (N); 1 averages after every step
     * @param workers   partitions to train on (the DataFrame is repartitioned to this many), or 0 to keep its
     *                  partitions
     * @param threads   cpu backend threads per worker (1 matches Spark's one core per task)
     * @param mapping   where the model's columns (and the task labels) are in the DataFrame
     * @param embeddingCapBytes the most bytes of embedding rows, optimizer state included, one worker may hold:
     *                  {@link SparkTrainer#fit} replicates tables within it and shards larger ones
     * @param shardPartitions partitions of sharded tables (0: one per worker)
     */
    public record Options(int batchSize, int syncEvery, int workers, int threads, ColumnMapping mapping,
                          long embeddingCapBytes, int shardPartitions) implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;

        /** The default cap: tables (with optimizer state) up to 1 GiB are replicated, larger ones sharded. */
        public static final long DEFAULT_EMBEDDING_CAP = 1L << 30;

        public Options {
            if (batchSize < 1) {
                throw new IllegalArgumentException("batchSize = " + batchSize + " must be >= 1");
            }
            if (syncEvery < 1) {
                throw new IllegalArgumentException("syncEvery = " + syncEvery + " must be >= 1");
            }
            if (workers < 0) {
                throw new IllegalArgumentException("workers = " + workers + " must be >= 0 (0: keep the partitions)");
            }
            if (threads < 1) {
                throw new IllegalArgumentException("threads = " + threads + " must be >= 1");
            }
            if (mapping == null) {
                throw new IllegalArgumentException("mapping must be set (ColumnMapping.canonical() for the CSV columns)");
            }
            if (embeddingCapBytes < 1) {
                throw new IllegalArgumentException("embeddingCapBytes = " + embeddingCapBytes + " must be >= 1");
            }
            if (shardPartitions < 0) {
                throw new IllegalArgumentException("shardPartitions = " + shardPartitions + " must be >= 0 (0: one per worker)");
            }
        }

        /**
         * Batches of 256, averaging every 20 steps, the DataFrame's partitions, 1 thread, canonical columns, tables
         * replicated up to {@link #DEFAULT_EMBEDDING_CAP}, one shard partition per worker.
         */
        public static Options defaults() {
            return new Options(256, 20, 0, 1, ColumnMapping.canonical(), DEFAULT_EMBEDDING_CAP, 0);
        }

        public Options withBatchSize(int n) {
            return new Options(n, syncEvery, workers, threads, mapping, embeddingCapBytes, shardPartitions);
        }

        public Options withSyncEvery(int n) {
            return new Options(batchSize, n, workers, threads, mapping, embeddingCapBytes, shardPartitions);
        }

        public Options withWorkers(int n) {
            return new Options(batchSize, syncEvery, n, threads, mapping, embeddingCapBytes, shardPartitions);
        }

        public Options withThreads(int n) {
            return new Options(batchSize, syncEvery, workers, n, mapping, embeddingCapBytes, shardPartitions);
        }

        public Options withMapping(ColumnMapping m) {
            return new Options(batchSize, syncEvery, workers, threads, m, embeddingCapBytes, shardPartitions);
        }

        /**
         * The most bytes of embedding rows, optimizer state included, one worker may hold. Tables above it are
         * sharded ({@link SparkTrainer#fitSharded}); a sharded worker whose round needs more rows than this fails.
         */
        public Options withEmbeddingCap(long bytes) {
            return new Options(batchSize, syncEvery, workers, threads, mapping, bytes, shardPartitions);
        }

        /** Partitions of the sharded tables (0: as many as workers). */
        public Options withShardPartitions(int n) {
            return new Options(batchSize, syncEvery, workers, threads, mapping, embeddingCapBytes, n);
        }
    }

    /**
     * One synchronisation round as the driver saw it.
     *
     * @param round        0-based
     * @param epoch        epoch of the round's first step
     * @param endsEpoch    whether an epoch ended within the round (its last step, or a step of it, completed an epoch)
     * @param loss         mean weighted multi-task training loss of the round's steps over all workers
     * @param samples      samples trained on in the round, all workers together
     * @param rowsMerged   embedding rows that changed in the round (union over workers)
     * @param updateBytes  bytes the workers sent back, all together (before Spark's tree reduction merged them)
     * @param seconds      wall time of the round (broadcast, steps, reduction, averaging)
     * @param rowsPulled   sharded tables: embedding rows sent to workers, all together (0 when replicated)
     * @param wireBytes    bytes the round moved between processes, counted from what was sent (docs/spark.md):
     *                     replicated, the broadcast of all parameters to each worker plus the updates; sharded, the
     *                     broadcast of the dense tensors to each worker, the dense updates, the row requests, the
     *                     pulled rows and the pushed rows
     */
    public record Round(int round, int epoch, boolean endsEpoch, double loss, long samples, long rowsMerged, long updateBytes,
                        double seconds, long rowsPulled, long wireBytes) {
    }

    /**
     * What {@link #fit} did.
     *
     * @param workers         partitions trained on
     * @param rowsPerWorker   training rows of each worker
     * @param stepsPerEpoch   steps of an epoch on each worker (the largest shard's batches; smaller shards wrap)
     * @param rounds          the rounds, in order
     * @param samples         samples trained on, all workers together
     * @param seconds         wall time, including loading the shards
     * @param broadcastBytes  bytes of the model broadcast each round
     * @param sharded         whether the embedding tables were sharded (they exceeded the cap) or replicated
     * @param embeddingBytesPerWorker the most bytes of embedding rows, optimizer state included, one worker held
     */
    public record Result(int workers, long[] rowsPerWorker, int stepsPerEpoch, List<Round> rounds, long samples,
                         double seconds, long broadcastBytes, boolean sharded, long embeddingBytesPerWorker) {
        /** Training throughput, samples per second of wall time. */
        public double samplesPerSecond() {
            return samples / Math.max(seconds, 1e-9);
        }
    }

    /** What {@link #fitSharded} did, and the trained model (its tables still sharded). */
    public record ShardedResult(Result result, ShardedModel model) {
    }

    /** Embedding optimizer state tensors per table row: Adam 2, Adagrad 1, SGD 0. */
    static int stateTensors(TrainConfig config) {
        return switch (config.embeddings().kind()) {
            case ADAM -> 2;
            case ADAGRAD -> 1;
            case SGD -> 0;
        };
    }

    /**
     * Trains a sharded model (docs/spark.md, "Sharded embedding tables"): the tables stay in Spark partitions and each
     * worker receives, each round, only the rows its next {@code syncEvery} batches touch, within
     * {@link Options#embeddingCapBytes()}. Returns the trained model, sharded; {@code initial} is left as it was.
     *
     * @param onRound called on the driver after each round with the model as it stands (valid during the call)
     */
    public static ShardedResult fitSharded(Dataset<Row> train, ShardedModel initial, TrainConfig config, Options options,
                                           BiConsumer<Round, ShardedModel> onRound) {
        if (initial.info.vocabularies() == null) {
            throw new IllegalArgumentException("the model has no vocabularies, so raw ids in the DataFrame cannot be mapped");
        }
        RowPlan plan = new RowPlan(initial.info.schema(), options.mapping(), train.schema(), true,
                RowPlan.maxHistory(options.mapping(), initial.info));
        return ShardedTraining.run(train, initial, config, options, plan, onRound);
    }

    /** {@link #fit(Dataset, Model, TrainConfig, Options, Consumer)} without a progress callback. */
    public static Result fit(Dataset<Row> train, Model model, TrainConfig config, Options options) {
        return fit(train, model, config, options, r -> { });
    }

    /**
     * Trains {@code model} (on the driver; it must have vocabularies) on {@code train} for {@code config.epochs()}
     * epochs. {@code config}'s optimizers, mini-batch aware regularization, learning-rate decay and warm-up apply on
     * every worker; its validation, early-stopping, checkpoint and step-limit settings are ignored.
     *
     * @param onRound called on the driver after each round, when {@code model} holds the round's averaged parameters
     *                (evaluate it there at epoch ends, {@link Round#endsEpoch()}, for validation)
     */
    public static Result fit(Dataset<Row> train, Model model, TrainConfig config, Options options, Consumer<Round> onRound) {
        if (model.vocabularies() == null) {
            throw new IllegalArgumentException("the model has no vocabularies, so raw ids in the DataFrame cannot be mapped "
                    + "(create it with Model.create, e.g. with SparkVocabularies.build)");
        }
        long tableBytes = 0;
        for (Param p : model.parameters(Param.Kind.EMBEDDING)) {
            tableBytes += 4L * p.value().size() * (1 + stateTensors(config));
        }
        if (tableBytes > options.embeddingCapBytes()) {
            return fitShardedInto(train, model, config, options, onRound);
        }
        long t0 = System.nanoTime();
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(train.sparkSession().sparkContext());
        ModelBytes initial = ModelBytes.of(model, null);
        RowPlan plan = new RowPlan(model.schema(), options.mapping(), train.schema(), true,
                RowPlan.maxHistory(options.mapping(), ModelFiles.readInfo(initial.materialize())));
        Dataset<Row> frame = options.workers() > 0 ? train.repartition(options.workers()) : train;
        // Persisted so that every round's task for a partition prefers the executor that holds the partition, and
        // with it the worker's state; rows are read again only when that state is lost.
        JavaRDD<Row> rows = frame.javaRDD().persist(StorageLevel.DISK_ONLY());
        String run = UUID.randomUUID().toString();
        Broadcast<ModelBytes> spec = sc.broadcast(initial);
        Settings settings = new Settings(config, options, plan);
        List<Param> params = model.parameters();
        int[] width = new int[params.size()];
        float[][] global = new float[params.size()][];
        for (int p = 0; p < width.length; p++) {
            Param x = params.get(p);
            width[p] = x.kind() == Param.Kind.EMBEDDING ? (int) x.value().dim(1) : 0;
            global[p] = HostIO.downloadFloats(model.backend(), x.value());
        }
        long broadcastBytes = 0;
        for (float[] g : global) {
            broadcastBytes += 4L * g.length;
        }
        try {
            List<Long> counts = rows.mapPartitionsWithIndex(new LoadShard(run, spec, settings), true).collect();
            long[] perWorker = counts.stream().mapToLong(Long::longValue).toArray();
            int stepsPerEpoch = 0;
            for (long c : perWorker) {
                stepsPerEpoch = (int) Math.max(stepsPerEpoch, (c + options.batchSize() - 1) / options.batchSize());
            }
            if (stepsPerEpoch == 0) {
                throw new IllegalArgumentException("the training DataFrame is empty");
            }
            long totalSteps = (long) config.epochs() * stepsPerEpoch;
            int rounds = (int) ((totalSteps + options.syncEvery() - 1) / options.syncEvery());
            List<Round> report = new ArrayList<>();
            long samples = 0;
            Function2<ParamUpdate, ParamUpdate, ParamUpdate> add = ParamUpdate::merge;
            for (int r = 0; r < rounds; r++) {
                long r0 = System.nanoTime();
                Broadcast<float[][]> current = sc.broadcast(global);
                RunRound body = new RunRound(run, spec, current, settings, r, stepsPerEpoch, totalSteps, width);
                ParamUpdate sum = rows.mapPartitionsWithIndex(body, true).treeReduce(add, 2);
                current.destroy();
                long bytes = sum.sentBytes;
                float[][] next = new float[global.length][];
                for (int p = 0; p < global.length; p++) {
                    next[p] = global[p].clone();
                }
                long merged = sum.applyTo(next, width);
                global = next;
                for (int p = 0; p < params.size(); p++) {
                    HostIO.upload(model.backend(), params.get(p).value(), global[p]);
                    params.get(p).changed();
                }
                samples += sum.samples;
                long first = (long) r * options.syncEvery();
                long end = Math.min(totalSteps, first + options.syncEvery());
                Round done = new Round(r, (int) (first / stepsPerEpoch), end / stepsPerEpoch > first / stepsPerEpoch,
                        sum.lossSum / Math.max(1, sum.steps), sum.samples, merged, bytes, (System.nanoTime() - r0) / 1e9, 0,
                        (long) rows.getNumPartitions() * broadcastBytes + bytes);
                report.add(done);
                onRound.accept(done);
            }
            return new Result(perWorker.length, perWorker, stepsPerEpoch, Collections.unmodifiableList(report), samples,
                    (System.nanoTime() - t0) / 1e9, broadcastBytes, false, tableBytes);
        } finally {
            // Best effort: a task per partition frees the workers of this run wherever it lands; in local mode the
            // driver is the executor and frees them directly.
            int n = rows.getNumPartitions();
            sc.parallelize(IntStream.range(0, n).boxed().toList(), n).foreachPartition(it -> WorkerState.drop(run));
            WorkerState.drop(run);
            rows.unpersist(false);
            spec.destroy();
        }
    }

    /**
     * {@link #fit} for a driver model whose tables exceed the cap: shards them, trains sharded, and copies the
     * tables back into {@code model} at every epoch end (before {@code onRound}) and at the end.
     */
    private static Result fitShardedInto(Dataset<Row> train, Model model, TrainConfig config, Options options, Consumer<Round> onRound) {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(train.sparkSession().sparkContext());
        int workers = options.workers() > 0 ? options.workers() : train.javaRDD().getNumPartitions();
        ShardedModel initial = ShardedModel.of(model, sc, options.shardPartitions() > 0 ? options.shardPartitions() : workers, null);
        ShardedResult r = null;
        try {
            r = fitSharded(train, initial, config, options, (round, current) -> {
                if (round.endsEpoch()) {
                    current.writeInto(model);
                }
                onRound.accept(round);
            });
            r.model().writeInto(model);
            return r.result();
        } finally {
            initial.release();
            if (r != null) {
                r.model().release();
            }
        }
    }

    /** TrainConfig's per-step settings in a serializable form (TrainConfig holds a Path). */
    private record Settings(double[][] optimizers, String[] kinds, int epochs, double mbaLambda, double lrDecay,
                            int warmupSteps, int batchSize, int syncEvery, int threads, RowPlan plan) implements Serializable {
        Settings(TrainConfig c, Options o, RowPlan plan) {
            this(new double[][] {spec(c.embeddings()), spec(c.dense())},
                    new String[] {c.embeddings().kind().name(), c.dense().kind().name()}, c.epochs(), c.mbaLambda(),
                    c.lrDecay(), c.warmupSteps(), o.batchSize(), o.syncEvery(), o.threads(), plan);
        }

        private static double[] spec(OptimizerSpec s) {
            return new double[] {s.lr(), s.beta1(), s.beta2(), s.eps(), s.initialAccumulator(), s.weightDecay()};
        }

        private static OptimizerSpec spec(String kind, double[] v) {
            return new OptimizerSpec(OptimizerSpec.Kind.valueOf(kind), v[0], v[1], v[2], v[3], v[4], v[5]);
        }

        TrainConfig trainConfig() {
            return TrainConfig.builder().epochs(epochs).embeddings(spec(kinds[0], optimizers[0]))
                    .dense(spec(kinds[1], optimizers[1])).mbaLambda(mbaLambda).lrDecay(lrDecay).warmupSteps(warmupSteps)
                    .build();
        }
    }

    /** The worker of a partition in this executor: found, or built from the partition's rows. */
    private static WorkerState worker(String run, int partition, Broadcast<ModelBytes> spec, Settings s, Iterator<Row> rows) {
        return WorkerState.get(run, partition,
                () -> WorkerState.create(spec.value(), s.threads(), s.batchSize(), s.trainConfig(), s.plan(), rows));
    }

    /** First job: each partition becomes a worker and reports its rows. */
    private record LoadShard(String run, Broadcast<ModelBytes> spec, Settings settings)
            implements Function2<Integer, Iterator<Row>, Iterator<Long>> {
        @Override
        public Iterator<Long> call(Integer partition, Iterator<Row> rows) {
            return List.of(worker(run, partition, spec, settings, rows).rows).iterator();
        }
    }

    /** One round on one worker: load the global parameters, take the round's steps, return the replica's move. */
    private record RunRound(String run, Broadcast<ModelBytes> spec, Broadcast<float[][]> global, Settings settings,
                            int round, int stepsPerEpoch, long totalSteps, int[] width)
            implements Function2<Integer, Iterator<Row>, Iterator<ParamUpdate>> {
        @Override
        public Iterator<ParamUpdate> call(Integer partition, Iterator<Row> rows) {
            WorkerState w = worker(run, partition, spec, settings, rows);
            float[][] g = global.value();
            // A task retried or speculated in the same executor must not drive the replica concurrently.
            synchronized (w) {
                w.load(g);
                long samples = 0;
                long steps = 0;
                double loss = 0;
                List<Batch> shard = w.shard;
                for (int j = 0; j < settings.syncEvery() && !shard.isEmpty(); j++) {
                    long step = (long) round * settings.syncEvery() + j;
                    if (step >= totalSteps) {
                        break;
                    }
                    int epoch = (int) (step / stepsPerEpoch);
                    Batch b = shard.get((int) (step % shard.size()));
                    double[] taskLoss = w.trainer.step(b, epoch);
                    double[] weights = w.trainer.taskWeights(epoch);
                    for (int k = 0; k < taskLoss.length; k++) {
                        loss += weights[k] * taskLoss[k];
                    }
                    samples += b.size();
                    steps++;
                }
                return List.of(ParamUpdate.of(g, w.values(), width, samples, steps, loss)).iterator();
            }
        }
    }
}
