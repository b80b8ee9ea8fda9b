package io.din4j.train;

import io.din4j.backend.Backend;
import io.din4j.backend.OptimizerOps;
import io.din4j.backend.StepReplay;
import io.din4j.data.Batch;
import io.din4j.graph.Param;
import io.din4j.io.ModelFiles;
import io.din4j.metrics.Evaluation;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains a {@link Model}: multi-task loss {@code Σ_k w_k·BCE_k} (each task over its sample space, {@code w_k =
 * w_k0·γ_k^epoch}, PLE eq. 10), per-group optimizers (embeddings with sparse row updates, dense tensors), mini-batch
 * aware regularization (DIN eq. 4), learning-rate schedule, validation with early stopping and best-model
 * restore, checkpoints.
 *
 * <p>Deterministic: the trainer draws no random numbers; with a deterministic backend (reference, cpu) the same
 * model seed and the same batches in the same order give identical weights.
 */
public final class Trainer implements AutoCloseable {
    private final Model model;
    private final TrainConfig config;
    private final Backend backend;
    private final TensorArena state;
    private final Map<Param, Tensor[]> moments = new LinkedHashMap<>();
    /** Copies of the running statistics (Dice) taken before each step, restored when the step faults. */
    private final Map<Param, Tensor> statistics = new LinkedHashMap<>();
    /** Per embedding table, room to set its sparse gradient aside while the regularization step reuses it. */
    private final Map<Param, Tensor> regScratch = new IdentityHashMap<>();
    private final List<TrainListener> listeners = new ArrayList<>();
    /**
     * The step's status word, on the backend: each task's loss, then Σg² of each trained parameter's gradient (in
     * {@link #moments}' order), all read back at once at the end of the step (one read-back on a device backend).
     */
    private Tensor status;
    private java.lang.foreign.MemorySegment statusHost;
    /** Recording and device-side optimizer scalars, on backends that have them (null elsewhere). */
    private final StepReplay replay;
    /** This step's scalars on the backend ({@link #fillScalars}), and their host copy uploaded with the batch. */
    private Tensor scalars;
    private java.lang.foreign.MemorySegment scalarsHost;
    private final java.lang.foreign.Arena statusArena = java.lang.foreign.Arena.ofShared();
    private long step;
    private boolean closed;
    private long samples;
    private final List<TrainListener.EpochReport> history = new ArrayList<>();
    /** The epoch whose weights the model holds after the last {@link #fit} (-1 before). */
    private int keptEpoch = -1;

    public Trainer(Model model, TrainConfig config) {
        this.model = model;
        this.config = config;
        this.backend = model.backend();
        this.replay = backend.replay();
        this.state = backend.newArena();
        for (Param p : model.parameters()) {
            if (!p.trainable()) {
                continue;
            }
            OptimizerSpec spec = spec(p);
            Tensor[] s = switch (spec.kind()) {
                case ADAM -> new Tensor[] {alloc(p), alloc(p)};
                case ADAGRAD -> {
                    Tensor acc = alloc(p);
                    backend.tensor().fill(acc, (float) spec.initialAccumulator());
                    yield new Tensor[] {acc};
                }
                case SGD -> new Tensor[0];
            };
            moments.put(p, s);
        }
        for (Param p : model.parameters()) {
            if (p.kind() == Param.Kind.STATE) {
                statistics.put(p, alloc(p));
            }
        }
    }

    private Tensor alloc(Param p) {
        return state.allocate(p.value().dtype(), p.value().shape());
    }

    private OptimizerSpec spec(Param p) {
        return p.kind() == Param.Kind.EMBEDDING ? config.embeddings() : config.dense();
    }

    public Trainer addListener(TrainListener l) {
        listeners.add(l);
        return this;
    }

    public Model model() {
        return model;
    }

    /** Optimizer steps taken so far. */
    public long steps() {
        return step;
    }

    /** Task weights of {@code epoch}. */
    public double[] taskWeights(int epoch) {
        return model.config().tasks().stream().mapToDouble(t -> t.weightAt(epoch)).toArray();
    }

