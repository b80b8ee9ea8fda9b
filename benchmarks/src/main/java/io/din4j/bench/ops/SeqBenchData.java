package io.din4j.bench.ops;

import io.din4j.backend.*;
import io.din4j.tensor.DType;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import java.util.SplittableRandom;

/** Inputs and checks shared by the sequence-op benchmarks (embedding, attention, pooling). */
final class SeqBenchData {
    private SeqBenchData() {
    }

    /** A Dice state on plain tensors (the benchmarks do not depend on ActivationOps). */
    record BenchDice(int channels, Tensor runningMean, Tensor runningVar) implements DiceState {
    }

    static Tensor uniform(TensorArena a, SplittableRandom r, double scale, long... shape) {
        return BenchData.random(a, r, scale, shape);
    }

    /** Every sample has the full history T, so the work per call is exactly what flops() and bytes() count. */
    static Tensor fullLengths(TensorArena a, int b, int t) {
        Tensor len = a.i32(b);
        for (int i = 0; i < b; i++) {
            len.setInt(i, t);
        }
        return len;
    }

    static AttentionParams params(TensorArena a, AttentionUnit unit, SplittableRandom r) {
        int layers = unit.layers();
        int[] hidden = unit.hidden();
        Tensor[] w = new Tensor[layers + 1];
        Tensor[] b = new Tensor[layers + 1];
        Tensor[] alpha = unit.activation().hasAlpha() ? new Tensor[layers] : null;
        DiceState[] dice = unit.activation() == Activation.DICE ? new DiceState[layers] : null;
        for (int l = 0; l <= layers; l++) {
            int in = l == layers ? hidden[layers - 1] : unit.inputWidth(l);
            int out = l == layers ? 1 : hidden[l];
            w[l] = uniform(a, r, 1.5 / Math.sqrt(in), out, in);
            b[l] = uniform(a, r, 0.3, out);
            if (l < layers && alpha != null) {
                alpha[l] = uniform(a, r, 0.25, out);
            }
            if (l < layers && dice != null) {
                Tensor var = a.f32(out);
                for (int i = 0; i < out; i++) {
                    var.setFloat(i, 1f);
                }
                dice[l] = new BenchDice(out, a.f32(out), var);
            }
        }
        return new AttentionParams(w, b, alpha, dice);
    }

    /** Gradient tensors of the same shapes as {@code p}. */
    static AttentionParams grads(TensorArena a, AttentionParams p) {
        Tensor[] w = new Tensor[p.weights().length];
        Tensor[] b = new Tensor[p.biases().length];
        for (int i = 0; i < w.length; i++) {
            w[i] = a.f32(p.weights()[i].shape());
            b[i] = a.f32(p.biases()[i].shape());
        }
        Tensor[] al = null;
        if (p.alphas() != null) {
            al = new Tensor[p.alphas().length];
            for (int i = 0; i < al.length; i++) {
                al[i] = a.f32(p.alphas()[i].shape());
            }
        }
        return new AttentionParams(w, b, al, null);
    }

    /**
     * {@link BenchData#check} with the absolute tolerance relative to the largest reference entry: gradients are
     * sums whose rounding error follows their largest terms, not their own value.
     */
    static void checkScaled(String what, Tensor ref, Tensor out, double atol, double rtol) {
        double scale = 0;
        for (long i = 0; i < ref.size(); i++) {
            scale = Math.max(scale, Math.abs(ref.get(i)));
        }
        BenchData.check(what, ref, out, atol * scale, rtol);
    }
}
