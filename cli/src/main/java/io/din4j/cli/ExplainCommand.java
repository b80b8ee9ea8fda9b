package io.din4j.cli;

import io.din4j.data.Batch;
import io.din4j.data.FeatureSchema;
import io.din4j.data.Row;
import io.din4j.data.csv.SequenceCsvReader;
import io.din4j.model.ModelConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "explain", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Explain one prediction: attention over the history, gate probabilities.",
                "Shows the candidate, each history behaviour (oldest first) and the attention weight DIN's local",
                "activation unit gave it (the DIN paper's Fig. 5 as text); for models with gates, the gate",
                "probabilities of this row."},
        footer = {"", "Examples:",
                "  din4j explain --model models/din --data data/synth/test.csv --row 1",
                "  din4j explain --model models/dinple --data data/mt/test.csv --row 42"})
final class ExplainCommand implements Callable<Integer> {
    private static final int BAR = 30;

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory written by din4j train.")
    Path model;

    @Option(names = "--data", required = true, paramLabel = "FILE", description = "Data in the model's columns.")
    Path data;

    @Option(names = "--row", required = true, paramLabel = "N", description = "Which data row (1 = the first row after the header).")
    long row;

    @CommandLine.Mixin
    DeviceOptions device = new DeviceOptions();

    @Override
    public Integer call() {
        Flags.atLeast(spec, "--row", row, 1);
        PrintWriter out = spec.commandLine().getOut();
        try (Scoring s = new Scoring(model, device, 1)) {
            FeatureSchema schema = s.predictor.schema();
            Row r = null;
            long line;
            try (SequenceCsvReader in = SequenceCsvReader.openForScoring(data, schema, false)) {
                long n = 0;
                while (n < row && in.hasNext()) {
                    r = in.next();
                    n++;
                }
                if (n < row) {
                    throw new UserError("--row: " + row + " is past the end of " + data + " (" + n + " rows)");
                }
                line = in.line();
            }
            Batch b = s.builder.build(List.of(r));
            float[][] p = s.predictor.predict(b);
            out.printf(Locale.ROOT, "row %d of %s (line %d), model %s%n", row, data, line, s.predictor.config().type().id());
            int cate = schema.sparseIndex("cate_id");
            StringBuilder head = new StringBuilder();
            for (int f = 0; f < schema.sparse().size(); f++) {
                head.append(f == 0 ? "" : ", ").append(schema.sparse().get(f).name()).append(' ').append(r.sparse()[f] == null ? "(missing)" : r.sparse()[f])
                        .append(r.sparse()[f] != null && b.sparse(f)[0] == 0 ? " (unseen in training)" : "");
            }
            out.println("candidate: " + head);
            for (int k = 0; k < p.length; k++) {
                String task = schema.tasks().get(k);
                out.printf(Locale.ROOT, "p(%s) = %.4f%s%n", task, p[k][0], r.hasLabel(k) ? String.format(Locale.ROOT, "   (label %s)", fmtLabel(r.labels()[k])) : "");
            }
            history(out, s, schema, r, b, cate);
            gates(out, s, b);
        }
        out.flush();
        return 0;
    }

    private void history(PrintWriter out, Scoring s, FeatureSchema schema, Row r, Batch b, int cate) {
        if (schema.sequences().isEmpty()) {
            out.println("no behaviour history in this model's columns");
            return;
        }
        int len = b.lengths()[0];
        int full = r.historyLength();
        float[][] w = s.predictor.attention(b);
        ModelConfig.Type type = s.predictor.config().type();
        out.printf(Locale.ROOT, "history: %d behaviours%s, oldest first%s%n", full, len < full ? " (the most recent " + len + " used)" : "",
                w == null ? " (" + type.id() + " has no attention: its pooling weighs every behaviour equally)" : "; weight = attention for this candidate (the bar: |weight| relative to the largest; DIN does not normalise weights, their sign is the activation unit's)");
        if (len == 0) {
            return;
        }
        double max = 0;
        if (w != null) {
            for (float x : w[0]) {
                max = Math.max(max, Math.abs(x));
            }
        }
        TextTable t = new TextTable(header(schema, w != null));
        String candCat = cate >= 0 ? r.sparse()[cate] : null;
        for (int j = 0; j < len; j++) {
            int at = full - len + j;
            Object[] cells = new Object[schema.sequences().size() + (w != null ? 3 : 1)];
            cells[0] = j + 1;
            for (int q = 0; q < schema.sequences().size(); q++) {
                cells[1 + q] = r.sequences()[q][at];
            }
            if (w != null) {
                double v = w[0][j];
                cells[cells.length - 2] = String.format(Locale.ROOT, "%.4f", v);
                int n = max > 0 ? (int) Math.round(BAR * Math.abs(v) / max) : 0;
                boolean same = candCat != null && hasCategory(schema, r, at, candCat);
                cells[cells.length - 1] = "#".repeat(n) + (same ? "  <- candidate's category" : "");
            }
            t.row(cells);
        }
        t.print(out);
    }

    private static boolean hasCategory(FeatureSchema schema, Row r, int at, String cat) {
        for (int q = 0; q < schema.sequences().size(); q++) {
            if (schema.sequences().get(q).table().equals("cate_id") && cat.equals(r.sequences()[q][at])) {
                return true;
            }
        }
        return false;
    }

    private static String[] header(FeatureSchema schema, boolean weights) {
        String[] h = new String[schema.sequences().size() + (weights ? 3 : 1)];
        h[0] = "#";
        for (int q = 0; q < schema.sequences().size(); q++) {
            h[1 + q] = schema.sequences().get(q).name();
        }
        if (weights) {
            h[h.length - 2] = "weight";
            h[h.length - 1] = "";
        }
        return h;
    }

    private void gates(PrintWriter out, Scoring s, Batch b) {
        Map<String, double[]> usage = s.predictor.gateUsage(List.of(b));
        if (usage.isEmpty()) {
            return;
        }
        ModelConfig c = s.predictor.config();
        List<String> tasks = s.predictor.tasks();
        out.println("gates (probability of each expert for this row):");
        usage.forEach((key, v) -> {
            String gate = key.substring(0, key.lastIndexOf('@'));
            int level = Integer.parseInt(key.substring(key.lastIndexOf('@') + 1));
            List<String> names = Reports.expertNames(c, tasks, gate, v.length);
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "  %s, level %d:", gate, level + 1));
            for (int e = 0; e < v.length; e++) {
                sb.append(String.format(Locale.ROOT, "  %s %.3f", names.get(e), v[e]));
            }
            out.println(sb);
        });
    }

    private static String fmtLabel(float v) {
        return v == Math.rint(v) ? Integer.toString((int) v) : Float.toString(v);
    }
}