    /**
     * One optimizer step on {@code batch}: forward, loss, backward, regularization, update.
     *
     * <p>On a backend with a {@link StepReplay} (cuda) the step is two recorded regions around the one read-back:
     * forward + loss + backward + the gradients' sums of squares, keyed by the planned shape and the task weights,
     * then the updates, keyed by the shape and the regularization's sub-step count. Everything that changes from
     * step to step besides the batch — the learning rates, Adam's bias corrections, MBA's λ — is in
     * {@link #scalars}, uploaded with the batch, and the updates read it on the device; so a region replayed as a
     * CUDA graph does exactly what running it would.
     *
     * @return each task's BCE on the batch
     */
    public double[] step(Batch batch, int epoch) {
        if (closed) {
            throw new IllegalStateException("trainer is closed");
        }
        int tasks = model.config().tasks().size();
        if (status == null) {
            status = state.allocate(io.din4j.tensor.DType.F64, tasks + moments.size());
            statusHost = statusArena.allocate(status.byteSize(), 8);
            if (replay != null) {
                scalars = state.allocate(io.din4j.tensor.DType.F32, SCALARS);
                scalarsHost = statusArena.allocate(4L * SCALARS, 4);
            }
        }
        double[] w = taskWeights(epoch);
        double f = config.lrFactor(epoch, step);
        long t = step + 1;
        int shrinkSteps = replay == null ? 0 : fillScalars(f, t);
        Object plan = null;
        if (replay != null) {
            plan = model.uploadTraining(batch, List.of(scalarsHost), List.of(scalars));
            // this trainer (its status, scalars and moments are in the recording), the plan, the task weights
            List<Object> key = new ArrayList<>(List.of("forward", this, plan));
            for (double x : w) {
                key.add(Double.doubleToLongBits(x));
            }
            // Clearing a sparse gradient touches the rows its last use may have written: its bound, host state from
            // the step before, so part of what the region's launches depend on.
            for (Param p : model.parameters()) {
                io.din4j.backend.SparseGrad g = p.kind() == Param.Kind.EMBEDDING ? model.sparseGrad(p) : null;
                if (g != null) {
                    key.add(g.countBound());
                }
            }
            replay.run(key, () -> forwardBackward(w, tasks, false, batch));
        } else {
            forwardBackward(w, tasks, true, batch);
        }
        backend.copyToHost(status, statusHost);
        double[] sums = statusHost.toArray(java.lang.foreign.ValueLayout.JAVA_DOUBLE);
        double[] losses = java.util.Arrays.copyOf(sums, tasks);
        try {
            for (int k = 0; k < losses.length; k++) {
                if (!Double.isFinite(losses[k])) {
                    throw lossFault(k, losses[k], epoch);
                }
            }
            checkGradients(epoch, sums, tasks);
        } catch (IllegalStateException e) {  // a NumericalFaultException, or a sparse gradient's overflow
            // The failed forward pass moved the Dice running statistics; put back those of the last good step.
            statistics.forEach((p, copy) -> backend.tensor().copy(copy, p.value()));
            throw e;
        }
        if (replay != null) {
            float embLr = (float) (config.embeddings().lr() * f);
            replay.run(List.of("update", this, plan, shrinkSteps, embLr > 0), () -> update(f, t, shrinkSteps));
        } else {
            update(f, t, 0);
        }
        // The optimizer (and the regularization) wrote every trained parameter: data derived from the old values
        // (the cpu backend's packed weights) is stale.
        moments.keySet().forEach(Param::changed);
        step++;
        samples += batch.size();
        return losses;
    }

    /**
     * The device half of a step before the read-back: Dice statistics saved, forward (uploading the batch first
     * when {@code upload}), losses and gradients into {@link #status}, then each gradient's Σg².
     */
    private void forwardBackward(double[] w, int tasks, boolean upload, Batch batch) {
        statistics.forEach((p, copy) -> backend.tensor().copy(p.value(), copy));
        if (upload) {
            model.compute(batch, true);
        } else {
            model.computeUploaded();
        }
        // Losses and gradient sums of squares stay on the device; one read-back brings them all.
        model.backward(w, status);
        int at = tasks;
        for (Param p : moments.keySet()) {
            backend.tensor().sumSquares(gradient(p, false), status.rows(at, at + 1));
            at++;
        }
    }

