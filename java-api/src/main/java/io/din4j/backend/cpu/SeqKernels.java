package io.din4j.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector kernels of the cpu backend's sequence ops (attention, pooling): a register-blocked GEMM on small
 * row-major float[] blocks that live in L1/L2, a polynomial exp/sigmoid, and segment ↔ array moves.
 *
 * <p>Column counts handed to {@link #gemm} are padded to whole vectors (buffers are planned padded with zeros),
 * so the inner loops need no masks.
 */
final class SeqKernels {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private SeqKernels() {
    }

    /** {@code n} rounded up to whole vectors. */
    static int padded(int n) {
        return (n + L - 1) / L * L;
    }

    // ---- exp and sigmoid ----

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5·2²³: adding it rounds to an integer held in the low mantissa bits. */
    private static final float ROUND_MAGIC = 12582912f;
    private static final int MAGIC_BITS = Float.floatToRawIntBits(ROUND_MAGIC);
    /** Below this e^x is subnormal; clamping keeps 2^n a normal float. */
    private static final float EXP_MIN = -87.3f;

    /**
     * e^x for x ≤ 0 (larger x is not needed: sigmoid only asks for e^−|x|). Range reduction x = n·ln2 + r with
     * |r| ≤ ln2/2, a degree-6 minimax polynomial for e^r (Cephes expf coefficients, ≤ 2 ulp), and 2^n built in
     * the exponent bits.
     */
    static FloatVector expNonPositive(FloatVector x) {
        // scalar math: n = round(x·log2 e); r = x − n·ln2; e^x = 2^n·P(r)
        x = x.max(EXP_MIN);
        FloatVector t = x.fma(LOG2E, ROUND_MAGIC);
        FloatVector n = t.sub(ROUND_MAGIC);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector p = r.fma(1.9875691500e-4f, 1.3981999507e-3f);
        p = p.fma(r, FloatVector.broadcast(S, 8.3334519073e-3f));
        p = p.fma(r, FloatVector.broadcast(S, 4.1665795894e-2f));
        p = p.fma(r, FloatVector.broadcast(S, 1.6666665459e-1f));
        p = p.fma(r, FloatVector.broadcast(S, 5.0000001201e-1f));
        p = p.mul(r).fma(r, r).add(1f);
        IntVector bits = t.reinterpretAsInts().sub(MAGIC_BITS - 127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(bits.reinterpretAsFloats());
    }

    /** σ(x) = 1/(1 + e^−x), from e^−|x| so that nothing overflows. */
    static FloatVector sigmoid(FloatVector x) {
        // scalar math: e = exp(−|x|); s = 1/(1+e); σ = x ≥ 0 ? s : e·s
        FloatVector e = expNonPositive(x.abs().neg());
        FloatVector s = FloatVector.broadcast(S, 1f).div(e.add(1f));
        return s.blend(e.mul(s), x.lt(0f));
    }

    /** Scalar twin of {@link #sigmoid} in double, for tails and checks. */
    static float sigmoid(float x) {
        return (float) (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
    }

    // ---- GEMM on padded float[] blocks ----

    /**
     * {@code C[r, 0:n] = init + Σ_{k<K} A[r, k]·B[k, 0:n]} for {@code r < rows}, where {@code init} is
     * {@code C} itself ({@code accumulate}), {@code bias[0:n]}, or 0; {@code n} is a multiple of the lane count.
     * Tiles are 4 rows × up to 4 vectors held in registers while B rows stream from L1.
     */
    static void gemm(float[] a, int aOff, int aStride, int rows, int kN, float[] b, int bOff, int bStride, int n,
                     float[] bias, float[] c, int cOff, int cStride, boolean accumulate) {
        int j = 0;
        for (; j + 4 * L <= n; j += 4 * L) {
            block4(a, aOff, aStride, rows, kN, b, bOff + j, bStride, bias, j, c, cOff + j, cStride, accumulate);
        }
        for (; j + 2 * L <= n; j += 2 * L) {
            block2(a, aOff, aStride, rows, kN, b, bOff + j, bStride, bias, j, c, cOff + j, cStride, accumulate);
        }
        for (; j < n; j += L) {
            block1(a, aOff, aStride, rows, kN, b, bOff + j, bStride, bias, j, c, cOff + j, cStride, accumulate);
        }
    }

    private static FloatVector init(float[] bias, int j, float[] c, int ci, boolean accumulate) {
        if (accumulate) {
            return FloatVector.fromArray(S, c, ci);
        }
        return bias == null ? FloatVector.zero(S) : FloatVector.fromArray(S, bias, j);
    }

    private static void block4(float[] a, int aOff, int as, int rows, int kN, float[] b, int bOff, int bs,
                               float[] bias, int j, float[] c, int cOff, int cs, boolean acc) {
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            int c0 = cOff + r * cs, c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs;
            FloatVector x00 = init(bias, j, c, c0, acc), x01 = init(bias, j + L, c, c0 + L, acc);
            FloatVector x02 = init(bias, j + 2 * L, c, c0 + 2 * L, acc), x03 = init(bias, j + 3 * L, c, c0 + 3 * L, acc);
            FloatVector x10 = init(bias, j, c, c1, acc), x11 = init(bias, j + L, c, c1 + L, acc);
            FloatVector x12 = init(bias, j + 2 * L, c, c1 + 2 * L, acc), x13 = init(bias, j + 3 * L, c, c1 + 3 * L, acc);
            FloatVector x20 = init(bias, j, c, c2, acc), x21 = init(bias, j + L, c, c2 + L, acc);
            FloatVector x22 = init(bias, j + 2 * L, c, c2 + 2 * L, acc), x23 = init(bias, j + 3 * L, c, c2 + 3 * L, acc);
            FloatVector x30 = init(bias, j, c, c3, acc), x31 = init(bias, j + L, c, c3 + L, acc);
            FloatVector x32 = init(bias, j + 2 * L, c, c3 + 2 * L, acc), x33 = init(bias, j + 3 * L, c, c3 + 3 * L, acc);
            int a0 = aOff + r * as, a1 = a0 + as, a2 = a1 + as, a3 = a2 + as;
            for (int k = 0; k < kN; k++) {
                // scalar math: C[r, j] += A[r, k]·B[k, j] for 4 rows × 4 vectors
                int bk = bOff + k * bs;
                FloatVector b0 = FloatVector.fromArray(S, b, bk);
                FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
                FloatVector b2 = FloatVector.fromArray(S, b, bk + 2 * L);
                FloatVector b3 = FloatVector.fromArray(S, b, bk + 3 * L);
                FloatVector v = FloatVector.broadcast(S, a[a0 + k]);
                x00 = v.fma(b0, x00); x01 = v.fma(b1, x01); x02 = v.fma(b2, x02); x03 = v.fma(b3, x03);
                v = FloatVector.broadcast(S, a[a1 + k]);
                x10 = v.fma(b0, x10); x11 = v.fma(b1, x11); x12 = v.fma(b2, x12); x13 = v.fma(b3, x13);
                v = FloatVector.broadcast(S, a[a2 + k]);
                x20 = v.fma(b0, x20); x21 = v.fma(b1, x21); x22 = v.fma(b2, x22); x23 = v.fma(b3, x23);
                v = FloatVector.broadcast(S, a[a3 + k]);
                x30 = v.fma(b0, x30); x31 = v.fma(b1, x31); x32 = v.fma(b2, x32); x33 = v.fma(b3, x33);
            }
            x00.intoArray(c, c0); x01.intoArray(c, c0 + L); x02.intoArray(c, c0 + 2 * L); x03.intoArray(c, c0 + 3 * L);
            x10.intoArray(c, c1); x11.intoArray(c, c1 + L); x12.intoArray(c, c1 + 2 * L); x13.intoArray(c, c1 + 3 * L);
            x20.intoArray(c, c2); x21.intoArray(c, c2 + L); x22.intoArray(c, c2 + 2 * L); x23.intoArray(c, c2 + 3 * L);
            x30.intoArray(c, c3); x31.intoArray(c, c3 + L); x32.intoArray(c, c3 + 2 * L); x33.intoArray(c, c3 + 3 * L);
        }
        for (; r < rows; r++) {
            rowTail(a, aOff + r * as, kN, b, bOff, bs, 4, bias, j, c, cOff + r * cs, acc);
        }
    }

    private static void block2(float[] a, int aOff, int as, int rows, int kN, float[] b, int bOff, int bs,
                               float[] bias, int j, float[] c, int cOff, int cs, boolean acc) {
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            int c0 = cOff + r * cs, c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs;
            FloatVector x00 = init(bias, j, c, c0, acc), x01 = init(bias, j + L, c, c0 + L, acc);
            FloatVector x10 = init(bias, j, c, c1, acc), x11 = init(bias, j + L, c, c1 + L, acc);
            FloatVector x20 = init(bias, j, c, c2, acc), x21 = init(bias, j + L, c, c2 + L, acc);
            FloatVector x30 = init(bias, j, c, c3, acc), x31 = init(bias, j + L, c, c3 + L, acc);
            int a0 = aOff + r * as, a1 = a0 + as, a2 = a1 + as, a3 = a2 + as;
            for (int k = 0; k < kN; k++) {
                // scalar math: C[r, j] += A[r, k]·B[k, j] for 4 rows × 2 vectors
                int bk = bOff + k * bs;
                FloatVector b0 = FloatVector.fromArray(S, b, bk);
                FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
                FloatVector v = FloatVector.broadcast(S, a[a0 + k]);
                x00 = v.fma(b0, x00); x01 = v.fma(b1, x01);
                v = FloatVector.broadcast(S, a[a1 + k]);
                x10 = v.fma(b0, x10); x11 = v.fma(b1, x11);
                v = FloatVector.broadcast(S, a[a2 + k]);
                x20 = v.fma(b0, x20); x21 = v.fma(b1, x21);
                v = FloatVector.broadcast(S, a[a3 + k]);
                x30 = v.fma(b0, x30); x31 = v.fma(b1, x31);
            }
            x00.intoArray(c, c0); x01.intoArray(c, c0 + L);
            x10.intoArray(c, c1); x11.intoArray(c, c1 + L);
            x20.intoArray(c, c2); x21.intoArray(c, c2 + L);
            x30.intoArray(c, c3); x31.intoArray(c, c3 + L);
        }
        for (; r < rows; r++) {
            rowTail(a, aOff + r * as, kN, b, bOff, bs, 2, bias, j, c, cOff + r * cs, acc);
        }
    }

    private static void block1(float[] a, int aOff, int as, int rows, int kN, float[] b, int bOff, int bs,
                               float[] bias, int j, float[] c, int cOff, int cs, boolean acc) {
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            int c0 = cOff + r * cs, c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs;
            FloatVector x0 = init(bias, j, c, c0, acc), x1 = init(bias, j, c, c1, acc);
            FloatVector x2 = init(bias, j, c, c2, acc), x3 = init(bias, j, c, c3, acc);
            int a0 = aOff + r * as, a1 = a0 + as, a2 = a1 + as, a3 = a2 + as;
            for (int k = 0; k < kN; k++) {
                // scalar math: C[r, j] += A[r, k]·B[k, j] for 4 rows × 1 vector
                FloatVector b0 = FloatVector.fromArray(S, b, bOff + k * bs);
                x0 = FloatVector.broadcast(S, a[a0 + k]).fma(b0, x0);
                x1 = FloatVector.broadcast(S, a[a1 + k]).fma(b0, x1);
                x2 = FloatVector.broadcast(S, a[a2 + k]).fma(b0, x2);
                x3 = FloatVector.broadcast(S, a[a3 + k]).fma(b0, x3);
            }
            x0.intoArray(c, c0); x1.intoArray(c, c1); x2.intoArray(c, c2); x3.intoArray(c, c3);
        }
        for (; r < rows; r++) {
            rowTail(a, aOff + r * as, kN, b, bOff, bs, 1, bias, j, c, cOff + r * cs, acc);
        }
    }

    /** One row of a block, one vector at a time (at most 3 rows per block take this path). */
    private static void rowTail(float[] a, int aRow, int kN, float[] b, int bOff, int bs, int vectors,
                                float[] bias, int j, float[] c, int cRow, boolean acc) {
        for (int v = 0; v < vectors; v++) {
            FloatVector x = init(bias, j + v * L, c, cRow + v * L, acc);
            for (int k = 0; k < kN; k++) {
                // scalar math: C[r, j] += A[r, k]·B[k, j]
                x = FloatVector.broadcast(S, a[aRow + k]).fma(FloatVector.fromArray(S, b, bOff + k * bs + v * L), x);
            }
            x.intoArray(c, cRow + v * L);
        }
    }

    /** {@code dst[c, r] = src[r, c]} for an {@code rows × cols} block. */
    static void transpose(float[] src, int sOff, int sStride, int rows, int cols, float[] dst, int dStride) {
        for (int r = 0; r < rows; r++) {
            for (int col = 0; col < cols; col++) {
                dst[col * dStride + r] = src[sOff + r * sStride + col];
            }
        }
    }

    /** {@code Σ x[xOff + i]·y[yOff + i]} over {@code n} (a multiple of the lane count). */
    static float dot(float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector acc = FloatVector.zero(S);
        for (int i = 0; i < n; i += L) {
            // scalar math: acc += x[i]·y[i]
            acc = FloatVector.fromArray(S, x, xOff + i).fma(FloatVector.fromArray(S, y, yOff + i), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** {@code y[yOff + i] += s·x[xOff + i]} over {@code n} (a multiple of the lane count). */
    static void axpy(float s, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector sv = FloatVector.broadcast(S, s);
        for (int i = 0; i < n; i += L) {
            // scalar math: y[i] += s·x[i]
            sv.fma(FloatVector.fromArray(S, x, xOff + i), FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        }
    }

    // ---- segment ↔ array ----

    /** Copies {@code n} floats from a segment (byte offset) into an array. */
    static void load(MemorySegment seg, long byteOff, float[] dst, int dOff, int n) {
        MemorySegment.copy(seg, F, byteOff, dst, dOff, n);
    }

    /** {@code seg[i] += src[sOff + i]} for {@code n} floats from byte offset {@code byteOff}. */
    static void addInto(MemorySegment seg, long byteOff, float[] src, int sOff, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            // scalar math: seg[i] += src[i]
            long o = byteOff + (long) i * Float.BYTES;
            FloatVector.fromMemorySegment(S, seg, o, NATIVE).add(FloatVector.fromArray(S, src, sOff + i))
                    .intoMemorySegment(seg, o, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            long o = byteOff + (long) i * Float.BYTES;
            FloatVector.fromMemorySegment(S, seg, o, NATIVE, m).add(FloatVector.fromArray(S, src, sOff + i, m))
                    .intoMemorySegment(seg, o, NATIVE, m);
        }
    }

    /** {@code dst[i] += src[i]} for {@code n} floats between two segments (byte offsets). */
    static void addInto(MemorySegment dst, long dOff, MemorySegment src, long sOff, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            // scalar math: dst[i] += src[i]
            long o = (long) i * Float.BYTES;
            FloatVector.fromMemorySegment(S, dst, dOff + o, NATIVE).add(FloatVector.fromMemorySegment(S, src, sOff + o, NATIVE))
                    .intoMemorySegment(dst, dOff + o, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            long o = (long) i * Float.BYTES;
            FloatVector.fromMemorySegment(S, dst, dOff + o, NATIVE, m)
                    .add(FloatVector.fromMemorySegment(S, src, sOff + o, NATIVE, m))
                    .intoMemorySegment(dst, dOff + o, NATIVE, m);
        }
    }
}
