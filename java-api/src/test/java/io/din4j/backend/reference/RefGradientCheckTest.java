package io.din4j.backend.reference;

import static io.din4j.backend.OpFixture.assertClose;

import io.din4j.backend.Backend;
import io.din4j.backend.DiceState;
import io.din4j.backend.OpFixture;
import io.din4j.tensor.DType;
import io.din4j.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every backward of the reference's dense, activation, gate and loss ops against central finite differences of its
 * forward, in f64. The scalar checked is {@code L = Σ c ⊙ out} with a random {@code c}, whose gradient with respect
 * to the output is {@code c}. Gradient outputs start random, so the check also shows that backward adds.
 */
class RefGradientCheckTest {
    private static final Backend REF = new ReferenceBackend(DType.F64);
    private static final double H = 1e-5;
    // Central differences in double: truncation ~H²·|f'''| ≈ 1e-10, rounding ~1e-16/H ≈ 1e-11.
    private static final double ATOL = 1e-7;
    private static final double RTOL = 1e-6;

    @FunctionalInterface
    interface Loss {
        double eval();
    }

    private static double dot(Tensor a, Tensor b) {
        double s = 0;
        for (long i = 0; i < a.size(); i++) {
            s += a.get(i) * b.get(i);
        }
        return s;
    }

    /**
     * Checks {@code analytic − start} (what backward added) against the numerical gradient of {@code loss} with
     * respect to {@code input}.
     */
    private static void check(String what, Loss loss, Tensor input, Tensor start, Tensor analytic, OpFixture f) {
        Tensor numeric = f.arena.f64(input.shape());
        for (long i = 0; i < input.size(); i++) {
            double v = input.get(i);
            input.set(i, v + H);
            double up = loss.eval();
            input.set(i, v - H);
            double down = loss.eval();
            input.set(i, v);
            numeric.set(i, (up - down) / (2 * H));
        }
        Tensor added = f.arena.f64(input.shape());
        for (long i = 0; i < added.size(); i++) {
            added.set(i, analytic.get(i) - start.get(i));
        }
        assertClose(what, numeric, added, ATOL, RTOL);
    }

    /** Random starting gradient buffers: backward must add into them. */
    private static Tensor[] grad(OpFixture f, Tensor like) {
        Tensor start = f.random(DType.F64, 1, like.shape());
        return new Tensor[] {start, f.copy(start)};
    }

    @Test
    void linear() {
        try (OpFixture f = new OpFixture(1)) {
            Tensor x = f.random(DType.F64, 1, 3, 5);
            Tensor w = f.random(DType.F64, 1, 4, 5);
            Tensor b = f.random(DType.F64, 1, 4);
            Tensor y = f.arena.f64(3, 4);
            Tensor c = f.random(DType.F64, 1, 3, 4);
            Loss loss = () -> {
                REF.dense().linear(x, w, b, y);
                return dot(c, y);
            };
            Tensor[] dx = grad(f, x), dW = grad(f, w), db = grad(f, b);
            REF.dense().linearBackward(x, w, c, dx[1], dW[1], db[1]);
            check("linear dx", loss, x, dx[0], dx[1], f);
            check("linear dW", loss, w, dW[0], dW[1], f);
            check("linear db", loss, b, db[0], db[1], f);
        }
    }

    @Test
    void elementwiseActivations() {
        try (OpFixture f = new OpFixture(2)) {
            Tensor x = f.random(DType.F64, 3, 4, 6);
            for (long i = 0; i < x.size(); i++) {
                // keep clear of the kink at 0, where relu and prelu have no derivative
                x.set(i, x.get(i) + (x.get(i) >= 0 ? 0.1 : -0.1));
            }
            Tensor alpha = f.random(DType.F64, 0.5, 6);
            Tensor y = f.arena.f64(4, 6);
            Tensor c = f.random(DType.F64, 1, 4, 6);

            Loss relu = () -> {
                REF.activation().relu(x, y);
                return dot(c, y);
            };
            Tensor[] dx = grad(f, x);
            REF.activation().reluBackward(x, c, dx[1]);
            check("relu dx", relu, x, dx[0], dx[1], f);

            Loss sigmoid = () -> {
                REF.activation().sigmoid(x, y);
                return dot(c, y);
            };
            sigmoid.eval();
            dx = grad(f, x);
            REF.activation().sigmoidBackward(y, c, dx[1]);
            check("sigmoid dx", sigmoid, x, dx[0], dx[1], f);

            Loss prelu = () -> {
                REF.activation().prelu(x, alpha, y);
                return dot(c, y);
            };
            dx = grad(f, x);
            Tensor[] da = grad(f, alpha);
            REF.activation().preluBackward(x, alpha, c, dx[1], da[1]);
            check("prelu dx", prelu, x, dx[0], dx[1], f);
            check("prelu dAlpha", prelu, alpha, da[0], da[1], f);
        }
    }

