package io.din4j.cli;

import io.din4j.backend.Backend;
import io.din4j.data.BatchBuilder;
import io.din4j.data.BatchStream;
import io.din4j.data.FeatureSchema;
import io.din4j.data.Row;
import io.din4j.data.Vocabularies;
import io.din4j.metrics.Evaluation;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.train.OptimizerSpec;
import io.din4j.train.TrainConfig;
import io.din4j.train.TrainListener;
import io.din4j.train.Trainer;
import java.io.PrintWriter;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** One training run as the command line does it: vocabularies, model, trainer, progress and epoch lines. */
final class Training implements AutoCloseable {
    /** Hyper-parameters chosen on the command line (0 / null: the library's default). */
    record Settings(ModelConfig.Type type, int epochs, int batchSize, double lr, OptimizerSpec.Kind optimizer, long seed,
                    int embeddingDim, int maxHistory, int minCount, int shuffleBuffer, long shuffleBytes, int sortWindow,
                    double mbaLambda, int patience, int[] mlpHidden, int[] attentionHidden, int[] expertHidden, double warmupSeconds) {
    }

    /**
     * Default of --min-count: ids seen fewer than 3 times in the training data share the out-of-vocabulary row. The
     * vocabularies are built from the training data alone and saved with the model, so predict, eval and explain map
     * a rare id exactly as training did (RareIdsTest).
     */
    static final int DEFAULT_MIN_COUNT = Vocabularies.DEFAULT_MIN_COUNT;
    /** Default of --shuffle-memory, in MiB: 100,000 rows of the canonical schema up to histories of about 100. */
    static final int DEFAULT_SHUFFLE_MIB = 128;
    /**
     * Default of --sort-window: off. Sorting a window's rows by history length makes every batch homogeneous in
     * length, so batches are no longer random samples of the data: on the real-format protocol (docs/models.md) it
     * cost DIN 0.036 test AUC on the Amazon sample and 0.007 on Taobao (BaseModel 0.003–0.004), for 7–15% more
     * samples/s (docs/cli.md). A user who wants the speed opts in, e.g. with 32.
     */
    static final int DEFAULT_SORT_WINDOW = 0;
    /**
     * Default of --mba-lambda: η·λ = 2 at the default learning rate 0.001, i.e. every embedding row decays by about
     * exp(−2) per epoch against its data steps (DIN eq. 4, applied as in Trainer).
     */
    static final double DEFAULT_MBA_LAMBDA = TrainConfig.DEFAULT_MBA_LAMBDA;
    // Both chosen together by the sweep in docs/models.md ("Choosing the defaults"; tools/sweep.sh).

    final Settings settings;
    final FeatureSchema schema;
    final Vocabularies vocabularies;
    final BatchBuilder builder;
    final long trainRows;
    final Model model;
    final Trainer trainer;
    Trainer.Result result;
    /** Mean history length of the training rows (before --max-history). */
    double meanHistory;
    /** Longest history of the training rows (before --max-history). */
    int longestHistory;
    /** The trainer's settings, for the warm-up's throwaway trainer. */
    TrainConfig trainConfig;

    private Training(Settings s, FeatureSchema schema, Vocabularies v, long rows, Model model, Trainer trainer) {
        this.settings = s;
        this.schema = schema;
        this.vocabularies = v;
        this.builder = new BatchBuilder(v, s.maxHistory());
        this.trainRows = rows;
        this.model = model;
        this.trainer = trainer;
    }

    /**
     * Sparse fields none of whose ids was seen {@code --min-count} times in the training data, and that no behaviour
     * sequence reads: every row maps them to the out-of-vocabulary row, so the model could only learn one constant
     * for them. Training drops them (as {@code --ignore} would): a constant input adds nothing a bias does not, and
     * in the sweep of docs/models.md keeping such a field cost AUC on the two-task world.
     */
    List<String> fieldsWithoutIds() {
        List<String> out = new java.util.ArrayList<>();
        for (int f = 0; f < schema.sparse().size(); f++) {
            String name = schema.sparse().get(f).name();
            boolean read = schema.sequences().stream().anyMatch(q -> q.table().equals(name));
            if (vocabularies.get(f).size() <= 1 && !read && schema.sparse().size() - out.size() > 1) {
                out.add(name);
            }
        }
        return out;
    }

