package io.din4j.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a training report shows, independent of how models compute it: learning curves per model, a final
 * comparison, attention weights of a few test samples, and PLE gate utilisation. Filled by the trainer's caller and
 * rendered by {@link ReportWriter}.
 */
public final class TrainingReport {
    /**
     * Metrics of one epoch for one model; arrays are per task (NaN where not measured). {@code gaucReason[k]} says
     * why task k's GAUC is NaN (e.g. "no user has both labels"); null entries or a null array: no reason known.
     */
    public record Epoch(int epoch, double[] trainLoss, double[] auc, double[] gauc, double[] logloss, double seconds,
                        double samplesPerSecond, String[] gaucReason) {
        public Epoch(int epoch, double[] trainLoss, double[] auc, double[] gauc, double[] logloss, double seconds,
                     double samplesPerSecond) {
            this(epoch, trainLoss, auc, gauc, logloss, seconds, samplesPerSecond, null);
        }
    }

    /**
     * The learning curve of one trained model; {@code keptEpoch} (0-based) is the epoch whose weights the model
     * ended with (early stopping keeps the best one), -1 when not said.
     */
    public record Curve(String model, List<String> tasks, List<Epoch> epochs, int keptEpoch) {
        public Curve {
            tasks = List.copyOf(tasks);
            epochs = List.copyOf(epochs);
        }

        public Curve(String model, List<String> tasks, List<Epoch> epochs) {
            this(model, tasks, epochs, -1);
        }
    }

    /** Final test metrics of one model on one task; {@code gaucReason} says why GAUC is NaN (null: no reason known). */
    public record Result(String model, String task, double auc, double gauc, double logloss, long samples, String gaucReason) {
        public Result(String model, String task, double auc, double gauc, double logloss, long samples) {
            this(model, task, auc, gauc, logloss, samples, null);
        }
    }

    /**
     * One sample's attention (DIN paper Fig. 5): each history behaviour, oldest first, with the weight the local
     * activation unit gave it for the candidate.
     */
    public record Attention(String model, String user, String candidateItem, String candidateCategory, double label,
                           double probability, List<String> historyItems, List<String> historyCategories, double[] weights) {
        public Attention {
            historyItems = List.copyOf(historyItems);
            historyCategories = List.copyOf(historyCategories);
            if (weights.length != historyItems.size() || historyCategories.size() != historyItems.size()) {
                throw new IllegalArgumentException(historyItems.size() + " history items, " + historyCategories.size()
                        + " categories and " + weights.length + " weights must agree");
            }
        }
    }

    /** Mean probability a gate gives each expert over the test data (PLE eq. 4 weights, averaged). */
    public record Gate(String model, String gate, int level, List<String> experts, double[] meanWeights) {
        public Gate {
            experts = List.copyOf(experts);
            if (experts.size() != meanWeights.length) {
                throw new IllegalArgumentException(experts.size() + " experts but " + meanWeights.length + " weights");
            }
        }
    }

    private final String title;
    private final Map<String, String> settings = new LinkedHashMap<>();
    private final List<Curve> curves = new ArrayList<>();
    private final List<Result> results = new ArrayList<>();
    private final List<Attention> attention = new ArrayList<>();
    private final List<Gate> gates = new ArrayList<>();
    private String baseline;

    public TrainingReport(String title) {
        this.title = title;
    }

    public TrainingReport setting(String name, Object value) {
        settings.put(name, String.valueOf(value));
        return this;
    }

    public TrainingReport curve(Curve c) {
        curves.add(c);
        return this;
    }

    public TrainingReport result(Result r) {
        results.add(r);
        return this;
    }

    public TrainingReport attention(Attention a) {
        attention.add(a);
        return this;
    }

    public TrainingReport gate(Gate g) {
        gates.add(g);
        return this;
    }

    /** The model the comparison's RelaImpr is relative to (the DIN paper's relative improvement), e.g. BaseModel. */
    public TrainingReport baseline(String model) {
        this.baseline = model;
        return this;
    }

    public String title() {
        return title;
    }

    public Map<String, String> settings() {
        return settings;
    }

    public List<Curve> curves() {
        return curves;
    }

    public List<Result> results() {
        return results;
    }

    public List<Attention> attention() {
        return attention;
    }

    public List<Gate> gates() {
        return gates;
    }

    public String baseline() {
        return baseline;
    }
}
