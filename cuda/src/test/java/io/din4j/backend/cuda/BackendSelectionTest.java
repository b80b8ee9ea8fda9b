package io.din4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.din4j.backend.Backend;
import io.din4j.backend.Backends;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** {@code auto}, {@code cuda} and {@code cuda-emu} selection, with and without a GPU. */
class BackendSelectionTest {
    @Test
    void autoSaysWhatItChoseAndWhy() {
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
            assertEquals(1, lines.size(), "one log line: " + lines);
            String line = lines.get(0);
            if (CudaSupport.gpuAvailable()) {
                assertEquals("cuda", b.name());
                assertTrue(line.contains("chose cuda"), line);
            } else {
                assertEquals("cpu", b.name());
                assertTrue(line.contains("chose cpu") && line.contains(CudaSupport.unavailableReason().orElseThrow()), line);
            }
        } finally {
            log.removeHandler(h);
        }
    }

    @Test
    void cudaWithoutAGpuNamesTheReason() {
        assumeTrue(!CudaSupport.gpuAvailable(), "a GPU is present");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.create("cuda", 1));
        assertTrue(e.getMessage().contains(CudaSupport.unavailableReason().orElseThrow()), e.getMessage());
    }

    @Test
    void cudaEmuRunsTheKernelsOnTheHost() {
        assumeTrue(EmulatedDevice.available(), EmulatedDevice::unavailableReason);
        try (Backend b = Backends.create("cuda-emu", 1)) {
            assertEquals("cuda-emu", b.name());
            assertTrue(((CudaBackend) b).device().emulated());
        }
    }
}
