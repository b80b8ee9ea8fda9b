package io.din4j.backend.cuda;

import static io.din4j.backend.cuda.Dev.down;
import static io.din4j.backend.cuda.Dev.up;
import static org.junit.jupiter.api.Assertions.fail;

import io.din4j.backend.Activation;
import io.din4j.backend.AttentionParams;
import io.din4j.backend.AttentionUnit;
import io.din4j.backend.AttentionWorkspace;
import io.din4j.backend.Backend;
import io.din4j.backend.DiceState;
import io.din4j.backend.OpFixture;
import io.din4j.backend.reference.ReferenceBackend;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import java.util.Arrays;
import java.util.function.UnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * DIN's local activation unit on the cuda backend (folded first layer, layered training path, fused inference
 * kernel, fused gather → attention → pooling) against the reference's unfolded specification.
 */
class CudaAttentionOpsTest {
    private static final Backend REF = new ReferenceBackend();

    /** {D, B, T, hidden...}: D = 1, tails around 16/32, batch 1, lengths 0/1/T, the paper's 80/40, one long history. */
    private static final int[][] CASES = {
            {1, 1, 1, 5},
            {3, 2, 4, 17, 3},
            {16, 7, 9, 80, 40},
            {17, 5, 13, 5},
            {32, 9, 20, 36, 3, 7},
            {8, 2, 150, 17, 3},
    };

    // Same tolerances as the cpu attention test: chains of f32 dot products of length ≤ 4D against double, an
    // absolute part relative to each tensor's largest entry (parameter gradients are sums over B·T rows whose
    // cancellation keeps the error of the largest terms), and Dice's division by the batch deviation (one valid
    // row: variance 0, divided by sqrt(ε) = 1e-4) as the worst case.
    private static final double ATOL = 2e-5;
    private static final double RTOL = 2e-4;

    static void assertScaled(String what, Tensor ref, Tensor out) {
        double scale = 0;
        for (long i = 0; i < ref.size(); i++) {
            scale = Math.max(scale, Math.abs(ref.get(i)));
        }
        for (long i = 0; i < ref.size(); i++) {
            double e = ref.get(i);
            double o = out.get(i);
            if (!(Math.abs(e - o) <= ATOL * scale + RTOL * Math.abs(e))) {
                fail(what + "[" + i + "]: reference " + e + ", got " + o + " (scale " + scale + ")");
            }
        }
    }

    record HostDice(int channels, Tensor runningMean, Tensor runningVar) implements DiceState {
    }

    /** Random parameters on the host: weights ~ U(±1.5/√in), slopes in (0.05, 0.45), running stats random. */
    static AttentionParams params(OpFixture f, AttentionUnit unit) {
        int layers = unit.layers();
        int[] h = unit.hidden();
        Tensor[] w = new Tensor[layers + 1];
        Tensor[] b = new Tensor[layers + 1];
        Tensor[] al = unit.activation().hasAlpha() ? new Tensor[layers] : null;
        DiceState[] dice = unit.activation() == Activation.DICE ? new DiceState[layers] : null;
        for (int l = 0; l <= layers; l++) {
            int in = l == layers ? h[layers - 1] : unit.inputWidth(l);
            int out = l == layers ? 1 : h[l];
            w[l] = f.random(1.5 / Math.sqrt(in), out, in);
            b[l] = f.random(0.3, out);
            if (l < layers && al != null) {
                al[l] = f.arena.f32(out);
                for (int i = 0; i < out; i++) {
                    al[l].setFloat(i, 0.05f + 0.4f * f.rnd.nextFloat());
                }
            }
            if (l < layers && dice != null) {
                Tensor var = f.arena.f32(out);
                for (int i = 0; i < out; i++) {
                    var.setFloat(i, 0.5f + f.rnd.nextFloat());
                }
                dice[l] = new HostDice(out, f.random(0.5, out), var);
            }
        }
        return new AttentionParams(w, b, al, dice);
    }

    static AttentionParams map(AttentionParams p, UnaryOperator<Tensor> fn, boolean withDice) {
        Tensor[] w = Arrays.stream(p.weights()).map(fn).toArray(Tensor[]::new);
        Tensor[] b = Arrays.stream(p.biases()).map(fn).toArray(Tensor[]::new);
        Tensor[] al = p.alphas() == null ? null : Arrays.stream(p.alphas()).map(fn).toArray(Tensor[]::new);
        DiceState[] d = null;
        if (withDice && p.dice() != null) {
            d = Arrays.stream(p.dice()).map(s -> new HostDice(s.channels(), fn.apply(s.runningMean()),
                    fn.apply(s.runningVar()))).toArray(DiceState[]::new);
        }
        return new AttentionParams(w, b, al, d);
    }

    /** Dev.lengths, with at least two valid rows in small batches (Dice statistics of one row are degenerate). */
    private static Tensor lengths(OpFixture f, int b, int t) {
        Tensor len = Dev.lengths(f, b, t);
        if (b > 1 && t > 1) {
            len.setInt(b - 1, t);
        }
        return len;
    }

    @ParameterizedTest
    @MethodSource("io.din4j.backend.cuda.Dev#names")
    void attentionMatchesTheReferenceForEveryActivation(String name) {
        CudaBackend c = Dev.backend(name);
        long seed = 7000;
        for (Activation act : Activation.values()) {
            for (int[] cs : CASES) {
                AttentionUnit unit = new AttentionUnit(cs[0], Arrays.copyOfRange(cs, 3, cs.length), act);
                compare(c, unit, cs[1], cs[2], seed++);
            }
        }
    }

