package io.din4j.model;

import io.din4j.backend.Backend;
import io.din4j.backend.cpu.CpuBackend;
import io.din4j.data.Batch;
import io.din4j.data.FeatureSchema;
import io.din4j.metrics.Evaluation;
import io.din4j.train.OptimizerSpec;
import io.din4j.train.TrainConfig;
import io.din4j.train.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The acceptance experiments on {@link SyntheticWorld}: DIN vs BaseModel, and PLE vs single-task models. The
 * JUnit tests run them at a small scale; {@code main} prints the tables recorded in docs/models.md.
 */
public final class Experiments {
    private Experiments() {
    }

    /** Test metrics of one model per task. */
    public record Row(String model, long seed, Map<String, Evaluation.TaskMetrics> metrics, double seconds) {
    }

    static ModelConfig.Builder dinSized(ModelConfig.Type type) {
        return ModelConfig.builder(type).embeddingDim(8).attentionHidden(32, 16).mlpHidden(64, 32);
    }

    static TrainConfig training(int epochs) {
        return TrainConfig.builder().epochs(epochs).embeddings(OptimizerSpec.adam(0.01)).dense(OptimizerSpec.adam(0.003))
                .progressEvery(1_000_000).build();
    }

    public static Row train(String name, ModelConfig config, FeatureSchema schema, int[] vocab, List<Batch> train,
                            List<Batch> test, int epochs, Backend backend) {
        long t0 = System.nanoTime();
        try (Model m = new Model(config, schema, vocab, backend, 512); Trainer t = new Trainer(m, training(epochs))) {
            t.fit(train, null);
            return new Row(name, config.seed(), t.evaluate(test), (System.nanoTime() - t0) / 1e9);
        }
    }

    /** DIN and BaseModel on one interest world. */
    public static List<Row> dinVsBase(long seed, int users, int epochs, Backend backend) {
        SyntheticWorld.Data d = SyntheticWorld.interests(seed, users, 30, 10, 128);
        List<Row> rows = new ArrayList<>();
        for (ModelConfig.Type type : new ModelConfig.Type[] {ModelConfig.Type.BASE, ModelConfig.Type.DIN}) {
            ModelConfig c = dinSized(type).seed(seed).build();
            rows.add(train(type.id(), c, d.schema(), d.vocab(), d.train(), d.test(), epochs, backend));
        }
        return rows;
    }

    /** PLE (both tasks) and one single-task model per task on one two-task world. */
    public static List<Row> pleVsSingle(long seed, int users, int epochs, Backend backend) {
        SyntheticWorld.Data d = SyntheticWorld.twoTasks(seed, users, 600, 30, 30, 128);
        List<Row> rows = new ArrayList<>();
        ModelConfig ple = ModelConfig.builder(ModelConfig.Type.PLE).embeddingDim(8).levels(2).specificExperts(1)
                .sharedExperts(1).expertHidden(32).towerHidden(16)
                // The sparse task weighs half (PLE eq. 10's w_k): its few labels otherwise pull the shared
                // embeddings as hard as the click task's many.
                .tasks(List.of(new ModelConfig.TaskSpec("click", 1, 1), new ModelConfig.TaskSpec("buy", 0.5, 1)))
                .seed(seed).build();
        rows.add(train("ple", ple, d.schema(), d.vocab(), d.train(), d.test(), epochs, backend));
        for (int k = 0; k < 2; k++) {
            String task = d.schema().tasks().get(k);
            FeatureSchema single = new FeatureSchema(d.schema().sparse(), d.schema().sequences(), d.schema().dense(), List.of(task));
            List<Batch> tr = onlyTask(d.train(), k);
            List<Batch> te = onlyTask(d.test(), k);
            ModelConfig c = ModelConfig.builder(ModelConfig.Type.SHARED_BOTTOM).embeddingDim(8).expertHidden(32)
                    .towerHidden(16).tasks(task).seed(seed).build();
            rows.add(train("single-" + task, c, single, d.vocab(), tr, te, epochs, backend));
        }
        return rows;
    }

    private static List<Batch> onlyTask(List<Batch> in, int k) {
        List<Batch> out = new ArrayList<>();
        for (Batch b : in) {
            int[][] sparse = new int[b.sparseFields()][];
            for (int f = 0; f < sparse.length; f++) {
                sparse[f] = b.sparse(f);
            }
            int[][] seqs = new int[b.sequenceFields()][];
            for (int s = 0; s < seqs.length; s++) {
                seqs[s] = b.sequence(s);
            }
            out.add(new Batch(b.size(), b.history(), sparse, seqs, b.lengths(), new float[0][],
                    new float[][] {b.labels(k)}, new float[][] {b.labelMask(k)}, b.groups()));
        }
        return out;
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }

    /**
     * Prints the tables of docs/models.md. Arguments: seeds, users, DIN/Base epochs, PLE epochs, which tables
     * ({@code all|din|ple}); defaults {@code 3 300 3 5 all} (the scale of {@code AcceptanceTest}). System property
     * {@code threads} sets the cpu backend's threads (default 1).
     */
    public static void main(String[] args) {
        int seeds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int users = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        int epochs = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int pleEpochs = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        String which = args.length > 4 ? args[4] : "all";
        try (Backend cpu = new CpuBackend(Integer.getInteger("threads", 1))) {
            System.out.println("| seed | model | test AUC | test GAUC | logloss | seconds |");
            System.out.println("|---|---|---|---|---|---|");
            for (int s = 1; s <= seeds && !which.equals("ple"); s++) {
                List<Row> rows = dinVsBase(s, users, epochs, cpu);
                for (Row r : rows) {
                    Evaluation.TaskMetrics m = r.metrics().get("click");
                    System.out.println("| " + s + " | " + r.model() + " | " + fmt(m.auc()) + " | " + fmt(m.gauc()) + " | "
                            + fmt(m.logloss()) + " | " + String.format(Locale.ROOT, "%.1f", r.seconds()) + " |");
                }
                double base = rows.get(0).metrics().get("click").auc();
                double din = rows.get(1).metrics().get("click").auc();
                System.out.println("| " + s + " | RelaImpr DIN vs Base (AUC) | " + String.format(Locale.ROOT, "%+.1f%%",
                        io.din4j.metrics.RelaImpr.percent(din, base)) + " | | | |");
            }
            System.out.println();
            System.out.println("| seed | model | click AUC | buy AUC (clicked samples) | seconds |");
            System.out.println("|---|---|---|---|---|");
            for (int s = 1; s <= seeds && !which.equals("din"); s++) {
                for (Row r : pleVsSingle(s, users, pleEpochs, cpu)) {
                    Evaluation.TaskMetrics c = r.metrics().get("click");
                    Evaluation.TaskMetrics b = r.metrics().get("buy");
                    System.out.println("| " + s + " | " + r.model() + " | " + (c == null ? "" : fmt(c.auc())) + " | "
                            + (b == null ? "" : fmt(b.auc())) + " | " + String.format(Locale.ROOT, "%.1f", r.seconds()) + " |");
                }
            }
        }
    }
}
