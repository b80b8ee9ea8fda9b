package io.din4j.cli;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedClass;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;

/**
 * Java heap allocated by a warmed-up training step, and where. The byte count comes from the JVM's per-thread
 * allocation counters ({@code com.sun.management.ThreadMXBean#getTotalThreadAllocatedBytes}: every thread, the
 * compute pool's included), so it does not depend on timing; the sites come from JFR's allocation samples
 * ({@code jdk.ObjectAllocationSample}, whose weights sum to the bytes allocated), grouped by the allocated class and
 * the first din4j frame above the allocation.
 *
 * <p>A compiled step should allocate almost nothing per sample: its tensors live in native memory, and what the
 * Vector API allocates is a vector or mask that C2 did not keep in registers (docs/architecture.md, "Boxing, the
 * fallback check's blind spot"). The figure depends on the JIT having compiled the kernels, so it is a bench check
 * ({@code din4j bench --alloc-check}), not a unit test.
 */
final class AllocationCheck {
    private AllocationCheck() {
    }

    /** What the check saw: bytes per sample over the counted steps and the top sites (their share of it, in bytes per sample). */
    record Result(double bytesPerSample, long limit, Map<String, Double> sites) {
        boolean passed() {
            return bytesPerSample <= limit;
        }
    }

    private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** Bytes allocated on the Java heap by all threads since the JVM started (-1 when the JVM cannot say). */
    static long allocatedBytes() {
        return THREADS.isThreadAllocatedMemorySupported() && THREADS.isThreadAllocatedMemoryEnabled() ? THREADS.getTotalThreadAllocatedBytes() : -1;
    }

    /**
     * Runs {@code step} {@code steps} times counting the bytes allocated, then as many times again under a JFR
     * allocation recording to name the sites. {@code samplesPerStep} converts to bytes per sample.
     */
    static Result measure(Runnable step, int steps, int samplesPerStep, long limit) {
        long a0 = allocatedBytes();
        for (int i = 0; i < steps; i++) {
            step.run();
        }
        long a1 = allocatedBytes();
        double perSample = a0 < 0 ? Double.NaN : (a1 - a0) / ((double) steps * samplesPerStep);
        // A high throttle: the default (150 samples/s) names only the largest sites of a few steps.
        List<RecordedEvent> events = JfrRecordings.record("din4j-alloc-check",
                r -> r.enable("jdk.ObjectAllocationSample").with("throttle", "5000/s").withStackTrace(), () -> {
                    for (int i = 0; i < steps; i++) {
                        step.run();
                    }
                });
        return new Result(perSample, limit, sites(events, perSample));
    }

    /**
     * Each site's share of the sampled bytes, times {@code total} (bytes per sample), by "class at the din4j frames up to
     * the first one outside the vector helpers (allocating frame)", largest first, top 12. A thread's first sample is left out: its weight covers
     * everything the thread allocated before the recording started.
     */
    static Map<String, Double> sites(List<RecordedEvent> events, double total) {
        Map<String, Double> bytes = new HashMap<>();
        java.util.Set<Long> seen = new java.util.HashSet<>();
        double sum = 0;
        for (RecordedEvent e : events) {
            if (!e.getEventType().getName().equals("jdk.ObjectAllocationSample") || e.getStackTrace() == null) {
                continue;
            }
            if (e.getThread() == null || seen.add(e.getThread().getId())) {
                continue;
            }
            List<RecordedFrame> frames = e.getStackTrace().getFrames();
            StringBuilder at = new StringBuilder();
            for (RecordedFrame f : frames) {
                String n = f.getMethod().getType().getName();
                if (n.startsWith("io.din4j.")) {
                    at.append(at.isEmpty() ? "" : " < ").append(n.substring(n.lastIndexOf('.') + 1)).append('.').append(f.getMethod().getName())
                            .append(':').append(f.getLineNumber());
                    // up to the first frame outside the vector helpers, which is the kernel that called them
                    if (at.indexOf(" < ") >= 0 && !n.endsWith(".Lanes") && !n.endsWith(".SeqKernels")) {
                        break;
                    }
                }
            }
            String top = frames.isEmpty() ? "?" : frames.get(0).getMethod().getType().getName().replaceFirst(".*\\.", "") + "."
                    + frames.get(0).getMethod().getName();
            RecordedClass c = e.getValue("objectClass");
            String key = (c == null ? "?" : c.getName().replaceFirst(".*\\.", "")) + " at " + (at.isEmpty() ? "?" : at) + " (" + top + ")";
            bytes.merge(key, (double) e.getLong("weight"), Double::sum);
            sum += e.getLong("weight");
        }
        double scale = sum > 0 && Double.isFinite(total) ? total / sum : 0;
        bytes.replaceAll((k, v) -> v * scale);
        List<Map.Entry<String, Double>> list = new ArrayList<>(bytes.entrySet());
        list.sort(Map.Entry.<String, Double>comparingByValue().reversed());
        Map<String, Double> out = new LinkedHashMap<>();
        for (int i = 0; i < Math.min(12, list.size()); i++) {
            out.put(list.get(i).getKey(), list.get(i).getValue());
        }
        return out;
    }
}