    /** Slots of {@link #scalars}: per group (embeddings, dense) the learning rate and Adam's bias corrections, then MBA's λ. */
    private static final int SCALARS = 8;
    private static final int EMB = 0;
    private static final int DENSE = 3;
    private static final int MBA = 6;

    /**
     * Writes this step's scalars into {@link #scalarsHost} (uploaded with the batch) and returns the regularization's
     * sub-step count (0 without it), which decides how many launches the update makes.
     */
    private int fillScalars(double f, long t) {
        java.lang.foreign.MemorySegment h = scalarsHost;
        h.fill((byte) 0);
        for (int g = 0; g < 2; g++) {
            OptimizerSpec spec = g == 0 ? config.embeddings() : config.dense();
            int at = g == 0 ? EMB : DENSE;
            h.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, at, (float) (spec.lr() * f));
            if (spec.kind() == OptimizerSpec.Kind.ADAM) {
                float[] bc = StepReplay.adamBiasCorrections((float) spec.beta1(), (float) spec.beta2(), t);
                h.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, at + 1, bc[0]);
                h.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, at + 2, bc[1]);
            }
        }
        float lr = (float) (config.embeddings().lr() * f);
        if (config.mbaLambda() <= 0 || lr <= 0) {
            return 0;
        }
        double total = lr * config.mbaLambda();
        int k = shrinkSteps(total);
        h.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, MBA, (float) (Math.min(total, k) / k / lr));
        return k;
    }

    /** Sub-steps of one regularization step for η·λ = {@code total} (see {@link #regularize}). */
    private static int shrinkSteps(double total) {
        return (int) Math.min(MAX_SHRINK_STEPS, Math.max(1, Math.ceil(total)));
    }

    /** Every trained parameter's update (and the regularization) at learning-rate factor {@code f}, 1-based step {@code t}. */
    private void update(double f, long t, int shrinkSteps) {
        OptimizerOps opt = backend.optimizer();
        for (Map.Entry<Param, Tensor[]> e : moments.entrySet()) {
            Param p = e.getKey();
            Tensor[] s = e.getValue();
            OptimizerSpec spec = spec(p);
            float lr = (float) (spec.lr() * f);
            if (p.kind() == Param.Kind.EMBEDDING) {
                if (replay != null) {
                    Tensor sc = scalars.rows(EMB, EMB + 3);
                    switch (spec.kind()) {
                        case ADAM -> replay.adamSparse(p.value(), model.sparseGrad(p), s[0], s[1], sc, (float) spec.beta1(),
                                (float) spec.beta2(), (float) spec.eps());
                        case ADAGRAD -> replay.adagradSparse(p.value(), model.sparseGrad(p), s[0], sc, (float) spec.eps());
                        case SGD -> replay.sgdSparse(p.value(), model.sparseGrad(p), sc);
                    }
                } else {
                    switch (spec.kind()) {
                        case ADAM -> opt.adamSparse(p.value(), model.sparseGrad(p), s[0], s[1], lr, (float) spec.beta1(),
                                (float) spec.beta2(), (float) spec.eps(), t);
                        case ADAGRAD -> opt.adagradSparse(p.value(), model.sparseGrad(p), s[0], lr, (float) spec.eps());
                        case SGD -> opt.sgdSparse(p.value(), model.sparseGrad(p), lr);
                    }
                }
                if (config.mbaLambda() > 0) {
                    regularize(p, lr, shrinkSteps);
                }
            } else if (replay != null) {
                Tensor sc = scalars.rows(DENSE, DENSE + 3);
                switch (spec.kind()) {
                    case ADAM -> replay.adam(p.value(), model.grad(p), s[0], s[1], sc, (float) spec.beta1(),
                            (float) spec.beta2(), (float) spec.eps());
                    case ADAGRAD -> replay.adagrad(p.value(), model.grad(p), s[0], sc, (float) spec.eps());
                    case SGD -> replay.sgd(p.value(), model.grad(p), sc, (float) spec.weightDecay());
                }
            } else {
                switch (spec.kind()) {
                    case ADAM -> opt.adam(p.value(), model.grad(p), s[0], s[1], lr, (float) spec.beta1(),
                            (float) spec.beta2(), (float) spec.eps(), t);
                    case ADAGRAD -> opt.adagrad(p.value(), model.grad(p), s[0], lr, (float) spec.eps());
                    case SGD -> opt.sgd(p.value(), model.grad(p), lr, (float) spec.weightDecay());
                }
            }
        }
    }

    /**
     * Mini-batch aware regularization (DIN eq. 4), decoupled from the optimizer: after the optimizer's step, every
     * row j the batch touched (α_mj = 1) decays as under {@code dw_j/dt = −(λ/n_j)·w_j} for a time η, i.e.
     * {@code w_j ← w_j·exp(−η·λ/n_j)} (in sub-steps, below), n_j the id's occurrences in the training data. For
     * small η·λ/n_j this is eq. 4's {@code w_j ← w_j − η·λ·w_j/n_j}; with SGD it is eq. 4 up to O(η²). With Adam or
     * Adagrad, adding {@code λw/n} to the gradient (as eq. 4 does for SGD) would be divided by the gradient's own
     * running scale: a rare row, whose data gradient is small, would still take full-size steps (Adam normalises
     * them) and the penalty would do little where eq. 4 means it to act. Decaying after the step, outside the
     * normalisation (as AdamW decouples weight decay), keeps the paper's 1/n_j weighting whatever the optimizer and
     * also shrinks the step a rare row has just taken. Over an epoch a row is touched about n_j times, so every row
     * decays by about exp(−η·λ) per epoch while its data steps grow with n_j: rare rows stay near zero.
     *
     * <p>Done with the SPI's own ops so every backend runs it: the batch's gradient rows are set aside, the same
     * rows are filled with {@code λw/n} ({@code mbaRegularize} on zeros) and applied as an SGD step of size η, then
     * the gradient rows are put back.
     */
    /** Most sub-steps of one regularization step; η·λ beyond this many is capped (a row with n_j = 1 ends at 0). */
    static final int MAX_SHRINK_STEPS = 16;

    private void regularize(Param p, float lr, int shrinkSteps) {
        io.din4j.backend.SparseGrad g = model.sparseGrad(p);
        // The bound, not the count: no read-back; the rows past the count are zero and the kernels stop at it.
        int c = g.countBound();
        if (c == 0 || lr <= 0) {
            return;
        }
        Tensor scratch = regScratch.computeIfAbsent(p, x -> state.allocate(g.values().dtype(), g.values().shape()));
        Tensor values = g.values().rows(0, c);
        Tensor saved = scratch.rows(0, c);
        // k equal sub-steps of η·λ/k ≤ 1 each: the row is multiplied by (1 − ηλ/(k·n_j))^k ≈ exp(−ηλ/n_j), the exact
        // solution of dw/dt = −(λ/n_j)·w over a step of length η, so no factor turns negative however large ηλ is.
        double total = lr * config.mbaLambda();
        int k = shrinkSteps(total);
        float lambda = (float) (Math.min(total, k) / k / lr);
        backend.tensor().copy(values, saved);
        for (int i = 0; i < k; i++) {
            backend.tensor().fill(values, 0f);
            if (replay != null) {  // λ and lr from the device (fillScalars wrote the same values); k is in the key
                replay.mbaRegularize(p.value(), g, p.frequency(), scalars.rows(MBA, MBA + 1));
                replay.sgdSparse(p.value(), g, scalars.rows(EMB, EMB + 1));
            } else {
                backend.optimizer().mbaRegularize(p.value(), g, p.frequency(), lambda);
                backend.optimizer().sgdSparse(p.value(), g, lr);
            }
        }
        backend.tensor().copy(saved, values);
    }

    /**
     * Names where a non-finite loss came from: the first parameter holding a non-finite value, else the first layer
     * output (in graph order) that does, else the task's loss itself.
     */
    private NumericalFaultException lossFault(int k, double loss, int epoch) {
        String task = model.config().tasks().get(k).name();
        for (Param p : model.parameters()) {
            String bad = NonFinite.describe(backend, p.value());
            if (bad != null) {
                return new NumericalFaultException(p.name(), "loss of task '" + task + "' is " + loss + ": parameter '"
                        + p.name() + "' holds " + bad, step, epoch);
            }
        }
        String layer = model.firstNonFiniteActivation();
        if (layer != null) {
            return new NumericalFaultException(layer, "loss of task '" + task + "' is " + loss + ": layer output '" + layer
                    + "' is the first to hold a NaN or infinity", step, epoch);
        }
        return new NumericalFaultException("loss." + task, "loss of task '" + task + "' is " + loss, step, epoch);
    }

    /**
     * Refuses to apply a step whose gradients hold a NaN or infinity. {@code sums[first + i]} is Σg² of the i-th
     * trained parameter's gradient (one reduction each, read back with the losses): finite exactly when every
     * element is, barring float overflow of squares above ~1e19, itself a divergence. A sparse gradient whose
     * capacity overflowed on the device also shows here (its values hold a NaN): asking its count names it.
     */
    private void checkGradients(int epoch, double[] sums, int first) {
        int at = first;
        for (Param p : moments.keySet()) {
            if (!Double.isFinite(sums[at++])) {
                if (p.kind() == Param.Kind.EMBEDDING) {
                    model.sparseGrad(p).count();  // throws IllegalStateException when the capacity overflowed
                }
                Tensor g = gradient(p, true);
                String bad = NonFinite.describe(backend, g);
                throw new NumericalFaultException(p.name(), "gradient of '" + p.name() + "' "
                        + (bad != null ? "holds " + bad : "overflows float"), step, epoch);
            }
        }
    }

    /**
     * The gradient of {@code p}: dense, or a sparse gradient's value rows — its first {@code count()} rows when
     * {@code exact}, else its first {@code countBound()} (the rows past the count are zero, and the bound needs no
     * read-back).
     */
    private Tensor gradient(Param p, boolean exact) {
        if (p.kind() != Param.Kind.EMBEDDING) {
            return model.grad(p);
        }
        io.din4j.backend.SparseGrad g = model.sparseGrad(p);
        return g.values().rows(0, exact ? g.count() : g.countBound());
    }

    /** Metrics of the model on {@code data} (inference mode: Dice uses its running statistics). */
    public Map<String, Evaluation.TaskMetrics> evaluate(Iterable<Batch> data) {
        return evaluate(model, data);
    }

    /**
     * Metrics of {@code model} on {@code data}, scored through a {@link io.din4j.predict.Predictor} (batches larger
     * than the model's maximum in chunks; on the cpu backend in row parts, one per thread).
     */
    public static Map<String, Evaluation.TaskMetrics> evaluate(Model model, Iterable<Batch> data) {
        Evaluation ev = new Evaluation(model.config().tasks().stream().map(ModelConfig.TaskSpec::name).toList());
        try (io.din4j.predict.Predictor p = io.din4j.predict.Predictor.of(model, model.maxBatch())) {
            for (Batch b : data) {
                ev.add(b, p.predict(b));
            }
        }
        return ev.result();
    }

    /**
     * The result of {@link #fit}.
     *
     * @param bestEpoch  the epoch (0-based) with the best validation metric; the last epoch without validation
     * @param keptEpoch  the epoch whose weights the model holds after {@code fit}: the best one when
     *                   {@link TrainConfig#restoreBest()} and validation apply, else the last one trained
     */
    public record Result(List<TrainListener.EpochReport> epochs, int bestEpoch, double bestMetric, boolean stoppedEarly,
                         long steps, long samples, int keptEpoch) {
    }

    /**
     * Trains for {@code config.epochs()} passes over {@code train} (iterated once per epoch; shuffle in the
     * iterable if wanted), validating on {@code validation} after each epoch when it is not null.
     */
    public Result fit(Iterable<Batch> train, Iterable<Batch> validation) {
        String metric = config.earlyStopMetric();
        String task = config.earlyStopTask() != null ? config.earlyStopTask() : model.config().tasks().get(0).name();
        if (model.config().taskIndex(task) < 0) {
            throw new IllegalArgumentException("early-stop task '" + task + "' is not a task of the model");
        }
        boolean lowerBetter = metric.equals("logloss");
        double best = lowerBetter ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
        int bestEpoch = -1;
        int since = 0;
        boolean stopped = false;
        Snapshot snap = null;
        int k = model.config().tasks().size();
        for (int epoch = 0; epoch < config.epochs(); epoch++) {
            long t0 = System.nanoTime();
            long epochSteps = 0;
            long epochSamples = 0;
            double[] lossSum = new double[k];
            double windowLoss = 0;
            int window = 0;
            double[] w = taskWeights(epoch);
            for (Batch b : train) {
                if (config.maxStepsPerEpoch() > 0 && epochSteps >= config.maxStepsPerEpoch()) {
                    break;
                }
                double[] l = step(b, epoch);
                double weighted = 0;
                for (int i = 0; i < k; i++) {
                    lossSum[i] += l[i];
                    weighted += w[i] * l[i];
                }
                windowLoss += weighted;
                window++;
                epochSteps++;
                epochSamples += b.size();
                if (epochSteps % config.progressEvery() == 0 && !listeners.isEmpty()) {
                    double sec = (System.nanoTime() - t0) / 1e9;
                    TrainListener.Progress p = new TrainListener.Progress(epoch, epochSteps, epochSamples,
                            epochSamples / Math.max(sec, 1e-9), windowLoss / window);
                    listeners.forEach(x -> x.onProgress(p));
                    windowLoss = 0;
                    window = 0;
                }
            }
            double sec = (System.nanoTime() - t0) / 1e9;
            for (int i = 0; i < k; i++) {
                lossSum[i] /= Math.max(1, epochSteps);
            }
            Map<String, Evaluation.TaskMetrics> val = validation == null ? Map.of() : evaluate(validation);
            boolean improved = true;
            if (validation != null) {
                double v = val.get(task).get(metric);
                improved = !Double.isNaN(v) && (lowerBetter ? v < best : v > best);
                if (improved) {
                    best = v;
                    bestEpoch = epoch;
                    since = 0;
                    if (config.restoreBest()) {
                        snap = Snapshot.take(model, snap);
                    }
                } else {
                    since++;
                }
            } else {
                bestEpoch = epoch;
            }
            TrainListener.EpochReport r = new TrainListener.EpochReport(epoch, epochSteps, epochSamples, sec,
                    epochSamples / Math.max(sec, 1e-9), lossSum, w, config.lrFactor(epoch, step), val, improved);
            history.add(r);
            listeners.forEach(x -> x.onEpochEnd(r));
            if (config.checkpointDir() != null) {
                Path dir = config.checkpointDir();
                checkpoint(dir.resolve("last"));
                if (improved) {
                    ModelFiles.save(model, dir.resolve("best"), metadata());
                }
            }
            if (config.patience() > 0 && since >= config.patience()) {
                stopped = epoch + 1 < config.epochs();
                break;
            }
        }
        int kept = history.size() - 1;
        if (snap != null && bestEpoch < history.size() - 1) {
            snap.restore(model);
            kept = bestEpoch;
        }
        if (snap != null) {
            snap.close();
        }
        keptEpoch = kept;
        return new Result(List.copyOf(history), bestEpoch, validation == null ? Double.NaN : best, stopped, step, samples, kept);
    }

    /** Training metadata for model.json: settings, steps, samples, and per-epoch losses and validation metrics. */
    public Map<String, Object> metadata() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("trainer", config.toJson());
        m.put("steps", step);
        m.put("samples", samples);
        List<Object> eps = new ArrayList<>();
        for (TrainListener.EpochReport r : history) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("epoch", r.epoch());
            e.put("task_loss", r.taskLoss().clone());
            Map<String, Object> v = new LinkedHashMap<>();
            r.validation().forEach((name, tm) -> {
                Map<String, Object> x = new LinkedHashMap<>();
                putFinite(x, "auc", tm.auc());
                putFinite(x, "gauc", tm.gauc());
                if (!Double.isFinite(tm.gauc())) {
                    x.put("gauc_reason", tm.gaucReason());
                }
                putFinite(x, "logloss", tm.logloss());
                x.put("samples", tm.samples());
                v.put(name, x);
            });
            e.put("validation", v);
            eps.add(e);
        }
        m.put("epochs", eps);
        if (keptEpoch >= 0) {
            m.put("kept_epoch", keptEpoch);
        }
        return m;
    }

    private static void putFinite(Map<String, Object> m, String k, double v) {
        m.put(k, Double.isFinite(v) ? v : null);
    }

    /**
     * Saves a resumable checkpoint into {@code dir}: the model, the optimizer state (moments, accumulators) and the
     * step and sample counters, replaced crash-safely ({@link ModelFiles#save(Model, Path, Map, Map)}). Resuming —
     * {@link ModelFiles#load} the directory, a new trainer with the same config, {@link #restore} — and feeding the
     * batches that followed gives the same weights as not stopping, bit for bit on a deterministic backend.
     */
    public void checkpoint(Path dir) {
        ModelFiles.save(model, dir, metadata(), stateTensors());
    }

    /**
     * Restores the optimizer state and step counters of a checkpoint written by {@link #checkpoint} into this
     * trainer, whose model must hold that checkpoint's weights (loaded with {@link ModelFiles#load}). The trainer's
     * optimizers must be those the checkpoint was written with.
     *
     * @throws io.din4j.io.ModelFormatException when the checkpoint has no or mismatching optimizer state
     */
    public void restore(Path dir) {
        if (closed) {
            throw new IllegalStateException("trainer is closed");
        }
        Map<String, Tensor> opt = stateTensors();
        if (!opt.isEmpty()) {
            ModelFiles.readState(dir, backend, opt);
        }
        Map<String, Object> training = ModelFiles.readInfo(dir).training();
        if (!(training.get("steps") instanceof Long st) || !(training.get("samples") instanceof Long sa) || st < 0 || sa < 0) {
            throw new io.din4j.io.ModelFormatException(dir.resolve(ModelFiles.MODEL_JSON),
                    "training.steps and training.samples must be non-negative integers to resume");
        }
        step = st;
        samples = sa;
    }

    /**
     * The optimizer state tensors of {@code p} on the backend, in a fixed order (Adam: first and second moments;
     * Adagrad: the accumulator; SGD and untrained tensors: none), each shaped like {@code p}'s value. For distributed
     * trainers that keep an embedding row's state with the row (spark's sharded tables move rows of state between
     * processes); writing into them changes what the next {@link #step} does.
     */
    public List<Tensor> optimizerState(Param p) {
        Tensor[] s = moments.get(p);
        return s == null ? List.of() : List.of(s);
    }

    /** Optimizer state by name: {@code <param>.adam_m}, {@code <param>.adam_v}, {@code <param>.adagrad_acc}. */
    private Map<String, Tensor> stateTensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (Map.Entry<Param, Tensor[]> e : moments.entrySet()) {
            Tensor[] s = e.getValue();
            switch (spec(e.getKey()).kind()) {
                case ADAM -> {
                    m.put(e.getKey().name() + ".adam_m", s[0]);
                    m.put(e.getKey().name() + ".adam_v", s[1]);
                }
                case ADAGRAD -> m.put(e.getKey().name() + ".adagrad_acc", s[0]);
                case SGD -> {
                }
            }
        }
        return m;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            state.close();
            statusArena.close();
        }
    }

    /** A copy of every model tensor on the backend, to restore the best epoch's weights. */
    private static final class Snapshot implements AutoCloseable {
        private final TensorArena arena;
        private final Map<Param, Tensor> copies = new IdentityHashMap<>();

        private Snapshot(Model model) {
            arena = model.backend().newArena();
            for (Param p : model.parameters()) {
                copies.put(p, arena.allocate(p.value().dtype(), p.value().shape()));
            }
        }

        static Snapshot take(Model model, Snapshot reuse) {
            Snapshot s = reuse != null ? reuse : new Snapshot(model);
            s.copies.forEach((p, c) -> model.backend().tensor().copy(p.value(), c));
            return s;
        }

        void restore(Model model) {
            copies.forEach((p, c) -> {
                model.backend().tensor().copy(c, p.value());
                p.changed();
            });
        }

        @Override
        public void close() {
            arena.close();
        }
    }
}
