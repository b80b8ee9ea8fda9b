package io.din4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.cli.RegularisationSweep.Run;
import io.din4j.cli.RegularisationSweep.Setting;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sweep's raw file (tools/sweep.sh, {@code SWEEP_RAW}) is what a sweep split over several invocations is combined
 * from, so what is written must read back as the same runs: settings with their drop arm, 1-based epochs, and a
 * second chunk appended to the same file without a second header.
 */
class RegularisationSweepRawTest {
    @TempDir
    Path dir;

    private static final Setting KEEP = new Setting(2000.0, 1, false);

    /** AUCs with six decimals, as the file writes them, so that they read back as the same doubles. */
    private static List<Run> seed(long s, double keep, double drop, double full) {
        return List.of(new Run("few-noise", s, Setting.DEFAULT, false, keep, 1, 3, 14.2, false),
                new Run("few-noise", s, Setting.DEFAULT, true, drop, 2, 3, 9.0, true),
                new Run("few-noise", s, KEEP, false, full, 0, 2, 12.5, false));
    }

    private static void write(Path f, List<Run> runs) throws IOException {
        try (var w = RegularisationSweep.openRaw(f)) {
            for (Run r : runs) {
                RegularisationSweep.writeRaw(w, r);
            }
        }
    }

    @Test
    void chunksAppendedOrSplitReadBackAsTheSameRuns() throws IOException {
        Path one = dir.resolve("one.tsv");
        write(one, seed(1, 0.612345, 0.623401, 0.609876));
        write(one, seed(2, 0.598765, 0.601234, 0.590001)); // a second invocation appending: no second header
        List<String> lines = Files.readAllLines(one);
        assertEquals(RegularisationSweep.RAW_HEADER, lines.get(0));
        assertEquals(7, lines.size());
        assertEquals(1, lines.stream().filter(l -> l.startsWith("world\t")).count());

        List<Run> expected = new java.util.ArrayList<>(seed(1, 0.612345, 0.623401, 0.609876));
        expected.addAll(seed(2, 0.598765, 0.601234, 0.590001));
        assertEquals(expected, RegularisationSweep.readRaw(List.of(one)));

        // The same runs split over two files, one of them repeating a seed (as a rerun would): combined and kept once.
        Path a = dir.resolve("a.tsv");
        Path b = dir.resolve("b.tsv");
        write(a, seed(1, 0.612345, 0.623401, 0.609876));
        write(b, seed(1, 0.612345, 0.623401, 0.609876));
        write(b, seed(2, 0.598765, 0.601234, 0.590001));
        assertEquals(expected, RegularisationSweep.readRaw(List.of(a, b)));
    }

    @Test
    void aFileWithoutTheHeaderIsRefusedByName() throws IOException {
        Path f = dir.resolve("tables.md");
        Files.writeString(f, "| world | arm |\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RegularisationSweep.readRaw(List.of(f)));
        assertTrue(e.getMessage().startsWith(f + ": not a sweep raw file"), e.getMessage());
    }
}
