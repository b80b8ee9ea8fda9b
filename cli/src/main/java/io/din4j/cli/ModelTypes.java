package io.din4j.cli;

import io.din4j.model.ModelConfig;
import java.util.Arrays;
import java.util.Iterator;

/** The model type ids for picocli's {@code ${COMPLETION-CANDIDATES}}, from {@link ModelConfig.Type}: one list to keep. */
final class ModelTypes implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
        return Arrays.stream(ModelConfig.Type.values()).map(ModelConfig.Type::id).iterator();
    }
}
