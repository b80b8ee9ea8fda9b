package io.din4j.backend.cpu;

import static io.din4j.backend.OpFixture.assertBadArgument;
import static io.din4j.backend.OpFixture.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.din4j.backend.Backend;
import io.din4j.backend.DiceState;
import io.din4j.backend.OpFixture;
import io.din4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** cpu activations against the reference over row and channel counts that hit the vector tails. */
class CpuActivationOpsTest extends CpuOpsTestBase {
    private static final int[] ROWS = {1, 2, 17, 100};

    @Test
    void elementwiseMatchReference() {
        long seed = 0;
        for (int c : OpFixture.SIZES) {
            for (int n : ROWS) {
                try (OpFixture f = new OpFixture(seed++)) {
                    String s = " n=" + n + " c=" + c;
                    // Inputs in [-12, 12) reach both saturated ends of the sigmoid.
                    Tensor x = f.random(12, n, c);
                    Tensor alpha = f.random(0.5, c);
                    Tensor dy = f.random(1, n, c);
                    Tensor yr = f.arena.f32(n, c), y = f.arena.f32(n, c);
                    // The element-wise results are one or two f32 roundings from the double reference; the
                    // sigmoid adds the ~2e-7 relative error of CpuMath.exp.
                    REF.activation().relu(x, yr);
                    cpu.activation().relu(x, y);
                    assertClose("relu" + s, yr, y, 0, 0);
                    REF.activation().sigmoid(x, yr);
                    cpu.activation().sigmoid(x, y);
                    assertClose("sigmoid" + s, yr, y, 1e-9, 1e-6);
                    REF.activation().prelu(x, alpha, yr);
                    cpu.activation().prelu(x, alpha, y);
                    assertClose("prelu" + s, yr, y, 0, 1e-7);

                    Tensor d0 = f.random(1, n, c);
                    Tensor dr = f.copy(d0), d = f.copy(d0);
                    REF.activation().reluBackward(x, dy, dr);
                    cpu.activation().reluBackward(x, dy, d);
                    assertClose("reluBackward" + s, dr, d, 1e-7, 1e-6);
                    Tensor sy = f.arena.f32(n, c);
                    REF.activation().sigmoid(x, sy);
                    dr = f.copy(d0);
                    d = f.copy(d0);
                    REF.activation().sigmoidBackward(sy, dy, dr);
                    cpu.activation().sigmoidBackward(sy, dy, d);
                    assertClose("sigmoidBackward" + s, dr, d, 1e-7, 1e-6);
                    dr = f.copy(d0);
                    d = f.copy(d0);
                    Tensor a0 = f.random(1, c);
                    Tensor dar = f.copy(a0), da = f.copy(a0);
                    REF.activation().preluBackward(x, alpha, dy, dr, dar);
                    cpu.activation().preluBackward(x, alpha, dy, d, da);
                    assertClose("preluBackward dx" + s, dr, d, 1e-7, 1e-6);
                    // dα sums n products of magnitude ≤ 12 in f32.
                    assertClose("preluBackward dAlpha" + s, dar, da, 1e-5 * n, 1e-5);
                }
            }
        }
    }

    /**
     * Inference Dice on x far out in both directions (±1e38, ±1e30, ±200 against running statistics of 0 and 1)
     * beside ordinary values: the reference's σ saturates to 1 and 0, and the cpu's base-2 gates, whose exponent is
     * clamped (to keep p normal), must give the same y. (At x = ±∞ the reference's p·x + (1 − p)·α·x is NaN.)
     */
    @Test
    void diceSaturatesFarOutAsTheReference() {
        int c = 19;
        int n = 3;
        try (OpFixture f = new OpFixture(77)) {
            Tensor x = f.random(2, n, c);
            float[] extremes = {1e38f, -1e38f, 1e30f, -1e30f, 200f, -200f};
            for (int j = 0; j < c; j++) {
                x.setFloat(j, extremes[j % extremes.length]);
            }
            Tensor alpha = f.random(0.5, c);
            for (int j = 0; j < c; j++) {
                alpha.setFloat(j, 0.1f + Math.abs(alpha.getFloat(j)));
            }
            DiceState sr = REF.activation().newDiceState(f.arena, c);
            DiceState sc = cpu.activation().newDiceState(f.arena, c);
            Tensor yr = f.arena.f32(n, c), y = f.arena.f32(n, c);
            REF.activation().dice(x, alpha, sr, false, yr);
            cpu.activation().dice(x, alpha, sc, false, y);
            for (long i = 0; i < y.size(); i++) {
                float want = yr.getFloat(i), got = y.getFloat(i);
                assertEquals(want, got, 1e-6 + 1e-5 * Math.abs(want), "dice of x = " + x.getFloat(i) + " at " + i);
            }
        }
    }

