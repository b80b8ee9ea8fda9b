package io.din4j.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * The core artifact on its own (this module's test class path has no din4j-cuda): {@code cuda} and {@code cuda-emu}
 * name the missing artifact in one line, and {@code auto} chooses cpu saying why. The cuda module's
 * {@code BackendSelectionTest} covers the same calls with the artifact present.
 */
class WithoutCudaArtifactTest {
    @Test
    void theCoreProvidesExactlyCpuAndReference() {
        List<String> names = new ArrayList<>();
        ServiceLoader.load(BackendProvider.class).forEach(p -> names.addAll(p.names()));
        assertEquals(List.of("cpu", "reference"), names.stream().sorted().toList(), "din4j-cuda leaked onto the core's class path?");
    }

    @Test
    void cudaNamesTheMissingArtifact() {
        for (String name : List.of("cuda", "cuda-emu", "CUDA")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.create(name, 1));
            assertTrue(e.getMessage().contains("din4j-cuda") && !e.getMessage().contains("\n"), e.getMessage());
        }
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> Backends.create("tpu", 1));
        assertTrue(unknown.getMessage().startsWith("unknown backend 'tpu'"), unknown.getMessage());
    }

    @Test
    void autoChoosesCpuAndSaysWhy() {
        Logger log = Logger.getLogger(Backends.class.getName());
        List<String> lines = new ArrayList<>();
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                lines.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(h);
        try (Backend b = Backends.create("auto", 1)) {
            assertEquals("cpu", b.name());
            assertEquals(1, lines.size(), lines.toString());
            assertTrue(lines.getFirst().contains("chose cpu") && lines.getFirst().contains("din4j-cuda"), lines.getFirst());
        } finally {
            log.removeHandler(h);
        }
    }
}
