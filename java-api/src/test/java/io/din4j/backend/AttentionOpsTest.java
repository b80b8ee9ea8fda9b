package io.din4j.backend;

import static io.din4j.backend.SeqTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

import io.din4j.backend.cpu.CpuBackend;
import io.din4j.backend.reference.ReferenceBackend;
import io.din4j.tensor.DType;
import io.din4j.tensor.HostArena;
import io.din4j.tensor.Tensor;
import java.util.Random;
import java.util.function.BiPredicate;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class AttentionOpsTest extends CpuVsReference {
    /** {D, B, T, hidden...}: widths around the lane count, batch 1 and odd batches, one long history. */
    private static final int[][] CASES = {
            {1, 1, 1, 5},
            {3, 2, 4, 17, 3},
            {16, 7, 9, 80, 40},
            {17, 7, 13, 5},
            {32, 64, 20, 17, 3},
            {64, 64, 30, 80, 40},
            {16, 2, 500, 17, 3},
    };

    // Tolerances (cpu f32 against the reference's double on the same f32 inputs): every value is a chain of
    // f32 dot products of length ≤ 4D = 256 and a fast exp of ≤ 2 ulp, i.e. ~1e-6 relative per layer; gradients of
    // parameters are sums over up to B·T = 1000+ rows whose cancellation leaves the error of the largest terms,
    // hence an absolute part relative to the tensor's largest entry. Dice divides by the batch standard
    // deviation, amplifying the f32 error of the statistics: a batch of one row has variance 0 and divides by
    // sqrt(ε) = 1e-4, the worst case here (observed 5e-6 of the scale). Every other case passes at 10× tighter bounds.
    private static final double ATOL = 2e-5;
    private static final double RTOL = 2e-4;

    @ParameterizedTest
    @EnumSource(Activation.class)
    void cpuMatchesReferenceForwardAndBackward(Activation act) {
        long seed = 1234 + act.ordinal();
        for (int[] c : CASES) {
            int[] hidden = java.util.Arrays.copyOfRange(c, 3, c.length);
            compare(cpu, new AttentionUnit(c[0], hidden, act), c[1], c[2], new Random(seed++));
        }
    }

    private static void compare(Backend cpu, AttentionUnit unit, int bN, int tN, Random r) {
        int d = unit.width();
        String label = unit + " B=" + bN + " T=" + tN + ": ";
        try (HostArena a = new HostArena()) {
            Tensor q = uniform(a, DType.F32, r, 1, bN, d);
            Tensor keys = uniform(a, DType.F32, r, 1, bN, tN, d);
            Tensor len = lengths(a, r, bN, tN);
            AttentionParams pRef = params(a, unit, DType.F32, r);
            AttentionParams pCpu = copy(a, pRef, DType.F32);
            Tensor dS = uniform(a, DType.F32, r, 1, bN, tN);

            AttentionWorkspace wsRef = ref.attention().newWorkspace(unit, a, bN + 3, tN + 2);
            AttentionWorkspace wsCpu = cpu.attention().newWorkspace(unit, a, bN + 3, tN + 2);
            Tensor sRef = uniform(a, DType.F32, r, 9, bN, tN);
            Tensor sCpu = uniform(a, DType.F32, r, 9, bN, tN);

            // Inference first (running statistics), then a training step.
            ref.attention().forward(unit, pRef, q, keys, len, wsRef, sRef, false);
            cpu.attention().forward(unit, pCpu, q, keys, len, wsCpu, sCpu, false);
            assertClose(label + "inference scores", sRef, sCpu, ATOL, RTOL);
            checkPooled(cpu, unit, pCpu, q, keys, len, wsCpu, sCpu, label, r);
            checkSharedKeys(cpu, unit, pCpu, q, keys, len, wsCpu, label, r);

            ref.attention().forward(unit, pRef, q, keys, len, wsRef, sRef, true);
            cpu.attention().forward(unit, pCpu, q, keys, len, wsCpu, sCpu, true);
            assertClose(label + "training scores", sRef, sCpu, ATOL, RTOL);
            if (pRef.dice() != null) {
                for (int l = 0; l < unit.layers(); l++) {
                    assertClose(label + "running mean " + l, pRef.dice()[l].runningMean(), pCpu.dice()[l].runningMean(), 1e-6, 1e-5);
                    assertClose(label + "running var " + l, pRef.dice()[l].runningVar(), pCpu.dice()[l].runningVar(), 1e-6, 1e-5);
                }
            }
            for (int b = 0; b < bN; b++) {
                for (int t = len.getInt(b); t < tN; t++) {
                    assertEquals(0f, sCpu.getFloat((long) b * tN + t), label + "padding score");
                }
            }

            Random gr = new Random(r.nextLong());
            AttentionParams gRef = grads(a, pRef, DType.F32, gr);
            AttentionParams gCpu = copy(a, gRef, DType.F32);
            Tensor dqRef = uniform(a, DType.F32, gr, 0.1, bN, d);
            Tensor dqCpu = copy(a, dqRef, DType.F32);
            Tensor dkRef = uniform(a, DType.F32, gr, 0.1, bN, tN, d);
            Tensor dkCpu = copy(a, dkRef, DType.F32);
            ref.attention().backward(unit, pRef, q, keys, len, wsRef, dS, dqRef, dkRef, gRef);
            cpu.attention().backward(unit, pCpu, q, keys, len, wsCpu, dS, dqCpu, dkCpu, gCpu);
            assertClose(label + "dq", dqRef, dqCpu, ATOL, RTOL);
            assertClose(label + "dKeys", dkRef, dkCpu, ATOL, RTOL);
            for (int l = 0; l <= unit.layers(); l++) {
                assertClose(label + "dW" + l, gRef.weights()[l], gCpu.weights()[l], ATOL, RTOL);
                assertClose(label + "db" + l, gRef.biases()[l], gCpu.biases()[l], ATOL, RTOL);
                if (l < unit.layers() && gRef.alphas() != null) {
                    assertClose(label + "dAlpha" + l, gRef.alphas()[l], gCpu.alphas()[l], ATOL, RTOL);
                }
            }
        }
    }

    /**
     * forwardPooled gives the bits of forward followed by the pooling op (the cpu backend fuses them: same
     * arithmetic, same order), writes the same scores, and pools samples without behaviours to 0 over whatever
     * the output held; the reference does not fuse and writes nothing.
     */
    private static void checkPooled(Backend cpu, AttentionUnit unit, AttentionParams p, Tensor q, Tensor keys, Tensor len,
                                    AttentionWorkspace ws, Tensor scores, String label, Random r) {
        int bN = (int) keys.dim(0);
        int tN = (int) keys.dim(1);
        int d = unit.width();
        try (HostArena a = new HostArena()) {
            Tensor expected = a.f32(bN, d);
            cpu.pooling().weightedSum(scores, keys, len, expected);
            Tensor fusedScores = uniform(a, DType.F32, r, 9, bN, tN);
            Tensor pooled = uniform(a, DType.F32, r, 9, bN, d);
            assertTrue(cpu.attention().forwardPooled(unit, p, q, keys, len, ws, fusedScores, pooled), label + "cpu fuses");
            assertSameFloats(label + "fused scores", scores, fusedScores);
            assertSameFloats(label + "pooled", expected, pooled);
            assertReferenceWritesNothing(label + "the reference does not fuse", a, r, unit, bN, tN, (wsRef, out) ->
                    ref.attention().forwardPooled(unit, p, q, keys, len, wsRef, fusedScores, out));
        }
    }

    /**
     * forwardPooledSharedKeys on row 0's keys gives the bits of forwardPooled on those keys copied into every row,
     * for each row's own length (the rows' lengths are reused, so some are shorter than others and some 0); the
     * reference has no such path and writes nothing.
     */
    private static void checkSharedKeys(Backend cpu, AttentionUnit unit, AttentionParams p, Tensor q, Tensor keys, Tensor len,
                                        AttentionWorkspace ws, String label, Random r) {
        int bN = (int) keys.dim(0);
        int tN = (int) keys.dim(1);
        int d = unit.width();
        try (HostArena a = new HostArena()) {
            Tensor one = a.f32(1, tN, d);
            Tensor copied = a.f32(bN, tN, d);
            for (long i = 0; i < (long) tN * d; i++) {
                one.setFloat(i, keys.getFloat(i));
                for (int b = 0; b < bN; b++) {
                    copied.setFloat((long) b * tN * d + i, keys.getFloat(i));
                }
            }
            // Shared first, while the workspace still holds the previous call's (per-row) behaviours.
            assertTrue(cpu.attention().sharesKeys(), label + "cpu shares keys");
            Tensor scores = uniform(a, DType.F32, r, 9, bN, tN);
            Tensor pooled = uniform(a, DType.F32, r, 9, bN, d);
            assertTrue(cpu.attention().forwardPooledSharedKeys(unit, p, q, one, len, ws, scores, pooled), label + "shared keys");
            Tensor expectedScores = uniform(a, DType.F32, r, 9, bN, tN);
            Tensor expectedPooled = uniform(a, DType.F32, r, 9, bN, d);
            assertTrue(cpu.attention().forwardPooled(unit, p, q, copied, len, ws, expectedScores, expectedPooled));
            assertSameFloats(label + "shared-key scores", expectedScores, scores);
            assertSameFloats(label + "shared-key pooled", expectedPooled, pooled);
            assertFalse(ref.attention().sharesKeys(), label + "the reference does not share keys");
            assertReferenceWritesNothing(label + "the reference does not share keys", a, r, unit, bN, tN, (wsRef, out) ->
                    ref.attention().forwardPooledSharedKeys(unit, p, q, one, len, wsRef, scores, out));
            if (bN > 1) {
                // keys with a row per candidate are not shared keys
                OpFixture.assertBadArgument("keys",
                        () -> cpu.attention().forwardPooledSharedKeys(unit, p, q, copied, len, ws, scores, pooled));
            }
        }
    }

    /**
     * The cpu workspace moves its arrays back onto cache lines after a garbage collection (AlignedArrays), copying
     * the forward's saved values on the way: a run with collections before every op gives the bits of one without.
     */
    @ParameterizedTest
    @EnumSource(Activation.class)
    void collectionsBetweenOpsChangeNoBits(Activation act) {
        AttentionUnit unit = new AttentionUnit(16, new int[] {80, 40}, act);
        int bN = 7, tN = 13, d = unit.width();
        Random r = new Random(77 + act.ordinal());
        try (HostArena a = new HostArena()) {
            Tensor q = uniform(a, DType.F32, r, 1, bN, d);
            Tensor keys = uniform(a, DType.F32, r, 1, bN, tN, d);
            Tensor len = lengths(a, r, bN, tN);
            Tensor dS = uniform(a, DType.F32, r, 1, bN, tN);
            AttentionParams p = params(a, unit, DType.F32, r);
            AttentionParams g = grads(a, p, DType.F32, r);
            Tensor[][] runs = new Tensor[2][];
            for (int run = 0; run < 2; run++) {
                boolean collect = run == 1;
                AttentionParams pr = copy(a, p, DType.F32);
                AttentionParams gr = copy(a, g, DType.F32);
                AttentionWorkspace ws = cpu.attention().newWorkspace(unit, a, bN, tN);
                Tensor inference = a.f32(bN, tN);
                Tensor training = a.f32(bN, tN);
                Tensor dq = a.f32(bN, d);
                Tensor dk = a.f32(bN, tN, d);
                collectIf(collect);
                cpu.attention().forward(unit, pr, q, keys, len, ws, inference, false);
                collectIf(collect);
                cpu.attention().forward(unit, pr, q, keys, len, ws, training, true);
                collectIf(collect);
                cpu.attention().backward(unit, pr, q, keys, len, ws, dS, dq, dk, gr);
                java.util.List<Tensor> out = new java.util.ArrayList<>(java.util.List.of(inference, training, dq, dk));
                out.addAll(java.util.List.of(gr.weights()));
                out.addAll(java.util.List.of(gr.biases()));
                runs[run] = out.toArray(new Tensor[0]);
            }
            for (int i = 0; i < runs[0].length; i++) {
                assertSameFloats(unit + " output " + i, runs[0][i], runs[1][i]);
            }
        }
    }

    private static void collectIf(boolean collect) {
        if (collect) {
            for (int i = 0; i < 3; i++) {
                System.gc();
            }
        }
    }

    /** Every float of {@code actual} has the bits of {@code expected}'s. */
    private static void assertSameFloats(String what, Tensor expected, Tensor actual) {
        for (long i = 0; i < expected.size(); i++) {
            assertEquals(expected.getFloat(i), actual.getFloat(i), what + " at " + i);
        }
    }

    /** A reference call into a {@code [bN, d]} output answers false and leaves the output as it was. */
    private static void assertReferenceWritesNothing(String what, HostArena a, Random r, AttentionUnit unit, int bN,
                                                     int tN, BiPredicate<AttentionWorkspace, Tensor> call) {
        int d = unit.width();
        Tensor untouched = uniform(a, DType.F32, r, 9, bN, d);
        Tensor before = copy(a, untouched, DType.F32);
        try (HostArena wa = new HostArena()) {
            assertFalse(call.test(ref.attention().newWorkspace(unit, wa, bN, tN), untouched), what);
        }
        assertClose(what + ": output untouched", before, untouched, 0, 0);
    }

    /**
     * Pre-activations that overflow f32 (keys and candidate of 1e30, every first-layer weight of one sign): the
     * reference computes them in double (1e60) and gets σ = 1 or 0; the cpu's sum is ±∞ in f32, and its sigmoid must
     * saturate the same way rather than give NaN (the base-2 sigmoid clamps its input for this).
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, -1})
    void sigmoidUnitSaturatesOnOverflowingPreActivations(int sign) {
        AttentionUnit unit = new AttentionUnit(19, new int[] {20}, Activation.SIGMOID);
        Random r = new Random(31 + sign);
        int bN = 3, tN = 11;
        try (HostArena a = new HostArena()) {
            Tensor q = a.f32(bN, unit.width());
            Tensor keys = a.f32(bN, tN, unit.width());
            for (long i = 0; i < q.size(); i++) {
                q.setFloat(i, (float) (1e30 * (1 + r.nextDouble())));
            }
            for (long i = 0; i < keys.size(); i++) {
                keys.setFloat(i, (float) (1e30 * (1 + r.nextDouble())));
            }
            Tensor len = lengths(a, r, bN, tN);
            AttentionParams pRef = params(a, unit, DType.F32, r);
            Tensor w0 = pRef.weights()[0];
            for (long i = 0; i < w0.size(); i++) {
                w0.setFloat(i, sign * (0.1f + Math.abs(w0.getFloat(i))));
            }
            AttentionParams pCpu = copy(a, pRef, DType.F32);
            Tensor sRef = a.f32(bN, tN);
            Tensor sCpu = a.f32(bN, tN);
            ref.attention().forward(unit, pRef, q, keys, len, ref.attention().newWorkspace(unit, a, bN, tN), sRef, false);
            cpu.attention().forward(unit, pCpu, q, keys, len, cpu.attention().newWorkspace(unit, a, bN, tN), sCpu, false);
            for (long i = 0; i < sCpu.size(); i++) {
                assertFalse(Float.isNaN(sCpu.getFloat(i)), "score " + i + " is NaN");
            }
            assertClose("saturated sigmoid scores", sRef, sCpu, ATOL, RTOL);
        }
    }

    /** The benchmarks' unfolded diagnostic mode computes the same function. */
    @ParameterizedTest
    @EnumSource(Activation.class)
    void unfoldedDiagnosticModeMatchesReference(Activation act) {
        System.setProperty("din4j.cpu.attention.fold", "false");
        try (Backend unfolded = new CpuBackend(2)) {
            System.clearProperty("din4j.cpu.attention.fold");
            compare(unfolded, new AttentionUnit(17, new int[] {80, 40}, act), 7, 13, new Random(5));
            compare(unfolded, new AttentionUnit(3, new int[] {5}, act), 2, 4, new Random(6));
        } finally {
            System.clearProperty("din4j.cpu.attention.fold");
        }
    }

    /** Central differences in double on the reference backend: every parameter, q and every valid key entry. */
    @ParameterizedTest
    @EnumSource(Activation.class)
    void referenceBackwardMatchesFiniteDifferences(Activation act) {
        Backend f64 = new ReferenceBackend(DType.F64);
        AttentionUnit unit = new AttentionUnit(3, new int[] {5, 4}, act);
        int bN = 3, tN = 4;
        Random r = new Random(99 + act.ordinal());
        try (HostArena a = new HostArena()) {
            Tensor q = uniform(a, DType.F64, r, 1, bN, 3);
            Tensor keys = uniform(a, DType.F64, r, 1, bN, tN, 3);
            Tensor len = a.i32(bN).copyFrom(new int[] {4, 2, 3});
            AttentionParams p = params(a, unit, DType.F64, r);
            Tensor weightsOfLoss = uniform(a, DType.F64, r, 1, bN, tN);
            AttentionWorkspace ws = f64.attention().newWorkspace(unit, a, bN, tN);
            Tensor scores = a.f64(bN, tN);
            DoubleSupplier loss = () -> {
                f64.attention().forward(unit, p, q, keys, len, ws, scores, true);
                double s = 0;
                for (long i = 0; i < scores.size(); i++) {
                    s += scores.get(i) * weightsOfLoss.get(i);
                }
                return s;
            };
            loss.getAsDouble();
            AttentionParams g = grads(a, p, DType.F64, r);
            AttentionParams g0 = copy(a, g, DType.F64);
            Tensor dq = a.f64(bN, 3);
            Tensor dk = a.f64(bN, tN, 3);
            f64.attention().backward(unit, p, q, keys, len, ws, weightsOfLoss, dq, dk, g);
            check("q", q, dq, null, loss);
            check("keys", keys, dk, null, loss);
            for (int l = 0; l <= unit.layers(); l++) {
                check("W" + l, p.weights()[l], g.weights()[l], g0.weights()[l], loss);
                check("b" + l, p.biases()[l], g.biases()[l], g0.biases()[l], loss);
                if (l < unit.layers() && p.alphas() != null) {
                    check("alpha" + l, p.alphas()[l], g.alphas()[l], g0.alphas()[l], loss);
                }
            }
        }
    }

    /**
     * Compares {@code grad − before} with central differences of {@code loss} in {@code x}. In double with step
     * 1e-6 the truncation error is ~1e-12·|f'''| and the rounding error ~1e-16/1e-6 = 1e-10, so 1e-7 absolute plus
     * 1e-6 relative is loose yet would catch any wrong term.
     */
    static void check(String what, Tensor x, Tensor grad, Tensor before, DoubleSupplier loss) {
        double h = 1e-6;
        for (long i = 0; i < x.size(); i++) {
            double v = x.get(i);
            x.set(i, v + h);
            double up = loss.getAsDouble();
            x.set(i, v - h);
            double down = loss.getAsDouble();
            x.set(i, v);
            double numeric = (up - down) / (2 * h);
            double analytic = grad.get(i) - (before == null ? 0 : before.get(i));
            assertTrue(Math.abs(numeric - analytic) <= 1e-7 + 1e-6 * Math.abs(numeric),
                    what + "[" + i + "]: finite difference " + numeric + ", backward " + analytic);
        }
        loss.getAsDouble();
    }

    @Test
    void badInputsAreRejectedBeforeAnythingIsWritten() {
        for (Backend be : new Backend[] {cpu, ref}) {
            AttentionUnit unit = new AttentionUnit(4, new int[] {6}, Activation.DICE);
            Random r = new Random(5);
            try (HostArena a = new HostArena()) {
                AttentionParams p = params(a, unit, DType.F32, r);
                Tensor q = uniform(a, DType.F32, r, 1, 2, 4);
                Tensor keys = uniform(a, DType.F32, r, 1, 2, 3, 4);
                AttentionWorkspace ws = be.attention().newWorkspace(unit, a, 2, 3);
                Tensor scores = uniform(a, DType.F32, r, 1, 2, 3);
                float[] before = scores.toFloatArray();
                float[] meanBefore = p.dice()[0].runningMean().toFloatArray();

                expect(be, "lengths[1] = -1", () -> be.attention().forward(unit, p, q, keys,
                        a.i32(2).copyFrom(new int[] {1, -1}), ws, scores, true));
                expect(be, "lengths[0] = 4", () -> be.attention().forward(unit, p, q, keys,
                        a.i32(2).copyFrom(new int[] {4, 1}), ws, scores, true));
                Tensor len = a.i32(2).copyFrom(new int[] {3, 1});
                expect(be, "q:", () -> be.attention().forward(unit, p, a.f32(2, 5), keys, len, ws, scores, true));
                expect(be, "keys:", () -> be.attention().forward(unit, p, q, a.f32(2, 3), len, ws, scores, true));
                expect(be, "scores:", () -> be.attention().forward(unit, p, q, keys, len, ws, a.f32(2, 4), true));
                expect(be, "lengths:", () -> be.attention().forward(unit, p, q, keys, a.f32(2), ws, scores, true));
                expect(be, "params.weights[0]", () -> be.attention().forward(unit,
                        new AttentionParams(new Tensor[] {a.f32(6, 15), p.weights()[1]}, p.biases(), p.alphas(), p.dice()),
                        q, keys, len, ws, scores, true));
                AttentionWorkspace small = be.attention().newWorkspace(unit, a, 1, 3);
                expect(be, "workspace", () -> be.attention().forward(unit, p, q, keys, len, small, scores, true));
                assertArrayEquals(before, scores.toFloatArray(), be.name() + ": scores written by a rejected call");
                assertArrayEquals(meanBefore, p.dice()[0].runningMean().toFloatArray(), be.name() + ": running mean moved");
            }
        }
    }

    static void expect(Backend be, String fragment, Runnable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run, be.name() + ": " + fragment);
        assertTrue(e.getMessage().contains(fragment), be.name() + ": message '" + e.getMessage() + "' lacks '" + fragment + "'");
    }
}
