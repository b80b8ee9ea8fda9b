package io.din4j.backend.cpu;

import io.din4j.backend.GateOps;
import io.din4j.backend.ValueChecks;
import io.din4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * GateOps of the cpu backend: per sample, the softmax over the gate's E logits (the exps of a block of rows as one
 * vector loop) and the mix of the selected expert rows in one pass over H, parallel over the batch (each sample owns its output rows).
 */
final class CpuGateOps implements GateOps {
    private static final VectorSpecies<Float> S = VectorIsa.SPECIES;
    private static final int L = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();

    private final Parallel parallel;

    CpuGateOps(Parallel parallel) {
        this.parallel = parallel;
    }

    private static int[] dims(String lpName, Tensor lp, Tensor experts, int[] selected) {
        long[] d = ValueChecks.gate(lpName, lp, experts, selected, false);
        return new int[] {Math.toIntExact(d[0]), Math.toIntExact(d[1]), Math.toIntExact(d[2]), Math.toIntExact(d[3])};
    }

    @Override
    public void softmaxMix(Tensor logits, Tensor experts, int[] selected, Tensor probs, Tensor out) {
        int[] d = dims("logits", logits, experts, selected);
        int b = d[0], e = d[1], eTot = d[2], h = d[3];
        ValueChecks.value("probs", probs, false, b, e);
        ValueChecks.value("out", out, false, b, h);
        mix(experts.segment(), b, eTot, h, new int[][] {selected.clone()}, new MemorySegment[] {logits.segment()},
                new MemorySegment[] {probs.segment()}, new MemorySegment[] {out.segment()});
    }

    @Override
    public void softmaxMixes(List<Tensor> logits, Tensor experts, List<int[]> selected, List<Tensor> probs, List<Tensor> outs) {
        ValueChecks.gates(logits, selected, probs, outs);
        int n = logits.size();
        int b = 0, eTot = 0, h = 0;
        int[][] sels = new int[n][];
        MemorySegment[] ls = new MemorySegment[n], ps = new MemorySegment[n], os = new MemorySegment[n];
        for (int g = 0; g < n; g++) {
            int[] d = dims("logits[" + g + "]", logits.get(g), experts, selected.get(g));
            b = d[0];
            eTot = d[2];
            h = d[3];
            ValueChecks.value("probs[" + g + "]", probs.get(g), false, b, d[1]);
            ValueChecks.value("outs[" + g + "]", outs.get(g), false, b, h);
            sels[g] = selected.get(g).clone();
            ls[g] = logits.get(g).segment();
            ps[g] = probs.get(g).segment();
            os[g] = outs.get(g).segment();
        }
        mix(experts.segment(), b, eTot, h, sels, ls, ps, os);
    }

    /**
     * The gates row by row: for each block of {@link #ROW_BLOCK} rows every gate's softmax, then for each row its
     * {@code eTot} expert outputs copied into an array once, every gate's mix from there into an array, and each
     * output copied to its segment. A row's experts are read from L2 or memory once for all of its gates, and the
     * mix's loads are array loads: from the segment every vector load carried the segment's type, bounds and
     * liveness checks, which C2 kept inside the loop. PLE's three level-0 gates over 128 rows
     * ({@code tools/GateMixProbe.java 128 --fused}, one thread, AVX2 server): 43 µs as three calls from the segment,
     * 31 µs as one call through the arrays; PLE inference on one thread 0.978–0.979× the time at B = 1,024 and
     * 0.987–0.995× at B = 64 ({@code tools/JarAB.java}, both orders).
     */
    private void mix(MemorySegment xs, int b, int eTot, int h, int[][] sels, MemorySegment[] ls, MemorySegment[] ps,
            MemorySegment[] os) {
        int n = sels.length;
        int width = 0;
        for (int[] sel : sels) {
            width += sel.length;
        }
        parallel.forRange(b, Math.max(1, 4096 / Math.max(1, width * h)), (worker, from, to) -> {
            Scratch scratch = SCRATCH.get();
            float[] x = scratch.row(eTot * h);
            float[] o = scratch.out(h);
            for (int r0 = from; r0 < to; r0 += ROW_BLOCK) {
                int rows = Math.min(ROW_BLOCK, to - r0);
                for (int g = 0; g < n; g++) {
                    int e = sels[g].length;
                    float[] p = scratch.probs(g, ROW_BLOCK * e);
                    softmaxRows(ls[g], r0, rows, e, p);
                    MemorySegment.copy(p, 0, ps[g], F, (long) r0 * e * Float.BYTES, rows * e);
                }
                float[][] p = scratch.p;
                for (int i = 0; i < rows; i++) {
                    long r = r0 + i;
                    MemorySegment.copy(xs, F, r * eTot * h * Float.BYTES, x, 0, eTot * h);
                    for (int g = 0; g < n; g++) {
                        mixRow(x, sels[g], p[g], i * sels[g].length, h, o);
                        MemorySegment.copy(o, 0, os[g], F, r * h * Float.BYTES, h);
                    }
                }
            }
        });
    }

