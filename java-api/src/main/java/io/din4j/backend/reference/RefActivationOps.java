package io.din4j.backend.reference;

import io.din4j.backend.ActivationOps;
import io.din4j.backend.Dice;
import io.din4j.backend.DiceBuffers;
import io.din4j.backend.DiceState;
import io.din4j.backend.ValueChecks;
import io.din4j.tensor.DType;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;

/** ActivationOps of the reference backend. */
final class RefActivationOps implements ActivationOps {
    private final DType stateType;

    /** Dice states are allocated in {@code stateType}, the backend's value type. */
    RefActivationOps(DType stateType) {
        this.stateType = stateType;
    }

    /** σ(x) without overflow: e^−|x| never exceeds 1. */
    static double sigmoid(double x) {
        double e = Math.exp(-Math.abs(x));
        return x >= 0 ? 1 / (1 + e) : e / (1 + e);
    }

    private static void pair(String xName, Tensor x, String yName, Tensor y) {
        ValueChecks.value(xName, x, true);
        ValueChecks.value(yName, y, true);
        ValueChecks.sameShape(yName, y, xName, x);
    }

    @Override
    public void relu(Tensor x, Tensor y) {
        pair("x", x, "y", y);
        for (long i = 0; i < x.size(); i++) {
            y.set(i, Math.max(x.get(i), 0));
        }
    }

    @Override
    public void reluBackward(Tensor x, Tensor dy, Tensor dx) {
        pair("x", x, "dy", dy);
        pair("x", x, "dx", dx);
        for (long i = 0; i < x.size(); i++) {
            if (x.get(i) > 0) {
                dx.set(i, dx.get(i) + dy.get(i));
            }
        }
    }

    @Override
    public void sigmoid(Tensor x, Tensor y) {
        pair("x", x, "y", y);
        for (long i = 0; i < x.size(); i++) {
            y.set(i, sigmoid(x.get(i)));
        }
    }

    @Override
    public void sigmoidBackward(Tensor y, Tensor dy, Tensor dx) {
        pair("y", y, "dy", dy);
        pair("y", y, "dx", dx);
        for (long i = 0; i < y.size(); i++) {
            double s = y.get(i);
            dx.set(i, dx.get(i) + dy.get(i) * s * (1 - s));
        }
    }

    private static long channels(Tensor x, Tensor alpha) {
        return ValueChecks.channels(x, alpha, true);
    }

    @Override
    public void prelu(Tensor x, Tensor alpha, Tensor y) {
        long c = channels(x, alpha);
        pair("x", x, "y", y);
        for (long i = 0; i < x.size(); i++) {
            double v = x.get(i);
            y.set(i, v > 0 ? v : alpha.get(i % c) * v);
        }
    }

    @Override
    public void preluBackward(Tensor x, Tensor alpha, Tensor dy, Tensor dx, Tensor dAlpha) {
        long c = channels(x, alpha);
        pair("x", x, "dy", dy);
        pair("x", x, "dx", dx);
        ValueChecks.value("dAlpha", dAlpha, true, c);
        for (long i = 0; i < x.size(); i++) {
            double v = x.get(i);
            double g = dy.get(i);
            long ch = i % c;
            dx.set(i, dx.get(i) + g * (v > 0 ? 1 : alpha.get(ch)));
            if (v <= 0) {
                dAlpha.set(ch, dAlpha.get(ch) + g * v);
            }
        }
    }

    @Override
    public DiceState newDiceState(TensorArena arena, int channels) {
        return new DiceBuffers(arena, stateType, channels);
    }

    @Override
    public void dice(Tensor x, Tensor alpha, DiceState state, boolean training, Tensor y) {
        long c = channels(x, alpha);
        pair("x", x, "y", y);
        DiceBuffers s = DiceBuffers.of(state, c);
        long n = x.size() / c;
        if (training && n < 1) {
            throw new IllegalArgumentException("x: a training-mode Dice needs at least one row, got " + x);
        }
        for (long ch = 0; ch < c; ch++) {
            double mean;
            double var;
            if (training) {
                double sum = 0;
                for (long r = 0; r < n; r++) {
                    sum += x.get(r * c + ch);
                }
                mean = sum / n;
                double sq = 0;
                for (long r = 0; r < n; r++) {
                    double d = x.get(r * c + ch) - mean;
                    sq += d * d;
                }
                var = sq / n;
                s.batchMean().set(ch, mean);
                s.batchVar().set(ch, var);
                double m = Dice.MOMENTUM;
                s.runningMean().set(ch, (1 - m) * s.runningMean().get(ch) + m * mean);
                s.runningVar().set(ch, (1 - m) * s.runningVar().get(ch) + m * var);
            } else {
                mean = s.runningMean().get(ch);
                var = s.runningVar().get(ch);
            }
            double inv = 1 / Math.sqrt(var + Dice.EPSILON);
            double a = alpha.get(ch);
            for (long r = 0; r < n; r++) {
                double v = x.get(r * c + ch);
                // DIN eq. 9: f(s) = p(s)·s + (1 − p(s))·α·s with p = σ of the normalised input.
                double p = sigmoid((v - mean) * inv);
                y.set(r * c + ch, p * v + (1 - p) * a * v);
            }
        }
        if (training) {
            s.markSaved(n);
        }
    }

    @Override
    public void diceBackward(Tensor x, Tensor alpha, DiceState state, Tensor dy, Tensor dx, Tensor dAlpha) {
        long c = channels(x, alpha);
        pair("x", x, "dy", dy);
        pair("x", x, "dx", dx);
        ValueChecks.value("dAlpha", dAlpha, true, c);
        DiceBuffers s = DiceBuffers.of(state, c);
        long n = x.size() / c;
        s.requireSaved(n);
        for (long ch = 0; ch < c; ch++) {
            double mean = s.batchMean().get(ch);
            double inv = 1 / Math.sqrt(s.batchVar().get(ch) + Dice.EPSILON);
            double a = alpha.get(ch);
            // dxh = ∂L/∂x̂ = dy·x·(1 − α)·p·(1 − p); the normalisation x̂ = (x − μ)·inv then contributes the
            // batch-norm backward inv/N·(N·dxh − Σdxh − x̂·Σ(dxh·x̂)), the gradient through μ and σ².
            double sumD = 0;
            double sumDX = 0;
            double sumA = 0;
            for (long r = 0; r < n; r++) {
                double v = x.get(r * c + ch);
                double xh = (v - mean) * inv;
                double p = sigmoid(xh);
                double g = dy.get(r * c + ch);
                double dxh = g * v * (1 - a) * p * (1 - p);
                sumD += dxh;
                sumDX += dxh * xh;
                sumA += g * (1 - p) * v;
            }
            dAlpha.set(ch, dAlpha.get(ch) + sumA);
            for (long r = 0; r < n; r++) {
                double v = x.get(r * c + ch);
                double xh = (v - mean) * inv;
                double p = sigmoid(xh);
                double g = dy.get(r * c + ch);
                double dxh = g * v * (1 - a) * p * (1 - p);
                double direct = g * (p + (1 - p) * a);
                double viaNorm = inv / n * (n * dxh - sumD - xh * sumDX);
                dx.set(r * c + ch, dx.get(r * c + ch) + direct + viaNorm);
            }
        }
    }
}
