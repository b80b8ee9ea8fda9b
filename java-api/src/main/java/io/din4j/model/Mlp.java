package io.din4j.model;

import io.din4j.backend.Activation;
import io.din4j.backend.AttentionParams;
import io.din4j.backend.DiceState;
import io.din4j.graph.Graph;
import io.din4j.graph.Param;
import io.din4j.graph.ParamStore;
import io.din4j.tensor.Tensor;

/**
 * A stack of fully connected layers {@code fc_j: h_j = act(W_j·h_{j−1} + b_j)}, optionally followed by a linear
 * output layer {@code out}. Parameter names: {@code <prefix>.fc<j>.weight [h_j, h_{j−1}]}, {@code .bias [h_j]},
 * {@code .alpha [h_j]} (Dice/PReLU), {@code .dice.running_mean/.running_var [h_j]} (Dice), and
 * {@code <prefix>.out.weight [out, h_last]}, {@code <prefix>.out.bias [out]}.
 */
public final class Mlp {
    private final String prefix;
    private final int firstIndex;
    private final int inWidth;
    private final int[] hidden;
    private final Activation act;
    private final Param[] w;
    private final Param[] b;
    private final Param[] alpha;
    private final DiceState[] dice;
    private final Param outW;
    private final Param outB;

    /**
     * @param firstIndex index of the first hidden layer's name ({@code fc<firstIndex>})
     * @param out        width of the linear output layer, or 0 for none
     */
    public Mlp(ParamStore ps, String prefix, int firstIndex, int in, int[] hidden, Activation act, int out, long seed) {
        this.prefix = prefix;
        this.firstIndex = firstIndex;
        this.inWidth = in;
        this.hidden = hidden.clone();
        this.act = act;
        int n = hidden.length;
        w = new Param[n];
        b = new Param[n];
        alpha = new Param[n];
        dice = new DiceState[n];
        int prev = in;
        for (int j = 0; j < n; j++) {
            String p = prefix + ".fc" + (firstIndex + j);
            w[j] = ps.dense(p + ".weight", hidden[j], prev);
            Init.lecun(ps, w[j], seed);
            b[j] = ps.dense(p + ".bias", hidden[j]);
            if (act.hasAlpha()) {
                alpha[j] = ps.dense(p + ".alpha", hidden[j]);
                Init.constant(ps, alpha[j], initialAlpha(act));
            }
            if (act == Activation.DICE) {
                dice[j] = ps.dice(p + ".dice", hidden[j]);
            }
            prev = hidden[j];
        }
        if (out > 0) {
            outW = ps.dense(prefix + ".out.weight", out, prev);
            Init.lecun(ps, outW, seed);
            outB = ps.dense(prefix + ".out.bias", out);
        } else {
            outW = null;
            outB = null;
        }
    }

    /**
     * PReLU's customary 0.25; Dice starts at 0 as in the DIN authors' code, where the control function alone decides
     * how much of a negative input passes.
     */
    public static double initialAlpha(Activation act) {
        return act == Activation.PRELU ? 0.25 : 0.0;
    }

    public int inWidth() {
        return inWidth;
    }

    /** Width of what {@link #apply} returns. */
    public int outWidth() {
        return outW != null ? outW.value().dimInt(0) : hidden.length > 0 ? hidden[hidden.length - 1] : inWidth;
    }

    /**
     * The layers as a local activation unit's tensors (DIN): hidden layers then the output layer; with a
     * {@code grads} graph (finished, training), that graph's gradients of them instead. Needs an output layer.
     */
    public AttentionParams asAttentionParams(Graph grads) {
        int n = hidden.length;
        Tensor[] ws = new Tensor[n + 1];
        Tensor[] bs = new Tensor[n + 1];
        Tensor[] as = new Tensor[n];
        for (int j = 0; j < n; j++) {
            ws[j] = grads != null ? grads.grad(w[j]) : w[j].value();
            bs[j] = grads != null ? grads.grad(b[j]) : b[j].value();
            as[j] = alpha[j] == null ? null : grads != null ? grads.grad(alpha[j]) : alpha[j].value();
        }
        ws[n] = grads != null ? grads.grad(outW) : outW.value();
        bs[n] = grads != null ? grads.grad(outB) : outB.value();
        return new AttentionParams(ws, bs, as, dice.clone());
    }

    /** Appends this MLP's ops to {@code g}. */
    public Graph.Buf apply(Graph g, Graph.Buf x) {
        Graph.Buf h = x;
        for (int j = 0; j < hidden.length; j++) {
            String p = prefix + ".fc" + (firstIndex + j);
            String actName = p + "." + act.name().toLowerCase(java.util.Locale.ROOT);
            h = act == Activation.RELU ? g.linearRelu(p, actName, h, w[j], b[j])
                    : g.activation(actName, g.linear(p, h, w[j], b[j]), act, alpha[j], dice[j]);
        }
        if (outW != null) {
            h = g.linear(prefix + ".out", h, outW, outB);
        }
        return h;
    }
}