    /** Builds vocabularies from one pass over {@code train} and a fresh model; prints what it built on {@code log}. */
    static Training prepare(String name, FeatureSchema schema, Iterable<Row> train, Settings s, Backend backend, PrintWriter log) {
        long t0 = System.nanoTime();
        long[] rows = new long[3];
        Iterator<Row> it = train.iterator();
        Iterator<Row> counting = new Iterator<>() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public Row next() {
                rows[0]++;
                Row r = it.next();
                rows[1] += r.historyLength();
                rows[2] = Math.max(rows[2], r.historyLength());
                return r;
            }
        };
        Vocabularies v = Vocabularies.build(schema, counting, s.minCount());
        if (rows[0] == 0) {
            throw new UserError("--train: no rows to train on");
        }
        StringBuilder sizes = new StringBuilder();
        for (int f = 0; f < schema.sparse().size(); f++) {
            sizes.append(f == 0 ? "" : ", ").append(schema.sparse().get(f).name()).append(' ').append(String.format(Locale.ROOT, "%,d", v.get(f).size()));
        }
        log.printf(Locale.ROOT, "%s: %,d training rows; vocabularies: %s (%.1f s)%n", name, rows[0], sizes, (System.nanoTime() - t0) / 1e9);
        ModelConfig.Builder mb = ModelConfig.builder(s.type()).tasks(schema.tasks().toArray(String[]::new)).seed(s.seed())
                .maxHistory(s.maxHistory() > 0 ? s.maxHistory() : 64);
        if (s.embeddingDim() > 0) {
            mb.embeddingDim(s.embeddingDim());
        }
        if (s.mlpHidden() != null) {
            mb.mlpHidden(s.mlpHidden());
        }
        if (s.attentionHidden() != null) {
            mb.attentionHidden(s.attentionHidden());
        }
        if (s.expertHidden() != null) {
            mb.expertHidden(s.expertHidden());
        }
        ModelConfig config = mb.build();
        OptimizerSpec opt = switch (s.optimizer()) {
            case ADAM -> OptimizerSpec.adam(s.lr());
            case ADAGRAD -> OptimizerSpec.adagrad(s.lr());
            case SGD -> OptimizerSpec.sgd(s.lr());
        };
        TrainConfig.Builder tb = TrainConfig.builder().epochs(s.epochs()).optimizer(opt).mbaLambda(s.mbaLambda()).progressEvery(5);
        // Early stopping acts only when there is validation data; patience 0 also keeps the last epoch's weights
        // (the trainer would otherwise still restore the best one).
        if (s.patience() > 0) {
            tb.earlyStop("auc", null, s.patience()).restoreBest(true);
        } else {
            tb.restoreBest(false);
        }
        Model model = Model.create(config, schema, v.asMap(), backend, s.batchSize());
        try {
            Trainer trainer = new Trainer(model, tb.build());
            log.printf(Locale.ROOT, "%s: %s, %,d parameters, backend %s%n", name, config.type().id(), model.parameterCount(), backend.name());
            Training t = new Training(s, schema, v, rows[0], model, trainer);
            t.meanHistory = rows[1] / (double) rows[0];
            t.longestHistory = (int) Math.min(Integer.MAX_VALUE, rows[2]);
            t.trainConfig = tb.build();
            return t;
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** Trains, with a progress bar on {@code err} and one line per epoch on {@code out}. */
    Trainer.Result fit(String name, Iterable<Row> train, Iterable<Row> valid, PrintWriter out, PrintWriter err, boolean interactive) {
        try (BatchStream trainBatches = warmedUp(trainStream(train), out);
             BatchStream validBatches = valid == null ? null : new BatchStream(valid, builder, settings.batchSize(), 0, 0, PREFETCH)) {
            return fit(name, trainBatches, validBatches, out, err, interactive);
        }
    }

    /** The training batches as {@link #fit} reads them: shuffled, length-sorted within windows, prefetched. */
    BatchStream trainStream(Iterable<Row> train) {
        return new BatchStream(train, builder, settings.batchSize(), settings.shuffleBuffer(), settings.shuffleBytes(),
                settings.sortWindow(), settings.seed(), PREFETCH);
    }

    /**
     * Starts the first pass of {@code stream} (its prefetch thread reads the file into the shuffle buffer) and
     * meanwhile runs training steps of a throwaway model of the same architecture with small tables, so that the JIT
     * compiles the step's kernels (classes and methods are shared between the two models) before the first epoch
     * instead of during it. The real model is not touched, so training stays deterministic. Returns the stream, whose
     * next {@code iterator()} continues the started pass.
     *
     * <p>Two phases. First many tiny steps (2–8 rows, histories of random length up to the data's mean): C2 compiles
     * a method after enough invocations and loop iterations, and a fresh JVM runs a full-size step in the
     * interpreter and C1, where every Vector API operation takes its Java fallback, at 1–8 s a step (DIN, B = 256,
     * on the AVX2 host). A tiny step makes the same kernel calls for a fraction of the work, so the thresholds are
     * reached in seconds (measured: ~1,000 tiny steps in 25 s under load 10, each then ~1 ms). Then full-size
     * steps, so the paths only large batches take (more rows than a block of the matrix product, the second compute
     * thread's chunks) are compiled too; their batches are cut from random rows by the same builder as the real ones
     * ({@link #fullSizeBatches}), so they have epoch 1's shapes. When each phase ends, and the warm-up, is
     * decided by {@link #tinyPhaseOver} and {@link #warmupEnd}: by the JIT going quiet (two windows in a row in which
     * it compiled for under 5% of the window and the step time stopped improving, as in {@code din4j bench}) or by
     * a count of steps done, with wall-clock caps only as a safety bound. A warm-up ended by the step count then
     * {@link #drain}s: more full-size steps, on a second throwaway model, until the JIT has caught up.
     */
    BatchStream warmedUp(BatchStream stream, PrintWriter out) {
        Iterator<io.din4j.data.Batch> first = stream.startPass();
        java.util.function.BooleanSupplier ready = first instanceof io.din4j.data.Prefetcher p ? p::ready : () -> true;
        long minNanos = (long) (settings.warmupSeconds() * 1e9);
        long t0 = System.nanoTime();
        int b = settings.batchSize();
        // Past the reader's fill time only for data of some size: on a small file the epochs are short whatever the
        // JIT's state, and a warm-up of seconds would cost more than it saves.
        boolean large = trainRows >= (long) WARMUP_MIN_BATCHES * b;
        if (!large && minNanos == 0 && ready.getAsBoolean()) {
            return stream;
        }
        int fullFloor = fullStepFloor(trainRows, b);
        Map<String, io.din4j.data.Vocabulary> small = new LinkedHashMap<>();
        for (int f = 0; f < schema.sparse().size(); f++) {
            io.din4j.data.Vocabulary v = new io.din4j.data.Vocabulary();
            for (int i = 1; i < Math.min(WARMUP_TABLE_ROWS, vocabularies.get(f).size()); i++) {
                v.add("w" + i);
            }
            small.put(schema.sparse().get(f).name(), v.freeze());
        }
        int t = Math.max(1, (int) Math.round(settings.maxHistory() > 0 ? Math.min(meanHistory, settings.maxHistory()) : meanHistory));
        int[] sizes = small.values().stream().mapToInt(io.din4j.data.Vocabulary::size).toArray();
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(11);
        io.din4j.data.Batch[] tiny = new io.din4j.data.Batch[64];
        for (int i = 0; i < tiny.length; i++) {
            tiny[i] = warmUpBatch(Math.min(b, 2 + rnd.nextInt(7)), Math.max(1, (t + 1) / 2 + rnd.nextInt(t / 2 + 1)), sizes, rnd, 11 + i);
        }
        int longest = settings.maxHistory() > 0 ? Math.min(longestHistory, settings.maxHistory()) : longestHistory;
        // Four batches' worth of rows, as many as the four prebuilt batches this replaced held: long histories at a
        // large B make these rows take heap the shuffle buffer's bound does not count.
        java.util.function.IntFunction<io.din4j.data.Batch> full = fullSizeBatches(warmUpRows(schema, 4 * b, longest, sizes, rnd), b);
        int[] steps = new int[2];
        WarmupEnd end;
        int drainSteps = 0;
        try (Model m = Model.create(model.config(), schema, small, model.backend(), b); Trainer tr = new Trainer(m, trainConfig)) {
            boolean tinyOver = false;
            boolean fullQuiet = false;
            while ((end = warmupEnd(large, System.nanoTime() - t0, minNanos, ready.getAsBoolean(), tinyOver, fullQuiet, steps[1], fullFloor)) == null) {
                if (!tinyOver) {
                    boolean quiet = converged(tr, i -> tiny[i % tiny.length], steps, 0, 20, 200_000_000L);
                    tinyOver = tinyPhaseOver(quiet, steps[0], System.nanoTime() - t0);
                } else {
                    fullQuiet |= converged(tr, full, steps, 1, 3, 300_000_000L);
                }
            }
        }
        if (end == WarmupEnd.STEP_FLOOR) {
            // On a second throwaway model (the first one closed, so that no more than one is held beside the real
            // model): a fresh model's first steps take branches that the first one only took before C2 compiled
            // them (a workspace with nothing prepared yet, say), and C2 left those out of its code; the real model
            // would hit them in epoch 1 and wait for a recompile (JFR: an unstable_if trap in
            // CpuAttentionOps$Workspace.unchanged, then 116 ms of C2 in epoch 1).
            try (Model m2 = Model.create(model.config(), schema, small, model.backend(), b); Trainer tr2 = new Trainer(m2, trainConfig)) {
                drainSteps = drain(tr2, full, steps, fullFloor, t0);
            }
        }
        out.printf(Locale.ROOT, "%s: kernels warmed up for %.1f s (%d tiny and %d full-size steps of a throwaway model; ended: %s%s) while the reader filled its buffer%n",
                model.config().type().id(), (System.nanoTime() - t0) / 1e9, steps[0], steps[1], end.text,
                drainSteps > 0 ? String.format(Locale.ROOT, ", then %d more while the JIT caught up", drainSteps) : "");
        out.flush();
        return stream;
    }

    /**
     * After the step floor, more full-size steps until the JIT has caught up: C2's queue empty ({@link
     * CompilerQueue}) and the JIT compiling for under {@link #DRAIN_QUIET_SHARE} of the time in {@link
     * #DRAIN_QUIET_WINDOWS} windows in a row (each of at least 10 steps and 0.2 s); no new window after {@code floor}
     * more steps, nor past {@link #WARMUP_CAP_NANOS}. On two cores C2 is still working through a queue at the floor, and
     * the methods a step calls once (the loss, the sparse optimisers, the copies) wait in C1's cheaper tier 2 while
     * that queue is long; once it shrinks they move to tier 3 and need another hundred calls before their C2
     * compile is even asked for. Ended at the floor, all of that happened in epoch 1, on a core the compute threads
     * need. Returns the steps it took.
     */
    private int drain(Trainer tr, java.util.function.IntFunction<io.din4j.data.Batch> full, int[] steps, int floor, long t0) {
        int from = steps[1];
        int quiet = 0;
        while (drainGoesOn(quiet, steps[1] - from, floor, System.nanoTime() - t0)) {
            long jit0 = BenchCommand.jitMillis();
            long w0 = System.nanoTime();
            for (int i = 0; i < 10 || System.nanoTime() - w0 < 200_000_000L; i++) {
                tr.step(full.apply(steps[1]++), 0);
            }
            quiet = drainWindowQuiet(CompilerQueue.c2Waiting(), BenchCommand.jitMillis() - jit0, (System.nanoTime() - w0) / 1e6)
                    ? quiet + 1 : 0;
        }
        return steps[1] - from;
    }

    /**
     * Whether a window of {@link #drain} steps was quiet: C2 has nothing compiling or queued ({@code c2Waiting} −1,
     * where the queue cannot be read, leaves the JIT's time alone to decide) and the JIT compiled for at most
     * {@link #DRAIN_QUIET_SHARE} of the window.
     */
    static boolean drainWindowQuiet(int c2Waiting, long jitMillis, double windowMillis) {
        return c2Waiting <= 0 && jitMillis <= DRAIN_QUIET_SHARE * windowMillis;
    }

    /**
     * Whether {@link #drain} takes another window: fewer than {@link #DRAIN_QUIET_WINDOWS} quiet windows in a row,
     * fewer than {@code floor} steps since the floor, and the warm-up short of {@link #WARMUP_CAP_NANOS}.
     */
    static boolean drainGoesOn(int quietInARow, int drained, int floor, long elapsedNanos) {
        return quietInARow < DRAIN_QUIET_WINDOWS && drained < floor && elapsedNanos < WARMUP_CAP_NANOS;
    }

    /** See {@link #drain}. */
    static final int DRAIN_QUIET_WINDOWS = 2;
    /** See {@link #drain}. */
    static final double DRAIN_QUIET_SHARE = 0.02;

    /** What ended the warm-up, as its line says it. */
    enum WarmupEnd {
        /** Data of fewer than {@link Training#WARMUP_MIN_BATCHES} batches: the warm-up only uses the reader's fill time. */
        SMALL_DATA("data under " + WARMUP_MIN_BATCHES + " batches"),
        /** Both phases done and the full-size steps quiet. */
        CONVERGED("converged"),
        /** Not quiet, but the tiny phase over and {@link Training#fullStepFloor} full-size steps done. */
        STEP_FLOOR("step floor"),
        /** A safety cap: {@link Training#WARMUP_CAP_NANOS} with the first batch ready, or {@link Training#WARMUP_MAX_NANOS}. */
        CAP("time cap");

        final String text;

        WarmupEnd(String text) {
            this.text = text;
        }
    }

    /**
     * Whether the tiny phase gives way to full-size steps: once its steps are quiet, or once {@link
     * #WARMUP_TINY_STEPS} of them are done (by then the kernels are out of the interpreter, and a machine so loaded
     * that the JIT never goes quiet should spend what is left on the full-size paths), or after {@link
     * #WARMUP_TINY_CAP_NANOS} since the warm-up began whatever the count (steps that stay slow for that long).
     */
    static boolean tinyPhaseOver(boolean quiet, int tinySteps, long elapsedNanos) {
        return quiet || tinySteps >= WARMUP_TINY_STEPS || elapsedNanos >= WARMUP_TINY_CAP_NANOS;
    }

    /**
     * Full-size steps the warm-up does before it may end without the JIT going quiet: {@link #WARMUP_FULL_STEPS},
     * but never more than one epoch's batches (on data of 50–150 batches a longer warm-up would cost more steps
     * than the epoch it speeds up).
     */
    static int fullStepFloor(long trainRows, int batchSize) {
        return (int) Math.min(WARMUP_FULL_STEPS, Math.max(1, (trainRows + batchSize - 1) / batchSize));
    }

    /**
     * Why the warm-up ends now, or null to go on with another window of steps. It never ends before the reader's
     * first batch is ready and {@code --warmup-seconds} ({@code minNanos}) have passed, except at {@link
     * #WARMUP_MAX_NANOS} (a very slow reader: the epoch waits for it anyway). Then: at once on data of fewer than
     * {@link #WARMUP_MIN_BATCHES} batches ({@code large} false); else when the tiny phase is over and the full-size
     * steps are quiet (converged), or have reached {@code fullFloor} (step floor), or at {@link #WARMUP_CAP_NANOS}.
     * The end depends on work done, not on the clock: a loaded machine reaches the floor later but with the same
     * steps behind it, where a cap in seconds ended a starved warm-up with a few full-size steps run in the
     * interpreter and left the compiling to the first epoch (docs/cli.md#the-warm-up-ends-by-steps-done).
     */
    static WarmupEnd warmupEnd(boolean large, long elapsedNanos, long minNanos, boolean firstBatchReady, boolean tinyOver,
                               boolean fullQuiet, int fullSteps, int fullFloor) {
        if (elapsedNanos >= WARMUP_MAX_NANOS) {
            return WarmupEnd.CAP;
        }
        if (!firstBatchReady || elapsedNanos < minNanos) {
            return null;
        }
        if (!large) {
            return WarmupEnd.SMALL_DATA;
        }
        if (tinyOver && fullQuiet) {
            return WarmupEnd.CONVERGED;
        }
        if (tinyOver && fullSteps >= fullFloor) {
            return WarmupEnd.STEP_FLOOR;
        }
        return elapsedNanos >= WARMUP_CAP_NANOS ? WarmupEnd.CAP : null;
    }

    /** Quiet windows in a row per warm-up phase, and each phase's best step time in its last window (ms). */
    private final int[] quietWindows = new int[2];
    private final double[] lastBest = {Double.MAX_VALUE, Double.MAX_VALUE};

    /**
     * One window of warm-up steps (at least {@code minSteps} and {@code minNanos}) on {@code batches}; true once two
     * windows in a row were quiet: the JIT compiled for under 5% of the window and the best step was no more than 3%
     * faster than the previous window's (C2 works through its queue in bursts; one quiet window between two is not
     * the end).
     */
    private boolean converged(Trainer tr, java.util.function.IntFunction<io.din4j.data.Batch> batches, int[] steps, int phase,
                              int minSteps, long minNanos) {
        long jit0 = BenchCommand.jitMillis();
        long w0 = System.nanoTime();
        double best = Double.MAX_VALUE;
        for (int i = 0; i < minSteps || System.nanoTime() - w0 < minNanos; i++) {
            long s0 = System.nanoTime();
            tr.step(batches.apply(steps[phase]++), 0);
            best = Math.min(best, (System.nanoTime() - s0) / 1e6);
        }
        double windowMs = (System.nanoTime() - w0) / 1e6;
        long jit = BenchCommand.jitMillis() - jit0;
        quietWindows[phase] = best > lastBest[phase] * 0.97 && jit <= 0.05 * windowMs ? quietWindows[phase] + 1 : 0;
        lastBest[phase] = best;
        return quietWindows[phase] >= 2;
    }

    /**
     * Rows for the full-size warm-up steps, as the data path holds them after reading: ids below the small tables'
     * sizes, histories of uniformly random length 0..{@code longest} (the data's longest, after --max-history), one
     * label per task, dense features in [0, 1).
     */
    static java.util.List<io.din4j.data.BatchBuilder.Encoded> warmUpRows(FeatureSchema schema, int n, int longest, int[] sizes,
                                                                       java.util.SplittableRandom rnd) {
        int[] seqTables = io.din4j.data.Vocabularies.sequenceTables(schema);
        int nf = schema.sparse().size();
        int user = schema.firstWithRole(io.din4j.data.FieldRole.USER);
        java.util.List<io.din4j.data.BatchBuilder.Encoded> rows = new java.util.ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int[] sparse = new int[nf];
            for (int f = 0; f < nf; f++) {
                sparse[f] = BenchCommand.randomId(rnd, sizes[f]);
            }
            int len = rnd.nextInt(longest + 1);
            int[][] seqs = new int[seqTables.length][len];
            for (int q = 0; q < seqTables.length; q++) {
                for (int j = 0; j < len; j++) {
                    seqs[q][j] = BenchCommand.randomId(rnd, sizes[seqTables[q]]);
                }
            }
            float[] labels = new float[schema.tasks().size()];
            for (int k = 0; k < labels.length; k++) {
                labels[k] = rnd.nextBoolean() ? 1f : 0f;
            }
            float[] dense = new float[schema.dense().size()];
            for (int d = 0; d < dense.length; d++) {
                dense[d] = (float) rnd.nextDouble();
            }
            rows.add(new io.din4j.data.BatchBuilder.Encoded(labels, sparse, seqs, dense, user >= 0 ? "u" + sparse[user] : null));
        }
        return rows;
    }

