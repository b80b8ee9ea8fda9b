package io.din4j.backend.cpu;

import static io.din4j.backend.cpu.SeqKernels.L;
import static io.din4j.backend.cpu.SeqKernels.NATIVE;
import static io.din4j.backend.cpu.SeqKernels.S;

import io.din4j.backend.*;
import io.din4j.backend.SeqArgs.Values;
import io.din4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/** PoolingOps of the cpu backend: vectorised over D, parallel over the batch. */
final class CpuPoolingOps implements PoolingOps {
    private static final Values V = Values.F32_ONLY;

    private final Parallel parallel;

    CpuPoolingOps(Parallel parallel) {
        this.parallel = parallel;
    }

    /** Samples per task: enough work (≈ 4K multiply-adds) to pay for a hand-off. */
    private static int minChunk(int t, int d) {
        return Math.max(1, 4096 / Math.max(1, t * d));
    }

    @Override
    public void weightedSum(Tensor weights, Tensor keys, Tensor lengths, Tensor out) {
        int[] s = SeqArgs.pooled("weights", weights, keys, lengths, V);
        pool(weights, keys, lengths, out, s);
    }

    @Override
    public void sum(Tensor keys, Tensor lengths, Tensor out) {
        int[] s = SeqArgs.pooled(null, null, keys, lengths, V);
        pool(null, keys, lengths, out, s);
    }

    /**
     * out[b] = Σ_{t < len} w[b, t]·keys[b, t] (w = 1 when {@code weights} is null). Behaviours are the outer loop
     * and the output row (in L1) the accumulator, so keys stream once, row by row, in memory order; full vectors
     * with one masked tail per row (a mask in the main loop costs ~1.5× on this machine, perf notes).
     */
    private void pool(Tensor weights, Tensor keys, Tensor lengths, Tensor out, int[] s) {
        int b = s[0], t = s[1], d = s[2];
        SeqArgs.values("out", out, V, b, d);
        MemorySegment k = keys.segment();
        MemorySegment o = out.segment();
        MemorySegment ws = weights == null ? null : weights.segment();
        int full = S.loopBound(d);
        VectorMask<Float> tail = Lanes.tail(full, d);
        parallel.forRange(b, minChunk(t, d), (w, from, to) -> {
            FloatVector zero = FloatVector.zero(S);
            for (int i = from; i < to; i++) {
                int len = lengths.getInt(i);
                long ob = (long) i * d * Float.BYTES;
                for (int c = 0; c < full; c += L) {
                    zero.intoMemorySegment(o, ob + (long) c * Float.BYTES, NATIVE);
                }
                if (full < d) {
                    zero.intoMemorySegment(o, ob + (long) full * Float.BYTES, NATIVE, tail);
                }
                for (int j = 0; j < len; j++) {
                    long row = (long) i * t + j;
                    long kb = row * d * Float.BYTES;
                    FloatVector wv = FloatVector.broadcast(S, ws == null ? 1f : ws.getAtIndex(SeqKernels.F, row));
                    for (int c = 0; c < full; c += L) {
                        // scalar math: out[b, c] += w[b, t]·keys[b, t, c]
                        long off = (long) c * Float.BYTES;
                        FloatVector kv = FloatVector.fromMemorySegment(S, k, kb + off, NATIVE);
                        kv.fma(wv, FloatVector.fromMemorySegment(S, o, ob + off, NATIVE)).intoMemorySegment(o, ob + off, NATIVE);
                    }
                    if (full < d) {
                        long off = (long) full * Float.BYTES;
                        FloatVector kv = FloatVector.fromMemorySegment(S, k, kb + off, NATIVE, tail);
                        kv.fma(wv, FloatVector.fromMemorySegment(S, o, ob + off, NATIVE, tail)).intoMemorySegment(o, ob + off, NATIVE, tail);
                    }
                }
            }
        });
    }

    @Override
    public void weightedSumBackward(Tensor weights, Tensor keys, Tensor lengths, Tensor dOut, Tensor dWeights, Tensor dKeys) {
        int[] s = SeqArgs.pooled("weights", weights, keys, lengths, V);
        int b = s[0], t = s[1], d = s[2];
        SeqArgs.values("dOut", dOut, V, b, d);
        SeqArgs.values("dWeights", dWeights, V, b, t);
        SeqArgs.values("dKeys", dKeys, V, b, t, d);
        MemorySegment k = keys.segment();
        MemorySegment g = dOut.segment();
        MemorySegment dk = dKeys.segment();
        int full = S.loopBound(d);
        parallel.forRange(b, minChunk(t, d), (w, from, to) -> {
            for (int i = from; i < to; i++) {
                int len = lengths.getInt(i);
                for (int j = 0; j < len; j++) {
                    long row = (long) i * t + j;
                    float dwt = backwardRow(k, g, dk, (long) i * d * Float.BYTES, row * d * Float.BYTES, weights.getFloat(row), full, d);
                    dWeights.setFloat(row, dWeights.getFloat(row) + dwt);
                }
            }
        });
    }

