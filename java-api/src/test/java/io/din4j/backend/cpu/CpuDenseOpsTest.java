package io.din4j.backend.cpu;

import static io.din4j.backend.OpFixture.assertBadArgument;
import static io.din4j.backend.OpFixture.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.din4j.backend.Backend;
import io.din4j.backend.OpFixture;
import io.din4j.backend.reference.ReferenceBackend;
import io.din4j.tensor.DerivedCache;
import io.din4j.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The cpu GEMMs against the reference on shapes that hit every tail of the micro-kernels. */
class CpuDenseOpsTest {
    private static Backend cpu;
    private static Backend cpu3;
    private static final Backend REF = new ReferenceBackend();

    @BeforeAll
    static void start() {
        cpu = new CpuBackend(2);
        cpu3 = new CpuBackend(3);
    }

    @AfterAll
    static void stop() {
        cpu.close();
        cpu3.close();
    }

    /**
     * f32 sums of K products of values in [-1, 1] against the reference's double sums: the rounding error grows at
     * worst like K·2^-24·Σ|a·b| ≤ K²·6e-8; 1e-6·K is far above the typical error (~6e-8·√K·K^½) yet far below the
     * O(1) error of a wrong index or a dropped tail.
     */
    private static double atol(int k) {
        return 1e-6 * (k + 1);
    }

    private static void check(Backend b, int n, int in, int out, boolean withBias, long seed) {
        try (OpFixture f = new OpFixture(seed)) {
            Tensor x = f.random(1, n, in);
            Tensor w = f.random(1, out, in);
            Tensor bias = withBias ? f.random(1, out) : null;
            Tensor yRef = f.arena.f32(n, out);
            Tensor y = f.random(5, n, out); // garbage: forward overwrites
            REF.dense().linear(x, w, bias, yRef);
            b.dense().linear(x, w, bias, y);
            String shape = " n=" + n + " in=" + in + " out=" + out;
            assertClose("y" + shape, yRef, y, atol(in), 1e-5);

            Tensor dy = f.random(1, n, out);
            Tensor dx0 = f.random(1, n, in);
            Tensor dW0 = f.random(1, out, in);
            Tensor db0 = f.random(1, out);
            Tensor dxRef = f.copy(dx0), dx = f.copy(dx0);
            Tensor dWRef = f.copy(dW0), dW = f.copy(dW0);
            Tensor dbRef = f.copy(db0), db = f.copy(db0);
            REF.dense().linearBackward(x, w, dy, dxRef, dWRef, withBias ? dbRef : null);
            b.dense().linearBackward(x, w, dy, dx, dW, withBias ? db : null);
            assertClose("dx" + shape, dxRef, dx, atol(out), 1e-5);
            assertClose("dW" + shape, dWRef, dW, atol(n), 1e-5);
            assertClose("db" + shape, dbRef, db, atol(n), 1e-5);
        }
    }

    /**
     * A row's product is the same bits whatever batch it is in: the first m rows of a 130-row input, multiplied on
     * their own, equal those rows of the whole product, for m that leave a one-row block (4-row blocks: 5, 33, 129)
     * and others, on one and three threads. The predictor relies on it to score a batch in parts; a one-row block at
     * the end of a product once went through the K-phased one-row kernel and differed in the last bit.
     */
    @Test
    void aRowGetsTheSameBitsWhateverRowsAreAroundIt() {
        for (Backend b : new Backend[] {cpu, cpu3}) {
            for (int out : new int[] {Gemm.L, 3 * Gemm.L + 1, 80}) {
                try (OpFixture f = new OpFixture(out)) {
                    int in = 37;
                    Tensor x = f.random(1, 130, in);
                    Tensor w = f.random(1, out, in);
                    Tensor bias = f.random(1, out);
                    Tensor whole = f.arena.f32(130, out);
                    b.dense().linear(x, w, bias, whole);
                    float[] all = whole.toFloatArray();
                    for (int m : new int[] {2, 5, 7, 17, 33, 65, 97, 129}) {
                        Tensor part = f.arena.f32(m, out);
                        b.dense().linear(x.rows(0, m), w, bias, part);
                        float[] got = part.toFloatArray();
                        for (int i = 0; i < got.length; i++) {
                            org.junit.jupiter.api.Assertions.assertEquals(all[i], got[i],
                                    "threads=" + b.threads() + " out=" + out + " m=" + m + " row " + i / out + " col " + i % out);
                        }
                    }
                }
            }
        }
    }

    @Test
    void linearMatchesReferenceOnEveryTail() {
        int[] batches = {1, 7, 33, 4};
        int c = 0;
        for (int in : OpFixture.SIZES) {
            for (int out : OpFixture.SIZES) {
                int n = batches[c % batches.length];
                check(c % 2 == 0 ? cpu : cpu3, n, in, out, c % 3 != 0, 1000 + c);
                c++;
            }
        }
    }

