package io.din4j.backend;

import static org.junit.jupiter.api.Assertions.fail;

import io.din4j.tensor.DType;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import java.util.Random;

/** Random inputs, parameter sets and comparisons for the sequence-op tests. */
final class SeqTestSupport {
    private SeqTestSupport() {
    }

    /** A Dice state on plain tensors, so these tests do not depend on ActivationOps. */
    record TestDice(int channels, Tensor runningMean, Tensor runningVar) implements DiceState {
    }

    static Tensor uniform(TensorArena a, DType type, Random r, double scale, long... shape) {
        Tensor t = a.allocate(type, shape);
        for (long i = 0; i < t.size(); i++) {
            t.set(i, (2 * r.nextDouble() - 1) * scale);
        }
        return t;
    }

    static Tensor copy(TensorArena a, Tensor src, DType type) {
        Tensor t = a.allocate(type, src.shape());
        for (long i = 0; i < t.size(); i++) {
            t.set(i, src.get(i));
        }
        return t;
    }

    /** Lengths in [0, T] that include 0, 1 and T whenever the batch has room for them. */
    static Tensor lengths(TensorArena a, Random r, int b, int t) {
        Tensor len = a.i32(b);
        for (int i = 0; i < b; i++) {
            int v = switch (i % 5) {
                case 0 -> t;
                case 1 -> Math.min(1, t);
                case 2 -> 0;
                default -> r.nextInt(t + 1);
            };
            len.setInt(i, v);
        }
        return len;
    }

    /**
     * Random parameters of {@code unit} in {@code type}; weights ~ U(±1/√in) so pre-activations stay O(1), Dice and
     * PReLU slopes in (0, 0.5), running statistics random (mean ±0.5, variance in [0.5, 1.5]).
     */
    static AttentionParams params(TensorArena a, AttentionUnit unit, DType type, Random r) {
        int layers = unit.layers();
        int[] hidden = unit.hidden();
        Tensor[] w = new Tensor[layers + 1];
        Tensor[] bias = new Tensor[layers + 1];
        Tensor[] alpha = unit.activation().hasAlpha() ? new Tensor[layers] : null;
        DiceState[] dice = unit.activation() == Activation.DICE ? new DiceState[layers] : null;
        for (int l = 0; l <= layers; l++) {
            int in = l == layers ? hidden[layers - 1] : unit.inputWidth(l);
            int out = l == layers ? 1 : hidden[l];
            w[l] = uniform(a, type, r, 1.5 / Math.sqrt(in), out, in);
            bias[l] = uniform(a, type, r, 0.3, out);
            if (l < layers && alpha != null) {
                alpha[l] = a.allocate(type, out);
                for (int i = 0; i < out; i++) {
                    alpha[l].set(i, 0.05 + 0.4 * r.nextDouble());
                }
            }
            if (l < layers && dice != null) {
                Tensor mean = uniform(a, type, r, 0.5, out);
                Tensor var = a.allocate(type, out);
                for (int i = 0; i < out; i++) {
                    var.set(i, 0.5 + r.nextDouble());
                }
                dice[l] = new TestDice(out, mean, var);
            }
        }
        return new AttentionParams(w, bias, alpha, dice);
    }

    /** A deep copy in {@code type} (Dice states included). */
    static AttentionParams copy(TensorArena a, AttentionParams p, DType type) {
        Tensor[] w = copyAll(a, p.weights(), type);
        Tensor[] b = copyAll(a, p.biases(), type);
        Tensor[] al = p.alphas() == null ? null : copyAll(a, p.alphas(), type);
        DiceState[] d = null;
        if (p.dice() != null) {
            d = new DiceState[p.dice().length];
            for (int i = 0; i < d.length; i++) {
                DiceState s = p.dice()[i];
                d[i] = new TestDice(s.channels(), copy(a, s.runningMean(), type), copy(a, s.runningVar(), type));
            }
        }
        return new AttentionParams(w, b, al, d);
    }

    /** Gradient tensors of the same shapes, pre-filled with random values to check that backward adds. */
    static AttentionParams grads(TensorArena a, AttentionParams p, DType type, Random r) {
        Tensor[] w = new Tensor[p.weights().length];
        Tensor[] b = new Tensor[p.biases().length];
        for (int i = 0; i < w.length; i++) {
            w[i] = uniform(a, type, r, 0.1, p.weights()[i].shape());
            b[i] = uniform(a, type, r, 0.1, p.biases()[i].shape());
        }
        Tensor[] al = null;
        if (p.alphas() != null) {
            al = new Tensor[p.alphas().length];
            for (int i = 0; i < al.length; i++) {
                al[i] = uniform(a, type, r, 0.1, p.alphas()[i].shape());
            }
        }
        return new AttentionParams(w, b, al, null);
    }

    private static Tensor[] copyAll(TensorArena a, Tensor[] src, DType type) {
        Tensor[] out = new Tensor[src.length];
        for (int i = 0; i < src.length; i++) {
            out[i] = src[i] == null ? null : copy(a, src[i], type);
        }
        return out;
    }

    /**
     * Asserts {@code |ref − out| ≤ atol·max|ref| + rtol·|ref|} element-wise: the absolute part is relative to the
     * tensor's largest entry, because an entry that is a sum with cancellation keeps the rounding error of its
     * largest terms, not of its own (small) value.
     */
    static void assertClose(String what, Tensor ref, Tensor out, double atol, double rtol) {
        double scale = 0;
        for (long i = 0; i < ref.size(); i++) {
            scale = Math.max(scale, Math.abs(ref.get(i)));
        }
        for (long i = 0; i < ref.size(); i++) {
            double e = ref.get(i);
            double o = out.get(i);
            if (!(Math.abs(e - o) <= atol * scale + rtol * Math.abs(e))) {
                fail(what + "[" + i + "]: reference " + e + ", got " + o + " (scale " + scale + ")");
            }
        }
    }

    static void assertSame(String what, Tensor ref, Tensor out) {
        for (long i = 0; i < ref.size(); i++) {
            if (Double.compare(ref.get(i), out.get(i)) != 0) {
                fail(what + "[" + i + "]: expected " + ref.get(i) + ", got " + out.get(i));
            }
        }
    }
}
