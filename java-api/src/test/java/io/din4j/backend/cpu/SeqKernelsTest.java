package io.din4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class SeqKernelsTest {
    /**
     * The polynomial exp against Math.exp over its whole range: a degree-6 minimax on |r| ≤ ln2/2 is good to a
     * few ulp (measured ≤ 2.5e-7 relative); 5e-7 leaves room and still catches a wrong coefficient or scaling.
     */
    @Test
    void polynomialExpAndSigmoidAreAccurate() {
        int l = SeqKernels.L;
        float[] x = new float[l];
        float[] y = new float[l];
        Random r = new Random(1);
        double worstExp = 0;
        double worstSig = 0;
        for (int it = 0; it < 20000; it++) {
            for (int i = 0; i < l; i++) {
                x[i] = it < 14 ? new float[] {0f, -0f, -1e-30f, -87f, -87.3f, -87.5f, -87.9f, -88f, -100f, -1e4f, -Float.MIN_VALUE, -0.3465736f, -0.3465737f, Float.NEGATIVE_INFINITY}[it]
                        : (float) (-r.nextDouble() * (it % 2 == 0 ? 87 : 2));
            }
            SeqKernels.expNonPositive(FloatVector.fromArray(SeqKernels.S, x, 0)).intoArray(y, 0);
            for (int i = 0; i < l; i++) {
                double e = Math.exp(x[i]);
                if (x[i] >= -87.3f) {
                    worstExp = Math.max(worstExp, Math.abs(y[i] - e) / e);
                    assertTrue(y[i] > 0, "exp(" + x[i] + ") = " + y[i]);
                } else {
                    // Below the normal floats: 0 or a value within one smallest normal of e^x, never garbage.
                    assertTrue(y[i] >= 0 && Math.abs(y[i] - e) <= Float.MIN_NORMAL, "exp(" + x[i] + ") = " + y[i]);
                }
            }
            for (int i = 0; i < l; i++) {
                x[i] = it < 4 ? new float[] {1e4f, -1e4f, 0f, 88.8f}[it] : (float) ((2 * r.nextDouble() - 1) * 30);
            }
            SeqKernels.sigmoid(FloatVector.fromArray(SeqKernels.S, x, 0)).intoArray(y, 0);
            for (int i = 0; i < l; i++) {
                double s = 1 / (1 + Math.exp(-(double) x[i]));
                if (s > 1e-37) {
                    worstSig = Math.max(worstSig, Math.abs(y[i] - s) / s);
                } else {
                    assertTrue(y[i] <= 1e-37, "sigmoid(" + x[i] + ") = " + y[i]);
                }
                assertTrue(y[i] >= 0 && y[i] <= 1, "sigmoid(" + x[i] + ") = " + y[i]);
            }
        }
        assertTrue(worstExp < 5e-7, "exp relative error " + worstExp);
        assertTrue(worstSig < 5e-7, "sigmoid relative error " + worstSig);
    }

    /**
     * Every path of the blocked GEMM sums each element's k in order from the same start, so B given row-major, as
     * panels beside its row-major copy, or as panels alone (where the rows left over after the 6-row tiles run per
     * tile column, two 2-vector columns at a time, or as the last 6-row tile again) gives the same bits: a folded
     * operand scores a position as the unfolded one does. Row counts 1..21 cover every leftover of 6- and 4-row
     * tiles, 1..11 vectors every tile plan.
     */
    @Test
    void gemmGivesTheSameBitsForEveryLayoutOfB() {
        Random r = new Random(5);
        int l = SeqKernels.L;
        for (int rows = 1; rows <= 21; rows++) {
            for (int nv = 1; nv <= 11; nv++) {
                for (boolean acc : new boolean[] {false, true}) {
                    int k = 1 + r.nextInt(40);
                    int n = nv * l;
                    int as = k + 1, bs = n + l, cs = n + l;
                    float[] a = rnd(r, rows * as), b = rnd(r, k * bs), c = rnd(r, rows * cs);
                    float[] bias = r.nextBoolean() ? rnd(r, n) : null;
                    float[] paneled = new float[k * n];
                    SeqKernels.panelize(b, 0, bs, k, n, paneled);
                    float[][] out = new float[3][];
                    for (int layout = 0; layout < 3; layout++) {
                        out[layout] = c.clone();
                        SeqKernels.gemm(a, 0, as, rows, k, layout == 2 ? paneled : b, 0, bs, n, bias, out[layout], 0, cs, acc,
                                new float[SeqKernels.panelFloats(k)], layout == 0 ? null : paneled);
                    }
                    String at = "rows=" + rows + " vectors=" + nv + " k=" + k + " acc=" + acc;
                    assertArrayEquals(out[0], out[1], "panels beside the row-major B, " + at);
                    assertArrayEquals(out[0], out[2], "panels alone, " + at);
                }
            }
        }
    }

    /**
     * The blocked GEMM against a triple loop, over row counts 1..21 (8-, 6- and 4-row tiles with every tail; 16
     * and 20 rows: gemmTN's 6-row tiles with 4-row ones after them) and column counts 1..11 vectors (every tile
     * plan: 11 = 4+4+3 with the wide tiles, 2+2+2+2+3 on 32 registers, 2+2+2+2+2+1 on 16). B is either dense
     * (stride n: a one-tile plan reads it in place) or wider than the product (every tile column goes through the
     * panel), and given as it is, already laid out as panels beside its row-major copy (the attention unit's
     * weights, {@code SeqKernels.panelize}), or as panels alone (the folded first layer's per-sample operand).
     */
    @Test
    void gemmMatchesNaiveProduct() {
        Random r = new Random(3);
        int l = SeqKernels.L;
        for (int rows = 1; rows <= 21; rows++) {
            for (int nv = 1; nv <= 11; nv++) {
                for (boolean acc : new boolean[] {false, true}) {
                    int k = 1 + r.nextInt(20);
                    int n = nv * l;
                    int as = k + 3, bs = r.nextBoolean() ? n : n + l, cs = n + 2 * l;
                    float[] a = rnd(r, rows * as), b = rnd(r, k * bs), c = rnd(r, rows * cs);
                    // without accumulating, C starts from the bias or, with none, from zero (the tiles' stride-0 row)
                    float[] bias = rows % 2 == 0 ? rnd(r, n) : null;
                    float[] expect = c.clone();
                    for (int i = 0; i < rows; i++) {
                        for (int j = 0; j < n; j++) {
                            double s = acc ? c[i * cs + j] : bias == null ? 0 : bias[j];
                            for (int kk = 0; kk < k; kk++) {
                                s += (double) a[i * as + kk] * b[kk * bs + j];
                            }
                            expect[i * cs + j] = (float) s;
                        }
                    }
                    float[] c0 = c.clone();
                    float[] paneled = null;
                    float[] given = b;
                    int layout = r.nextInt(3);
                    if (layout > 0) {
                        paneled = new float[k * n];
                        SeqKernels.panelize(b, 0, bs, k, n, paneled);
                        // 1: the weight's row-major copy beside its panels; 2: the panels alone (a folded operand)
                        given = layout == 1 ? b : paneled;
                    }
                    SeqKernels.gemm(a, 0, as, rows, k, given, 0, bs, n, bias, c, 0, cs, acc, new float[SeqKernels.panelFloats(k)], paneled);
                    for (int i = 0; i < c.length; i++) {
                        assertEquals(expect[i], c[i], 1e-5f * (1 + Math.abs(expect[i])),
                                "rows=" + rows + " vectors=" + nv + " acc=" + acc + " at " + i);
                    }
                    if (acc) {
                        // The same product with A stored transposed (element (r, k) at k·ats + r).
                        int ats = rows + 2;
                        float[] at = new float[k * ats];
                        for (int i = 0; i < rows; i++) {
                            for (int kk = 0; kk < k; kk++) {
                                at[kk * ats + i] = a[i * as + kk];
                            }
                        }
                        SeqKernels.gemmTN(at, 0, ats, rows, k, b, 0, bs, n, c0, 0, cs);
                        for (int i = 0; i < c.length; i++) {
                            assertEquals(expect[i], c0[i], 1e-5f * (1 + Math.abs(expect[i])),
                                    "transposed: rows=" + rows + " vectors=" + nv + " at " + i);
                        }
                    }
                }
            }
        }
    }

    private static float[] rnd(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (2 * r.nextDouble() - 1);
        }
        return x;
    }
}
