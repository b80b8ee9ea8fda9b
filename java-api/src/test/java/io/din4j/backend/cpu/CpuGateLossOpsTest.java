package io.din4j.backend.cpu;

import static io.din4j.backend.OpFixture.assertBadArgument;
import static io.din4j.backend.OpFixture.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.din4j.backend.Backend;
import io.din4j.backend.OpFixture;
import io.din4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** cpu gates and loss against the reference. */
class CpuGateLossOpsTest extends CpuOpsTestBase {

    @Test
    void softmaxMixMatchesReference() {
        int[][] selections = {{0}, {2, 0}, {1, 3, 4, 0}, {5, 5, 2}};
        long seed = 0;
        for (int h : OpFixture.SIZES) {
            // 130 rows: two whole blocks of rows whose softmax is computed together, and a partial one
            for (int b : new int[] {1, 9, 130}) {
                for (int[] sel : selections) {
                    try (OpFixture f = new OpFixture(seed++)) {
                        int e = sel.length;
                        int eTot = 6;
                        String s = " b=" + b + " h=" + h + " E=" + e;
                        Tensor logits = f.random(4, b, e);
                        Tensor experts = f.random(1, b, eTot, h);
                        Tensor pr = f.arena.f32(b, e), p = f.arena.f32(b, e);
                        Tensor or = f.arena.f32(b, h), o = f.random(3, b, h);
                        REF.gate().softmaxMix(logits, experts, sel, pr, or);
                        cpu.gate().softmaxMix(logits, experts, sel, p, o);
                        // probabilities rounded once to f32; out is an E-term f32 sum of values ≤ 1.
                        assertClose("probs" + s, pr, p, 1e-7, 1e-6);
                        assertClose("out" + s, or, o, 1e-6, 1e-5);

                        Tensor dOut = f.random(1, b, h);
                        Tensor dl0 = f.random(1, b, e), dx0 = f.random(1, b, eTot, h);
                        Tensor dlr = f.copy(dl0), dl = f.copy(dl0), dxr = f.copy(dx0), dx = f.copy(dx0);
                        REF.gate().softmaxMixBackward(pr, experts, sel, dOut, dlr, dxr);
                        cpu.gate().softmaxMixBackward(pr, experts, sel, dOut, dl, dx);
                        // dLogits holds H-term f32 dot products.
                        assertClose("dLogits" + s, dlr, dl, 1e-6 * h, 1e-5);
                        assertClose("dExperts" + s, dxr, dx, 1e-6, 1e-6);
                    }
                }
            }
        }
    }

