package io.din4j.cli;

import io.din4j.data.Batch;
import io.din4j.data.BatchBuilder;
import io.din4j.data.Row;
import io.din4j.metrics.Evaluation;
import io.din4j.model.ModelConfig;
import io.din4j.predict.Predictor;
import io.din4j.report.TrainingReport;
import io.din4j.train.TrainListener;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Fills a {@link TrainingReport} from a training run and the trained model. */
final class Reports {
    private Reports() {
    }

    /** The learning curve, with the epoch whose weights the model kept ({@code keptEpoch}, 0-based; -1: unsaid). */
    static TrainingReport.Curve curve(String model, List<String> tasks, List<TrainListener.EpochReport> epochs, int keptEpoch) {
        List<TrainingReport.Epoch> out = new ArrayList<>();
        for (TrainListener.EpochReport r : epochs) {
            int k = tasks.size();
            double[] auc = new double[k];
            double[] gauc = new double[k];
            double[] ll = new double[k];
            String[] why = new String[k];
            for (int t = 0; t < k; t++) {
                Evaluation.TaskMetrics m = r.validation().get(tasks.get(t));
                auc[t] = m == null ? Double.NaN : m.auc();
                gauc[t] = m == null ? Double.NaN : m.gauc();
                why[t] = m == null ? null : m.gaucReason();
                ll[t] = m == null ? Double.NaN : m.logloss();
            }
            out.add(new TrainingReport.Epoch(r.epoch(), r.taskLoss().clone(), auc, gauc, ll, r.seconds(), r.samplesPerSecond(), why));
        }
        return new TrainingReport.Curve(model, tasks, out, keptEpoch);
    }

    static void results(TrainingReport report, String model, Map<String, Evaluation.TaskMetrics> metrics) {
        metrics.forEach((task, m) -> report.result(new TrainingReport.Result(model, task, m.auc(), m.gauc(), m.logloss(), m.samples(),
                m.gaucReason())));
    }

    /**
     * Attention of the first {@code n} samples of distinct users with at least 3 behaviours among {@code rows}
     * (positives first, as in the DIN paper's figure).
     */
    static void attention(TrainingReport report, String model, Predictor p, BatchBuilder builder, List<Row> rows, int n) {
        if (!p.config().type().usesAttention() || p.schema().sequences().isEmpty()) {
            return;
        }
        int item = p.schema().sparseIndex("item_id");
        int cate = p.schema().sparseIndex("cate_id");
        int itemSeq = sequenceOf(p, "item_id");
        int cateSeq = sequenceOf(p, "cate_id");
        if (item < 0 || itemSeq < 0) {
            item = 0;
            itemSeq = 0;
        }
        List<Row> picked = new ArrayList<>();
        Set<String> users = new HashSet<>();
        for (int pass = 0; pass < 2 && picked.size() < n; pass++) {
            for (Row r : rows) {
                if (picked.size() >= n) {
                    break;
                }
                boolean positive = r.hasLabel(0) && r.labels()[0] > 0.5f;
                String user = r.sparse()[Math.max(0, p.schema().sparseIndex("user_id"))];
                if (r.historyLength() >= 3 && (pass == 1 || positive) && users.add(String.valueOf(user))) {
                    picked.add(r);
                }
            }
        }
        if (picked.isEmpty()) {
            return;
        }
        Batch b = builder.build(picked);
        float[][] w = p.attention(b);
        float[][] prob = p.predict(b);
        int userField = Math.max(0, p.schema().sparseIndex("user_id"));
        for (int i = 0; i < picked.size(); i++) {
            Row r = picked.get(i);
            int len = w[i].length;
            String[] items = r.sequences()[itemSeq];
            String[] cats = cateSeq >= 0 ? r.sequences()[cateSeq] : items;
            List<String> hi = Arrays.asList(items).subList(items.length - len, items.length);
            List<String> hc = Arrays.asList(cats).subList(cats.length - len, cats.length);
            double[] weights = new double[len];
            for (int t = 0; t < len; t++) {
                weights[t] = w[i][t];
            }
            report.attention(new TrainingReport.Attention(model, String.valueOf(r.sparse()[userField]), String.valueOf(r.sparse()[item]),
                    cate >= 0 ? String.valueOf(r.sparse()[cate]) : "", r.labels()[0], prob[0][i], hi, hc, weights));
        }
    }

    private static int sequenceOf(Predictor p, String table) {
        for (int s = 0; s < p.schema().sequences().size(); s++) {
            if (p.schema().sequences().get(s).table().equals(table)) {
                return s;
            }
        }
        return -1;
    }

    /** Mean gate probabilities over {@code data}, experts named as the model orders them. */
    static void gates(TrainingReport report, String model, Predictor p, Iterable<Batch> data) {
        Map<String, double[]> usage = p.gateUsage(data);
        ModelConfig c = p.config();
        List<String> tasks = c.tasks().stream().map(ModelConfig.TaskSpec::name).toList();
        for (Map.Entry<String, double[]> e : usage.entrySet()) {
            String key = e.getKey();
            int at = key.lastIndexOf('@');
            String gate = key.substring(0, at);
            int level = Integer.parseInt(key.substring(at + 1));
            report.gate(new TrainingReport.Gate(model, gate, level, expertNames(c, tasks, gate, e.getValue().length), e.getValue()));
        }
    }

    /**
     * Experts of a level are numbered task 0's specific experts first, then task 1's, ..., the shared ones last; a
     * task's gate mixes its own then the shared ones, the shared gate all of them.
     */
    static List<String> expertNames(ModelConfig c, List<String> tasks, String gate, int width) {
        int mk = c.taskExperts();
        int ms = c.sharedExperts();
        List<String> names = new ArrayList<>();
        if (gate.equals("shared")) {
            for (String t : tasks) {
                for (int e = 0; e < mk; e++) {
                    names.add(t + " #" + (e + 1));
                }
            }
        } else {
            for (int e = 0; e < mk; e++) {
                names.add(gate + " #" + (e + 1));
            }
        }
        for (int e = 0; e < ms; e++) {
            names.add("shared #" + (e + 1));
        }
        if (names.size() != width) {
            names.clear();
            for (int e = 0; e < width; e++) {
                names.add("expert " + (e + 1));
            }
        }
        return names;
    }
}
