package io.din4j.cli;

import io.din4j.data.FeatureSchema;
import io.din4j.data.csv.SchemaFiles;
import io.din4j.data.csv.SequenceCsvReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Option;

/** How the columns of a training file are described: a schema file, or the header plus flags. */
final class SchemaOptions {
    @Option(names = "--schema", paramLabel = "FILE", description = "Schema file (docs/data-format.md). Default: schema.txt beside the training file, else the header.")
    Path schema;

    @Option(names = "--tasks", split = ",", paramLabel = "COL", description = "Label columns, one per task (default: label, or click[,conversion]).")
    List<String> tasks;

    @Option(names = "--sparse", split = ",", paramLabel = "COL", description = "Extra categorical columns (each gets an embedding table).")
    List<String> sparse = List.of();

    @Option(names = "--dense", split = ",", paramLabel = "COL", description = "Extra numeric columns.")
    List<String> dense = List.of();

    @Option(names = "--ignore", split = ",", paramLabel = "COL", description = "Columns to skip (a row id, another task's label).")
    List<String> ignore = List.of();

    Set<String> ignored() {
        return Set.copyOf(ignore);
    }

    /** The schema for {@code train}, saying where it came from on {@code log}. */
    FeatureSchema resolve(Path train, PrintWriter log) throws IOException {
        Path file = schema;
        if (file == null) {
            Path beside = train.toAbsolutePath().resolveSibling("schema.txt");
            if (Files.isRegularFile(beside) && sparse.isEmpty() && dense.isEmpty()) {
                file = beside;
            }
        }
        FeatureSchema s;
        if (file != null) {
            if (!Files.isRegularFile(file)) {
                throw new UserError("--schema: " + file + ": no such file");
            }
            s = SchemaFiles.read(file);
            log.println("schema: " + file);
            if (tasks != null && !tasks.isEmpty()) {
                s = new FeatureSchema(s.sparse(), s.sequences(), s.dense(), tasks);
            }
        } else {
            s = SchemaFiles.infer(train.toString(), SequenceCsvReader.header(train), tasks, sparse, dense, ignore);
        }
        return s;
    }
}
