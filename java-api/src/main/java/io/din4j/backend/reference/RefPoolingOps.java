package io.din4j.backend.reference;

import io.din4j.backend.*;
import io.din4j.backend.SeqArgs.Values;
import io.din4j.tensor.Tensor;

/** PoolingOps of the reference backend: the definitions as scalar loops in double. */
final class RefPoolingOps implements PoolingOps {
    private static final Values V = Values.F32_OR_F64;

    @Override
    public void weightedSum(Tensor weights, Tensor keys, Tensor lengths, Tensor out) {
        int[] s = SeqArgs.pooled("weights", weights, keys, lengths, V);
        int b = s[0], t = s[1], d = s[2];
        SeqArgs.values("out", out, V, b, d);
        for (int i = 0; i < b; i++) {
            int len = lengths.getInt(i);
            for (int c = 0; c < d; c++) {
                double acc = 0;
                for (int j = 0; j < len; j++) {
                    acc += weights.get((long) i * t + j) * keys.get(((long) i * t + j) * d + c);
                }
                out.set((long) i * d + c, acc);
            }
        }
    }

    @Override
    public void weightedSumBackward(Tensor weights, Tensor keys, Tensor lengths, Tensor dOut, Tensor dWeights, Tensor dKeys) {
        int[] s = SeqArgs.pooled("weights", weights, keys, lengths, V);
        int b = s[0], t = s[1], d = s[2];
        SeqArgs.values("dOut", dOut, V, b, d);
        SeqArgs.values("dWeights", dWeights, V, b, t);
        SeqArgs.values("dKeys", dKeys, V, b, t, d);
        for (int i = 0; i < b; i++) {
            int len = lengths.getInt(i);
            for (int j = 0; j < len; j++) {
                long row = (long) i * t + j;
                double w = weights.get(row);
                double dw = 0;
                for (int c = 0; c < d; c++) {
                    double g = dOut.get((long) i * d + c);
                    dw += g * keys.get(row * d + c);
                    dKeys.set(row * d + c, dKeys.get(row * d + c) + w * g);
                }
                dWeights.set(row, dWeights.get(row) + dw);
            }
        }
    }

    @Override
    public void maskedSoftmax(Tensor scores, Tensor lengths, Tensor out) {
        SeqArgs.valuesRank("scores", scores, V, 2);
        int b = scores.dimInt(0), t = scores.dimInt(1);
        SeqArgs.lengths(lengths, b, t);
        SeqArgs.values("out", out, V, b, t);
        for (int i = 0; i < b; i++) {
            int len = lengths.getInt(i);
            long row = (long) i * t;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < len; j++) {
                max = Math.max(max, scores.get(row + j));
            }
            double z = 0;
            for (int j = 0; j < len; j++) {
                z += Math.exp(scores.get(row + j) - max);
            }
            for (int j = 0; j < t; j++) {
                out.set(row + j, j < len ? Math.exp(scores.get(row + j) - max) / z : 0.0);
            }
        }
    }

    @Override
    public void maskedSoftmaxBackward(Tensor out, Tensor lengths, Tensor dOut, Tensor dScores) {
        SeqArgs.valuesRank("out", out, V, 2);
        int b = out.dimInt(0), t = out.dimInt(1);
        SeqArgs.lengths(lengths, b, t);
        SeqArgs.values("dOut", dOut, V, b, t);
        SeqArgs.values("dScores", dScores, V, b, t);
        for (int i = 0; i < b; i++) {
            int len = lengths.getInt(i);
            long row = (long) i * t;
            double dot = 0;
            for (int j = 0; j < len; j++) {
                dot += out.get(row + j) * dOut.get(row + j);
            }
            for (int j = 0; j < len; j++) {
                dScores.set(row + j, dScores.get(row + j) + out.get(row + j) * (dOut.get(row + j) - dot));
            }
        }
    }

    @Override
    public void sum(Tensor keys, Tensor lengths, Tensor out) {
        int[] s = SeqArgs.pooled(null, null, keys, lengths, V);
        int b = s[0], t = s[1], d = s[2];
        SeqArgs.values("out", out, V, b, d);
        for (int i = 0; i < b; i++) {
            int len = lengths.getInt(i);
            for (int c = 0; c < d; c++) {
                double acc = 0;
                for (int j = 0; j < len; j++) {
                    acc += keys.get(((long) i * t + j) * d + c);
                }
                out.set((long) i * d + c, acc);
            }
        }
    }

    @Override
    public void sumBackward(Tensor lengths, Tensor dOut, Tensor dKeys) {
        SeqArgs.valuesRank("dKeys", dKeys, V, 3);
        int b = dKeys.dimInt(0), t = dKeys.dimInt(1), d = dKeys.dimInt(2);
        SeqArgs.lengths(lengths, b, t);
        SeqArgs.values("dOut", dOut, V, b, d);
        for (int i = 0; i < b; i++) {
            int len = lengths.getInt(i);
            for (int j = 0; j < len; j++) {
                long row = ((long) i * t + j) * d;
                for (int c = 0; c < d; c++) {
                    dKeys.set(row + c, dKeys.get(row + c) + dOut.get((long) i * d + c));
                }
            }
        }
    }
}
