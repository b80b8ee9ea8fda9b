package io.din4j.cli;

import io.din4j.backend.Backend;
import io.din4j.data.FeatureSchema;
import io.din4j.data.Row;
import io.din4j.data.csv.CsvDataset;
import io.din4j.data.csv.SequenceCsvReader;
import io.din4j.io.ModelFiles;
import io.din4j.metrics.Evaluation;
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
import java.util.Map;
import java.util.Set;
import java.util.HashSet;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "train", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Train a model; write the model directory and report.html.",
                "Reads a canonical CSV (docs/data-format.md).",
                "Prints one line per epoch (training loss, validation AUC/GAUC/logloss) and a progress bar on a terminal."},
        footer = {"", "Examples:",
                "  din4j train --train data/synth/train.csv --valid data/synth/test.csv \\", "      --model din --out models/din",
                "  din4j train --train data/mt/train.csv --valid data/mt/test.csv \\", "      --model din-ple --tasks click,conversion --out models/dinple --epochs 5",
                "  din4j train --train data/ali/train.csv --model ple --out models/ple \\", "      --schema data/ali/schema.txt --device cpu --threads 8",
                "  din4j train --train data/mt/train.csv --model din --tasks click \\", "      --ignore conversion --out models/din-click"})
final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--train", required = true, paramLabel = "FILE", description = "Training data (.csv or .csv.gz).")
    Path train;

    @Option(names = "--valid", paramLabel = "FILE", description = "Validation data: metrics after every epoch, the report's comparison and attention.")
    Path valid;

    @Option(names = "--model", required = true, paramLabel = "TYPE", completionCandidates = ModelTypes.class,
            description = "${COMPLETION-CANDIDATES}.")
    String model;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Model directory to write (model.json, weights.safetensors, report.html).")
    Path out;

    @Option(names = "--no-report", description = "Do not write report.html.")
    boolean noReport;

    @CommandLine.Mixin
    SchemaOptions schemaOptions = new SchemaOptions();

    @CommandLine.Mixin
    ModelOptions modelOptions = new ModelOptions();

    @CommandLine.Mixin
    DeviceOptions device = new DeviceOptions();

    @Override
    public Integer call() throws IOException {
        ModelConfig.Type type = ModelOptions.type(spec, "--model", model);
        Training.Settings settings = modelOptions.settings(spec, type);
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter e = spec.commandLine().getErr();
        if (Files.exists(out) && !(Files.isDirectory(out) && (ModelDirs.isModelDir(out) || isEmpty(out)))) {
            throw new UserError("--out: " + out + " exists and is not a din4j model directory (refusing to replace it)");
        }
        AtomicOutput.checkWritable(out);
        FeatureSchema resolved = schemaOptions.resolve(train, o);
        if (type.usesAttention() && resolved.sequences().isEmpty()) {
            throw new UserError("--model " + model + ": needs behaviour sequences (hist_* columns), " + train + " has none");
        }
        Set<String> ignored = new HashSet<>(schemaOptions.ignored());
        FeatureSchema schemaNow = resolved;
        while (true) {
            FeatureSchema schema = schemaNow;
            try (CsvDataset trainSet = new CsvDataset(train, schema, true, ignored);
                 CsvDataset validSet = valid == null ? null : new CsvDataset(valid, schema, true, ignored);
                 Backend backend = device.create()) {
                if (validSet != null) {
                    SequenceCsvReader.open(valid, schema, true, ignored).close();
                }
                try (Training t = Training.prepare(type.id(), schema, trainSet, settings, backend, o)) {
                    List<String> dropped = t.fieldsWithoutIds();
                    if (!dropped.isEmpty()) {
                        // Rare only: start again without them, as --ignore would (one more vocabulary pass, only here).
                        o.println("train: dropping " + String.join(", ", dropped) + ": no id is seen --min-count "
                                + settings.minCount() + " times in the training data, so every row would share the "
                                + "out-of-vocabulary row (the same as --ignore " + String.join(",", dropped) + ")");
                        ignored.addAll(dropped);
                        schemaNow = withoutSparse(schema, dropped);
                        continue;
                    }
                    t.fit(type.id(), trainSet, validSet, o, e, ProgressBar.stderrIsTerminal());
                    TrainingReport report = new TrainingReport("din4j training report: " + type.id() + " on " + train.getFileName());
                    report.setting("command", "din4j " + String.join(" ", spec.commandLine().getParseResult().originalArgs()))
                            .setting("training data", train + " (" + t.trainRows + " rows)")
                            .setting("validation data", valid == null ? "none" : valid.toString())
                            .setting("model", type.id() + ", " + t.model.parameterCount() + " parameters")
                            .setting("tasks", String.join(", ", schema.tasks()))
                            .setting("backend", backend.name());
                    report.curve(Reports.curve(type.id(), schema.tasks(), t.result.epochs(), validSet == null ? -1 : t.result.keptEpoch()));
                    if (validSet != null) {
                        report.setting("epoch kept", Training.keptLine(type.id(), t.result, settings.patience()));
                        try (Predictor p = Predictor.of(t.model, settings.batchSize())) {
                            // The metrics of the weights the model was saved with.
                            Reports.results(report, type.id(), t.result.epochs().get(t.result.keptEpoch()).validation());
                            List<Row> sample = new ArrayList<>();
                            for (Row r : validSet) {
                                sample.add(r);
                                if (sample.size() >= 2000) {
                                    break;
                                }
                            }
                            validSet.close();
                            Reports.attention(report, type.id(), p, t.builder, sample, 8);
                            Reports.gates(report, type.id(), p, List.of(t.builder.build(sample)));
                        }
                    }
                    Map<String, Object> meta = t.metadata(train.toString(), valid == null ? null : valid.toString());
                    AtomicOutput.directory(out, "din4j model directory", ModelDirs::isModelDir, tmp -> {
                        ModelFiles.save(t.model, tmp, meta);
                        if (!noReport) {
                            try (Writer w = Files.newBufferedWriter(tmp.resolve("report.html"))) {
                                ReportWriter.write(report, w);
                            }
                        }
                    });
                    o.println("model written to " + out + (noReport ? "" : "; report: " + out.resolve("report.html")));
                }
            }
            break;
        }
        return 0;
    }

    private static FeatureSchema withoutSparse(FeatureSchema s, List<String> names) {
        return new FeatureSchema(s.sparse().stream().filter(f -> !names.contains(f.name())).toList(), s.sequences(), s.dense(),
                s.tasks());
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }
}
