package io.din4j.train;

import io.din4j.metrics.Evaluation;
import java.util.Map;

/** Receives training progress (for a progress bar) and per-epoch reports. Every method defaults to nothing. */
public interface TrainListener {
    /**
     * Every {@code progressEvery} steps.
     *
     * @param epoch            0-based epoch
     * @param step             steps so far in this epoch
     * @param samples          samples so far in this epoch
     * @param samplesPerSecond training throughput of this epoch so far
     * @param loss             mean weighted loss of the steps since the last progress event
     */
    record Progress(int epoch, long step, long samples, double samplesPerSecond, double loss) {
    }

    /**
     * End of an epoch.
     *
     * @param taskLoss     mean training BCE per task over the epoch
     * @param taskWeights  loss weights used in the epoch
     * @param validation   validation metrics per task (empty without validation data)
     * @param improved     whether the watched metric improved (true without validation data)
     */
    record EpochReport(int epoch, long steps, long samples, double seconds, double samplesPerSecond, double[] taskLoss,
                       double[] taskWeights, double lrFactor, Map<String, Evaluation.TaskMetrics> validation,
                       boolean improved) {
    }

    default void onProgress(Progress p) {
    }

    default void onEpochEnd(EpochReport r) {
    }
}