    @Test
    void linearBlocksKAndSplitsRows() {
        // K beyond one K block (Gemm.KC: 128 on AVX-512, 512 on AVX2) in every product, with a partial last block:
        // in = KC + 45 (forward), out = 2·KC + 1 (dx), n = KC + 45 (dW).
        int k = Gemm.KC + 45;
        check(cpu, k, k, 80, true, 7);
        check(cpu3, 130, 257, 2 * Gemm.KC + 1, true, 8);
        check(cpu, 1, k, 257, false, 9);
    }

    /**
     * Products of a few rows and many columns, which the threads split by panels of B ({@link
     * CpuDenseOps#splitsColumns}): the reference within tolerance (check), and the same bits as one thread, with and
     * without the fused ReLU, over one K block and several.
     */
    @Test
    void fewRowsSplitByColumnsGiveTheBitsOfOneThread() {
        try (Backend one = new CpuBackend(1)) {
            int[][] shapes = {{2, 300, 513}, {5, 256, 768}, {7, Gemm.KC + 45, 200}, {13, 128, 256}, {31, 257, 130}, {32, 256, 768}};
            int seed = 40;
            for (int[] sh : shapes) {
                int n = sh[0], in = sh[1], out = sh[2];
                for (Backend b : new Backend[] {cpu, cpu3}) {
                    check(b, n, in, out, seed % 2 == 0, seed);
                    try (OpFixture f = new OpFixture(seed)) {
                        Tensor x = f.random(1, n, in);
                        Tensor w = f.random(1, out, in);
                        Tensor bias = f.random(1, out);
                        for (boolean relu : new boolean[] {false, true}) {
                            Tensor y1 = f.random(5, n, out);
                            Tensor y = f.random(5, n, out);
                            if (relu) {
                                one.dense().linearRelu(x, w, bias, y1);
                                b.dense().linearRelu(x, w, bias, y);
                            } else {
                                one.dense().linear(x, w, bias, y1);
                                b.dense().linear(x, w, bias, y);
                            }
                            for (long i = 0; i < y.size(); i++) {
                                org.junit.jupiter.api.Assertions.assertEquals(Float.floatToRawIntBits(y1.getFloat(i)),
                                        Float.floatToRawIntBits(y.getFloat(i)), "relu=" + relu + " n=" + n + " at " + i);
                            }
                        }
                    }
                    seed++;
                }
            }
        }
    }

    /** The rule: by columns only where the rows cannot give each thread two chunks and the columns can. */
    @Test
    void columnSplitRule() {
        long big = 1L << 20;
        assertTrue(CpuDenseOps.splitsColumns(2, 6, 2, 48, big), "32 rows (6 blocks of 6, chunks of 2), 768 columns");
        assertFalse(CpuDenseOps.splitsColumns(2, 11, 2, 48, big), "64 rows: the row split balances");
        assertFalse(CpuDenseOps.splitsColumns(1, 6, 2, 48, big), "one thread");
        assertFalse(CpuDenseOps.splitsColumns(2, 6, 2, 3, big), "fewer than two panels per thread");
        assertFalse(CpuDenseOps.splitsColumns(2, 1, 2, 48, 1000), "too small to hand off");
    }

    /**
     * The row split's chunks: a multiple of the thread count wherever a chunk size from the one asked for down to two
     * thirds of it makes one (the largest such), else the one asked for.
     */
    @Test
    void rowChunksShareEvenlyBetweenThreads() {
        assertEquals(15, CpuDenseOps.balancedChunk(171, 16, 2), "1,024 rows in 6-row blocks: 12 chunks, not 11");
        assertEquals(16, CpuDenseOps.balancedChunk(256, 16, 2), "16 chunks already split evenly");
        assertEquals(16, CpuDenseOps.balancedChunk(20, 16, 2), "two chunks: one each");
        for (int threads = 1; threads <= 8; threads++) {
            for (int items = 1; items <= 400; items++) {
                for (int chunk = 1; chunk <= 24; chunk++) {
                    int expected = chunk;
                    if ((items + chunk - 1) / chunk > threads) {
                        for (int c = Math.max(1, chunk * 2 / 3); c <= chunk; c++) {
                            if ((items + c - 1) / c % threads == 0) {
                                expected = c;
                            }
                        }
                    }
                    assertEquals(expected, CpuDenseOps.balancedChunk(items, chunk, threads),
                            items + " items, chunk " + chunk + ", " + threads + " threads");
                }
            }
        }
    }

