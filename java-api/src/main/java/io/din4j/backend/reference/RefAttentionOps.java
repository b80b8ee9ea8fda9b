package io.din4j.backend.reference;

import io.din4j.backend.*;
import io.din4j.backend.SeqArgs.Values;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;

/**
 * AttentionOps of the reference backend: DIN's local activation unit exactly as the paper draws it (Fig. 2),
 * unfolded. Every valid (b, t) becomes one row {@code x = [q_b, k_bt, q_b − k_bt, q_b ⊙ k_bt]} of width 4D, the
 * rows go through the hidden layers together (so Dice sees the whole batch's statistics, eq. 9), then a linear
 * layer gives one score per row. All arithmetic is in double.
 */
final class RefAttentionOps implements AttentionOps {
    private static final Values V = Values.F32_OR_F64;

    /** What a training forward keeps for the backward pass: every layer's pre-activation and output per row. */
    private static final class Workspace implements AttentionWorkspace {
        final AttentionUnit unit;
        final int maxBatch;
        final int maxHistory;
        final double[][] pre;
        final double[][] act;
        final double[][] mean;
        final double[][] var;
        int rowsUsed;

        Workspace(AttentionUnit unit, int maxBatch, int maxHistory) {
            this.unit = unit;
            this.maxBatch = maxBatch;
            this.maxHistory = maxHistory;
            int layers = unit.layers();
            int rows = Math.multiplyExact(maxBatch, maxHistory);
            pre = new double[layers][];
            act = new double[layers][];
            mean = new double[layers][];
            var = new double[layers][];
            for (int l = 0; l < layers; l++) {
                int h = unit.hidden()[l];
                pre[l] = new double[Math.multiplyExact(rows, h)];
                act[l] = new double[rows * h];
                mean[l] = new double[h];
                var[l] = new double[h];
            }
        }

        @Override
        public int maxBatch() {
            return maxBatch;
        }

        @Override
        public int maxHistory() {
            return maxHistory;
        }
    }

    @Override
    public AttentionWorkspace newWorkspace(AttentionUnit unit, TensorArena arena, int maxBatch, int maxHistory) {
        if (unit == null) {
            throw new IllegalArgumentException("unit: missing (null)");
        }
        if (maxBatch <= 0 || maxHistory <= 0) {
            throw new IllegalArgumentException("maxBatch and maxHistory must be positive, got " + maxBatch + ", " + maxHistory);
        }
        return new Workspace(unit, maxBatch, maxHistory);
    }

    private static Workspace workspace(AttentionUnit unit, AttentionWorkspace ws) {
        if (!(ws instanceof Workspace w) || !w.unit.equals(unit)) {
            throw new IllegalArgumentException("ws: not a reference workspace for " + unit + ", got " + ws);
        }
        return w;
    }

    /** Element i of the unfolded first-layer input of row (b, t). */
    private static double input(Tensor q, Tensor keys, int d, int b, int t, int tMax, int i) {
        int block = i / d;
        int c = i % d;
        double qv = q.get((long) b * d + c);
        double kv = keys.get(((long) b * tMax + t) * d + c);
        return switch (block) {
            case 0 -> qv;
            case 1 -> kv;
            case 2 -> qv - kv;
            default -> qv * kv;
        };
    }

    /** Row r's input of layer l into x: the unfolded first-layer input, or the previous layer's output. */
    private static void layerInput(Workspace w, int l, int in, Tensor q, Tensor keys, int d, int b, int t, int tN, int r,
                                   double[] x) {
        for (int i = 0; i < in; i++) {
            x[i] = l == 0 ? input(q, keys, d, b, t, tN, i) : w.act[l - 1][r * in + i];
        }
    }

    @Override
    public void forward(AttentionUnit unit, AttentionParams params, Tensor q, Tensor keys, Tensor lengths,
                        AttentionWorkspace ws, Tensor scores, boolean training) {
        int[] bt = SeqArgs.attentionInputs(unit, q, keys, lengths, ws, "scores", scores, V);
        SeqArgs.attentionParams("params", unit, params, V, false);
        Workspace w = workspace(unit, ws);
        int bN = bt[0], tN = bt[1], d = unit.width();
        int layers = unit.layers();
        int[] hidden = unit.hidden();
        int rows = 0;
        for (int b = 0; b < bN; b++) {
            rows += lengths.getInt(b);
        }
        w.rowsUsed = rows;
        for (int l = 0; l < layers; l++) {
            int in = unit.inputWidth(l);
            int h = hidden[l];
            Tensor wt = params.weights()[l];
            Tensor bias = params.biases()[l];
            int r = 0;
            double[] x = new double[in];
            for (int b = 0; b < bN; b++) {
                for (int t = 0; t < lengths.getInt(b); t++, r++) {
                    layerInput(w, l, in, q, keys, d, b, t, tN, r, x);
                    for (int o = 0; o < h; o++) {
                        double acc = bias.get(o);
                        for (int i = 0; i < in; i++) {
                            acc += wt.get((long) o * in + i) * x[i];
                        }
                        w.pre[l][r * h + o] = acc;
                    }
                }
            }
            activate(unit, params, w, l, rows, training);
        }
        int last = hidden[layers - 1];
        int r = 0;
        for (int b = 0; b < bN; b++) {
            int len = lengths.getInt(b);
            for (int t = 0; t < tN; t++) {
                double s = 0;
                if (t < len) {
                    s = params.biases()[layers].get(0);
                    for (int i = 0; i < last; i++) {
                        s += params.weights()[layers].get(i) * w.act[layers - 1][r * last + i];
                    }
                    r++;
                }
                scores.set((long) b * tN + t, s);
            }
        }
    }

