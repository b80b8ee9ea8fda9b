package io.din4j.backend.cuda;

import static io.din4j.backend.OpFixture.assertBadArgument;
import static io.din4j.backend.OpFixture.assertClose;
import static io.din4j.backend.cuda.Dev.down;
import static io.din4j.backend.cuda.Dev.up;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.din4j.backend.Backend;
import io.din4j.backend.DiceState;
import io.din4j.backend.OpFixture;
import io.din4j.backend.reference.ReferenceBackend;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Activations (Dice with its batch statistics), gates and the BCE loss of the cuda backend against the reference. */
class CudaActivationGateLossOpsTest {
    private static final Backend REF = new ReferenceBackend();
    /** {N, C}: one row (Dice variance 0), tails around 16 and 32, many rows (multi-chunk reductions). */
    private static final int[][] SHAPES = {{1, 1}, {1, 5}, {7, 17}, {33, 16}, {100, 31}, {5000, 3}};

    @ParameterizedTest
    @MethodSource("io.din4j.backend.cuda.Dev#names")
    void activationsMatchTheReference(String name) {
        CudaBackend c = Dev.backend(name);
        long seed = 200;
        for (int[] s : SHAPES) {
            int n = s[0], ch = s[1];
            try (OpFixture f = new OpFixture(seed++); TensorArena d = c.newArena()) {
                String what = " N=" + n + " C=" + ch;
                Tensor x = f.random(3, n, ch), dy = f.random(1, n, ch);
                Tensor alpha = f.random(0.5, ch);
                Tensor dx = up(c, d, x), ddy = up(c, d, dy), dAlpha = up(c, d, alpha);
                // element-wise ops: a few ulp of f32 exp against double
                Tensor yRef = f.arena.f32(n, ch), y = d.f32(n, ch);
                REF.activation().relu(x, yRef);
                c.activation().relu(dx, y);
                assertClose("relu" + what, yRef, down(c, f.arena, y), 0, 0);
                REF.activation().sigmoid(x, yRef);
                c.activation().sigmoid(dx, y);
                assertClose("sigmoid" + what, yRef, down(c, f.arena, y), 1e-7, 1e-6);
                Tensor g = f.random(1, n, ch);
                Tensor dg = up(c, d, g);
                REF.activation().sigmoidBackward(yRef, dy, g);
                c.activation().sigmoidBackward(y, ddy, dg);
                assertClose("sigmoid backward" + what, g, down(c, f.arena, dg), 1e-6, 1e-5);
                REF.activation().reluBackward(x, dy, g);
                c.activation().reluBackward(dx, ddy, dg);
                assertClose("relu backward" + what, g, down(c, f.arena, dg), 1e-6, 1e-5);
                REF.activation().prelu(x, alpha, yRef);
                c.activation().prelu(dx, dAlpha, y);
                assertClose("prelu" + what, yRef, down(c, f.arena, y), 1e-7, 1e-6);
                Tensor ga = f.random(1, ch);
                Tensor dga = up(c, d, ga);
                REF.activation().preluBackward(x, alpha, dy, g, ga);
                c.activation().preluBackward(dx, dAlpha, ddy, dg, dga);
                assertClose("prelu dx" + what, g, down(c, f.arena, dg), 1e-6, 1e-5);
                assertClose("prelu dAlpha" + what, ga, down(c, f.arena, dga), 1e-5 * Math.sqrt(n), 1e-5);

                // Dice: inference, training (batch statistics, running update), backward through the statistics.
                DiceState sRef = REF.activation().newDiceState(f.arena, ch);
                DiceState sDev = c.activation().newDiceState(d, ch);
                REF.activation().dice(x, alpha, sRef, false, yRef);
                c.activation().dice(dx, dAlpha, sDev, false, y);
                assertClose("dice inference" + what, yRef, down(c, f.arena, y), 1e-6, 1e-5);
                REF.activation().dice(x, alpha, sRef, true, yRef);
                c.activation().dice(dx, dAlpha, sDev, true, y);
                assertClose("dice training" + what, yRef, down(c, f.arena, y), 1e-5, 1e-4);
                assertClose("dice running mean" + what, sRef.runningMean(), down(c, f.arena, sDev.runningMean()), 1e-6, 1e-5);
                assertClose("dice running var" + what, sRef.runningVar(), down(c, f.arena, sDev.runningVar()), 1e-6, 1e-5);
                // Dice divides by the batch deviation: one row has variance 0 and divides by sqrt(ε) = 1e-4, which
                // amplifies f32 rounding of the statistics; the absolute part scales with the rows summed.
                REF.activation().diceBackward(x, alpha, sRef, dy, g, ga);
                c.activation().diceBackward(dx, dAlpha, sDev, ddy, dg, dga);
                assertClose("dice dx" + what, g, down(c, f.arena, dg), 2e-4, 2e-4);
                assertClose("dice dAlpha" + what, ga, down(c, f.arena, dga), 1e-5 * Math.sqrt(n), 1e-4);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("io.din4j.backend.cuda.Dev#names")
    void gateMixMatchesTheReference(String name) {
        CudaBackend c = Dev.backend(name);
        int[][] cases = {{1, 1, 1, 1}, {5, 3, 4, 17}, {33, 2, 5, 64}, {7, 4, 4, 129}};  // {B, E, Etot, H}
        long seed = 300;
        for (int[] s : cases) {
            int b = s[0], e = s[1], etot = s[2], h = s[3];
            try (OpFixture f = new OpFixture(seed++); TensorArena d = c.newArena()) {
                String what = " B=" + b + " E=" + e + " Etot=" + etot + " H=" + h;
                int[] sel = new int[e];
                for (int i = 0; i < e; i++) {
                    sel[i] = (i * 3 + 1) % etot;
                }
                Tensor logits = f.random(3, b, e), experts = f.random(1, b, etot, h), dOut = f.random(1, b, h);
                Tensor dl = up(c, d, logits), dex = up(c, d, experts);
                Tensor pRef = f.arena.f32(b, e), oRef = f.arena.f32(b, h), p = d.f32(b, e), o = d.f32(b, h);
                REF.gate().softmaxMix(logits, experts, sel, pRef, oRef);
                c.gate().softmaxMix(dl, dex, sel, p, o);
                assertClose("probs" + what, pRef, down(c, f.arena, p), 1e-7, 1e-5);
                assertClose("mix" + what, oRef, down(c, f.arena, o), 1e-6, 1e-5);
                Tensor gl = f.random(1, b, e), ge = f.random(1, b, etot, h);
                Tensor dgl = up(c, d, gl), dge = up(c, d, ge);
                REF.gate().softmaxMixBackward(pRef, experts, sel, dOut, gl, ge);
                c.gate().softmaxMixBackward(p, dex, sel, up(c, d, dOut), dgl, dge);
                assertClose("dLogits" + what, gl, down(c, f.arena, dgl), 1e-6 * (h + 1), 1e-5);
                assertClose("dExperts" + what, ge, down(c, f.arena, dge), 1e-6, 1e-5);
                int[] bad = sel.clone();
                bad[0] = etot;
                assertBadArgument("selected[0]", () -> c.gate().softmaxMix(dl, dex, bad, p, o));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("io.din4j.backend.cuda.Dev#names")
    void bceMatchesTheReference(String name) {
        CudaBackend c = Dev.backend(name);
        long seed = 400;
        for (int b : new int[] {1, 17, 1000, 5003}) {
            for (boolean weighted : new boolean[] {false, true}) {
                try (OpFixture f = new OpFixture(seed++); TensorArena d = c.newArena()) {
                    Tensor z = f.random(8, b), y = f.arena.f32(b), w = weighted ? f.arena.f32(b) : null;
                    for (int i = 0; i < b; i++) {
                        y.setFloat(i, f.rnd.nextBoolean() ? 1 : 0);
                        if (w != null) {
                            w.setFloat(i, f.rnd.nextInt(3) == 0 ? 0 : f.rnd.nextFloat());
                        }
                    }
                    if (b > 1) {
                        z.setFloat(0, 1e4f);  // stability at extreme logits
                        z.setFloat(1, -1e4f);
                    }
                    Tensor g = f.random(1, b);
                    Tensor dg = up(c, d, g);
                    double lRef = REF.loss().bceWithLogits(z, y, w, 0.7f, g);
                    double l = c.loss().bceWithLogits(up(c, d, z), up(c, d, y), up(c, d, w), 0.7f, dg);
                    // the device sums in double too: only f32 inputs' per-element log/exp rounding differs
                    assertClose("loss B=" + b, lRef, l, 1e-6, 1e-6);
                    assertClose("dLogits B=" + b, g, down(c, f.arena, dg), 1e-7, 1e-5);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("io.din4j.backend.cuda.Dev#names")
    void saturatedNegativeRowsGiveNoGradient(String name) {
        // LossOps.RESIDUAL_MIN on the device: residuals σ(z) − 0 of 1.8e-35, 1.9e-22 and 2.9e-20 add exactly
        // nothing, 7.8e-20 and 4.2e-18 (and a confidently wrong row) add k·σ, as in the reference.
        CudaBackend c = Dev.backend(name);
        float[] logits = {-80f, -50f, -45f, -44f, -40f, -20f, 40f};
        try (OpFixture f = new OpFixture(401); TensorArena d = c.newArena()) {
            Tensor z = f.arena.f32(logits.length).copyFrom(logits);
            Tensor y = f.arena.f32(logits.length);
            Tensor g = f.arena.f32(logits.length);
            Tensor dg = up(c, d, g);
            REF.loss().bceWithLogits(z, y, null, 1f, g);
            c.loss().bceWithLogits(up(c, d, z), up(c, d, y), null, 1f, dg);
            Tensor got = down(c, f.arena, dg);
            for (int i = 0; i < logits.length; i++) {
                float ref = g.getFloat(i);
                String at = name + " z=" + logits[i];
                if (i < 3) {
                    assertEquals(0f, ref, at + ": the reference's gradient");
                    assertEquals(0f, got.getFloat(i), at + ": a residual below 2^-64 adds nothing");
                } else {
                    assertClose(at, ref, got.getFloat(i), 0, 1e-5);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("io.din4j.backend.cuda.Dev#names")
    void tinyGateProbabilitiesAreZero(String name) {
        // GateOps.PROBABILITY_MIN on the device: e^−80 is stored and mixed as 0, e^−41 kept, as in the reference.
        CudaBackend c = Dev.backend(name);
        try (OpFixture f = new OpFixture(402); TensorArena d = c.newArena()) {
            int h = 5;
            Tensor logits = f.arena.f32(1, 3).copyFrom(new float[] {80f, 0f, 39f});
            Tensor experts = f.random(1, 1, 3, h);
            Tensor pr = f.arena.f32(1, 3), or = f.arena.f32(1, h);
            REF.gate().softmaxMix(logits, experts, new int[] {0, 1, 2}, pr, or);
            Tensor dp = d.f32(1, 3), dor = d.f32(1, h);
            c.gate().softmaxMix(up(c, d, logits), up(c, d, experts), new int[] {0, 1, 2}, dp, dor);
            Tensor p = down(c, f.arena, dp);
            assertEquals(0f, pr.getFloat(1), name + ": the reference's probability");
            assertEquals(0f, p.getFloat(1), name + ": a probability of 1.8e-35 must be stored as 0");
            assertClose(name + " probs", pr, p, 0, 1e-5);
            assertClose(name + " out", or, down(c, f.arena, dor), 1e-7, 1e-5);
        }
    }
}