    /**
     * The full-size warm-up steps' batches: {@code rows} cut into batches by the builder as {@link #trainStream} cuts
     * the real rows (mixed at random, or in length-sorted windows with {@code --sort-window}), pass after pass. So the
     * warm-up compiles epoch 1's batch building (on the reader's thread there) and meets its shapes: a batch of
     * random rows is padded to about the longest history, where the old full-size batches were padded to the mean
     * and epoch 1 then compiled the kernels' paths for the longer ones.
     */
    private java.util.function.IntFunction<io.din4j.data.Batch> fullSizeBatches(java.util.List<io.din4j.data.BatchBuilder.Encoded> rows, int b) {
        long[] pass = {0};
        @SuppressWarnings("unchecked")
        Iterator<io.din4j.data.Batch>[] it = new Iterator[] {java.util.Collections.emptyIterator()};
        return step -> {
            if (!it[0].hasNext()) {
                it[0] = builder.lengthSortedBatches(rows.iterator(), b, settings.sortWindow(), 101 + pass[0]++);
            }
            return it[0].next();
        };
    }

    /**
     * A random batch for the warm-up: {@code rows} rows of ids below the small tables' sizes, histories of random
     * length 0..{@code t} padded to {@code t} (as real batches are, so the kernels' length-dependent paths are taken).
     */
    private io.din4j.data.Batch warmUpBatch(int rows, int t, int[] sizes, java.util.SplittableRandom rnd, long seed) {
        io.din4j.data.Batch batch = BenchCommand.randomBatch(rows, t, sizes, io.din4j.data.Vocabularies.sequenceTables(schema),
                schema.dense().size(), schema.tasks().size(), seed);
        int[] len = batch.lengths();
        for (int k = 0; k < len.length; k++) {
            len[k] = k == 0 ? t : rnd.nextInt(t + 1);  // one row at the padded length, as in a real batch
            for (int q = 0; q < batch.sequenceFields(); q++) {
                java.util.Arrays.fill(batch.sequence(q), k * t + len[k], (k + 1) * t, 0);
            }
        }
        return batch;
    }