    @Test
    void diceMatchesReferenceInTrainingAndInference() {
        long seed = 100;
        for (int c : OpFixture.SIZES) {
            for (int n : ROWS) {
                try (OpFixture f = new OpFixture(seed++)) {
                    String s = " n=" + n + " c=" + c;
                    Tensor x = f.random(3, n, c);
                    for (long i = 0; i < x.size(); i++) {
                        x.set(i, x.get(i) + (i % c) * 0.1); // a different mean per channel
                    }
                    if (n == 2) {
                        // Two nearly equal rows make x − μ an f32 cancellation (a condition problem, not an
                        // error of the op): keep them at least 0.5 apart.
                        for (int j = 0; j < c; j++) {
                            x.set(c + j, x.get(j) + (x.get(c + j) >= x.get(j) ? 0.5 : -0.5) + 0.5 * (x.get(c + j) - x.get(j)));
                        }
                    }
                    Tensor alpha = f.random(0.5, c);
                    DiceState sr = REF.activation().newDiceState(f.arena, c);
                    DiceState sc = cpu.activation().newDiceState(f.arena, c);
                    assertEquals(1f, sc.runningVar().getFloat(c - 1));
                    Tensor yr = f.arena.f32(n, c), y = f.arena.f32(n, c);
                    REF.activation().dice(x, alpha, sr, true, yr);
                    cpu.activation().dice(x, alpha, sc, true, y);
                    // f32 batch statistics over n rows and the 2e-7 exp; p is bounded, so |y| ≲ |x|.
                    assertClose("dice train" + s, yr, y, 2e-5, 1e-4);
                    assertClose("running mean" + s, sr.runningMean(), sc.runningMean(), 1e-6, 1e-5);
                    assertClose("running var" + s, sr.runningVar(), sc.runningVar(), 1e-6, 1e-5);

                    Tensor dy = f.random(1, n, c);
                    Tensor d0 = f.random(1, n, c);
                    Tensor dr = f.copy(d0), d = f.copy(d0);
                    Tensor a0 = f.random(1, c);
                    Tensor dar = f.copy(a0), da = f.copy(a0);
                    REF.activation().diceBackward(x, alpha, sr, dy, dr, dar);
                    cpu.activation().diceBackward(x, alpha, sc, dy, d, da);
                    // The batch-statistics terms are sums over n rows divided by σ; for n = 2 σ can be small.
                    assertClose("dice dx" + s, dr, d, 1e-4, 1e-3);
                    assertClose("dice dAlpha" + s, dar, da, 1e-5 * n, 1e-4);

                    REF.activation().dice(x, alpha, sr, false, yr);
                    cpu.activation().dice(x, alpha, sc, false, y);
                    assertClose("dice inference" + s, yr, y, 2e-5, 1e-4);
                }
            }
        }
    }

    @Test
    void sigmoidIsFiniteAtTheExtremes() {
        try (OpFixture f = new OpFixture(9)) {
            Tensor x = f.arena.f32(6).copyFrom(new float[] {1e4f, -1e4f, 88.8f, -88.8f, 0f, -1e-30f});
            Tensor y = f.arena.f32(6);
            Tensor yr = f.arena.f32(6);
            cpu.activation().sigmoid(x, y);
            REF.activation().sigmoid(x, yr);
            assertClose("sigmoid extremes", yr, y, 1e-30, 1e-6);
        }
    }

    @Test
    void badInputsNameTheArgument() {
        for (Backend b : new Backend[] {cpu, REF}) {
            try (OpFixture f = new OpFixture(5)) {
                Tensor x = f.random(1, 4, 8);
                assertBadArgument("y", () -> b.activation().relu(x, f.arena.f32(4, 7)));
                assertBadArgument("dx", () -> b.activation().sigmoidBackward(x, x, f.arena.f32(8, 4)));
                assertBadArgument("alpha", () -> b.activation().prelu(x, f.arena.f32(7), f.arena.f32(4, 8)));
                DiceState st = b.activation().newDiceState(f.arena, 8);
                assertBadArgument("state", () -> b.activation().dice(x, f.arena.f32(8), b.activation().newDiceState(f.arena, 7), true, f.arena.f32(4, 8)));
                assertBadArgument("state", () -> b.activation().diceBackward(x, f.arena.f32(8), st, x, f.arena.f32(4, 8), f.arena.f32(8)));
                assertBadArgument("dAlpha", () -> b.activation().preluBackward(x, f.arena.f32(8), x, f.arena.f32(4, 8), f.arena.f32(4)));
            }
        }
    }
}
