package io.din4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** The bench's host probe: times work on every thread and leaves no thread behind. */
class HostProbeTest {
    @Test
    void recordsOneTimePerProbeOnEveryThreadCount() {
        for (int threads : new int[] {1, 2, 3}) {
            try (HostProbe p = new HostProbe(threads)) {
                for (int i = 0; i < 4; i++) {
                    p.record();
                }
                double[] t = p.times();
                assertEquals(4, t.length, threads + " threads");
                for (double ms : t) {
                    assertTrue(ms > 0 && Double.isFinite(ms), threads + " threads: " + ms);
                }
            }
        }
    }

    @Test
    void closeStopsTheHelperThreads() throws InterruptedException {
        HostProbe p = new HostProbe(3);
        p.run();
        p.close();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().startsWith("din4j-bench-probe-") && t.isAlive())
                && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().startsWith("din4j-bench-probe-") && t.isAlive()),
                "helper threads still running after close");
    }
}
