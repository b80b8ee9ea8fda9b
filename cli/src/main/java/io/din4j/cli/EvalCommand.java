package io.din4j.cli;

import io.din4j.data.Batch;
import io.din4j.data.Prefetcher;
import io.din4j.data.csv.CsvDataset;
import io.din4j.json.Json;
import io.din4j.metrics.Evaluation;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "eval", sortOptions = false, mixinStandardHelpOptions = true,
        description = "Evaluate a model: per task AUC, GAUC (per-user AUC weighted by impressions), logloss and sample count.",
        footer = {"", "Examples:",
                "  din4j eval --model models/din --data data/synth/test.csv",
                "  din4j eval --model models/dinple --data data/mt/test.csv.gz --json"})
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory written by din4j train.")
    Path model;

    @Option(names = "--data", required = true, paramLabel = "FILE", description = "Labelled data in the model's columns.")
    Path data;

    @Option(names = "--json", description = "Print {\"tasks\": {\"<task>\": {\"auc\", \"gauc\", \"logloss\", \"n\"}}} (gauc null with gauc_reason when undefined).")
    boolean json;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "1024", description = "Rows scored at once (default ${DEFAULT-VALUE}).")
    int batchSize;

    @CommandLine.Mixin
    DeviceOptions device = new DeviceOptions();

    @Override
    public Integer call() {
        Flags.atLeast(spec, "--batch-size", batchSize, 1);
        try (Scoring s = new Scoring(model, device, batchSize); CsvDataset d = s.data(data, true)) {
            Evaluation ev = new Evaluation(s.predictor.tasks());
            try (Prefetcher it = new Prefetcher(s.builder.batches(d.iterator(), batchSize), 4)) {
                while (it.hasNext()) {
                    Batch b = it.next();
                    ev.add(b, s.predictor.predict(b));
                }
            }
            print(spec.commandLine().getOut(), ev.result(), json);
        }
        return 0;
    }

    static void print(PrintWriter out, Map<String, Evaluation.TaskMetrics> result, boolean json) {
        if (json) {
            Map<String, Object> tasks = new LinkedHashMap<>();
            result.forEach((task, m) -> {
                Map<String, Object> x = new LinkedHashMap<>();
                x.put("auc", finite(m.auc()));
                x.put("gauc", finite(m.gauc()));
                if (!Double.isFinite(m.gauc())) {
                    x.put("gauc_reason", m.gaucReason());
                }
                x.put("logloss", finite(m.logloss()));
                x.put("n", m.samples());
                tasks.put(task, x);
            });
            out.print(Json.write(Map.of("tasks", tasks)));
        } else {
            TextTable t = new TextTable("task", "AUC", "GAUC", "logloss", "samples", "positives");
            result.forEach((task, m) -> t.row(task, fmt(m.auc()), Double.isFinite(m.gauc()) ? fmt(m.gauc()) : "n/a",
                    fmt(m.logloss()), m.samples(), m.positives()));
            t.print(out);
            result.forEach((task, m) -> {
                if (!Double.isFinite(m.gauc())) {
                    out.println("GAUC of " + task + " is n/a: " + m.gaucReason());
                }
            });
        }
        out.flush();
    }

    /** JSON has no NaN: an undefined metric (e.g. AUC with one class) is null. */
    static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    static String fmt(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : "–";
    }
}
