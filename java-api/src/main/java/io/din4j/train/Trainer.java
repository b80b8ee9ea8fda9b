package io.din4j.train;

import io.din4j.backend.Backend;
import io.din4j.backend.OptimizerOps;
import io.din4j.data.Batch;
import io.din4j.data.Batches;
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
    private final Map<Param, Tensor[]> moments = new IdentityHashMap<>();
    private final List<TrainListener> listeners = new ArrayList<>();
    private long step;
    private long samples;
    private final List<TrainListener.EpochReport> history = new ArrayList<>();

    public Trainer(Model model, TrainConfig config) {
        this.model = model;
        this.config = config;
        this.backend = model.backend();
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
     * @return each task's BCE on the batch
     */
    public double[] step(Batch batch, int epoch) {
        model.compute(batch, true);
        double[] losses = model.backward(taskWeights(epoch));
        for (int k = 0; k < losses.length; k++) {
            if (!Double.isFinite(losses[k])) {
                throw new IllegalStateException("loss of task '" + model.config().tasks().get(k).name() + "' is "
                        + losses[k] + " at step " + step + " (epoch " + epoch + "); lower the learning rate");
            }
        }
        double f = config.lrFactor(epoch, step);
        OptimizerOps opt = backend.optimizer();
        long t = step + 1;
        for (Map.Entry<Param, Tensor[]> e : moments.entrySet()) {
            Param p = e.getKey();
            Tensor[] s = e.getValue();
            OptimizerSpec spec = spec(p);
            float lr = (float) (spec.lr() * f);
            if (p.kind() == Param.Kind.EMBEDDING) {
                if (config.mbaLambda() > 0) {
                    opt.mbaRegularize(p.value(), p.sparseGrad(), p.frequency(), (float) config.mbaLambda());
                }
                switch (spec.kind()) {
                    case ADAM -> opt.adamSparse(p.value(), p.sparseGrad(), s[0], s[1], lr, (float) spec.beta1(),
                            (float) spec.beta2(), (float) spec.eps(), t);
                    case ADAGRAD -> opt.adagradSparse(p.value(), p.sparseGrad(), s[0], lr, (float) spec.eps());
                    case SGD -> opt.sgdSparse(p.value(), p.sparseGrad(), lr);
                }
            } else {
                switch (spec.kind()) {
                    case ADAM -> opt.adam(p.value(), p.grad(), s[0], s[1], lr, (float) spec.beta1(),
                            (float) spec.beta2(), (float) spec.eps(), t);
                    case ADAGRAD -> opt.adagrad(p.value(), p.grad(), s[0], lr, (float) spec.eps());
                    case SGD -> opt.sgd(p.value(), p.grad(), lr, (float) spec.weightDecay());
                }
            }
        }
        step++;
        samples += batch.size();
        return losses;
    }

    /** Metrics of the model on {@code data} (inference mode: Dice uses its running statistics). */
    public Map<String, Evaluation.TaskMetrics> evaluate(Iterable<Batch> data) {
        return evaluate(model, data);
    }

    /** Metrics of {@code model} on {@code data}; batches larger than the model's maximum are scored in parts. */
    public static Map<String, Evaluation.TaskMetrics> evaluate(Model model, Iterable<Batch> data) {
        Evaluation ev = new Evaluation(model.config().tasks().stream().map(ModelConfig.TaskSpec::name).toList());
        for (Batch b : data) {
            for (int from = 0; from < b.size(); from += model.maxBatch()) {
                int to = Math.min(b.size(), from + model.maxBatch());
                Batch part = from == 0 && to == b.size() ? b : Batches.slice(b, from, to);
                ev.add(part, model.forward(part, false));
            }
        }
        return ev.result();
    }

    /** The result of {@link #fit}. */
    public record Result(List<TrainListener.EpochReport> epochs, int bestEpoch, double bestMetric, boolean stoppedEarly,
                         long steps, long samples) {
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
                ModelFiles.save(model, dir.resolve("last"), metadata());
                if (improved) {
                    ModelFiles.save(model, dir.resolve("best"), metadata());
                }
            }
            if (config.patience() > 0 && since >= config.patience()) {
                stopped = epoch + 1 < config.epochs();
                break;
            }
        }
        if (snap != null && bestEpoch < history.size() - 1) {
            snap.restore(model);
        }
        if (snap != null) {
            snap.close();
        }
        return new Result(List.copyOf(history), bestEpoch, validation == null ? Double.NaN : best, stopped, step, samples);
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
                putFinite(x, "logloss", tm.logloss());
                x.put("samples", tm.samples());
                v.put(name, x);
            });
            e.put("validation", v);
            eps.add(e);
        }
        m.put("epochs", eps);
        return m;
    }

    private static void putFinite(Map<String, Object> m, String k, double v) {
        m.put(k, Double.isFinite(v) ? v : null);
    }

    @Override
    public void close() {
        state.close();
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
            copies.forEach((p, c) -> model.backend().tensor().copy(c, p.value()));
        }

        @Override
        public void close() {
            arena.close();
        }
    }
}