    /** linearRelu against the reference's linear followed by max(·, 0); it must overwrite garbage in y. */
    private static void checkRelu(Backend b, int n, int in, int out, boolean withBias, long seed) {
        try (OpFixture f = new OpFixture(seed)) {
            Tensor x = f.random(1, n, in);
            Tensor w = f.random(1, out, in);
            Tensor bias = withBias ? f.random(1, out) : null;
            Tensor yRef = f.arena.f32(n, out);
            Tensor y = f.random(5, n, out);
            REF.dense().linear(x, w, bias, yRef);
            for (long i = 0; i < yRef.size(); i++) {
                yRef.setFloat(i, Math.max(yRef.getFloat(i), 0f));
            }
            assertTrue(b.dense().linearRelu(x, w, bias, y), "the cpu backend fuses the ReLU");
            assertClose("relu(y) n=" + n + " in=" + in + " out=" + out, yRef, y, atol(in), 1e-5);
        }
    }

    @Test
    void linearReluMatchesTheReferenceOnEveryTailAndKBlock() {
        int[] batches = {1, 7, 33, 4};
        int c = 0;
        for (int in : OpFixture.SIZES) {
            for (int out : OpFixture.SIZES) {
                checkRelu(c % 2 == 0 ? cpu : cpu3, batches[c % batches.length], in, out, c % 3 != 0, 3000 + c);
                c++;
            }
        }
        // the ReLU only after the last of several K blocks (a partial sum may be negative)
        checkRelu(cpu, 130, Gemm.KC + 45, 80, true, 3999);
        checkRelu(cpu3, 301, 2 * Gemm.KC + 1, Gemm.L - 1, false, 3998);
        try (OpFixture f = new OpFixture(3997)) {
            Tensor y = f.random(5, 2, 3);
            Tensor before = f.copy(y);
            assertFalse(REF.dense().linearRelu(f.random(1, 2, 4), f.random(1, 3, 4), null, y), "the reference backend does not fuse");
            assertClose("y untouched", before, y, 0, 0);
        }
    }

    @Test
    void narrowOutputsMatchTheReferenceOverManyRows() {
        // Fewer outputs than lanes go through the dot-product path (CpuDenseOps.narrowLinear) in chunks of row
        // pairs: odd and even batches, K with and without a tail, 1 to L - 1 outputs, on 1 and 3 threads.
        int c = 0;
        for (int out = 1; out < Gemm.L; out++) {
            for (int n : new int[] {2, 301, 1024}) {
                check(c % 2 == 0 ? cpu : cpu3, n, c % 3 == 0 ? 256 : 257, out, c % 2 == 0, 2000 + c);
                c++;
            }
        }
    }