    static void compare(CudaBackend c, AttentionUnit unit, int b, int t, long seed) {
        int dd = unit.width();
        String label = unit + " B=" + b + " T=" + t + ": ";
        try (OpFixture f = new OpFixture(seed); TensorArena d = c.newArena()) {
            UnaryOperator<Tensor> upper = x -> up(c, d, x);
            Tensor q = f.random(1, b, dd), keys = f.random(1, b, t, dd), len = lengths(f, b, t);
            AttentionParams pRef = params(f, unit);
            AttentionParams pDev = map(pRef, upper, true);
            Tensor dq = upper.apply(q), dk = upper.apply(keys), dl = upper.apply(len);
            AttentionWorkspace wsRef = REF.attention().newWorkspace(unit, f.arena, b + 3, t + 2);
            AttentionWorkspace ws = c.attention().newWorkspace(unit, d, b + 3, t + 2);
            Tensor sRef = f.random(9, b, t);
            Tensor s = upper.apply(f.random(9, b, t));

            REF.attention().forward(unit, pRef, q, keys, len, wsRef, sRef, false);
            c.attention().forward(unit, pDev, dq, dk, dl, ws, s, false);
            assertScaled(label + "inference scores (fused kernel)", sRef, down(c, f.arena, s));

            REF.attention().forward(unit, pRef, q, keys, len, wsRef, sRef, true);
            c.attention().forward(unit, pDev, dq, dk, dl, ws, s, true);
            assertScaled(label + "training scores", sRef, down(c, f.arena, s));
            if (pRef.dice() != null) {
                for (int l = 0; l < unit.layers(); l++) {
                    OpFixture.assertClose(label + "running mean " + l, pRef.dice()[l].runningMean(),
                            down(c, f.arena, pDev.dice()[l].runningMean()), 1e-6, 1e-5);
                    OpFixture.assertClose(label + "running var " + l, pRef.dice()[l].runningVar(),
                            down(c, f.arena, pDev.dice()[l].runningVar()), 1e-6, 1e-5);
                }
            }

            Tensor dS = f.random(1, b, t);
            AttentionParams gRef = map(pRef, x -> f.random(0.1, x.shape()), false);
            AttentionParams gDev = map(gRef, upper, false);
            Tensor gq = f.random(0.1, b, dd), gk = f.random(0.1, b, t, dd);
            Tensor dgq = upper.apply(gq), dgk = upper.apply(gk);
            REF.attention().backward(unit, pRef, q, keys, len, wsRef, dS, gq, gk, gRef);
            c.attention().backward(unit, pDev, dq, dk, dl, ws, upper.apply(dS), dgq, dgk, gDev);
            assertScaled(label + "dq", gq, down(c, f.arena, dgq));
            assertScaled(label + "dKeys", gk, down(c, f.arena, dgk));
            for (int l = 0; l <= unit.layers(); l++) {
                assertScaled(label + "dW" + l, gRef.weights()[l], down(c, f.arena, gDev.weights()[l]));
                assertScaled(label + "db" + l, gRef.biases()[l], down(c, f.arena, gDev.biases()[l]));
                if (l < unit.layers() && gRef.alphas() != null) {
                    assertScaled(label + "dAlpha" + l, gRef.alphas()[l], down(c, f.arena, gDev.alphas()[l]));
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("io.din4j.backend.cuda.Dev#names")
    void fusedGatherAttentionPoolingMatchesTheOpsItReplaces(String name) {
        CudaBackend c = Dev.backend(name);
        long seed = 9000;
        for (Activation act : Activation.values()) {
            for (int[] cs : new int[][] {{16, 5, 9, 80, 40}, {3, 1, 1, 5}, {32, 6, 40, 36}}) {
                AttentionUnit unit = new AttentionUnit(cs[0], Arrays.copyOfRange(cs, 3, cs.length), act);
                int dd = cs[0], b = cs[1], t = cs[2], v = 37;
                try (OpFixture f = new OpFixture(seed++); TensorArena d = c.newArena()) {
                    Tensor table = f.random(1, v, dd), q = f.random(1, b, dd), len = lengths(f, b, t);
                    Tensor ids = f.arena.i32(b, t);
                    for (long i = 0; i < ids.size(); i++) {
                        ids.setInt(i, f.rnd.nextInt(v));
                    }
                    AttentionParams pRef = params(f, unit);
                    Tensor keys = f.arena.f32(b, t, dd), sRef = f.arena.f32(b, t), pooledRef = f.arena.f32(b, dd);
                    REF.embedding().gatherSequence(table, ids, len, keys);
                    AttentionWorkspace wsRef = REF.attention().newWorkspace(unit, f.arena, b, t);
                    REF.attention().forward(unit, pRef, q, keys, len, wsRef, sRef, false);
                    REF.pooling().weightedSum(sRef, keys, len, pooledRef);

                    AttentionWorkspace ws = c.attention().newWorkspace(unit, d, b, t);
                    Tensor s = d.f32(b, t), pooled = d.f32(b, dd);
                    c.attentionPoolFused(unit, map(pRef, x -> up(c, d, x), true), up(c, d, q), up(c, d, table),
                            up(c, d, ids), up(c, d, len), ws, s, pooled);
                    String label = unit + " B=" + b + " T=" + t + ": fused ";
                    assertScaled(label + "scores", sRef, down(c, f.arena, s));
                    assertScaled(label + "pooled", pooledRef, down(c, f.arena, pooled));
                }
            }
        }
    }
}
