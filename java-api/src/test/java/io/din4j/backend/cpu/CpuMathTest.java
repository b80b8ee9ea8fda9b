package io.din4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import java.util.function.UnaryOperator;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * Accuracy of the polynomial exp, the overflow-free sigmoid and Dice's base-2 logistic against {@link Math#exp} in
 * double.
 */
class CpuMathTest {
    private static final int L = CpuMath.S.length();

    private static float[] apply(float[] x, boolean sigmoid) {
        return apply(x, sigmoid ? CpuMath::sigmoid : CpuMath::exp);
    }

    /** {@code f} over {@code x}, a vector at a time, the last one zero-padded. */
    private static float[] apply(float[] x, UnaryOperator<FloatVector> f) {
        float[] out = new float[x.length];
        float[] buf = new float[L];
        for (int i = 0; i < x.length; i += L) {
            int n = Math.min(L, x.length - i);
            java.util.Arrays.fill(buf, 0f);
            System.arraycopy(x, i, buf, 0, n);
            f.apply(FloatVector.fromArray(CpuMath.S, buf, 0)).intoArray(buf, 0);
            System.arraycopy(buf, 0, out, i, n);
        }
        return out;
    }

    @Test
    void expIsAccurateOverTheNormalRange() {
        int n = 200_001;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = -87f + 175f * i / (n - 1);
        }
        float[] y = apply(x, false);
        double worst = 0;
        for (int i = 0; i < n; i++) {
            double ref = Math.exp(x[i]);
            double rel = Math.abs(y[i] - ref) / ref;
            worst = Math.max(worst, rel);
            // 4e-7 is ~3.5 ulp: the degree-7 polynomial (truncation 5e-9) and f32 range reduction.
            if (rel > 4e-7) {
                fail("exp(" + x[i] + "): reference " + ref + ", got " + y[i] + " (relative " + rel + ")");
            }
        }
        assertTrue(worst > 0, "compared something");
    }

    @Test
    void expHandlesTheEdges() {
        float[] x = {-1e4f, -88f, 89f, 1e4f, Float.NaN, 0f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};
        float[] y = apply(x, false);
        assertEquals(0f, y[0]);
        assertEquals(0f, y[1]);
        assertEquals(Float.POSITIVE_INFINITY, y[2]);
        assertEquals(Float.POSITIVE_INFINITY, y[3]);
        assertTrue(Float.isNaN(y[4]));
        assertEquals(1f, y[5]);
        assertEquals(0f, y[6]);
        assertEquals(Float.POSITIVE_INFINITY, y[7]);
    }

    @Test
    void sigmoidIsAccurateAndNeverOverflows() {
        int n = 100_001;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = -1e4f + 2e4f * i / (n - 1);
        }
        x[n / 2] = 0f;
        float[] y = apply(x, true);
        for (int i = 0; i < n; i++) {
            double e = Math.exp(-Math.abs((double) x[i]));
            double ref = x[i] >= 0 ? 1 / (1 + e) : e / (1 + e);
            // relative 5e-7 where σ is a normal float; below Float.MIN_NORMAL it may flush to 0.
            if (!(Math.abs(y[i] - ref) <= Float.MIN_NORMAL + 5e-7 * ref) || Float.isNaN(y[i])) {
                fail("sigmoid(" + x[i] + "): reference " + ref + ", got " + y[i]);
            }
        }
    }

    @Test
    void reciprocalOnePlusExp2IsAccurateAndSaturates() {
        int n = 280_001;
        float[] u = new float[n + 5];
        for (int i = 0; i < n; i++) {
            u[i] = -140f + 280f * i / (n - 1);
        }
        // the clamps' edges, zero, and what the magic-number rounding meets halfway between integers
        float[] edges = {126f, -126f, 0f, 0.5f, -2.5f};
        System.arraycopy(edges, 0, u, n, edges.length);
        float[] out = apply(u, SeqKernels::reciprocalOnePlusExp2);
        for (int i = 0; i < u.length; i++) {
            double ref = 1 / (1 + Math.pow(2, u[i]));
            // relative 4e-7 while the result is a normal float; past u = 126 it stays at 1/(1 + 2^126)
            if (!(Math.abs(out[i] - ref) <= Float.MIN_NORMAL + 4e-7 * ref) || Float.isNaN(out[i])) {
                fail("1/(1 + 2^" + u[i] + "): reference " + ref + ", got " + out[i]);
            }
        }
        assertTrue(Float.isNaN(apply(new float[] {Float.NaN}, SeqKernels::reciprocalOnePlusExp2)[0]), "NaN in, NaN out");
    }

    @Test
    void reciprocalOnePlusExp2SaturatesAtEveryMagnitude() {
        // Past the exponent clamp the rounded u leaves the magic number's exact range (|u| ≥ 2²²), so f = u − n is
        // no longer within ½: every binade up to the largest float, both signs, and the numbers next to the clamp.
        Random random = new Random(7);
        float[] u = new float[4 * 2_000 + 8 + 6 * 108];
        int i = 0;
        for (int k = 20; k < 128; k++) {
            // next to powers of two the rounding leaves the largest f (up to 2²⁴)
            float m = Math.scalb(1f, k);
            u[i++] = m;
            u[i++] = -m;
            u[i++] = Math.nextDown(m);
            u[i++] = -Math.nextDown(m);
            u[i++] = Math.nextUp(m);
            u[i++] = -Math.nextUp(m);
        }
        for (int e = 0; e < 2_000; e++) {
            float m = (float) Math.pow(2, 7 + random.nextDouble() * 121);
            float near = Math.nextUp(m);
            u[i++] = m;
            u[i++] = -m;
            u[i++] = Math.round(near);
            u[i++] = -Math.round(near) - 0.5f;
        }
        float[] edges = {Float.MAX_VALUE, -Float.MAX_VALUE, 127f, -127f, 127.5f, -126.5f, 0x1p22f, -0x1p22f};
        System.arraycopy(edges, 0, u, i, edges.length);
        float[] out = apply(u, SeqKernels::reciprocalOnePlusExp2);
        for (int k = 0; k < u.length; k++) {
            double ref = 1 / (1 + Math.pow(2, u[k]));
            // P(f)·2¹²⁷ with f = −1 or −2 leaves up to 2⁻¹²⁴ where the exact value is 0
            if (!(Math.abs(out[k] - ref) <= 4 * Float.MIN_NORMAL + 4e-7 * ref)) {
                fail("1/(1 + 2^" + u[k] + "): reference " + ref + ", got " + out[k]);
            }
        }
    }
}
