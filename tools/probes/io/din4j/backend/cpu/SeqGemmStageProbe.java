package io.din4j.backend.cpu;

import java.util.Random;

/**
 * The attention unit's two products on one thread, as {@code CpuAttentionOps} runs them for one sample of DIN's
 * benchmark model (T = 50 behaviours of 64 floats, layers of 80 and 40), in GFLOP/s against nothing but their own
 * FMAs, so a figure near the one-thread FMA peak says the sequence GEMM holds up and the unit loses elsewhere:
 * <ul>
 *   <li>{@code layer1}: the folded first layer, 50 × 64 by a 64 × 80 operand given as panels alone, from the
 *       candidate's start row ({@code SeqKernels.gemm} as {@code CpuAttentionOps.layer} calls it);</li>
 *   <li>{@code layer2}: 50 × 80 by the 80 × 40 weight (its panels beside its row-major copy) plus the bias;</li>
 *   <li>each over one sample's operands again and again ({@code -hot}, in L1), and over 128 samples' in turn
 *       ({@code -part}, a 128-row inference part's keys: 1.6 MiB, past L2), with a fresh output per sample.</li>
 * </ul>
 * It lives in the library's package to reach {@code SeqKernels}, so compile it against the api jar:
 *
 * <pre>
 * javac --add-modules jdk.incubator.vector -cp java-api/target/din4j-api-0.1.0-SNAPSHOT.jar -d /tmp/probes \
 *       tools/probes/io/din4j/backend/cpu/SeqGemmStageProbe.java
 * java [-XX:UseAVX=2 | -XX:MaxVectorSize=16] --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *      -cp /tmp/probes:java-api/target/din4j-api-0.1.0-SNAPSHOT.jar io.din4j.backend.cpu.SeqGemmStageProbe [ROUNDS]
 * </pre>
 *
 * What it showed: docs/architecture.md, "An AVX2 server is not the AVX-512 host at {@code UseAVX=2}".
 */
public class SeqGemmStageProbe {
    static float sink;

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int t = 50, d = 64, h1 = 80, h2 = 40, samples = 128;
        Random r = new Random(1);
        float[][] keys = new float[samples][];
        float[][] act = new float[samples][];
        for (int s = 0; s < samples; s++) {
            keys[s] = random(AlignedArrays.floats(t * d), r);
            act[s] = random(AlignedArrays.floats(t * h1), r);
        }
        float[] folded = new float[d * h1];
        random(folded, r);
        float[] foldedPanels = AlignedArrays.floats(d * h1);
        SeqKernels.panelize(folded, 0, h1, d, h1, foldedPanels);
        float[] start = random(AlignedArrays.floats(h1), r);
        float[] w2 = random(AlignedArrays.floats(h1 * h2), r);
        float[] w2Panels = AlignedArrays.floats(h1 * h2);
        SeqKernels.panelize(w2, 0, h2, h1, h2, w2Panels);
        float[] bias2 = random(AlignedArrays.floats(h2), r);
        float[] panel = AlignedArrays.floats(SeqKernels.panelFloats(Math.max(d, h1)));
        float[] pre1 = AlignedArrays.floats(t * h1);
        float[] pre2 = AlignedArrays.floats(t * h2);
        String[] stages = {"layer1-hot", "layer1-part", "layer2-hot", "layer2-part"};
        for (int round = 0; round < rounds; round++) {
            StringBuilder line = new StringBuilder("round " + round + ":");
            for (int i = 0; i < stages.length; i++) {
                String stage = stages[(i + round) % stages.length];
                boolean first = stage.startsWith("layer1");
                boolean hot = stage.endsWith("hot");
                double flops = 2.0 * samples * t * (first ? d * h1 : h1 * h2);
                long best = Long.MAX_VALUE;
                for (int rep = 0; rep < 20; rep++) {
                    long t0 = System.nanoTime();
                    for (int s = 0; s < samples; s++) {
                        int from = hot ? 0 : s;
                        if (first) {
                            SeqKernels.gemm(keys[from], 0, d, t, d, foldedPanels, 0, h1, h1, start, pre1, 0, h1, false, panel,
                                    foldedPanels);
                        } else {
                            SeqKernels.gemm(act[from], 0, h1, t, h1, w2, 0, h2, h2, bias2, pre2, 0, h2, false, panel, w2Panels);
                        }
                    }
                    best = Math.min(best, System.nanoTime() - t0);
                }
                sink += pre1[0] + pre2[0];
                line.append(String.format(java.util.Locale.ROOT, "  %s %.1f GFLOP/s", stage, flops / best));
            }
            System.out.println(line);
        }
        if (!Float.isFinite(sink)) {
            throw new IllegalStateException("diverged: " + sink);
        }
    }

    private static float[] random(float[] x, Random r) {
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextFloat() - 0.5f;
        }
        return x;
    }
}
