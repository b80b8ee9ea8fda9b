package io.din4j.cli;

import io.din4j.backend.Backend;
import io.din4j.data.BatchBuilder;
import io.din4j.data.Vocabularies;
import io.din4j.data.csv.CsvDataset;
import io.din4j.io.ModelFiles;
import io.din4j.predict.Predictor;
import java.nio.file.Path;

/** A loaded model with what it takes to read data the way it was trained: vocabularies and history limit. */
final class Scoring implements AutoCloseable {
    final Backend backend;
    final Predictor predictor;
    final BatchBuilder builder;
    final ModelFiles.Info info;

    Scoring(Path modelDir, DeviceOptions device, int maxBatch) {
        this.info = ModelDirs.info(modelDir);
        if (info.vocabularies() == null) {
            throw new UserError("--model: " + modelDir + ": the model was saved without vocabularies, so raw ids cannot be mapped");
        }
        this.backend = device.create();
        try {
            this.predictor = ModelDirs.load(modelDir, backend, maxBatch);
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
        this.builder = new BatchBuilder(Vocabularies.of(predictor.schema(), predictor.vocabularies()),
                ModelDirs.dataSetting(info, "max_history", 0));
    }

    CsvDataset data(Path file, boolean labelsRequired) {
        return CsvDataset.forScoring(file, predictor.schema(), labelsRequired);
    }

    @Override
    public void close() {
        predictor.close();
        backend.close();
    }
}
