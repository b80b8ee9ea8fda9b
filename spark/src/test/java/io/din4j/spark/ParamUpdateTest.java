package io.din4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ParamUpdateTest {
    private static final int[] WIDTH = {0, 3};

    /**
     * Dense tensors become the sample-weighted mean of the replicas; an embedding row becomes the mean of the
     * replicas that changed it, and rows no replica changed keep their value. Checked against the averages computed
     * directly in double, for both merge orders. Tolerance 1e-6·(1 + |x|): the update goes through one float
     * rounding of each delta and of the result.
     */
    @Test
    void averagesDenseBySamplesAndRowsOverTheWorkersThatTouchedThem() {
        SplittableRandom r = new SplittableRandom(1);
        float[][] global = {random(r, 7), random(r, 6 * 3)};
        float[][] a = copy(global);
        float[][] b = copy(global);
        float[][] c = copy(global);
        perturb(r, a[0], 0, 7);
        perturb(r, b[0], 0, 7);
        perturb(r, c[0], 0, 7);
        perturb(r, a[1], 1 * 3, 3 * 3); // rows 1, 2
        perturb(r, b[1], 2 * 3, 3 * 3); // row 2
        perturb(r, c[1], 2 * 3, 4 * 3); // rows 2, 3
        perturb(r, c[1], 5 * 3, 6 * 3); // row 5
        long[] n = {64, 64, 20};
        ParamUpdate ua = ParamUpdate.of(global, a, WIDTH, n[0], 1, 0.5);
        ParamUpdate ub = ParamUpdate.of(global, b, WIDTH, n[1], 1, 0.25);
        ParamUpdate uc = ParamUpdate.of(global, c, WIDTH, n[2], 1, 0.25);
        assertArrayEquals(new int[] {1, 2}, ua.rows[1]);
        for (ParamUpdate sum : new ParamUpdate[] {ParamUpdate.merge(ParamUpdate.merge(ua, ub), uc),
                ParamUpdate.merge(uc, ParamUpdate.merge(ub, ua))}) {
            assertEquals(148, sum.samples);
            assertEquals(ua.bytes() + ub.bytes() + uc.bytes(), sum.sentBytes);
            assertEquals(1.0, sum.lossSum, 1e-12);
            assertArrayEquals(new int[] {1, 2, 3, 5}, sum.rows[1]);
            assertArrayEquals(new int[] {1, 3, 1, 1}, sum.votes[1]);
            float[][] out = copy(global);
            assertEquals(4, sum.applyTo(out, WIDTH));
            for (int i = 0; i < 7; i++) {
                double want = (n[0] * (double) a[0][i] + n[1] * (double) b[0][i] + n[2] * (double) c[0][i]) / 148;
                close(want, out[0][i], "dense[" + i + "]");
            }
            for (int row = 0; row < 6; row++) {
                for (int k = 0; k < 3; k++) {
                    int i = row * 3 + k;
                    double want = switch (row) {
                        case 1 -> a[1][i];
                        case 2 -> ((double) a[1][i] + b[1][i] + c[1][i]) / 3;
                        case 3, 5 -> c[1][i];
                        default -> global[1][i];
                    };
                    close(want, out[1][i], "embedding row " + row + " column " + k);
                }
            }
        }
    }

    private static void close(double want, float got, String where) {
        assertEquals(want, got, 1e-6 * (1 + Math.abs(want)), where + ": expected " + want + ", got " + got);
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    private static void perturb(SplittableRandom r, float[] x, int from, int to) {
        for (int i = from; i < to; i++) {
            x[i] += (float) (0.1 + r.nextDouble());
        }
    }

    private static float[][] copy(float[][] x) {
        float[][] y = new float[x.length][];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i].clone();
        }
        return y;
    }
}
