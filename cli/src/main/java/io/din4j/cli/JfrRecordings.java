package io.din4j.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

/** In-process JFR recordings for the bench checks ({@link VectorFallbackCheck}, {@link AllocationCheck}). */
final class JfrRecordings {
    private JfrRecordings() {
    }

    /**
     * Records {@code work} with the events {@code enable} turns on and returns them. The recording goes through a
     * temporary file (JFR reads events back only from a file), deleted afterwards.
     */
    static List<RecordedEvent> record(String name, Consumer<Recording> enable, Runnable work) {
        Path file;
        try {
            file = Files.createTempFile(name, ".jfr");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary file for the JFR recording", e);
        }
        try (Recording r = new Recording()) {
            enable.accept(r);
            r.start();
            work.run();
            r.stop();
            r.dump(file);
            return RecordingFile.readAllEvents(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the JFR recording " + file, e);
        } finally {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a temporary file left behind is harmless
            }
        }
    }
}
