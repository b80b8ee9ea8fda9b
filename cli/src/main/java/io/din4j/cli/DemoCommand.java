package io.din4j.cli;

import io.din4j.backend.Backend;
import io.din4j.data.FeatureSchema;
import io.din4j.data.Row;
import io.din4j.data.synth.SyntheticWorld;
import io.din4j.io.ModelFiles;
import io.din4j.metrics.Auc;
import io.din4j.metrics.Evaluation;
import io.din4j.metrics.Gauc;
import io.din4j.metrics.LogLoss;
import io.din4j.metrics.RelaImpr;
import io.din4j.model.ModelConfig;
import io.din4j.predict.Predictor;
import io.din4j.report.ReportWriter;
import io.din4j.report.TrainingReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "demo", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Train BaseModel, DIN and DIN+PLE on a synthetic world; compare them in a report.",
                "Generates the world, trains BaseModel and DIN on clicks and DIN+PLE on clicks and conversions,",
                "evaluates them on held-out impressions, prints a comparison and writes report.html, the data and",
                "the models. Sized to finish in a few minutes on two CPU cores."},
        footer = {"", "Examples:", "  din4j demo", "  din4j demo --out /tmp/demo --users 6000 --epochs 3 --threads 8"})
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", defaultValue = "demo-output", paramLabel = "DIR", description = "Where the data, models and report go (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--users", paramLabel = "N", defaultValue = "8000", description = "Users of the synthetic world (default ${DEFAULT-VALUE}).")
    int users;

    @Option(names = "--samples-per-user", paramLabel = "N", defaultValue = "20", description = "Impressions per user; the last 20%% are the test set (default ${DEFAULT-VALUE}).")
    int samplesPerUser;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "3", description = "Most epochs per model; each stops once the validation AUC (a split of the training data) falls and keeps its best epoch (default ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "256", description = "Samples per step (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--embedding-dim", defaultValue = "16", paramLabel = "D", description = "Embedding width (default ${DEFAULT-VALUE}).")
    int embeddingDim;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "Seed of the world and the models (default ${DEFAULT-VALUE}).")
    long seed;

    @CommandLine.Mixin
    DeviceOptions device = new DeviceOptions();

    @Override
    public Integer call() throws IOException {
        Flags.atLeast(spec, "--users", users, 10);
        Flags.atLeast(spec, "--samples-per-user", samplesPerUser, 5);
        Flags.atLeast(spec, "--epochs", epochs, 1);
        Flags.atLeast(spec, "--batch-size", batchSize, 1);
        Flags.atLeast(spec, "--embedding-dim", embeddingDim, 1);
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter e = spec.commandLine().getErr();
        long t0 = System.nanoTime();
        SyntheticWorld world = SyntheticWorld.of(SyntheticWorld.Config.defaults().withUsers(users).withSamplesPerUser(samplesPerUser)
                .withTwoTasks(true).withSeed(seed));
        Path dataDir = out.resolve("data");
        Files.createDirectories(dataDir);
        AtomicOutput.file(dataDir.resolve("train.csv"), tr -> AtomicOutput.file(dataDir.resolve("test.csv"), te -> world.write(tr, te)));
        List<Row> train2 = world.rows(false);
        List<Row> test2 = world.rows(true);
        List<Row> train1 = clickOnly(train2);
        List<Row> test1 = clickOnly(test2);
        o.printf(Locale.ROOT, "synthetic world: %,d users, %,d training and %,d test impressions, CTR %.3f (written to %s)%n",
                users, train2.size(), test2.size(), ctr(train1), dataDir);
        o.println("clicks depend on the part of each user's history that matches the candidate: the case DIN's attention is for.");
        o.println();

        TrainingReport report = new TrainingReport("din4j demo: DIN vs BaseModel (and DIN+PLE) on a synthetic world");
        report.setting("world", String.format(Locale.ROOT, "%d users, %d items, %d categories, %d interests per user, histories of %d–%d, seed %d",
                        users, world.config().items(), world.config().categories(), world.config().interestsPerUser(),
                        world.config().minHistory(), world.config().maxHistory(), seed))
                .setting("data", train2.size() + " training and " + test2.size() + " test impressions (the last 20% of each user's); "
                        + "each user's latest " + Math.round(VALID_FRACTION * 100) + "% of training impressions are held out for validation")
                .setting("training", "up to " + epochs + " epochs (stopping when the validation AUC falls, keeping the best; the test set is scored once, "
                        + "after training), batch " + batchSize
                        + ", Adam 0.001, embeddings " + embeddingDim + " wide")
                .baseline("base");
        FeatureSchema one = FeatureSchema.canonical(List.of("click"));
        FeatureSchema two = world.schema();
        String backendName;
        try (Backend backend = device.create()) {
            backendName = backend.name() + " (" + backend.threads() + " threads)";
            report.setting("backend", backendName);
            train("base", ModelConfig.Type.BASE, one, train1, test1, backend, report, o, e);
            train("din", ModelConfig.Type.DIN, one, train1, test1, backend, report, o, e);
            train("din-ple", ModelConfig.Type.DIN_PLE, two, train2, test2, backend, report, o, e);
        }
        truth(world, report);
        Path html = out.resolve("report.html");
        AtomicOutput.file(html, tmp -> {
            try (Writer w = Files.newBufferedWriter(tmp)) {
                ReportWriter.write(report, w);
            }
        });
        o.println();
        TextTable t = new TextTable("model", "task", "AUC", "GAUC", "logloss", "RelaImpr vs base");
        for (TrainingReport.Result r : report.results()) {
            double base = report.results().stream().filter(x -> x.model().equals("base") && x.task().equals(r.task()))
                    .mapToDouble(TrainingReport.Result::auc).findFirst().orElse(Double.NaN);
            double ri = r.model().equals(TRUTH) ? Double.NaN : RelaImpr.percent(r.auc(), base);
            t.row(r.model(), r.task(), EvalCommand.fmt(r.auc()), EvalCommand.fmt(r.gauc()), EvalCommand.fmt(r.logloss()),
                    Double.isFinite(ri) ? String.format(Locale.ROOT, "%+.1f%%", ri) : "–");
        }
        t.print(o);
        o.println("truth: the world's own click and conversion probabilities, the best any model can reach.");
        o.println();
        o.printf(Locale.ROOT, "report: %s%nmodels: %s (try: ./din4j explain --model %s --data %s --row 1)%ndone in %.0f s on %s%n",
                html, out.resolve("models"), out.resolve("models").resolve("din"), dataDir.resolve("test.csv"),
                (System.nanoTime() - t0) / 1e9, backendName);
        o.flush();
        return 0;
    }

    private void train(String name, ModelConfig.Type type, FeatureSchema schema, List<Row> train, List<Row> test, Backend backend,
                       TrainingReport report, PrintWriter o, PrintWriter e) throws IOException {
        Training.Settings s = new Training.Settings(type, epochs, batchSize, 1e-3, io.din4j.train.OptimizerSpec.Kind.ADAM, seed,
                embeddingDim, 0, Training.DEFAULT_MIN_COUNT, train.size(), Long.MAX_VALUE, Training.DEFAULT_SORT_WINDOW, Training.DEFAULT_MBA_LAMBDA, 1, null, null, null, 0);
        // The epoch is chosen on a validation split of the training data, never on the test set: choosing it by test
        // AUC would make the test figures optimistic. The split is in time, like the test split: each user's latest
        // training impressions.
        List<List<Row>> split = holdOut(train, schema.sparseIndex("user_id"), VALID_FRACTION);
        List<Row> fit = split.get(0);
        List<Row> valid = split.get(1);
        try (Training t = Training.prepare(name, schema, fit, s, backend, o)) {
            t.fit(name, fit, valid, o, e, ProgressBar.stderrIsTerminal());
            report.curve(Reports.curve(name, schema.tasks(), t.result.epochs(), t.result.keptEpoch()));
            // The test set, once, with the weights of the kept epoch.
            Map<String, Evaluation.TaskMetrics> tested = io.din4j.train.Trainer.evaluate(t.model, batches(t, test));
            Reports.results(report, name, tested);
            try (Predictor p = Predictor.of(t.model, batchSize)) {
                List<Row> sample = test.subList(0, Math.min(2000, test.size()));
                Reports.attention(report, name, p, t.builder, sample, 8);
                Reports.gates(report, name, p, List.of(t.builder.build(sample)));
            }
            Map<String, Object> meta = t.metadata("(in memory: " + out.resolve("data").resolve("train.csv") + ")", null);
            Path dir = out.resolve("models").resolve(name);
            AtomicOutput.directory(dir, "din4j model directory", ModelDirs::isModelDir, tmp -> ModelFiles.save(t.model, tmp, meta));
        }
    }

    private static final String TRUTH = "truth";
    /** Share of each user's training impressions (the latest) held out to choose the epoch. */
    static final double VALID_FRACTION = 0.1;

    private List<io.din4j.data.Batch> batches(Training t, List<Row> rows) {
        List<io.din4j.data.Batch> out = new ArrayList<>();
        t.builder.batches(rows.iterator(), batchSize).forEachRemaining(out::add);
        return out;
    }

    /**
     * Splits rows into (fit, validation): per user (sparse field {@code user}, rows in time order within a user),
     * the latest {@code ceil(fraction·n)} of a user's n rows go to validation when the user has at least 2 rows.
     * Without a user field, the last {@code fraction} of all rows.
     */
    static List<List<Row>> holdOut(List<Row> rows, int user, double fraction) {
        List<Row> fit = new ArrayList<>();
        List<Row> valid = new ArrayList<>();
        if (user < 0) {
            int cut = rows.size() - (int) Math.ceil(fraction * rows.size());
            return List.of(new ArrayList<>(rows.subList(0, cut)), new ArrayList<>(rows.subList(cut, rows.size())));
        }
        java.util.Map<String, List<Row>> byUser = new java.util.LinkedHashMap<>();
        for (Row r : rows) {
            byUser.computeIfAbsent(r.sparse()[user], k -> new ArrayList<>()).add(r);
        }
        for (List<Row> u : byUser.values()) {
            int v = u.size() < 2 ? 0 : (int) Math.ceil(fraction * u.size());
            fit.addAll(u.subList(0, u.size() - v));
            valid.addAll(u.subList(u.size() - v, u.size()));
        }
        return List.of(fit, valid);
    }

    /**
     * The metrics of the world's own probabilities on the test impressions: the best any model can do, so the
     * comparison shows how much of the learnable signal each model found.
     */
    private static void truth(SyntheticWorld world, TrainingReport report) {
        List<SyntheticWorld.Sample> test = world.samples(true);
        int n = test.size();
        float[] p = new float[n];
        float[] y = new float[n];
        String[] users = new String[n];
        List<Integer> clicked = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            SyntheticWorld.Sample s = test.get(i);
            p[i] = (float) s.clickProbability();
            y[i] = s.click() ? 1 : 0;
            users[i] = Integer.toString(s.user());
            if (s.click()) {
                clicked.add(i);
            }
        }
        report.result(new TrainingReport.Result(TRUTH, "click", Auc.of(p, y), Gauc.of(p, y, users), LogLoss.of(p, y), n));
        int m = clicked.size();
        float[] pc = new float[m];
        float[] yc = new float[m];
        String[] uc = new String[m];
        for (int j = 0; j < m; j++) {
            SyntheticWorld.Sample s = test.get(clicked.get(j));
            pc[j] = (float) s.conversionProbability();
            yc[j] = s.conversion() ? 1 : 0;
            uc[j] = users[clicked.get(j)];
        }
        report.result(new TrainingReport.Result(TRUTH, "conversion", Auc.of(pc, yc), Gauc.of(pc, yc, uc), LogLoss.of(pc, yc), m));
    }

    /** The click task alone: the first label of each row. */
    private static List<Row> clickOnly(List<Row> rows) {
        List<Row> out = new ArrayList<>(rows.size());
        for (Row r : rows) {
            out.add(new Row(new float[] {r.labels()[0]}, r.sparse(), r.sequences(), r.dense()));
        }
        return out;
    }

    private static double ctr(List<Row> rows) {
        double c = 0;
        for (Row r : rows) {
            c += r.labels()[0];
        }
        return c / Math.max(1, rows.size());
    }
}
