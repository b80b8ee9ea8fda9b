package io.din4j.bench.ops;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Map;

/**
 * The sequence-op benchmarks timed by the calling thread's CPU time with a single-threaded backend: on a shared
 * machine (other processes on the same cores) wall-clock JMH scores swing by 2–5×, while CPU time of one thread
 * stays within a few percent. Not a replacement for the JMH runs on a quiet machine; a cross-check.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp din4j-benchmarks.jar io.din4j.bench.ops.SeqOpsCpuTime [seconds]</pre>
 */
public final class SeqOpsCpuTime {
    private SeqOpsCpuTime() {
    }

    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();

    public static void main(String[] args) {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
        System.out.printf("%-44s %10s %10s%n", "benchmark (1 backend thread, CPU time)", "ms/op", "GFLOP/s");
        for (int history : new int[] {50, 200}) {
            for (String act : new String[] {"DICE", "PRELU"}) {
                for (String variant : new String[] {"folded", "unfolded"}) {
                    AttentionBench b = new AttentionBench();
                    b.batch = 1024;
                    b.history = history;
                    b.activation = act;
                    b.variant = variant;
                    b.threads = 1;
                    b.setup();
                    Map<String, String> p = Map.of("batch", "1024", "history", "" + history, "variant", variant);
                    report("attention.forward " + act + " T=" + history + " " + variant, seconds, b::forward,
                            AttentionBench.flops("forward", p));
                    report("attention.forwardBackward " + act + " T=" + history + " " + variant, seconds,
                            b::forwardBackward, AttentionBench.flops("forwardBackward", p));
                    b.tearDown();
                }
            }
            Map<String, String> p = Map.of("batch", "1024", "history", "" + history);
            EmbeddingBench e = new EmbeddingBench();
            e.batch = 1024;
            e.history = history;
            e.threads = 1;
            e.setup();
            report("embedding.gatherSequence T=" + history, seconds, e::gatherSequence, 0);
            e.tearDown();
            PoolingBench w = new PoolingBench();
            w.batch = 1024;
            w.history = history;
            w.threads = 1;
            w.setup();
            report("pooling.weightedSum T=" + history, seconds, w::weightedSum, PoolingBench.flops("weightedSum", p));
            report("pooling.weightedSumBackward T=" + history, seconds, w::weightedSumBackward,
                    PoolingBench.flops("weightedSumBackward", p));
            w.tearDown();
        }
    }

    private static void report(String name, double seconds, Runnable op, double flops) {
        long warm = MX.getCurrentThreadCpuTime();
        while (MX.getCurrentThreadCpuTime() - warm < seconds * 1e9) {
            op.run();
        }
        int n = 0;
        long t0 = MX.getCurrentThreadCpuTime();
        long t1;
        do {
            op.run();
            n++;
            t1 = MX.getCurrentThreadCpuTime();
        } while (t1 - t0 < seconds * 1e9);
        double ns = (double) (t1 - t0) / n;
        System.out.printf("%-44s %10.3f %10s%n", name, ns / 1e6, flops > 0 ? String.format("%.1f", flops / ns) : "-");
    }
}
