package io.din4j.cli;

import io.din4j.backend.Backend;
import io.din4j.data.BatchBuilder;
import io.din4j.data.csv.CsvDataset;
import io.din4j.predict.Predictor;
import java.nio.file.Path;

/**
 * A loaded model with what it takes to read data the way it was trained: the predictor's own vocabularies and
 * history limit ({@link Predictor#batchBuilder()}), the same mapping the Java request API applies.
 */
final class Scoring implements AutoCloseable {
    final Backend backend;
    final Predictor predictor;
    final BatchBuilder builder;

    Scoring(Path modelDir, DeviceOptions device, int maxBatch) {
        this.backend = device.create();
        try {
            this.predictor = ModelDirs.load(modelDir, backend, maxBatch);
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
        if (predictor.vocabularies() == null) {
            close();
            throw new UserError("--model: " + modelDir + ": the model was saved without vocabularies, so raw ids cannot be mapped");
        }
        this.builder = predictor.batchBuilder();
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
