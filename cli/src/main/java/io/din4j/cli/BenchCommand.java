package io.din4j.cli;

import io.din4j.backend.Backend;
import io.din4j.backend.cuda.CudaBackend;
import io.din4j.backend.cuda.DeviceCounters;
import io.din4j.data.Batch;
import io.din4j.data.BatchStream;
import io.din4j.data.FeatureSchema;
import io.din4j.data.Row;
import io.din4j.data.csv.CsvDataset;
import io.din4j.graph.OpTimes;
import io.din4j.json.Json;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.predict.Predictor;
import io.din4j.train.OptimizerSpec;
import io.din4j.tensor.HostArena;
import io.din4j.train.TrainConfig;
import io.din4j.train.Trainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "bench", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Time one model step on random data (inference, or training with --train).",
                "A training step is forward, backward and the optimizer update. Reports the median over repetitions",
                "after warm-up, with the spread (p10, p90, min, max) beside it.",
                "With --train --data FILE.csv it also times the real pipeline on that file (read, batch, step) beside the",
                "synthetic step at the same model, batch size and the data's mean history."},
        footer = {"", "Examples:",
                "  din4j bench --model din --batch 256 --hist 50",
                "  din4j bench --model din-ple --batch 1024 --hist 100 --train --threads 2 \\", "      --json",
                "  din4j bench --model din --train --batch 256 --data data/synth/train.csv",
                "  din4j bench --model din --batch 4096 --hist 200 --device cuda --json"})
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", defaultValue = "din", paramLabel = "TYPE", completionCandidates = ModelTypes.class,
            description = "${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--batch", defaultValue = "256", paramLabel = "B", description = "Samples per batch (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--hist", defaultValue = "50", paramLabel = "T", description = "History length of every sample (default ${DEFAULT-VALUE}; with --data: the data's mean).")
    int hist;

    @Option(names = "--train", description = "Time a training step instead of inference.")
    boolean train;

    @Option(names = "--data", paramLabel = "FILE", description = "With --train: also time the real pipeline on this CSV (read, batch, step), "
            + "beside the synthetic step at the data's vocabularies and mean history. --schema, --tasks, --sparse, --dense, --ignore as in train.")
    Path data;

    @Option(names = "--sort-window", paramLabel = "BATCHES", defaultValue = "" + Training.DEFAULT_SORT_WINDOW,
            description = "With --data: the pipeline's length-sorting window, as train's --sort-window (default ${DEFAULT-VALUE}; 0 = batches padded to the longest history of random rows).")
    int sortWindow;

    @Option(names = "--reps", paramLabel = "N", defaultValue = "50", description = "Timed repetitions (default ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "10", description = "Untimed repetitions first, at least (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--warmup-seconds", paramLabel = "S", defaultValue = "3",
            description = "Warm up for at least this long, then on until the step time stops improving and the JIT is quiet, so the kernels are compiled (default ${DEFAULT-VALUE}).")
    double warmupSeconds;

    @Option(names = "--max-warmup-seconds", paramLabel = "S", defaultValue = "60",
            description = "Stop warming up after this long even if the JIT is still busy (default ${DEFAULT-VALUE}).")
    double maxWarmupSeconds;

    @Option(names = "--batches", paramLabel = "N", defaultValue = "8",
            description = "Distinct random batches, taken in turn (default ${DEFAULT-VALUE}): the steps touch different table rows, as training does.")
    int batches;

    @Option(names = "--embedding-dim", defaultValue = "0", paramLabel = "D", description = "Embedding width (default: the model's, 32).")
    int embeddingDim;

    @Option(names = "--items", paramLabel = "N", defaultValue = "100000", description = "Rows of the item table (default ${DEFAULT-VALUE}).")
    int items;

    @Option(names = "--json", description = "Print {\"ms_per_batch\", \"samples_per_s\", \"ms_p10\", \"ms_p90\", \"threads\", ...}.")
    boolean json;

    @Option(names = "--vector-check", paramLabel = "S", arity = "0..1", fallbackValue = "5", defaultValue = "0",
            description = "After the timed steps, sample the warmed-up steps with JFR for S seconds (default 5) and fail "
                    + "(exit 3) when more than 1%% of the samples sit in the Vector API's Java fallback; lists the hot methods.")
    double vectorCheck;

    @Option(names = "--alloc-check", paramLabel = "BYTES", arity = "0..1", fallbackValue = "" + DEFAULT_ALLOC_LIMIT, defaultValue = "-1",
            description = "After the timed steps, count the Java heap the warmed-up step allocates (all threads) and name the sites "
                    + "(JFR allocation samples); fail (exit 4) when it is more than BYTES per sample (default " + DEFAULT_ALLOC_LIMIT + ").")
    long allocCheck;

    @Option(names = "--ops", paramLabel = "N", arity = "0..1", fallbackValue = "-1", defaultValue = "0",
            description = "After the timed steps, run N more (default: as many as --reps) timing every op of the model's graph, "
                    + "and print where a step's time goes, op by op (thread time per step; io.din4j.graph.OpTimes).")
    int ops;

    /**
     * Default bound of {@code --alloc-check}, bytes per sample: about twice what a DIN step at B = 256, T = 15
     * allocated on the AVX2 host after the boxing fixes (971; the partial-vector tails of narrow outputs in
     * Gemm.store and of the loss), a tenth of the 23 KB measured before them (docs/architecture.md).
     */
    static final long DEFAULT_ALLOC_LIMIT = 2048;

    /**
     * How far over {@link #DEFAULT_ALLOC_LIMIT} the timed steps' allocation must be before the bench says the JIT left
     * vectors boxed. A warmed-up DIN step allocates 0.4-2.3 KB per sample here (other threads included); in some JVMs
     * C2 compiled a kernel with its vectors as heap objects and the same step allocated 41-94 KB per sample and ran
     * 1.3-1.5x slower (JFR: FloatVector.add results in CpuAttentionOps.foldedBackward).
     */
    static final int BOXED_FACTOR = 4;

    /**
     * Steps shorter than this (ms) get an untimed step between the host probe and the timed one. DIN at B = 1, T = 50,
     * one thread: 45-52 us per step timed right after the probe, 30-31 us with no probe at all (the --ops steps).
     */
    static final double SETTLE_BELOW_MS = 2.0;

    /** A host-probe spread (p10-p90 over the median) above which the bench says the host's speed moved. */
    static final double HOST_MOVED = 0.10;

    /**
     * Whether the timed steps allocated like a kernel with boxed vectors: more than {@link #BOXED_FACTOR} times the
     * allocation check's default per sample and more than 2 MB per step (at small batches the step's fixed garbage
     * alone passes the per-sample bound), after a warm-up that left the JIT quiet (interpreted code allocates anyway,
     * and the JIT note covers that case).
     */
    private boolean boxedSuspected(Result r) {
        return r.allocPerSample > (double) BOXED_FACTOR * DEFAULT_ALLOC_LIMIT && r.allocPerSample * batch > 2e6 && !jitBusy(r);
    }

    private static boolean jitBusy(Result r) {
        return r.jitMsTimed > 0.05 * Arrays.stream(r.ms).sum();
    }

    @CommandLine.Mixin
    SchemaOptions schemaOptions = new SchemaOptions();

    @CommandLine.Mixin
    DeviceOptions device = new DeviceOptions();

    @Override
    public Integer call() throws IOException {
        ModelConfig.Type type = ModelOptions.type(spec, "--model", model);
        Flags.atLeast(spec, "--batch", batch, 1);
        Flags.atLeast(spec, "--hist", hist, 0);
        Flags.atLeast(spec, "--reps", reps, 1);
        Flags.atLeast(spec, "--warmup", warmup, 0);
        if (!(warmupSeconds >= 0)) {
            throw Flags.bad(spec, "--warmup-seconds", warmupSeconds, "a number >= 0");
        }
        if (!(maxWarmupSeconds >= 0)) {
            throw Flags.bad(spec, "--max-warmup-seconds", maxWarmupSeconds, "a number >= 0");
        }
        Flags.atLeast(spec, "--batches", batches, 1);
        Flags.atLeast(spec, "--embedding-dim", embeddingDim, 0);
        Flags.atLeast(spec, "--items", items, 2);
        Flags.atLeast(spec, "--sort-window", sortWindow, 0);
        if (!(vectorCheck >= 0)) {
            throw Flags.bad(spec, "--vector-check", vectorCheck, "a number of seconds >= 0");
        }
        if (spec.commandLine().getParseResult().hasMatchedOption("--alloc-check") && allocCheck < 0) {
            throw Flags.bad(spec, "--alloc-check", allocCheck, "a number of bytes >= 0");
        }
        if (ops < -1 || ops == 0 && spec.commandLine().getParseResult().hasMatchedOption("--ops")) {
            throw Flags.bad(spec, "--ops", ops, "a number of steps >= 1");
        }
        if (data != null) {
            if (!train) {
                throw Flags.bad(spec, "--data: times the training pipeline and needs --train");
            }
            for (String flag : List.of("--hist", "--items")) {
                if (spec.commandLine().getParseResult().hasMatchedOption(flag)) {
                    throw Flags.bad(spec, flag + ": not used with --data (the synthetic step takes the data's vocabularies and mean history)");
                }
            }
            if (!Files.isRegularFile(data)) {
                throw new UserError("--data: " + data + ": no such file");
            }
            return benchData(type);
        }
        List<String> tasks = type.isMultiTask() ? List.of("click", "conversion") : List.of("click");
        FeatureSchema schema = FeatureSchema.canonical(tasks);
        int users = 100_000;
        int cats = Math.max(2, Math.min(1000, items / 10));
        int[] sizes = {users, items, cats};
        ModelConfig.Builder b = ModelConfig.builder(type).tasks(tasks.toArray(String[]::new)).maxHistory(Math.max(1, hist));
        if (embeddingDim > 0) {
            b.embeddingDim(embeddingDim);
        }
        Batch[] inputs = randomBatches(batches, batch, hist, sizes, new int[] {1, 2}, 0, tasks.size(), 7);
        Result r;
        try (Backend backend = device.create(); Model m = new Model(b.build(), schema, sizes, backend, batch);
             Trainer trainer = new Trainer(m, TrainConfig.builder().optimizer(OptimizerSpec.adam(1e-3)).build());
             Predictor p = Predictor.of(m, batch)) {
            // Inference is timed as `predict` and embedders score: through a Predictor, which on the cpu backend runs
            // a large batch in row parts, one per thread (docs/architecture.md).
            scorer = p;
            r = measure(m, trainer, inputs, backend);
        } finally {
            scorer = null;
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.print(Json.write(jsonOf(type, hist, r)));
        } else {
            printText(out, type, hist, r);
        }
        out.flush();
        return checksExit(r);
    }

    /**
     * {@code --data}: builds the vocabularies and the model from the file as {@code train} does, times the synthetic
     * step on that model at the data's mean history, then one pass of the real pipeline over the file (parsing,
     * shuffle buffer, batching on the prefetch thread, steps), with the kernels already compiled by the synthetic run.
     */
    private int benchData(ModelConfig.Type type) throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        // Progress lines go to stderr under --json, so standard output stays one JSON object.
        PrintWriter log = json ? spec.commandLine().getErr() : out;
        FeatureSchema schema = schemaOptions.resolve(data, log);
        if (type.usesAttention() && schema.sequences().isEmpty()) {
            throw new UserError("--model " + model + ": needs behaviour sequences (hist_* columns), " + data + " has none");
        }
        // train's defaults (rare ids' shared row, mini-batch aware regularization), so that both time the model a
        // plain `din4j train` on this file builds.
        Training.Settings settings = new Training.Settings(type, 1, batch, 1e-3, OptimizerSpec.Kind.ADAM, 1, embeddingDim, 0,
                Training.DEFAULT_MIN_COUNT, TRAIN_SHUFFLE_BUFFER, (long) Training.DEFAULT_SHUFFLE_MIB << 20, sortWindow,
                Training.DEFAULT_MBA_LAMBDA, 0, null, null, null, 0);
        long[] counts = new long[2];
        Result r;
        Pipeline p;
        int meanT;
        double meanHistory;
        try (CsvDataset rows = new CsvDataset(data, schema, true, schemaOptions.ignored()); Backend backend = device.create();
             Training t = Training.prepare(type.id(), schema, counting(rows, counts), settings, backend, log)) {
            meanHistory = counts[1] / (double) Math.max(1, counts[0]);
            meanT = (int) Math.round(meanHistory);
            Batch[] inputs = randomBatches(batches, batch, meanT, t.vocabularies.sizes(), io.din4j.data.Vocabularies.sequenceTables(schema),
                    schema.dense().size(), schema.tasks().size(), 7);
            r = measure(t.model, t.trainer, inputs, backend);
            p = pipeline(rows, t, backend);
        }
        if (json) {
            Map<String, Object> j = jsonOf(type, meanT, r);
            j.put("data", data.toString());
            j.put("data_rows", counts[0]);
            j.put("data_mean_history", meanHistory);
            j.put("pipeline_rows", p.rows);
            j.put("pipeline_seconds", p.seconds);
            j.put("pipeline_samples_per_s", p.samplesPerSecond());
            j.put("pipeline_input_wait_share", p.waitSeconds / p.seconds);
            j.put("pipeline_mean_batch_history", p.meanBatchHistory());
            j.put("pipeline_vs_synthetic", p.samplesPerSecond() / r.samplesPerSecond(batch));
            out.print(Json.write(j));
        } else {
            out.printf(Locale.ROOT, "synthetic step at the data's mean history (%.1f behaviours):%n", meanHistory);
            printText(out, type, meanT, r);
            out.printf(Locale.ROOT, "pipeline on %s (read, batch, step; one pass after the synthetic run): %,d rows in %.1f s, %,.0f samples/s, "
                            + "%.0f%% of the synthetic step; waiting for batches %.0f%% of the time; batches padded to T = %.1f on average%n",
                    data, p.rows, p.seconds, p.samplesPerSecond(), 100 * p.samplesPerSecond() / r.samplesPerSecond(batch),
                    100 * p.waitSeconds / p.seconds, p.meanBatchHistory());
        }
        out.flush();
        return checksExit(r);
    }

    /** {@code din4j train}'s default {@code --shuffle-buffer}: the pipeline is timed as train runs it. */
    private static final int TRAIN_SHUFFLE_BUFFER = 100_000;

    /** Rows read, the time spent waiting for the next batch, and the summed padded history of the batches. */
    private record Pipeline(long rows, double seconds, double waitSeconds, long batches, long paddedHistory) {
        double samplesPerSecond() {
            return rows / seconds;
        }

        double meanBatchHistory() {
            return batches == 0 ? 0 : paddedHistory / (double) batches;
        }
    }

    private Pipeline pipeline(Iterable<Row> rows, Training t, Backend backend) {
        long start = System.nanoTime();
        long wait = 0;
        long n = 0;
        long count = 0;
        long padded = 0;
        try (BatchStream stream = t.trainStream(rows)) {
            Iterator<Batch> it = stream.iterator();
            while (true) {
                long w0 = System.nanoTime();
                if (!it.hasNext()) {
                    wait += System.nanoTime() - w0;
                    break;
                }
                Batch b = it.next();
                wait += System.nanoTime() - w0;
                t.trainer.step(b, 0);
                backend.synchronize();
                n += b.size();
                count++;
                padded += b.history();
            }
        }
        return new Pipeline(n, (System.nanoTime() - start) / 1e9, wait / 1e9, count, padded);
    }

    /** {@code rows}, adding to {@code counts} the rows read and their behaviours on the first pass. */
    private static Iterable<Row> counting(Iterable<Row> rows, long[] counts) {
        return () -> {
            Iterator<Row> it = rows.iterator();
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public Row next() {
                    Row r = it.next();
                    counts[0]++;
                    counts[1] += r.historyLength();
                    return r;
                }
            };
        };
    }

    /** {@code --ops}: the steps it ran, their times (ms, with the timers on) and the ops' totals over them. */
    record OpProfile(int steps, double[] ms, List<OpTimes.Row> rows) {
        long totalNanos() {
            return rows.stream().mapToLong(OpTimes.Row::nanos).sum();
        }

        double medianMs() {
            double[] s = ms.clone();
            Arrays.sort(s);
            return percentile(s, 0.5);
        }

        /** One row per op for the JSON: label, kind, name, pass, µs and calls per step, share of all ops' time. */
        List<Map<String, Object>> json() {
            long total = Math.max(1, totalNanos());
            List<Map<String, Object>> out = new java.util.ArrayList<>();
            for (OpTimes.Row r : rows) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("op", r.label());
                j.put("kind", r.kind());
                j.put("name", r.name());
                j.put("pass", r.backward() ? "backward" : "forward");
                j.put("us_per_step", r.nanos() / 1e3 / steps);
                j.put("calls_per_step", r.calls() / (double) steps);
                j.put("share", r.nanos() / (double) total);
                out.add(j);
            }
            return out;
        }

        void print(PrintWriter out, int threads) {
            long total = Math.max(1, totalNanos());
            out.printf(Locale.ROOT, "ops over %d steps with their timers on (%.3f ms per step, median), slowest first: each op's time on the"
                    + " thread that ran it (a training step's ops on the calling thread, inference parts on every thread); %.0f us per step in all,"
                    + " %d threads%n", steps, medianMs(), totalNanos() / 1e3 / steps, threads);
            out.printf(Locale.ROOT, "  %6s  %10s  %10s  %s%n", "share", "us/step", "calls/step", "op");
            for (OpTimes.Row r : rows) {
                out.printf(Locale.ROOT, "  %5.1f%%  %10.1f  %10.1f  %s%n", 100.0 * r.nanos() / total, r.nanos() / 1e3 / steps,
                        r.calls() / (double) steps, r.label());
            }
        }
    }

    /** What one bench measured. */
    private record Result(String backend, int threads, double[] ms, double warmupSeconds, int warmupSteps, long jitMsTimed,
                          long gcTimed, long gcMsTimed, long nativeBytes, long heapBytes, VectorFallbackCheck.Result check,
                          DeviceCounters.Snapshot perStep, double allocPerSample, AllocationCheck.Result alloc, double[] probeMs,
                          OpProfile opProfile) {
        double[] probeSorted() {
            double[] s = probeMs.clone();
            Arrays.sort(s);
            return s;
        }

        /** The host probe's p10-p90 spread as a share of its median: how much the host's own speed moved. */
        double probeSpread() {
            double[] s = probeSorted();
            return (percentile(s, 0.9) - percentile(s, 0.1)) / percentile(s, 0.5);
        }

        double[] sorted() {
            double[] s = ms.clone();
            Arrays.sort(s);
            return s;
        }

        double median() {
            return percentile(sorted(), 0.5);
        }

        double samplesPerSecond(int batch) {
            return batch / (median() / 1e3);
        }
    }

    /**
     * Warm-up, then the timed steps. What made runs of the same command differ (docs/cli.md#bench): a warm-up that
     * ended while C2 was still compiling the kernels (the compile threads take one of the two cores, and code
     * compiled late replaces code that was slower), a collection of the warm-up's garbage inside the timed steps,
     * and one batch repeated, whose few rows stay in cache. So: warm up until the step time stops improving and the
     * JIT is quiet, collect before timing, rotate {@code --batches} batches, and report what the JIT and GC did
     * during the timed steps so a disturbed run says so.
     */
    private Result measure(Model m, Trainer trainer, Batch[] inputs, Backend backend) {
        if (ops != 0 && backend instanceof CudaBackend) {
            throw new UserError("--ops: times each op on the host's clock, which on " + backend.name()
                    + " sees only the launches; use --device cpu (or a CUDA profiler for the kernels)");
        }
        long w0 = System.nanoTime();
        int warmSteps = warmUp(m, trainer, inputs, backend);
        double warmS = (System.nanoTime() - w0) / 1e9;
        System.gc();
        long jit0 = jitMillis();
        long[] gc0 = gcCounts();
        double[] ms = new double[reps];
        double[] probeMs;
        long alloc0;
        try (HostProbe probe = new HostProbe(backend.threads())) {
            for (int i = 0; i < 50; i++) {
                probe.run(); // compiled before it is timed
            }
            alloc0 = AllocationCheck.allocatedBytes();
            for (int i = 0; i < reps; i++) {
                Batch in = inputs[(warmSteps + i) % inputs.length];
                probe.record();
                if (i == 0 || ms[i - 1] < SETTLE_BELOW_MS) {
                    // A short step would pay for the probe: its 128 KB per thread evicted the step's weights from L1
                    // and L2, and the backend's workers parked during the probe's pause. An untimed step on another
                    // batch (not this one's rows) first.
                    step(m, trainer, inputs[(warmSteps + i + inputs.length / 2) % inputs.length], backend);
                }
                long t0 = System.nanoTime();
                step(m, trainer, in, backend);
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            probeMs = probe.times();
        }
        long jitTimed = jitMillis() - jit0;
        long[] gc1 = gcCounts();
        long alloc1 = AllocationCheck.allocatedBytes();
        int samples = 0;
        for (int i = 0; i < reps; i++) {
            samples += inputs[(warmSteps + i) % inputs.length].size();
        }
        double allocPerSample = alloc0 < 0 ? Double.NaN : (alloc1 - alloc0) / (double) samples;
        long nativeBytes = HostArena.liveBytes();
        Runtime rt = Runtime.getRuntime();
        long heap = rt.totalMemory() - rt.freeMemory();
        VectorFallbackCheck.Result check = null;
        if (vectorCheck > 0) {
            int[] k = {0};
            check = VectorFallbackCheck.sample(() -> step(m, trainer, inputs[k[0]++ % inputs.length], backend), vectorCheck);
        }
        AllocationCheck.Result alloc = null;
        if (allocCheck >= 0) {
            int[] k = {0};
            alloc = AllocationCheck.measure(() -> step(m, trainer, inputs[k[0]++ % inputs.length], backend), Math.max(reps, 20),
                    inputs[0].size(), allocCheck);
        }
        DeviceCounters.Snapshot perStep = backend instanceof CudaBackend cuda ? countSteps(m, trainer, inputs[0], cuda) : null;
        OpProfile opProfile = null;
        if (ops != 0) {
            int n = ops < 0 ? reps : ops;
            double[] opMs = new double[n];
            OpTimes.start();
            try {
                for (int i = 0; i < n; i++) {
                    long t0 = System.nanoTime();
                    step(m, trainer, inputs[i % inputs.length], backend);
                    opMs[i] = (System.nanoTime() - t0) / 1e6;
                }
            } finally {
                opProfile = new OpProfile(n, opMs, OpTimes.stop());
            }
        }
        return new Result(backend.name(), backend.threads(), ms, warmS, warmSteps, jitTimed, gc1[0] - gc0[0], gc1[1] - gc0[1],
                nativeBytes, heap, check, perStep, allocPerSample, alloc, probeMs, opProfile);
    }

    private Map<String, Object> jsonOf(ModelConfig.Type type, int t, Result r) {
        double[] sorted = r.sorted();
        double median = r.median();
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("model", type.id());
        j.put("mode", train ? "train" : "inference");
        j.put("batch", batch);
        j.put("hist", t);
        j.put("device", r.backend);
        j.put("threads", r.threads);
        j.put("reps", reps);
        j.put("batches", batches);
        j.put("ms_per_batch", median);
        j.put("samples_per_s", r.samplesPerSecond(batch));
        j.put("ms_min", sorted[0]);
        j.put("ms_p10", percentile(sorted, 0.1));
        j.put("ms_p25", percentile(sorted, 0.25));
        j.put("ms_p75", percentile(sorted, 0.75));
        j.put("ms_p90", percentile(sorted, 0.9));
        j.put("ms_max", sorted[sorted.length - 1]);
        j.put("spread_p10_p90", (percentile(sorted, 0.9) - percentile(sorted, 0.1)) / median);
        // In the order they ran: whether slow steps come in runs (a thread kept off its core) or alone.
        j.put("ms_steps", Arrays.stream(r.ms).boxed().toList());
        j.put("host_probe_ms", percentile(r.probeSorted(), 0.5));
        j.put("host_probe_spread_p10_p90", r.probeSpread());
        j.put("host_probe_ms_steps", Arrays.stream(r.probeMs).boxed().toList());
        j.put("warmup_s", r.warmupSeconds);
        j.put("warmup_steps", r.warmupSteps);
        j.put("jit_ms_timed", r.jitMsTimed);
        j.put("gc_timed", r.gcTimed);
        j.put("gc_ms_timed", r.gcMsTimed);
        if (r.nativeBytes > 0) {
            j.put("native_bytes", r.nativeBytes);
        }
        j.put("heap_used_bytes", r.heapBytes);
        j.put("alloc_bytes_per_sample", r.allocPerSample);
        j.put("boxed_vectors_suspected", boxedSuspected(r));
        if (r.alloc != null) {
            j.put("alloc_check_bytes_per_sample", r.alloc.bytesPerSample());
            j.put("alloc_check_limit", r.alloc.limit());
            j.put("alloc_sites", r.alloc.sites());
        }
        if (r.backend.equals("cpu")) {
            j.put("vector_isa", io.din4j.backend.cpu.CpuBackend.vectorIsa());
        }
        VectorFallbackCheck.Result check = r.check;
        if (check != null) {
            j.put("vector_check_samples", check.samples());
            j.put("vector_fallback_share", check.share());
            j.put("vector_fallback_callers", check.fallbackCallers());
            j.put("hot_methods", check.hotMethods());
        }
        if (r.opProfile != null) {
            j.put("ops_steps", r.opProfile.steps());
            j.put("ops_ms_per_step", r.opProfile.medianMs());
            j.put("ops", r.opProfile.json());
        }
        DeviceCounters.Snapshot perStep = r.perStep;
        if (perStep != null) {
            j.put("kernels_per_step", perStep.kernels() / (double) COUNTED_STEPS);
            j.put("host_syncs_per_step", perStep.hostSyncs() / (double) COUNTED_STEPS);
            j.put("uploads_per_step", perStep.uploads() / (double) COUNTED_STEPS);
            j.put("bytes_uploaded_per_step", perStep.uploadedBytes() / (double) COUNTED_STEPS);
            j.put("bytes_downloaded_per_step", perStep.downloadedBytes() / (double) COUNTED_STEPS);
            j.put("host_launches_per_step", perStep.hostLaunches() / (double) COUNTED_STEPS);
            j.put("graph_launches_per_step", perStep.graphLaunches() / (double) COUNTED_STEPS);
        }
        return j;
    }

    private void printText(PrintWriter out, ModelConfig.Type type, int t, Result r) {
        double[] sorted = r.sorted();
        double median = r.median();
        double p10 = percentile(sorted, 0.1);
        double p90 = percentile(sorted, 0.9);
        out.printf(Locale.ROOT, "%s %s, B=%d, T=%d, %s with %d threads: %.3f ms per batch (median of %d; p10 %.3f, p90 %.3f, min %.3f, max %.3f; "
                        + "p10-p90 %.1f%% of the median), %,.0f samples/s%n",
                type.id(), train ? "training step" : "inference", batch, t, r.backend, r.threads, median, reps, p10, p90, sorted[0],
                sorted[sorted.length - 1], 100 * (p90 - p10) / median, r.samplesPerSecond(batch));
        out.printf(Locale.ROOT, "warm-up %.1f s (%d steps); during the timed steps: JIT %d ms, %d GCs (%d ms)%s%n", r.warmupSeconds, r.warmupSteps,
                r.jitMsTimed, r.gcTimed, r.gcMsTimed, r.nativeBytes > 0 ? String.format(Locale.ROOT, "; native memory %.1f MB, Java heap used %.1f MB",
                        r.nativeBytes / 1e6, r.heapBytes / 1e6) : "");
        out.printf(Locale.ROOT, "host probe (fixed vector work on %d threads before each timed step): %.3f ms median, p10-p90 %.1f%% of it%s%n",
                r.threads, percentile(r.probeSorted(), 0.5), 100 * r.probeSpread(),
                r.probeSpread() > HOST_MOVED ? "; the host's own speed moved during the run, so its steps did too (docs/cli.md#bench)" : "");
        out.printf(Locale.ROOT, "Java heap allocated during the timed steps (all threads): %,.0f bytes per sample%n", r.allocPerSample);
        if (r.alloc != null) {
            out.printf(Locale.ROOT, "alloc check: %,.0f bytes per sample (limit %,d)%s%n", r.alloc.bytesPerSample(), r.alloc.limit(),
                    r.alloc.sites().isEmpty() ? "" : "; sites (JFR samples, bytes per sample):");
            r.alloc.sites().forEach((k, v) -> out.printf(Locale.ROOT, "  %8.1f  %s%n", v, k));
        }
        if (boxedSuspected(r)) {
            out.printf(Locale.ROOT, "note: the timed steps allocated %,.0f bytes per sample, over %d times what a warmed-up step allocates (--alloc-check, limit %,d):"
                    + " in this JVM C2 left some vector code boxed, so this run is slower than a typical one; run it again (docs/cli.md#bench)%n",
                    r.allocPerSample, BOXED_FACTOR, DEFAULT_ALLOC_LIMIT);
        }
        if (jitBusy(r)) {
            out.println("note: the JIT was still compiling during the timed steps; a longer --max-warmup-seconds gives a steadier figure");
        }
        if (r.backend.equals("cpu")) {
            out.println("vector ISA: " + io.din4j.backend.cpu.CpuBackend.vectorIsa());
        }
        VectorFallbackCheck.Result check = r.check;
        if (check != null) {
            out.printf(Locale.ROOT, "vector check: %d of %d samples (%.2f%%) in the Vector API's Java fallback (limit %.0f%%)%n",
                    check.fallbackSamples(), check.samples(), 100 * check.share(), 100 * VectorFallbackCheck.LIMIT);
            check.fallbackCallers().forEach((k, v) -> out.printf(Locale.ROOT, "  fallback %5d  %s%n", v, k));
            out.println("hot methods (self samples):");
            int samples = check.samples();
            check.hotMethods().forEach((k, v) -> out.printf(Locale.ROOT, "  %5.1f%%  %s%n", 100.0 * v / samples, k));
        }
        if (r.opProfile != null) {
            r.opProfile.print(out, r.threads);
        }
        DeviceCounters.Snapshot perStep = r.perStep;
        if (perStep != null) {
            out.printf(Locale.ROOT, "per step: %.1f kernels (%.1f launched one by one, %.1f graph launches), %.1f host syncs,"
                            + " %.1f uploads of %,.0f bytes, %,.0f bytes read back%n",
                    perStep.kernels() / (double) COUNTED_STEPS, perStep.hostLaunches() / (double) COUNTED_STEPS,
                    perStep.graphLaunches() / (double) COUNTED_STEPS, perStep.hostSyncs() / (double) COUNTED_STEPS,
                    perStep.uploads() / (double) COUNTED_STEPS, perStep.uploadedBytes() / (double) COUNTED_STEPS,
                    perStep.downloadedBytes() / (double) COUNTED_STEPS);
        }
    }

    /** Exit status of the checks asked for: 3 when the vector check failed, else 4 when the allocation check failed. */
    private int checksExit(Result r) {
        int v = vectorCheckExit(r.check);
        if (v != 0) {
            return v;
        }
        if (r.alloc != null && !r.alloc.passed()) {
            spec.commandLine().getErr().printf(Locale.ROOT, "din4j bench: allocation check failed: %,.0f bytes per sample allocated by the warmed-up step (limit %,d)%n",
                    r.alloc.bytesPerSample(), r.alloc.limit());
            return 4;
        }
        return 0;
    }

    private int vectorCheckExit(VectorFallbackCheck.Result check) {
        if (check != null && !check.passed()) {
            spec.commandLine().getErr().printf(Locale.ROOT, "din4j bench: vector check failed: %.2f%% of %d samples in the Vector API's Java fallback (limit %.0f%%)%n",
                    100 * check.share(), check.samples(), 100 * VectorFallbackCheck.LIMIT);
            return 3;
        }
        return 0;
    }

    /** The q-quantile of sorted values, interpolating linearly between neighbours (q = 0.5 is the usual median). */
    static double percentile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    /**
     * Untimed steps: at least {@code --warmup} of them and {@code --warmup-seconds}, then windows of at least 5 steps
     * and 500 ms until, twice in a row, a window's best is no more than 3% faster than the previous one's and the
     * JIT compiled for under 5% of the window (C2 compiles the big vector kernels only after several seconds here: a fixed 3 s
     * warm-up measured DIN B=1024 at 32 ms, a converged one at 15 ms), at most {@code --max-warmup-seconds}.
     * Returns the number of steps taken, so the timed steps continue the batch rotation.
     */
    private int warmUp(Model m, Trainer trainer, Batch[] inputs, Backend backend) {
        long start = System.nanoTime();
        int n = 0;
        while (n < warmup || (System.nanoTime() - start) / 1e9 < warmupSeconds) {
            step(m, trainer, inputs[n++ % inputs.length], backend);
        }
        double previous = Double.MAX_VALUE;
        int quiet = 0;
        while ((System.nanoTime() - start) / 1e9 < maxWarmupSeconds) {
            long jit0 = jitMillis();
            long w0 = System.nanoTime();
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 5 || System.nanoTime() - w0 < 500_000_000L; i++) {
                long t0 = System.nanoTime();
                step(m, trainer, inputs[n++ % inputs.length], backend);
                best = Math.min(best, (System.nanoTime() - t0) / 1e6);
            }
            double windowMs = (System.nanoTime() - w0) / 1e6;
            // Two quiet windows in a row: C2 works through its queue in bursts, and one quiet window between two
            // bursts ended the warm-up with seconds of compiling still to come.
            quiet = best > previous * 0.97 && jitMillis() - jit0 <= 0.05 * windowMs ? quiet + 1 : 0;
            if (quiet == 2) {
                return n;
            }
            previous = best;
        }
        return n;
    }

    /** Milliseconds the JIT compilers have spent so far (0 where the JVM does not say). */
    static long jitMillis() {
        var c = ManagementFactory.getCompilationMXBean();
        return c != null && c.isCompilationTimeMonitoringSupported() ? c.getTotalCompilationTime() : 0;
    }

    /** Collections and milliseconds spent collecting so far, over every collector. */
    private static long[] gcCounts() {
        long[] r = new long[2];
        for (GarbageCollectorMXBean g : ManagementFactory.getGarbageCollectorMXBeans()) {
            r[0] += Math.max(0, g.getCollectionCount());
            r[1] += Math.max(0, g.getCollectionTime());
        }
        return r;
    }

    /** What inference runs are timed through, for the duration of one {@link #call}. */
    private Predictor scorer;

    /** Steps whose device work is counted (after the timed ones, so the counting never touches a timing). */
    private static final int COUNTED_STEPS = 3;

    /**
     * The cuda device's counters over {@link #COUNTED_STEPS} steps, without the benchmark's own synchronize after
     * each: what the model and trainer themselves launch, synchronise and upload.
     */
    private DeviceCounters.Snapshot countSteps(Model m, Trainer trainer, Batch data, CudaBackend cuda) {
        DeviceCounters.Snapshot before = cuda.device().counters().snapshot();
        for (int i = 0; i < COUNTED_STEPS; i++) {
            if (train) {
                trainer.step(data, 0);
            } else {
                scorer.predict(data);
            }
        }
        DeviceCounters.Snapshot after = cuda.device().counters().snapshot();
        cuda.synchronize();
        return after.minus(before);
    }

    private void step(Model m, Trainer trainer, Batch data, Backend backend) {
        if (train) {
            trainer.step(data, 0);
        } else {
            scorer.predict(data);
        }
        backend.synchronize();
    }

    /** {@code n} batches from consecutive seeds: a bench that takes them in turn touches different table rows every step. */
    static Batch[] randomBatches(int n, int b, int t, int[] sizes, int[] seqTables, int dense, int tasks, long seed) {
        Batch[] r = new Batch[n];
        for (int i = 0; i < n; i++) {
            r[i] = randomBatch(b, t, sizes, seqTables, dense, tasks, seed + i);
        }
        return r;
    }

    /**
     * Uniformly random ids (row 0, the out-of-vocabulary row, excluded unless a table has no other), every history
     * of length T, sequence {@code s} drawing from table {@code seqTables[s]}, dense features in [0, 1), labels 0/1
     * with every task labelled.
     */
    static Batch randomBatch(int b, int t, int[] sizes, int[] seqTables, int dense, int tasks, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[][] sparse = new int[sizes.length][b];
        for (int f = 0; f < sizes.length; f++) {
            for (int i = 0; i < b; i++) {
                sparse[f][i] = randomId(r, sizes[f]);
            }
        }
        int[][] seqs = new int[seqTables.length][b * t];
        for (int i = 0; i < b * t; i++) {
            for (int s = 0; s < seqTables.length; s++) {
                seqs[s][i] = randomId(r, sizes[seqTables[s]]);
            }
        }
        int[] lengths = new int[b];
        Arrays.fill(lengths, t);
        float[][] values = new float[dense][b];
        for (float[] v : values) {
            for (int i = 0; i < b; i++) {
                v[i] = (float) r.nextDouble();
            }
        }
        float[][] labels = new float[tasks][b];
        float[][] mask = new float[tasks][b];
        for (int k = 0; k < tasks; k++) {
            for (int i = 0; i < b; i++) {
                labels[k][i] = r.nextBoolean() ? 1 : 0;
                mask[k][i] = 1;
            }
        }
        String[] groups = new String[b];
        for (int i = 0; i < b; i++) {
            groups[i] = Integer.toString(sizes.length == 0 ? 0 : sparse[0][i]);
        }
        return new Batch(b, t, sparse, seqs, lengths, values, labels, mask, groups);
    }

    static int randomId(SplittableRandom r, int rows) {
        return rows > 1 ? 1 + r.nextInt(rows - 1) : 0;
    }
}