    @Test
    void diceThroughTheBatchStatistics() {
        for (int n : new int[] {1, 2, 7}) {
            try (OpFixture f = new OpFixture(3 + n)) {
                Tensor x = f.random(DType.F64, 2, n, 5);
                Tensor alpha = f.random(DType.F64, 0.5, 5);
                Tensor y = f.arena.f64(n, 5);
                Tensor c = f.random(DType.F64, 1, n, 5);
                DiceState st = REF.activation().newDiceState(f.arena, 5);
                Loss loss = () -> {
                    REF.activation().dice(x, alpha, st, true, y);
                    return dot(c, y);
                };
                loss.eval();
                Tensor[] dx = grad(f, x), da = grad(f, alpha);
                REF.activation().diceBackward(x, alpha, st, c, dx[1], da[1]);
                check("dice dx n=" + n, loss, x, dx[0], dx[1], f);
                check("dice dAlpha n=" + n, loss, alpha, da[0], da[1], f);
            }
        }
    }

    @Test
    void gateSoftmaxMix() {
        try (OpFixture f = new OpFixture(4)) {
            int[] sel = {4, 1, 2, 1};
            Tensor logits = f.random(DType.F64, 2, 3, 4);
            Tensor experts = f.random(DType.F64, 1, 3, 5, 6);
            Tensor probs = f.arena.f64(3, 4);
            Tensor out = f.arena.f64(3, 6);
            Tensor c = f.random(DType.F64, 1, 3, 6);
            Loss loss = () -> {
                REF.gate().softmaxMix(logits, experts, sel, probs, out);
                return dot(c, out);
            };
            loss.eval();
            Tensor[] dl = grad(f, logits), de = grad(f, experts);
            REF.gate().softmaxMixBackward(probs, experts, sel, c, dl[1], de[1]);
            check("gate dLogits", loss, logits, dl[0], dl[1], f);
            check("gate dExperts", loss, experts, de[0], de[1], f);
        }
    }

    @Test
    void bceWithLogits() {
        try (OpFixture f = new OpFixture(5)) {
            Tensor z = f.random(DType.F64, 4, 9);
            Tensor labels = f.arena.f64(9);
            Tensor weights = f.arena.f64(9);
            for (int i = 0; i < 9; i++) {
                labels.set(i, i % 2);
                weights.set(i, i % 4 == 0 ? 0 : 0.5 + i);
            }
            for (Tensor w : new Tensor[] {null, weights}) {
                float scale = 1.7f;
                Loss loss = () -> scale * REF.loss().bceWithLogits(z, labels, w, 1f, null);
                Tensor[] dz = grad(f, z);
                REF.loss().bceWithLogits(z, labels, w, scale, dz[1]);
                check("bce dLogits " + (w == null ? "unweighted" : "weighted"), loss, z, dz[0], dz[1], f);
            }
        }
    }

    @Test
    void concatSplitAreAdjoint() {
        try (OpFixture f = new OpFixture(6)) {
            Tensor a = f.random(DType.F64, 1, 3, 2);
            Tensor b = f.random(DType.F64, 1, 3, 4);
            Tensor out = f.arena.f64(3, 6);
            Tensor c = f.random(DType.F64, 1, 3, 6);
            Loss loss = () -> {
                REF.tensor().concatColumns(List.of(a, b), out);
                return dot(c, out);
            };
            Tensor[] da = grad(f, a), db = grad(f, b);
            REF.tensor().splitColumnsAdd(c, List.of(da[1], db[1]));
            check("concat da", loss, a, da[0], da[1], f);
            check("concat db", loss, b, db[0], db[1], f);
        }
    }
}