    /** Rows whose softmax is computed together: their e logits go through the vector exp as one flat array. */
    private static final int ROW_BLOCK = 64;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(NO);

    /**
     * Per-thread buffers, reused (no allocation per call): the probabilities of each gate of a call, one row of
     * expert outputs and one gate's output row.
     */
    private static final class Scratch {
        float[][] p = new float[0][];
        float[] x = new float[0];
        float[] o = new float[0];

        float[] probs(int gate, int n) {
            if (p.length <= gate) {
                p = java.util.Arrays.copyOf(p, gate + 1);
            }
            int padded = (n + L - 1) / L * L;
            if (p[gate] == null || p[gate].length < padded) {
                p[gate] = new float[padded];
            }
            return p[gate];
        }

        float[] row(int n) {
            if (x.length < n) {
                x = new float[n];
            }
            return x;
        }

        float[] out(int n) {
            if (o.length < n) {
                o = new float[n];
            }
            return o;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * {@code p[i·e + j] = softmax(logits[r0 + i])_j} for {@code i < rows}: each row's max subtracted, then one vector
     * exp over all {@code rows·e} values instead of a scalar {@code Math.exp} per logit, then each row normalised
     * (a probability below {@link #PROBABILITY_MIN} stored as 0).
     */
    private static void softmaxRows(MemorySegment logits, int r0, int rows, int e, float[] p) {
        int n = rows * e;
        MemorySegment.copy(logits, F, (long) r0 * e * Float.BYTES, p, 0, n);
        for (int i = 0; i < rows; i++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < e; j++) {
                max = Math.max(max, p[i * e + j]);
            }
            for (int j = 0; j < e; j++) {
                p[i * e + j] -= max;
            }
        }
        java.util.Arrays.fill(p, n, (n + L - 1) / L * L, 0f);
        CpuMath.expInPlace(p, (n + L - 1) / L * L);
        for (int i = 0; i < rows; i++) {
            float sum = 0;
            for (int j = 0; j < e; j++) {
                sum += p[i * e + j];
            }
            float inv = 1f / sum;
            for (int j = 0; j < e; j++) {
                float q = p[i * e + j] * inv;
                p[i * e + j] = q < PROBABILITY_MIN ? 0f : q;
            }
        }
    }

    /**
     * {@code out[k] = Σ_j p[pi + j] · x[sel_j·h + k]} for {@code k < h}, {@code x} one row's expert outputs; the tail
     * lane by lane. Eight vectors of k at a time (then four, then one), each its own chain of E multiply-adds: with
     * one vector per step every step was a chain of E dependent FMAs, and the mix ran at the FMA latency (about
     * 150 ns per row at E = 4, H = 128). Eight chains against four: PLE's three level-0 mixes
     * ({@code tools/GateMixProbe.java}: B = 128, H = 128, E = 4, 4, 6, one thread; AMD EPYC host, old and new jars
     * alternated) 35.0 → 30.3 µs at 256 bits, 62 → 50 µs at 128, 23.4 → 22.3 µs at 512.
     */
    private static void mixRow(float[] xs, int[] sel, float[] p, int pi, int h, float[] os) {
        int e = sel.length;
        int k = 0;
        for (; k + 8 * L <= h; k += 8 * L) {
            // scalar math: out[r][k + i] = Σ_j p_j · experts[r][sel_j][k + i] for the 8·L values of i
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            FloatVector a4 = a0;
            FloatVector a5 = a0;
            FloatVector a6 = a0;
            FloatVector a7 = a0;
            for (int j = 0; j < e; j++) {
                FloatVector pj = FloatVector.broadcast(S, p[pi + j]);
                int x = sel[j] * h + k;
                a0 = FloatVector.fromArray(S, xs, x).fma(pj, a0);
                a1 = FloatVector.fromArray(S, xs, x + L).fma(pj, a1);
                a2 = FloatVector.fromArray(S, xs, x + 2 * L).fma(pj, a2);
                a3 = FloatVector.fromArray(S, xs, x + 3 * L).fma(pj, a3);
                a4 = FloatVector.fromArray(S, xs, x + 4 * L).fma(pj, a4);
                a5 = FloatVector.fromArray(S, xs, x + 5 * L).fma(pj, a5);
                a6 = FloatVector.fromArray(S, xs, x + 6 * L).fma(pj, a6);
                a7 = FloatVector.fromArray(S, xs, x + 7 * L).fma(pj, a7);
            }
            a0.intoArray(os, k);
            a1.intoArray(os, k + L);
            a2.intoArray(os, k + 2 * L);
            a3.intoArray(os, k + 3 * L);
            a4.intoArray(os, k + 4 * L);
            a5.intoArray(os, k + 5 * L);
            a6.intoArray(os, k + 6 * L);
            a7.intoArray(os, k + 7 * L);
        }
        for (; k + 4 * L <= h; k += 4 * L) {
            // scalar math: out[r][k + i] = Σ_j p_j · experts[r][sel_j][k + i] for the 4·L values of i
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int j = 0; j < e; j++) {
                FloatVector pj = FloatVector.broadcast(S, p[pi + j]);
                int x = sel[j] * h + k;
                a0 = FloatVector.fromArray(S, xs, x).fma(pj, a0);
                a1 = FloatVector.fromArray(S, xs, x + L).fma(pj, a1);
                a2 = FloatVector.fromArray(S, xs, x + 2 * L).fma(pj, a2);
                a3 = FloatVector.fromArray(S, xs, x + 3 * L).fma(pj, a3);
            }
            a0.intoArray(os, k);
            a1.intoArray(os, k + L);
            a2.intoArray(os, k + 2 * L);
            a3.intoArray(os, k + 3 * L);
        }
        for (; k + L <= h; k += L) {
            // scalar math: out[r][k] = Σ_j p_j · experts[r][sel_j][k]
            FloatVector acc = FloatVector.zero(S);
            for (int j = 0; j < e; j++) {
                acc = FloatVector.fromArray(S, xs, sel[j] * h + k).fma(FloatVector.broadcast(S, p[pi + j]), acc);
            }
            acc.intoArray(os, k);
        }
        for (; k < h; k++) {
            float acc = 0;
            for (int j = 0; j < e; j++) {
                acc += p[pi + j] * xs[sel[j] * h + k];
            }
            os[k] = acc;
        }
    }

    @Override
    public void softmaxMixBackward(Tensor probs, Tensor experts, int[] selected, Tensor dOut, Tensor dLogits, Tensor dExperts) {
        int[] d = dims("probs", probs, experts, selected);
        int b = d[0], e = d[1], eTot = d[2], h = d[3];
        ValueChecks.value("dOut", dOut, false, b, h);
        ValueChecks.value("dLogits", dLogits, false, b, e);
        ValueChecks.value("dExperts", dExperts, false, b, eTot, h);
        int[] sel = selected.clone();
        MemorySegment xs = experts.segment();
        MemorySegment gs = dOut.segment();
        MemorySegment dxs = dExperts.segment();
        parallel.forRange(b, Math.max(1, 4096 / Math.max(1, e * h)), (worker, from, to) -> {
            float[] dp = new float[e];
            for (int r = from; r < to; r++) {
                long base = (long) r * eTot;
                long go = (long) r * h;
                float dot = 0;
                for (int j = 0; j < e; j++) {
                    float pj = probs.getFloat((long) r * e + j);
                    long xo = (base + sel[j]) * h;
                    FloatVector acc = FloatVector.zero(S);
                    int k = 0;
                    for (; k + L <= h; k += L) {
                        // scalar math: dp_j = Σ_k dOut[r][k]·experts[r][sel_j][k]; dExperts[r][sel_j] += p_j·dOut[r]
                        FloatVector g = Lanes.load(gs, go + k);
                        FloatVector xv = Lanes.load(xs, xo + k);
                        Lanes.store(g.fma(FloatVector.broadcast(S, pj), Lanes.load(dxs, xo + k)), dxs, xo + k);
                        acc = g.fma(xv, acc);
                    }
                    if (k < h) {
                        VectorMask<Float> m = Lanes.tail(k, h);
                        FloatVector g = Lanes.load(gs, go + k, m);
                        FloatVector xv = Lanes.load(xs, xo + k, m);
                        Lanes.store(g.fma(FloatVector.broadcast(S, pj), Lanes.load(dxs, xo + k, m)), dxs, xo + k, m);
                        acc = g.fma(xv, acc);
                    }
                    dp[j] = Lanes.sum(acc);
                    dot += pj * dp[j];
                }
                for (int j = 0; j < e; j++) {
                    // softmax Jacobian: dz_j = p_j·(dp_j − Σ_i p_i·dp_i)
                    long at = (long) r * e + j;
                    dLogits.setFloat(at, dLogits.getFloat(at) + probs.getFloat(at) * (dp[j] - dot));
                }
            }
        });
    }
}
