package io.din4j.cli;

import io.din4j.backend.Backend;
import io.din4j.backend.cuda.CudaBackend;
import io.din4j.backend.cuda.DeviceCounters;
import io.din4j.data.Batch;
import io.din4j.data.FeatureSchema;
import io.din4j.io.Json;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.train.OptimizerSpec;
import io.din4j.train.TrainConfig;
import io.din4j.train.Trainer;
import java.io.PrintWriter;
import java.util.Arrays;
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
                "after warm-up."},
        footer = {"", "Examples:",
                "  din4j bench --model din --batch 256 --hist 50",
                "  din4j bench --model din-ple --batch 1024 --hist 100 --train --threads 2 \\", "      --json",
                "  din4j bench --model din --batch 4096 --hist 200 --device cuda --json"})
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", defaultValue = "din", paramLabel = "TYPE", completionCandidates = ModelTypes.class,
            description = "${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--batch", defaultValue = "256", paramLabel = "B", description = "Samples per batch (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--hist", defaultValue = "50", paramLabel = "T", description = "History length of every sample (default ${DEFAULT-VALUE}).")
    int hist;

    @Option(names = "--train", description = "Time a training step instead of inference.")
    boolean train;

    @Option(names = "--reps", paramLabel = "N", defaultValue = "20", description = "Timed repetitions (default ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "10", description = "Untimed repetitions first, at least (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--warmup-seconds", paramLabel = "S", defaultValue = "3",
            description = "Warm up for at least this long, then on until the step time stops improving (at most 60 s), so the JIT has compiled the kernels (default ${DEFAULT-VALUE}).")
    double warmupSeconds;

    @Option(names = "--embedding-dim", defaultValue = "0", paramLabel = "D", description = "Embedding width (default: the model's, 32).")
    int embeddingDim;

    @Option(names = "--items", paramLabel = "N", defaultValue = "100000", description = "Rows of the item table (default ${DEFAULT-VALUE}).")
    int items;

    @Option(names = "--json", description = "Print {\"ms_per_batch\", \"samples_per_s\", \"threads\", ...}.")
    boolean json;

    @Option(names = "--vector-check", paramLabel = "S", arity = "0..1", fallbackValue = "5", defaultValue = "0",
            description = "After the timed steps, sample the warmed-up steps with JFR for S seconds (default 5) and fail "
                    + "(exit 3) when more than 1% of the samples sit in the Vector API's Java fallback; lists the hot methods.")
    double vectorCheck;

    @CommandLine.Mixin
    DeviceOptions device = new DeviceOptions();

    @Override
    public Integer call() {
        ModelConfig.Type type = ModelOptions.type(spec, "--model", model);
        Flags.atLeast(spec, "--batch", batch, 1);
        Flags.atLeast(spec, "--hist", hist, 0);
        Flags.atLeast(spec, "--reps", reps, 1);
        Flags.atLeast(spec, "--warmup", warmup, 0);
        if (!(warmupSeconds >= 0)) {
            throw Flags.bad(spec, "--warmup-seconds", warmupSeconds, "a number >= 0");
        }
        Flags.atLeast(spec, "--embedding-dim", embeddingDim, 0);
        Flags.atLeast(spec, "--items", items, 2);
        List<String> tasks = type.isMultiTask() ? List.of("click", "conversion") : List.of("click");
        FeatureSchema schema = FeatureSchema.canonical(tasks);
        int users = 100_000;
        int cats = Math.max(2, Math.min(1000, items / 10));
        int[] sizes = {users, items, cats};
        ModelConfig.Builder b = ModelConfig.builder(type).tasks(tasks.toArray(String[]::new)).maxHistory(Math.max(1, hist));
        if (embeddingDim > 0) {
            b.embeddingDim(embeddingDim);
        }
        Batch data = randomBatch(batch, hist, sizes, tasks.size(), 7);
        if (!(vectorCheck >= 0)) {
            throw Flags.bad(spec, "--vector-check", vectorCheck, "a number of seconds >= 0");
        }
        double[] ms = new double[reps];
        int threads;
        String backendName;
        VectorFallbackCheck.Result check = null;
        DeviceCounters.Snapshot perStep = null;
        try (Backend backend = device.create(); Model m = new Model(b.build(), schema, sizes, backend, batch);
             Trainer trainer = new Trainer(m, TrainConfig.builder().optimizer(OptimizerSpec.adam(1e-3)).build())) {
            threads = backend.threads();
            backendName = backend.name();
            warmUp(m, trainer, data, backend);
            for (int i = 0; i < reps; i++) {
                long t0 = System.nanoTime();
                step(m, trainer, data, backend);
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            if (vectorCheck > 0) {
                check = VectorFallbackCheck.sample(() -> step(m, trainer, data, backend), vectorCheck);
            }
            if (backend instanceof CudaBackend cuda) {
                perStep = countSteps(m, trainer, data, cuda);
            }
        }
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        double median = reps % 2 == 1 ? sorted[reps / 2] : (sorted[reps / 2 - 1] + sorted[reps / 2]) / 2;
        double sps = batch / (median / 1e3);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("model", type.id());
            r.put("mode", train ? "train" : "inference");
            r.put("batch", batch);
            r.put("hist", hist);
            r.put("device", backendName);
            r.put("threads", threads);
            r.put("reps", reps);
            r.put("ms_per_batch", median);
            r.put("samples_per_s", sps);
            r.put("ms_min", sorted[0]);
            r.put("ms_max", sorted[reps - 1]);
            if (backendName.equals("cpu")) {
                r.put("vector_isa", io.din4j.backend.cpu.CpuBackend.vectorIsa());
            }
            if (check != null) {
                r.put("vector_check_samples", check.samples());
                r.put("vector_fallback_share", check.share());
                r.put("vector_fallback_callers", check.fallbackCallers());
                r.put("hot_methods", check.hotMethods());
            }
            if (perStep != null) {
                r.put("kernels_per_step", perStep.kernels() / (double) COUNTED_STEPS);
                r.put("host_syncs_per_step", perStep.hostSyncs() / (double) COUNTED_STEPS);
                r.put("uploads_per_step", perStep.uploads() / (double) COUNTED_STEPS);
                r.put("bytes_uploaded_per_step", perStep.uploadedBytes() / (double) COUNTED_STEPS);
                r.put("bytes_downloaded_per_step", perStep.downloadedBytes() / (double) COUNTED_STEPS);
            }
            out.print(Json.write(r));
        } else {
            out.printf(Locale.ROOT, "%s %s, B=%d, T=%d, %s with %d threads: %.3f ms per batch (median of %d; min %.3f, max %.3f), %,.0f samples/s%n",
                    type.id(), train ? "training step" : "inference", batch, hist, backendName, threads, median, reps, sorted[0], sorted[reps - 1], sps);
            if (backendName.equals("cpu")) {
                out.println("vector ISA: " + io.din4j.backend.cpu.CpuBackend.vectorIsa());
            }
            if (check != null) {
                out.printf(Locale.ROOT, "vector check: %d of %d samples (%.2f%%) in the Vector API's Java fallback (limit %.0f%%)%n",
                        check.fallbackSamples(), check.samples(), 100 * check.share(), 100 * VectorFallbackCheck.LIMIT);
                check.fallbackCallers().forEach((k, v) -> out.printf(Locale.ROOT, "  fallback %5d  %s%n", v, k));
                out.println("hot methods (self samples):");
                int samples = check.samples();
                check.hotMethods().forEach((k, v) -> out.printf(Locale.ROOT, "  %5.1f%%  %s%n", 100.0 * v / samples, k));
            }
            if (perStep != null) {
                out.printf(Locale.ROOT, "per step: %.1f kernels, %.1f host syncs, %.1f uploads of %,.0f bytes, %,.0f bytes read back%n",
                        perStep.kernels() / (double) COUNTED_STEPS, perStep.hostSyncs() / (double) COUNTED_STEPS,
                        perStep.uploads() / (double) COUNTED_STEPS, perStep.uploadedBytes() / (double) COUNTED_STEPS,
                        perStep.downloadedBytes() / (double) COUNTED_STEPS);
            }
        }
        out.flush();
        if (check != null && !check.passed()) {
            spec.commandLine().getErr().printf(Locale.ROOT, "din4j bench: vector check failed: %.2f%% of %d samples in the Vector API's Java fallback (limit %.0f%%)%n",
                    100 * check.share(), check.samples(), 100 * VectorFallbackCheck.LIMIT);
            return 3;
        }
        return 0;
    }

    /**
     * Untimed steps: at least {@code --warmup} of them and {@code --warmup-seconds}, then windows of 5 steps until a
     * window's best is no more than 3% faster than the previous one (C2 compiles the big vector kernels only after
     * several seconds here: a fixed 3 s warm-up measured DIN B=1024 at 32 ms, a converged one at 15 ms), at most 60 s.
     */
    private void warmUp(Model m, Trainer trainer, Batch data, Backend backend) {
        long start = System.nanoTime();
        for (int i = 0; i < warmup || (System.nanoTime() - start) / 1e9 < warmupSeconds; i++) {
            step(m, trainer, data, backend);
        }
        double previous = Double.MAX_VALUE;
        while ((System.nanoTime() - start) / 1e9 < 60) {
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 5; i++) {
                long t0 = System.nanoTime();
                step(m, trainer, data, backend);
                best = Math.min(best, (System.nanoTime() - t0) / 1e6);
            }
            if (best > previous * 0.97) {
                return;
            }
            previous = best;
        }
    }

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
                m.forward(data, false);
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
            m.forward(data, false);
        }
        backend.synchronize();
    }

    /** Uniformly random ids (row 0 excluded), every history of length T, labels 0/1 with every task labelled. */
    static Batch randomBatch(int b, int t, int[] sizes, int tasks, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[][] sparse = new int[sizes.length][b];
        for (int f = 0; f < sizes.length; f++) {
            for (int i = 0; i < b; i++) {
                sparse[f][i] = 1 + r.nextInt(sizes[f] - 1);
            }
        }
        int[][] seqs = new int[2][b * t];
        for (int i = 0; i < b * t; i++) {
            seqs[0][i] = 1 + r.nextInt(sizes[1] - 1);
            seqs[1][i] = 1 + r.nextInt(sizes[2] - 1);
        }
        int[] lengths = new int[b];
        Arrays.fill(lengths, t);
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
            groups[i] = Integer.toString(sparse[0][i]);
        }
        return new Batch(b, t, sparse, seqs, lengths, new float[0][], labels, mask, groups);
    }
}
