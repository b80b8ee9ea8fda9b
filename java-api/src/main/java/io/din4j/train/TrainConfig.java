package io.din4j.train;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Training settings. Build with {@link #builder()}; defaults: 1 epoch, Adam 1e-3 for both groups, no
 * regularization, no schedule, no early stopping.
 *
 * @param epochs          passes over the training data
 * @param embeddings      optimizer of the embedding tables (sparse row updates)
 * @param dense           optimizer of every other trainable tensor
 * @param mbaLambda       λ of mini-batch aware regularization (DIN eq. 4): after each step every embedding row the
 *                        batch touched decays by exp(−η·λ/n_j) (see {@link Trainer}); 0 disables it
 * @param lrDecay         per-epoch learning-rate factor: epoch e trains with {@code lr·lrDecay^e}
 * @param warmupSteps     linear learning-rate warm-up over the first steps (0: none)
 * @param earlyStopMetric validation metric watched for early stopping and best-model selection: auc, gauc or
 *                        logloss (lower is better)
 * @param earlyStopTask   task whose metric is watched (null: the first)
 * @param patience        epochs without improvement before stopping (0: never stop early)
 * @param restoreBest     when validating, end with the weights of the best epoch
 * @param checkpointDir   when set, the model is saved to {@code <dir>/last} after every epoch and to
 *                        {@code <dir>/best} when the watched metric improves
 * @param progressEvery   steps between progress events
 * @param maxStepsPerEpoch stop an epoch after this many steps (0: no limit)
 */
public record TrainConfig(int epochs, OptimizerSpec embeddings, OptimizerSpec dense, double mbaLambda, double lrDecay,
                          int warmupSteps, String earlyStopMetric, String earlyStopTask, int patience,
                          boolean restoreBest, Path checkpointDir, int progressEvery, int maxStepsPerEpoch) {
    /**
     * The mini-batch aware regularization {@code din4j train} uses unless told otherwise, for the default embedding
     * learning rate 1e-3: η·λ = 2, so every embedding row decays by about exp(−2) per epoch against its data steps.
     * λ scales with 1/η: keep η·λ = 2 at another learning rate. Chosen by the sweep in docs/models.md ("Choosing the
     * defaults"). The builder's own default stays 0 (no regularization): a config does only what it is told.
     */
    public static final double DEFAULT_MBA_LAMBDA = 2000;

    public TrainConfig {
        if (epochs <= 0) {
            throw new IllegalArgumentException("epochs must be positive, got " + epochs);
        }
        if (embeddings == null || dense == null) {
            throw new IllegalArgumentException("both optimizer groups must be set");
        }
        if (!(mbaLambda >= 0)) {
            throw new IllegalArgumentException("mbaLambda must be >= 0, got " + mbaLambda);
        }
        if (!(lrDecay > 0)) {
            throw new IllegalArgumentException("lrDecay must be > 0, got " + lrDecay);
        }
        if (warmupSteps < 0 || patience < 0 || progressEvery <= 0 || maxStepsPerEpoch < 0) {
            throw new IllegalArgumentException("warmupSteps, patience and maxStepsPerEpoch must be >= 0 and progressEvery > 0");
        }
        if (!earlyStopMetric.equals("auc") && !earlyStopMetric.equals("gauc") && !earlyStopMetric.equals("logloss")) {
            throw new IllegalArgumentException("earlyStopMetric must be auc, gauc or logloss, got '" + earlyStopMetric + "'");
        }
    }

    /** Learning-rate multiplier at {@code epoch} (0-based) and global step {@code step} (0-based). */
    public double lrFactor(int epoch, long step) {
        double f = Math.pow(lrDecay, epoch);
        if (warmupSteps > 0 && step < warmupSteps) {
            f *= (step + 1.0) / warmupSteps;
        }
        return f;
    }

    /** For training metadata. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("epochs", epochs);
        m.put("embeddings", embeddings.toJson());
        m.put("dense", dense.toJson());
        m.put("mba_lambda", mbaLambda);
        m.put("lr_decay", lrDecay);
        m.put("warmup_steps", warmupSteps);
        m.put("early_stop_metric", earlyStopMetric);
        m.put("patience", patience);
        return m;
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private int epochs = 1;
        private OptimizerSpec embeddings = OptimizerSpec.adam(1e-3);
        private OptimizerSpec dense = OptimizerSpec.adam(1e-3);
        private double mbaLambda;
        private double lrDecay = 1;
        private int warmupSteps;
        private String earlyStopMetric = "auc";
        private String earlyStopTask;
        private int patience;
        private boolean restoreBest = true;
        private Path checkpointDir;
        private int progressEvery = 50;
        private int maxStepsPerEpoch;

        public Builder epochs(int v) {
            epochs = v;
            return this;
        }

        public Builder embeddings(OptimizerSpec v) {
            embeddings = v;
            return this;
        }

        public Builder dense(OptimizerSpec v) {
            dense = v;
            return this;
        }

        /** The same optimizer for both groups. */
        public Builder optimizer(OptimizerSpec v) {
            embeddings = v;
            dense = v;
            return this;
        }

        public Builder mbaLambda(double v) {
            mbaLambda = v;
            return this;
        }

        public Builder lrDecay(double v) {
            lrDecay = v;
            return this;
        }

        public Builder warmupSteps(int v) {
            warmupSteps = v;
            return this;
        }

        public Builder earlyStop(String metric, String task, int patience) {
            this.earlyStopMetric = metric;
            this.earlyStopTask = task;
            this.patience = patience;
            return this;
        }

        public Builder restoreBest(boolean v) {
            restoreBest = v;
            return this;
        }

        public Builder checkpointDir(Path v) {
            checkpointDir = v;
            return this;
        }

        public Builder progressEvery(int v) {
            progressEvery = v;
            return this;
        }

        public Builder maxStepsPerEpoch(int v) {
            maxStepsPerEpoch = v;
            return this;
        }

        public TrainConfig build() {
            return new TrainConfig(epochs, embeddings, dense, mbaLambda, lrDecay, warmupSteps, earlyStopMetric,
                    earlyStopTask, patience, restoreBest, checkpointDir, progressEvery, maxStepsPerEpoch);
        }
    }
}
