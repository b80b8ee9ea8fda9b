package io.din4j.graph;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a model's steps spend their time, op by op: between {@link #start()} and {@link #stop()}, every
 * {@link Graph#forward} and {@link Graph#backward} of this JVM times each of its ops with {@code System.nanoTime()}.
 * The figures are the ops' own on the cpu and reference backends, which compute as they are called; on one that
 * queues work (cuda) they are the host's time to launch it, and a step replayed from a recording runs no op. Ops are
 * named by what they compute and by their output buffer ({@code linearRelu level0.experts}), and summed over every
 * graph with that op: the {@code Predictor}'s part sessions, each on its own thread, add into one row, so a row is
 * thread time, not wall time. {@code din4j bench --ops} prints the table.
 *
 * <p>A diagnostic, off unless started: when off, a forward or backward reads one volatile flag and nothing else.
 * The timer's own cost (two clock reads per op, tens of nanoseconds) is inside the figures; at batch 1 it is a
 * visible share of a microsecond op. Recording is per graph and single-threaded like the graph itself; {@link #stop()} is meant to
 * be called once the timed calls have returned.
 */
public final class OpTimes {
    private static volatile boolean recording;
    /** Which recording this is: a graph that last ran in an earlier one starts from zero and registers again. */
    private static volatile int generation;
    /** Graphs that ran while recording: only those, so that the registry does not grow with every graph planned. */
    private static final List<WeakReference<Graph>> GRAPHS = new ArrayList<>();

    private OpTimes() {
    }

    /** One op's totals over the recording. */
    public record Row(String kind, String name, boolean backward, long calls, long nanos) {
        /** How the op is printed: kind, output buffer and, for a backward pass, {@code (backward)}. */
        public String label() {
            return kind + " " + name + (backward ? " (backward)" : "");
        }
    }

    /** Starts recording, from zero: what earlier recordings summed is dropped. */
    public static void start() {
        synchronized (GRAPHS) {
            GRAPHS.clear();
            generation++;
        }
        recording = true;
    }

    /**
     * Stops recording and returns one row per op (forward and backward apart) summed over the graphs that ran,
     * slowest first. Ops that never ran while recording are left out.
     */
    public static List<Row> stop() {
        recording = false;
        Map<String, Row> sums = new LinkedHashMap<>();
        synchronized (GRAPHS) {
            for (WeakReference<Graph> ref : GRAPHS) {
                Graph g = ref.get();
                if (g != null) {
                    g.addOpTimes(sums);
                }
            }
        }
        List<Row> rows = new ArrayList<>(sums.values());
        rows.sort(Comparator.comparingLong(Row::nanos).reversed());
        return rows;
    }

    static boolean recording() {
        return recording;
    }

    static int generation() {
        return generation;
    }

    /** Called by a graph the first time it runs while recording. */
    static void register(Graph g) {
        synchronized (GRAPHS) {
            GRAPHS.removeIf(r -> r.get() == null);
            GRAPHS.add(new WeakReference<>(g));
        }
    }

    /** Adds one op's totals into {@code sums}, keyed by its label. */
    static void add(Map<String, Row> sums, String kind, String name, boolean backward, long calls, long nanos) {
        if (calls == 0) {
            return;
        }
        Row r = new Row(kind, name, backward, calls, nanos);
        sums.merge(r.label(), r, (a, b) -> new Row(a.kind(), a.name(), a.backward(), a.calls() + b.calls(), a.nanos() + b.nanos()));
    }
}