    /**
     * One behaviour of {@link #weightedSumBackward}: returns Σ_c dOut[c]·keys[c] and adds w·dOut into the behaviour's
     * ∂keys row. Full vectors with plain loads, then the last partial vector in scalars: a mask recomputed in every iteration
     * ({@code indexInRange(c, d)}) is not a constant to C2, and on AVX2 (no mask registers) the masked loads and
     * blends built from it were boxed — a vector and a mask per iteration (JFR, docs/architecture.md). A static method
     * of segments and scalars, so nothing vector-typed crosses a call C2 might not inline.
     */
    private static float backwardRow(MemorySegment k, MemorySegment g, MemorySegment dk, long gOff, long kOff, float wt, int full, int d) {
        FloatVector dw = FloatVector.zero(S);
        FloatVector wv = FloatVector.broadcast(S, wt);
        for (int c = 0; c < full; c += L) {
            // scalar math: dw += dOut[b, c]·keys[b, t, c]; dKeys[b, t, c] += w·dOut[b, c]
            long off = (long) c * Float.BYTES;
            FloatVector gv = FloatVector.fromMemorySegment(S, g, gOff + off, NATIVE);
            dw = gv.fma(FloatVector.fromMemorySegment(S, k, kOff + off, NATIVE), dw);
            gv.fma(wv, FloatVector.fromMemorySegment(S, dk, kOff + off, NATIVE)).intoMemorySegment(dk, kOff + off, NATIVE);
        }
        float s = Lanes.sum(dw);
        if (full < d) {
            s += backwardTail(k, g, dk, gOff, kOff, wt, full, d);
        }
        return s;
    }

    /** The last partial vector of {@link #backwardRow} (d − full < L lanes), in scalars with the same fused multiply-adds. */
    private static float backwardTail(MemorySegment k, MemorySegment g, MemorySegment dk, long gOff, long kOff, float wt, int full, int d) {
        float s = 0f;
        for (int c = full; c < d; c++) {
            long off = (long) c * Float.BYTES;
            float gc = g.get(SeqKernels.F, gOff + off);
            s = Math.fma(gc, k.get(SeqKernels.F, kOff + off), s);
            dk.set(SeqKernels.F, kOff + off, Math.fma(gc, wt, dk.get(SeqKernels.F, kOff + off)));
        }
        return s;
    }

    @Override
    public void maskedSoftmax(Tensor scores, Tensor lengths, Tensor out) {
        SeqArgs.valuesRank("scores", scores, V, 2);
        int b = scores.dimInt(0), t = scores.dimInt(1);
        SeqArgs.lengths(lengths, b, t);
        SeqArgs.values("out", out, V, b, t);
        // Rows are T ≤ a few hundred scalars: the exp count is tiny next to the attention unit's work.
        parallel.forRange(b, minChunk(t, 1), (w, from, to) -> {
            for (int i = from; i < to; i++) {
                int len = lengths.getInt(i);
                long row = (long) i * t;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < len; j++) {
                    max = Math.max(max, scores.getFloat(row + j));
                }
                double z = 0;
                for (int j = 0; j < len; j++) {
                    z += Math.exp(scores.getFloat(row + j) - max);
                }
                for (int j = 0; j < t; j++) {
                    out.setFloat(row + j, j < len ? (float) (Math.exp(scores.getFloat(row + j) - max) / z) : 0f);
                }
            }
        });
    }

    @Override
    public void maskedSoftmaxBackward(Tensor out, Tensor lengths, Tensor dOut, Tensor dScores) {
        SeqArgs.valuesRank("out", out, V, 2);
        int b = out.dimInt(0), t = out.dimInt(1);
        SeqArgs.lengths(lengths, b, t);
        SeqArgs.values("dOut", dOut, V, b, t);
        SeqArgs.values("dScores", dScores, V, b, t);
        parallel.forRange(b, minChunk(t, 1), (w, from, to) -> {
            for (int i = from; i < to; i++) {
                int len = lengths.getInt(i);
                long row = (long) i * t;
                double dot = 0;
                for (int j = 0; j < len; j++) {
                    dot += out.getFloat(row + j) * dOut.getFloat(row + j);
                }
                for (int j = 0; j < len; j++) {
                    float p = out.getFloat(row + j);
                    dScores.setFloat(row + j, (float) (dScores.getFloat(row + j) + p * (dOut.getFloat(row + j) - dot)));
                }
            }
        });
    }

    @Override
    public void sumBackward(Tensor lengths, Tensor dOut, Tensor dKeys) {
        SeqArgs.valuesRank("dKeys", dKeys, V, 3);
        int b = dKeys.dimInt(0), t = dKeys.dimInt(1), d = dKeys.dimInt(2);
        SeqArgs.lengths(lengths, b, t);
        SeqArgs.values("dOut", dOut, V, b, d);
        MemorySegment g = dOut.segment();
        MemorySegment dk = dKeys.segment();
        parallel.forRange(b, minChunk(t, d), (w, from, to) -> {
            for (int i = from; i < to; i++) {
                int len = lengths.getInt(i);
                for (int j = 0; j < len; j++) {
                    SeqKernels.addInto(dk, (((long) i * t + j) * d) * Float.BYTES, g, (long) i * d * Float.BYTES, d);
                }
            }
        });
    }
}
