package io.din4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class SeqKernelsTest {
    /** The blocked GEMM against a triple loop, over row counts 1..9 and column counts 1..6 vectors. */
    @Test
    void gemmMatchesNaiveProduct() {
        Random r = new Random(3);
        int l = SeqKernels.L;
        for (int rows = 1; rows <= 9; rows++) {
            for (int nv = 1; nv <= 6; nv++) {
                for (boolean acc : new boolean[] {false, true}) {
                    int k = 1 + r.nextInt(20);
                    int n = nv * l;
                    int as = k + 3, bs = n + l, cs = n + 2 * l;
                    float[] a = rnd(r, rows * as), b = rnd(r, k * bs), bias = rnd(r, n), c = rnd(r, rows * cs);
                    float[] expect = c.clone();
                    for (int i = 0; i < rows; i++) {
                        for (int j = 0; j < n; j++) {
                            double s = acc ? c[i * cs + j] : bias[j];
                            for (int kk = 0; kk < k; kk++) {
                                s += (double) a[i * as + kk] * b[kk * bs + j];
                            }
                            expect[i * cs + j] = (float) s;
                        }
                    }
                    float[] c0 = c.clone();
                    SeqKernels.gemm(a, 0, as, rows, k, b, 0, bs, n, bias, c, 0, cs, acc);
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