    /** The warm-up goes on past the reader's fill time, until the JIT is quiet, only for data of this many batches or more. */
    static final int WARMUP_MIN_BATCHES = 50;
    /** Rows of each table of the warm-up's throwaway model: enough ids for a batch's gathers to scatter. */
    private static final int WARMUP_TABLE_ROWS = 1000;
    /**
     * Tiny steps after which the tiny phase gives way to full-size ones even when the JIT is not quiet: in the runs
     * where that phase went quiet (docs/cli.md, "The AOT cache with the warm-up") it did so after 242–1,467 steps,
     * median 499, and a tiny step past the first few hundred takes milliseconds (traced under load 10: the 250th
     * 8 ms, the 1,000th 1.5 ms), so the steps between a quick and a slow convergence cost little.
     */
    static final int WARMUP_TINY_STEPS = 500;
    /**
     * Full-size steps after which the warm-up ends even when the JIT is not quiet. In the 37 measured runs (all arms,
     * 2-core AVX2 host, load 4–9.5), the warm-ups that reached 150 or more full-size steps had the first epoch within
     * 1.3× of the later ones in 15 of 17 (all 5 without the AOT cache or a JIT flag; the two misses used a
     * compile-threshold flag), those with 60–149 in 4 of 9, those under 60 in 1 of 11: the count of full-size steps
     * done, not the seconds spent, told the runs apart (nearly all of them ended at the 30 s cap of that time). On a
     * quiet machine 150 steps of DIN at B = 256 take ~5 s once compiled.
     */
    static final int WARMUP_FULL_STEPS = 150;
    /**
     * Safety cap on the tiny phase, from the warm-up's start: steps that stay slow for this long (a huge model, a
     * starved JVM) give way to the full-size ones, which the first epoch needs compiled more. Before the step
     * floors it was the rule at 15 s, and it ended starved warm-ups after 20–140 tiny steps at 0.1–0.8 s each.
     */
    static final long WARMUP_TINY_CAP_NANOS = 45_000_000_000L;
    /**
     * Safety cap on the warm-up once the first batch is ready, reached only where steps take seconds even compiled
     * (a very large model or batch) or the machine is starved: the wait is bounded, the first epoch pays the rest.
     * It used to be the rule at 30 s, and ended starved warm-ups with few full-size steps; a long warm-up is not free
     * (its steps train nothing: under load 8 one of 45 s cost ~30 s more than it saved), so a cap stays, at three
     * times that.
     */
    static final long WARMUP_CAP_NANOS = 90_000_000_000L;
    /** The warm-up stops after this long even when the first batch is not ready (a very slow reader). */
    static final long WARMUP_MAX_NANOS = 120_000_000_000L;