    /**
     * The dot-product path (fewer outputs than lanes) sums in one fixed order, whatever C2 inlined: lane l of each of the L-lane accumulators
     * is a chain of multiply-adds over K's whole vectors, the lanes are added pairwise (as {@link Lanes#sum}), then
     * the K tail one product at a time, then the bias. A scalar model of that order must give the same bits, so a
     * rewrite of the kernel that adds in another order (and so scores a row differently from the last version) fails.
     */
    @Test
    void narrowOutputsSumInAFixedOrder() {
        try (OpFixture f = new OpFixture(31)) {
            for (int[] s : new int[][] {{5, 2 * Gemm.L + 3, Math.min(4, Gemm.L - 1)}, {4, Gemm.L, 1}, {3, 3 * Gemm.L, Gemm.L - 1},
                    {2, Gemm.L - 1, Math.min(2, Gemm.L - 1)}}) {
                int n = s[0], k = s[1], out = s[2];
                Tensor x = f.random(1, n, k);
                Tensor w = f.random(1, out, k);
                Tensor b = f.random(1, out);
                Tensor y = f.arena.f32(n, out);
                cpu.dense().linear(x, w, b, y);
                for (int r = 0; r < n; r++) {
                    for (int o = 0; o < out; o++) {
                        float[] lane = new float[Gemm.L];
                        int kk = 0;
                        for (; kk + Gemm.L <= k; kk += Gemm.L) {
                            for (int l = 0; l < Gemm.L; l++) {
                                lane[l] = Math.fma(x.getFloat((long) r * k + kk + l), w.getFloat((long) o * k + kk + l), lane[l]);
                            }
                        }
                        for (int h = Gemm.L / 2; h > 0; h /= 2) {
                            for (int l = 0; l < h; l++) {
                                lane[l] += lane[l + h];
                            }
                        }
                        float tail = 0;
                        for (; kk < k; kk++) {
                            tail += x.getFloat((long) r * k + kk) * w.getFloat((long) o * k + kk);
                        }
                        float expected = lane[0] + tail + b.getFloat(o);
                        assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(y.getFloat((long) r * out + o)),
                                n + "x" + k + "->" + out + ", row " + r + ", output " + o + ": " + expected + " vs " + y.getFloat((long) r * out + o));
                    }
                }
            }
        }
    }

    /**
     * A model's weights are packed once into their cache; after a collection moves the panels off their cache
     * line, the next call copies them to an aligned place (CpuDenseOps.packWeights). Forward and backward keep
     * their bits through collections between calls.
     */
    @Test
    void panelsMovedByCollectionsGiveTheSameBits() {
        try (OpFixture f = new OpFixture(21)) {
            Tensor x = f.random(1, 20, 70);
            Tensor w = f.random(1, 90, 70).withCache(new DerivedCache());
            Tensor dy = f.random(1, 20, 90);
            Tensor y0 = f.arena.f32(20, 90);
            Tensor dx0 = f.arena.f32(20, 70);
            cpu.dense().linear(x, w, null, y0);
            cpu.dense().linearBackward(x, w, dy, dx0, f.arena.f32(90, 70), null);
            for (int round = 0; round < 20; round++) {
                System.gc();
                Tensor y = f.arena.f32(20, 90);
                Tensor dx = f.arena.f32(20, 70);
                cpu.dense().linear(x, w, null, y);
                cpu.dense().linearBackward(x, w, dy, dx, f.arena.f32(90, 70), null);
                assertClose("y round " + round, y0, y, 0, 0);
                assertClose("dx round " + round, dx0, dx, 0, 0);
            }
            assertEquals(2, w.cache().size(), "forward and backward panels cached");
        }
    }

    @Test
    void weightsChangedBetweenCallsArePackedAgain() {
        // The packed weights are reused while unchanged; a changed W (one element) must be packed again.
        try (OpFixture f = new OpFixture(12)) {
            Tensor x = f.random(1, 3, 40);
            Tensor w = f.random(1, 33, 40);
            Tensor y = f.arena.f32(3, 33);
            Tensor yRef = f.arena.f32(3, 33);
            for (int round = 0; round < 3; round++) {
                cpu.dense().linear(x, w, null, y);
                REF.dense().linear(x, w, null, yRef);
                assertClose("y round " + round, yRef, y, atol(40), 1e-5);
                Tensor dy = f.random(1, 3, 33);
                Tensor dx = f.arena.f32(3, 40);
                Tensor dxRef = f.arena.f32(3, 40);
                cpu.dense().linearBackward(x, w, dy, dx, f.arena.f32(33, 40), null);
                REF.dense().linearBackward(x, w, dy, dxRef, f.arena.f32(33, 40), null);
                assertClose("dx round " + round, dxRef, dx, atol(33), 1e-5);
                w.setFloat(round * 7L, w.getFloat(round * 7L) + 1f);
            }
        }
    }

    @Test
    void nullDxSkipsTheInputGradient() {
        try (OpFixture f = new OpFixture(3)) {
            Tensor x = f.random(1, 5, 17);
            Tensor w = f.random(1, 9, 17);
            Tensor dy = f.random(1, 5, 9);
            Tensor dWRef = f.arena.f32(9, 17);
            Tensor dW = f.arena.f32(9, 17);
            REF.dense().linearBackward(x, w, dy, null, dWRef, null);
            cpu.dense().linearBackward(x, w, dy, null, dW, null);
            assertClose("dW", dWRef, dW, atol(5), 1e-5);
        }
    }

    @Test
    void badShapesNameTheArgument() {
        for (Backend b : new Backend[] {cpu, REF}) {
            try (OpFixture f = new OpFixture(4)) {
                Tensor x = f.random(1, 4, 8);
                Tensor w = f.random(1, 3, 8);
                assertBadArgument("x", () -> b.dense().linear(f.arena.f32(4, 7), w, null, f.arena.f32(4, 3)));
                assertBadArgument("y", () -> b.dense().linear(x, w, null, f.arena.f32(5, 3)));
                assertBadArgument("b", () -> b.dense().linear(x, w, f.arena.f32(4), f.arena.f32(4, 3)));
                assertBadArgument("w", () -> b.dense().linear(x, f.arena.f32(24), null, f.arena.f32(4, 3)));
                assertBadArgument("dW", () -> b.dense().linearBackward(x, w, f.arena.f32(4, 3), null, f.arena.f32(8, 3), null));
                assertBadArgument("dx", () -> b.dense().linearBackward(x, w, f.arena.f32(4, 3), f.arena.f32(4, 3), f.arena.f32(3, 8), null));
                assertBadArgument("dy", () -> b.dense().linearBackward(x, w, f.arena.f32(3, 3), null, f.arena.f32(3, 8), null));
            }
        }
    }
}
