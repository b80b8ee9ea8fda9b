package io.din4j.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;

/**
 * Samples the running JVM with JFR while a warmed-up workload runs and counts the samples that sit in the Vector
 * API's Java fallback: the code that runs when C2 did not turn a vector operation into instructions (a masked load
 * at a segment's end, an operation the hardware has no instruction for, a kernel not yet compiled).
 *
 * <p>An intrinsified operation leaves no frame of its own; a fallback leaves frames of
 * {@code jdk.internal.vm.vector.VectorSupport} or the element-wise helpers of {@code jdk.incubator.vector}
 * ({@code ldOp}, {@code stLongOp}, {@code bOp}, {@code rvOp}, ...) and their lambdas, and an interpreted
 * {@code jdk.incubator.vector} frame is a fallback as well. The check is the share of samples with such a frame.
 */
final class VectorFallbackCheck {
    /** Fallback share above which the check fails: a handful of samples in cold tails is noise, 1% is a hot path. */
    static final double LIMIT = 0.01;
    private static final Pattern HELPER = Pattern.compile("(ld|st)\\w*Op|[a-z]+Op|bTest|lambda\\$.*");

    /** What the samples showed. */
    record Result(int samples, int fallbackSamples, Map<String, Integer> hotMethods, Map<String, Integer> fallbackCallers) {
        double share() {
            return samples == 0 ? 0 : (double) fallbackSamples / samples;
        }

        boolean passed() {
            return samples > 0 && share() <= LIMIT;
        }
    }

    private VectorFallbackCheck() {
    }

    /** Runs {@code work} repeatedly for at least {@code seconds} under a 1 ms sampler and classifies the samples. */
    static Result sample(Runnable work, double seconds) {
        return classify(JfrRecordings.record("din4j-vector-check",
                r -> r.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(1)).withStackTrace(), () -> {
                    long end = System.nanoTime() + (long) (seconds * 1e9);
                    do {
                        work.run();
                    } while (System.nanoTime() < end);
                }));
    }

    static Result classify(List<RecordedEvent> events) {
        int samples = 0;
        int fallback = 0;
        Map<String, Integer> hot = new HashMap<>();
        Map<String, Integer> callers = new HashMap<>();
        for (RecordedEvent e : events) {
            if (e.getStackTrace() == null || e.getStackTrace().getFrames().isEmpty()) {
                continue;
            }
            List<RecordedFrame> frames = e.getStackTrace().getFrames();
            samples++;
            hot.merge(name(frames.get(0)), 1, Integer::sum);
            for (int i = 0; i < frames.size(); i++) {
                if (isFallback(frames.get(i))) {
                    fallback++;
                    String caller = "?";
                    for (int j = i + 1; j < frames.size(); j++) {
                        String n = name(frames.get(j));
                        if (!n.startsWith("jdk.")) {
                            caller = n;
                            break;
                        }
                    }
                    callers.merge(name(frames.get(i)) + " from " + caller, 1, Integer::sum);
                    break;
                }
            }
        }
        return new Result(samples, fallback, top(hot, 12), top(callers, 12));
    }

    static boolean isFallback(RecordedFrame f) {
        String type = f.getMethod().getType().getName();
        if (type.equals("jdk.internal.vm.vector.VectorSupport") || type.startsWith("jdk.internal.vm.vector.VectorSupport$")) {
            return true;
        }
        // An interpreted Vector API frame is the fallback too: nothing vector-shaped runs until C2 compiles it.
        return type.startsWith("jdk.incubator.vector.")
                && (HELPER.matcher(f.getMethod().getName()).matches() || "Interpreted".equals(f.getType()));
    }

    private static String name(RecordedFrame f) {
        return f.getMethod().getType().getName() + "." + f.getMethod().getName();
    }

    private static Map<String, Integer> top(Map<String, Integer> counts, int n) {
        List<Map.Entry<String, Integer>> list = new ArrayList<>(counts.entrySet());
        list.sort(Map.Entry.<String, Integer>comparingByValue().reversed());
        Map<String, Integer> out = new LinkedHashMap<>();
        for (int i = 0; i < Math.min(n, list.size()); i++) {
            out.put(list.get(i).getKey(), list.get(i).getValue());
        }
        return out;
    }
}
