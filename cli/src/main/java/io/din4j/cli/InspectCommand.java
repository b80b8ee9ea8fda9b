package io.din4j.cli;

import io.din4j.data.FeatureSchema;
import io.din4j.data.SequenceField;
import io.din4j.data.SparseField;
import io.din4j.data.Vocabulary;
import io.din4j.json.Json;
import io.din4j.io.ModelFiles;
import io.din4j.model.ModelConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "inspect", sortOptions = false, mixinStandardHelpOptions = true,
        description = "Describe a model directory: architecture, columns, parameter counts, vocabularies and training metadata.",
        footer = {"", "Examples:", "  din4j inspect --model models/din", "  din4j inspect --model models/dinple --tensors"})
final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory written by din4j train.")
    Path model;

    @Option(names = "--tensors", description = "List every tensor with its shape.")
    boolean tensors;

    @Override
    public Integer call() throws IOException {
        ModelFiles.Info info = ModelDirs.info(model);
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "model directory %s (din4j model format %d)%n", model, info.formatVersion());
        long weightBytes = Files.size(model.resolve(ModelFiles.WEIGHTS));
        out.printf(Locale.ROOT, "files: %s %,d bytes, %s %,d bytes%s%n", ModelFiles.MODEL_JSON, Files.size(model.resolve(ModelFiles.MODEL_JSON)),
                ModelFiles.WEIGHTS, weightBytes, Files.exists(model.resolve("report.html")) ? ", report.html" : "");
        out.println();
        out.println("architecture: " + info.config().type().id());
        ModelConfig.Type type = info.config().type();
        for (Map.Entry<String, Object> e : info.config().toJson().entrySet()) {
            if (!relevant(type, e.getKey())) {
                continue;
            }
            out.println("  " + e.getKey() + ": " + Json.write(e.getValue()).strip().replaceAll("\\s*\\n\\s*", " "));
        }
        out.println();
        FeatureSchema s = info.schema();
        out.println("columns:");
        out.println("  tasks: " + String.join(", ", s.tasks()));
        for (SparseField f : s.sparse()) {
            out.println("  sparse " + f.name() + " (" + f.role().name().toLowerCase(Locale.ROOT) + ")");
        }
        for (SequenceField q : s.sequences()) {
            out.println("  sequence " + q.name() + " (shares the table of " + q.table() + ")");
        }
        for (String d : s.dense()) {
            out.println("  dense " + d);
        }
        out.println();
        long total = 0;
        long state = 0;
        List<String[]> rows = new ArrayList<>();
        for (Map.Entry<String, long[]> e : info.tensors().entrySet()) {
            long n = 1;
            for (long d : e.getValue()) {
                n *= d;
            }
            total += n;
            // Dice running statistics are stored but not trained; train reports the trainable count only.
            if (e.getKey().endsWith(".running_mean") || e.getKey().endsWith(".running_var")) {
                state += n;
            }
            rows.add(new String[] {e.getKey(), java.util.Arrays.toString(e.getValue()), String.format(Locale.ROOT, "%,d", n)});
        }
        String size = total * 4 < 1e6 ? String.format(Locale.ROOT, "%.1f kB", total * 4 / 1e3) : String.format(Locale.ROOT, "%.1f MB", total * 4 / 1e6);
        out.printf(Locale.ROOT, "parameters: %,d trainable%s, %d tensors (%s as f32)%n", total - state,
                state == 0 ? "" : String.format(Locale.ROOT, " + %,d Dice running statistics", state), rows.size(), size);
        if (tensors) {
            TextTable t = new TextTable("tensor", "shape", "values");
            rows.forEach(r -> t.row((Object[]) r));
            t.print(out);
        }
        out.println();
        out.println("vocabularies (row 0 = out-of-vocabulary):");
        for (int f = 0; f < s.sparse().size(); f++) {
            String name = s.sparse().get(f).name();
            Vocabulary v = info.vocabularies() == null ? null : info.vocabularies().get(name);
            if (v == null) {
                out.printf(Locale.ROOT, "  %s: %,d rows (ids not stored)%n", name, info.vocabSizes()[f]);
                continue;
            }
            long[] c = v.counts();
            String top = IntStream.range(1, v.size()).boxed().sorted(Comparator.comparingLong((Integer i) -> -c[i])).limit(5)
                    .map(i -> v.token(i) + " ×" + c[i]).reduce((a, b) -> a + ", " + b).orElse("");
            out.printf(Locale.ROOT, "  %s: %,d rows; most frequent: %s%n", name, v.size(), top);
        }
        Map<String, Object> tr = info.training();
        if (tr != null && !tr.isEmpty()) {
            out.println();
            out.println("training:");
            for (Map.Entry<String, Object> e : tr.entrySet()) {
                if (!e.getKey().equals("epochs")) {
                    out.println("  " + e.getKey() + ": " + Json.write(e.getValue()).strip().replaceAll("\\s*\\n\\s*", " "));
                }
            }
            if (tr.get("epochs") instanceof List<?> eps) {
                for (Object ep : eps) {
                    out.println("  epoch " + Json.write(ep).strip().replaceAll("\\s*\\n\\s*", " "));
                }
            }
        }
        out.flush();
        return 0;
    }

    /** Whether a config key shapes this type of model (DIN's attention, the DIN/Base MLP, the PLE family's experts). */
    static boolean relevant(ModelConfig.Type type, String key) {
        if (key.startsWith("attention")) {
            return type.usesAttention();
        }
        if (key.startsWith("mlp")) {
            return type == ModelConfig.Type.DIN || type == ModelConfig.Type.BASE;
        }
        if (key.startsWith("expert") || key.startsWith("tower") || key.endsWith("experts") || key.equals("levels") || key.equals("gate")) {
            return type.isMultiTask();
        }
        return true;
    }
}