    @Test
    void softmaxMixesEqualEachGateAlone() {
        // a level's gates in one call (PLE's: two task gates over 4 of 6 experts and the shared gate over all 6), and
        // odd sets: every gate's probabilities and output equal, bit for bit, those of its own softmaxMix
        int[][][] levels = {{{0, 1, 4, 5}, {2, 3, 4, 5}, {0, 1, 2, 3, 4, 5}}, {{3}}, {{5, 5, 2}, {1}}};
        long seed = 40;
        for (Backend be : new Backend[] {cpu, REF}) {
            for (int h : new int[] {1, 7, 16, 33, 128, 257}) {
                for (int b : new int[] {1, 9, 130}) {
                    for (int[][] sels : levels) {
                        try (OpFixture f = new OpFixture(seed++)) {
                            Tensor experts = f.random(1, b, 6, h);
                            List<Tensor> logits = new ArrayList<>(), probs = new ArrayList<>(),
                                    outs = new ArrayList<>();
                            for (int[] sel : sels) {
                                logits.add(f.random(4, b, sel.length));
                                probs.add(f.arena.f32(b, sel.length));
                                outs.add(f.random(3, b, h));
                            }
                            be.gate().softmaxMixes(logits, experts, Arrays.asList(sels), probs, outs);
                            for (int g = 0; g < sels.length; g++) {
                                String s = be.name() + " gate " + g + " b=" + b + " h=" + h + " E=" + sels[g].length;
                                Tensor p = f.arena.f32(b, sels[g].length), o = f.arena.f32(b, h);
                                be.gate().softmaxMix(logits.get(g), experts, sels[g], p, o);
                                assertArrayEquals(p.toFloatArray(), probs.get(g).toFloatArray(),
                                        "probs" + s);
                                assertArrayEquals(o.toFloatArray(), outs.get(g).toFloatArray(),
                                        "out" + s);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void softmaxMixesRejectBadGatesBeforeWriting() {
        for (Backend be : new Backend[] {cpu, REF}) {
            try (OpFixture f = new OpFixture(2)) {
                Tensor experts = f.random(1, 2, 4, 5);
                List<Tensor> logits = List.of(f.random(1, 2, 2), f.random(1, 2, 3));
                List<Tensor> probs = List.of(f.arena.f32(2, 2), f.arena.f32(2, 3));
                List<Tensor> outs = List.of(f.arena.f32(2, 5), f.arena.f32(2, 5));
                assertBadArgument("gates", () -> be.gate().softmaxMixes(logits, experts, List.of(new int[] {0, 1}), probs,
                        outs));
                // the second gate's selection is out of range: the first gate's output stays unwritten
                assertBadArgument("selected", () -> be.gate().softmaxMixes(logits, experts,
                        List.of(new int[] {0, 1}, new int[] {0, 1, 4}), probs, outs));
                assertBadArgument("outs[1]", () -> be.gate().softmaxMixes(logits, experts,
                        List.of(new int[] {0, 1}, new int[] {0, 1, 2}), probs, List.of(outs.get(0),
                                f.arena.f32(2, 4))));
                assertEquals(0f, outs.get(0).getFloat(0), be.name() + ": nothing written before the checks");
            }
        }
    }

    @Test
    void tinyGateProbabilitiesAreZero() {
        // GateOps.PROBABILITY_MIN (2⁻⁶⁴ ≈ 5.4e-20): with logits 80 and 41 below the row's largest, e^−80 ≈ 1.8e-35
        // is stored and mixed as 0 and e^−41 ≈ 1.6e-18 is kept, on both backends; the mix then equals the kept terms.
        float[] rowLogits = {80f, 0f, 39f};
        for (Backend be : new Backend[] {cpu, REF}) {
            try (OpFixture f = new OpFixture(5)) {
                int h = 3;
                Tensor logits = f.arena.f32(1, 3).copyFrom(rowLogits);
                Tensor experts = f.random(1, 1, 3, h);
                Tensor p = f.arena.f32(1, 3), o = f.arena.f32(1, h);
                be.gate().softmaxMix(logits, experts, new int[] {0, 1, 2}, p, o);
                assertEquals(0f, p.getFloat(1), be.name() + ": a probability of 1.8e-35 must be stored as 0");
                assertClose(be.name() + " p[2]", Math.exp(-41), p.getFloat(2), 0, 1e-5);
                for (int k = 0; k < h; k++) {
                    double expected = p.getFloat(0) * experts.getFloat(k) + p.getFloat(2) * experts.getFloat(2 * h + k);
                    assertClose(be.name() + " out[" + k + "]", expected, o.getFloat(k), 0, 1e-6);
                }
            }
        }
    }

    @Test
    void gateRejectsBadSelections() {
        for (Backend be : new Backend[] {cpu, REF}) {
            try (OpFixture f = new OpFixture(1)) {
                Tensor logits = f.random(1, 2, 3);
                Tensor experts = f.random(1, 2, 4, 5);
                Tensor probs = f.arena.f32(2, 3);
                Tensor out = f.arena.f32(2, 5);
                assertBadArgument("selected", () -> be.gate().softmaxMix(logits, experts, new int[] {0, 4, 1}, probs, out));
                assertBadArgument("selected", () -> be.gate().softmaxMix(logits, experts, new int[] {0, -1, 1}, probs, out));
                assertBadArgument("selected", () -> be.gate().softmaxMix(logits, experts, new int[] {0, 1}, probs, out));
                assertBadArgument("experts", () -> be.gate().softmaxMix(logits, f.arena.f32(3, 4, 5), new int[] {0, 1, 2}, probs, out));
                assertBadArgument("out", () -> be.gate().softmaxMix(logits, experts, new int[] {0, 1, 2}, probs, f.arena.f32(2, 4)));
                assertBadArgument("dExperts", () -> be.gate().softmaxMixBackward(probs, experts, new int[] {0, 1, 2}, out,
                        f.arena.f32(2, 3), f.arena.f32(2, 3, 5)));
                assertEquals(0f, out.getFloat(0), "nothing written before the check");
            }
        }
    }

    @Test
    void bceMatchesReference() {
        long seed = 10;
        for (int b : OpFixture.SIZES) {
            for (int mode = 0; mode < 3; mode++) {
                try (OpFixture f = new OpFixture(seed++)) {
                    Tensor z = f.random(8, b);
                    Tensor y = f.arena.f32(b);
                    Tensor w = mode == 0 ? null : f.arena.f32(b);
                    for (int i = 0; i < b; i++) {
                        y.setFloat(i, f.rnd.nextBoolean() ? 1 : 0);
                        if (w != null) {
                            // mode 1: a 0/1 mask, mode 2: positive weights
                            w.setFloat(i, mode == 1 ? (i % 3 == 0 ? 0 : 1) : (float) (0.1 + f.rnd.nextDouble()));
                        }
                    }
                    Tensor d0 = f.random(1, b);
                    Tensor dr = f.copy(d0), d = f.copy(d0);
                    double lr = REF.loss().bceWithLogits(z, y, w, 0.7f, dr);
                    double l = cpu.loss().bceWithLogits(z, y, w, 0.7f, d);
                    String s = " b=" + b + " mode=" + mode;
                    // f32 sums of b terms ≤ 9 and the 2e-7 error of exp/log1p.
                    assertClose("loss" + s, lr, l, 1e-6, 1e-5);
                    assertClose("dLogits" + s, dr, d, 1e-7, 1e-5);
                }
            }
        }
    }

    @Test
    void bceIsFiniteForHugeLogitsAndEmptyMasks() {
        for (Backend be : new Backend[] {cpu, REF}) {
            try (OpFixture f = new OpFixture(2)) {
                Tensor z = f.arena.f32(4).copyFrom(new float[] {1e4f, -1e4f, 1e4f, -1e4f});
                Tensor y = f.arena.f32(4).copyFrom(new float[] {1, 0, 0, 1});
                Tensor d = f.arena.f32(4);
                double l = be.loss().bceWithLogits(z, y, null, 1f, d);
                // Two confident right answers (loss 0) and two confident wrong ones (loss 1e4 each).
                assertClose(be.name() + " loss", 2e4 / 4, l, 0, 1e-6);
                Tensor expected = f.arena.f32(4).copyFrom(new float[] {0, 0, 0.25f, -0.25f});
                assertClose(be.name() + " dLogits", expected, d, 1e-7, 0);
                Tensor zero = f.arena.f32(4);
                Tensor d2 = f.arena.f32(4);
                assertEquals(0.0, be.loss().bceWithLogits(z, y, zero, 1f, d2));
                assertClose(be.name() + " no gradient under an empty mask", zero, d2, 0, 0);
                Tensor neg = f.arena.f32(4).copyFrom(new float[] {1, -1, 1, 1});
                assertBadArgument("weights", () -> be.loss().bceWithLogits(z, y, neg, 1f, d2));
                assertBadArgument("labels", () -> be.loss().bceWithLogits(z, f.arena.f32(3), null, 1f, d2));
                assertTrue(Double.isFinite(be.loss().bceWithLogits(z, y, null, 1f, null)));
            }
        }
    }

    @Test
    void saturatedNegativeRowsGiveNoGradient() {
        // Residuals σ(z) − y on both sides of LossOps.RESIDUAL_MIN (2⁻⁶⁴ ≈ 5.4e-20, σ(−44.36)): negative rows at
        // z = −80, −50 and −45 (σ ≈ 1.8e-35, 1.9e-22, 2.9e-20) add nothing; at −44 and −40 (7.8e-20, 4.2e-18) and at
        // −20 they add k·σ, as a confidently wrong row at z = 40 adds k. Every residual is far enough from the bound
        // that the cpu's f32 σ and the reference's f64 one fall on the same side of it.
        float[] logits = {-80f, -50f, -45f, -44f, -40f, -20f, 40f};
        float[] labels = {0, 0, 0, 0, 0, 0, 0};
        int b = logits.length;
        for (Backend be : new Backend[] {cpu, REF}) {
            try (OpFixture f = new OpFixture(3)) {
                Tensor z = f.arena.f32(b).copyFrom(logits);
                Tensor y = f.arena.f32(b).copyFrom(labels);
                Tensor d = f.arena.f32(b);
                be.loss().bceWithLogits(z, y, null, 2f, d);
                for (int i = 0; i < b; i++) {
                    double r = 1 / (1 + Math.exp(-logits[i])) - labels[i];
                    double expected = Math.abs(r) < 0x1p-64 ? 0 : 2.0 * r / b;
                    float got = d.getFloat(i);
                    String at = be.name() + " z=" + logits[i] + " y=" + labels[i];
                    if (expected == 0) {
                        assertEquals(0f, got, at + ": a residual below 2^-64 must add no gradient");
                    } else {
                        assertClose(at, expected, got, 0, 1e-5);
                    }
                }
            }
        }
    }
}