    /** Batches built ahead of the model on a background thread (parsing and id mapping overlap the step). */
    static final int PREFETCH = 4;

    private Trainer.Result fit(String name, BatchStream trainBatches, BatchStream validBatches, PrintWriter out, PrintWriter err,
                               boolean interactive) {
        ProgressBar bar = new ProgressBar(name, err, interactive, trainRows, settings.epochs());
        trainer.addListener(new TrainListener() {
            @Override
            public void onProgress(Progress p) {
                bar.update(p.epoch(), p.samples(), p.samplesPerSecond(), p.loss());
            }

            @Override
            public void onEpochEnd(EpochReport r) {
                bar.clear();
                out.println(epochLine(name, r, settings.epochs(), schema.tasks()));
                out.flush();
            }
        });
        result = trainer.fit(trainBatches, validBatches);
        if (validBatches != null) {
            out.println(keptLine(name, result, settings.patience()));
            out.flush();
        }
        return result;
    }

    /** Which epoch's weights the model keeps, and why: said once after training with validation data. */
    static String keptLine(String name, Trainer.Result r, int patience) {
        int n = r.epochs().size();
        String auc = String.format(Locale.ROOT, "validation AUC %.4f", r.epochs().get(r.keptEpoch()).validation().values().iterator().next().auc());
        if (patience == 0) {
            return String.format(Locale.ROOT, "%s: kept epoch %d of %d, the last (%s; early stopping off: --patience 0)", name,
                    r.keptEpoch() + 1, n, auc);
        }
        return String.format(Locale.ROOT, "%s: kept epoch %d of %d, the best by %s%s", name, r.keptEpoch() + 1, n, auc,
                r.stoppedEarly() ? String.format(Locale.ROOT, "; stopped early after %d epoch%s without gain (--patience %d)",
                        n - 1 - r.keptEpoch(), n - 1 - r.keptEpoch() == 1 ? "" : "s", patience) : "");
    }