    private static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    /** Applies layer l's activation to its pre-activations (Dice: batch statistics over the rows in training). */
    private static void activate(AttentionUnit unit, AttentionParams params, Workspace w, int l, int rows, boolean training) {
        int h = unit.hidden()[l];
        double[] pre = w.pre[l];
        double[] act = w.act[l];
        Activation a = unit.activation();
        if (a == Activation.DICE) {
            DiceState state = params.dice()[l];
            for (int o = 0; o < h; o++) {
                double mean;
                double var;
                if (training) {
                    double sum = 0;
                    for (int r = 0; r < rows; r++) {
                        sum += pre[r * h + o];
                    }
                    mean = rows == 0 ? 0 : sum / rows;
                    double sq = 0;
                    for (int r = 0; r < rows; r++) {
                        double c = pre[r * h + o] - mean;
                        sq += c * c;
                    }
                    var = rows == 0 ? 1 : sq / rows;
                    // A batch with no valid behaviour carries no statistics: the running ones stay.
                    if (rows > 0) {
                        Tensor rm = state.runningMean();
                        Tensor rv = state.runningVar();
                        rm.set(o, (1 - Dice.MOMENTUM) * rm.get(o) + Dice.MOMENTUM * mean);
                        rv.set(o, (1 - Dice.MOMENTUM) * rv.get(o) + Dice.MOMENTUM * var);
                    }
                } else {
                    mean = state.runningMean().get(o);
                    var = state.runningVar().get(o);
                }
                w.mean[l][o] = mean;
                w.var[l][o] = var;
                double s = Math.sqrt(var + Dice.EPSILON);
                double alpha = params.alphas()[l].get(o);
                for (int r = 0; r < rows; r++) {
                    double x = pre[r * h + o];
                    double p = sigmoid((x - mean) / s);
                    act[r * h + o] = p * x + (1 - p) * alpha * x;
                }
            }
            return;
        }
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < h; o++) {
                double x = pre[r * h + o];
                act[r * h + o] = switch (a) {
                    case PRELU -> x > 0 ? x : params.alphas()[l].get(o) * x;
                    case SIGMOID -> sigmoid(x);
                    case RELU -> x > 0 ? x : 0;
                    case DICE -> throw new AssertionError();
                };
            }
        }
    }

    @Override
    public void backward(AttentionUnit unit, AttentionParams params, Tensor q, Tensor keys, Tensor lengths,
                         AttentionWorkspace ws, Tensor dScores, Tensor dq, Tensor dKeys, AttentionParams grads) {
        int[] bt = SeqArgs.attentionInputs(unit, q, keys, lengths, ws, "dScores", dScores, V);
        int bN = bt[0], tN = bt[1], d = unit.width();
        SeqArgs.attentionParams("params", unit, params, V, false);
        SeqArgs.attentionParams("grads", unit, grads, V, true);
        SeqArgs.values("dq", dq, V, bN, d);
        SeqArgs.values("dKeys", dKeys, V, bN, tN, d);
        Workspace w = workspace(unit, ws);
        int layers = unit.layers();
        int[] hidden = unit.hidden();
        int rows = w.rowsUsed;

        // Output layer: score = w_L · a_{L−1} + b_L.
        int last = hidden[layers - 1];
        double[] dAct = new double[rows * last];
        Tensor wOut = params.weights()[layers];
        int r = 0;
        for (int b = 0; b < bN; b++) {
            for (int t = 0; t < lengths.getInt(b); t++, r++) {
                double g = dScores.get((long) b * tN + t);
                add(grads.biases()[layers], 0, g);
                for (int i = 0; i < last; i++) {
                    add(grads.weights()[layers], i, g * w.act[layers - 1][r * last + i]);
                    dAct[r * last + i] = g * wOut.get(i);
                }
            }
        }
        for (int l = layers - 1; l >= 0; l--) {
            int h = hidden[l];
            int in = unit.inputWidth(l);
            double[] dPre = activationBackward(unit, params, grads, w, l, rows, dAct);
            Tensor wt = params.weights()[l];
            double[] dIn = new double[rows * in];
            r = 0;
            double[] x = new double[in];
            for (int b = 0; b < bN; b++) {
                for (int t = 0; t < lengths.getInt(b); t++, r++) {
                    layerInput(w, l, in, q, keys, d, b, t, tN, r, x);
                    for (int o = 0; o < h; o++) {
                        double g = dPre[r * h + o];
                        add(grads.biases()[l], o, g);
                        for (int i = 0; i < in; i++) {
                            add(grads.weights()[l], (long) o * in + i, g * x[i]);
                            dIn[r * in + i] += g * wt.get((long) o * in + i);
                        }
                    }
                }
            }
            dAct = dIn;
        }
        // dAct is now d/d[q, k, q − k, q ⊙ k] per row: route each block back to q and k.
        r = 0;
        for (int b = 0; b < bN; b++) {
            for (int t = 0; t < lengths.getInt(b); t++, r++) {
                for (int c = 0; c < d; c++) {
                    long qi = (long) b * d + c;
                    long ki = ((long) b * tN + t) * d + c;
                    double g1 = dAct[r * 4 * d + c];
                    double g2 = dAct[r * 4 * d + d + c];
                    double g3 = dAct[r * 4 * d + 2 * d + c];
                    double g4 = dAct[r * 4 * d + 3 * d + c];
                    add(dq, qi, g1 + g3 + g4 * keys.get(ki));
                    add(dKeys, ki, g2 - g3 + g4 * q.get(qi));
                }
            }
        }
    }

    private static void add(Tensor t, long i, double v) {
        t.set(i, t.get(i) + v);
    }

    /** d/d(pre-activation) of layer l from d/d(output); accumulates the α gradient. */
    private static double[] activationBackward(AttentionUnit unit, AttentionParams params, AttentionParams grads,
                                               Workspace w, int l, int rows, double[] dAct) {
        int h = unit.hidden()[l];
        double[] pre = w.pre[l];
        double[] dPre = new double[rows * h];
        Activation a = unit.activation();
        for (int o = 0; o < h; o++) {
            if (a == Activation.DICE) {
                // y = x·(α + (1 − α)·p), p = σ(z), z = (x − μ)/s, s = sqrt(σ² + ε) with μ, σ² the batch's.
                double s = Math.sqrt(w.var[l][o] + Dice.EPSILON);
                double alpha = params.alphas()[l].get(o);
                double[] dz = new double[rows];
                double meanDz = 0;
                double meanDzZ = 0;
                double dAlpha = 0;
                for (int r = 0; r < rows; r++) {
                    double x = pre[r * h + o];
                    double z = (x - w.mean[l][o]) / s;
                    double p = sigmoid(z);
                    double g = dAct[r * h + o];
                    dPre[r * h + o] = g * (alpha + (1 - alpha) * p);
                    dz[r] = g * x * (1 - alpha) * p * (1 - p);
                    dAlpha += g * x * (1 - p);
                    meanDz += dz[r];
                    meanDzZ += dz[r] * z;
                }
                if (rows > 0) {
                    meanDz /= rows;
                    meanDzZ /= rows;
                }
                // Through the batch statistics: dx = (dz − mean(dz) − z·mean(dz·z)) / s.
                for (int r = 0; r < rows; r++) {
                    double z = (pre[r * h + o] - w.mean[l][o]) / s;
                    dPre[r * h + o] += (dz[r] - meanDz - z * meanDzZ) / s;
                }
                add(grads.alphas()[l], o, dAlpha);
                continue;
            }
            double dAlpha = 0;
            for (int r = 0; r < rows; r++) {
                double x = pre[r * h + o];
                double g = dAct[r * h + o];
                switch (a) {
                    case PRELU -> {
                        dPre[r * h + o] = x > 0 ? g : params.alphas()[l].get(o) * g;
                        dAlpha += x > 0 ? 0 : g * x;
                    }
                    case SIGMOID -> {
                        double y = w.act[l][r * h + o];
                        dPre[r * h + o] = g * y * (1 - y);
                    }
                    case RELU -> dPre[r * h + o] = x > 0 ? g : 0;
                    case DICE -> throw new AssertionError();
                }
            }
            if (a == Activation.PRELU) {
                add(grads.alphas()[l], o, dAlpha);
            }
        }
        return dPre;
    }
}
