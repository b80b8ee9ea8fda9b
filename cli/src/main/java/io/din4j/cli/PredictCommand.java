package io.din4j.cli;

import io.din4j.data.Batch;
import io.din4j.data.Prefetcher;
import io.din4j.data.csv.Csv;
import io.din4j.data.csv.CsvDataset;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "predict", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Score a CSV: one probability column per task (p_<task>), one line per input row, in input order.",
                "Streams: memory does not grow with the file. Label columns may be absent. Ids unseen in training",
                "use the out-of-vocabulary row. The output appears only when complete (written to a temporary file first)."},
        footer = {"", "Examples:",
                "  din4j predict --model models/din --data data/synth/test.csv --out scores.csv",
                "  din4j predict --model models/dinple --data new.csv.gz --out scores.csv.gz",
                "  din4j predict --model models/din --data new.csv --out -      (to standard output)"})
final class PredictCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory written by din4j train.")
    Path model;

    @Option(names = "--data", required = true, paramLabel = "FILE", description = "Rows to score, in the model's columns.")
    Path data;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Output CSV (.gz compresses; - for standard output).")
    String out;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "1024", description = "Rows scored at once (default ${DEFAULT-VALUE}).")
    int batchSize;

    @CommandLine.Mixin
    DeviceOptions device = new DeviceOptions();

    @Override
    public Integer call() throws IOException {
        Flags.atLeast(spec, "--batch-size", batchSize, 1);
        try (Scoring s = new Scoring(model, device, batchSize); CsvDataset d = s.data(data, false)) {
            long[] rows = new long[1];
            if (out.equals("-")) {
                PrintWriter o = spec.commandLine().getOut();
                rows[0] = write(s, d, o);
                o.flush();
            } else {
                Path target = Path.of(out);
                AtomicOutput.file(target, tmp -> {
                    try (Writer w = Csv.create(tmp)) {
                        rows[0] = write(s, d, w);
                    }
                });
                spec.commandLine().getErr().printf(Locale.ROOT, "wrote %,d predictions to %s%n", rows[0], target);
            }
        }
        return 0;
    }

    private long write(Scoring s, CsvDataset d, Writer w) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String t : s.predictor.tasks()) {
            sb.append(sb.isEmpty() ? "" : ",").append("p_").append(t);
        }
        w.write(sb.append('\n').toString());
        long n = 0;
        try (Prefetcher it = new Prefetcher(s.builder.batches(d.iterator(), batchSize), 4)) {
            while (it.hasNext()) {
                n += write(s, it.next(), w, sb);
            }
        }
        return n;
    }

    private static long write(Scoring s, Batch b, Writer w, StringBuilder sb) throws IOException {
        float[][] p = s.predictor.predict(b);
        sb.setLength(0);
        for (int i = 0; i < b.size(); i++) {
            for (int k = 0; k < p.length; k++) {
                sb.append(k == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.6f", p[k][i]));
            }
            sb.append('\n');
        }
        w.write(sb.toString());
        return b.size();
    }
}