    static String epochLine(String name, TrainListener.EpochReport r, int epochs, List<String> tasks) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s epoch %d/%d  loss", name, r.epoch() + 1, epochs));
        for (double l : r.taskLoss()) {
            sb.append(String.format(Locale.ROOT, " %.4f", l));
        }
        for (String t : tasks) {
            Evaluation.TaskMetrics m = r.validation().get(t);
            if (m != null) {
                sb.append(String.format(Locale.ROOT, "  %s AUC %.4f GAUC %s logloss %.4f", tasks.size() > 1 ? t : "valid", m.auc(),
                        m.gaucText(), m.logloss()));
            }
        }
        sb.append(String.format(Locale.ROOT, "  (%.1f s, %,.0f samples/s)", r.seconds(), r.samplesPerSecond()));
        return sb.toString();
    }

    /** Training metadata for model.json, with how the data was read (so scoring reads it the same way). */
    Map<String, Object> metadata(String trainFile, String validFile) {
        Map<String, Object> m = new LinkedHashMap<>(trainer.metadata());
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("train", trainFile);
        d.put("valid", validFile);
        d.put("rows", trainRows);
        d.put("max_history", settings.maxHistory());
        d.put("min_count", settings.minCount());
        d.put("batch_size", settings.batchSize());
        d.put("shuffle_buffer", settings.shuffleBuffer());
        d.put("shuffle_memory_bytes", settings.shuffleBytes());
        d.put("sort_window", settings.sortWindow());
        m.put(ModelDirs.DATA, d);
        return m;
    }

    @Override
    public void close() {
        trainer.close();
        model.close();
    }
}
