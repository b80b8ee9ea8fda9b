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
 * row-major float[] blocks that live in L1/L2, an exp/sigmoid specialised to
 * e^−|x|, and segment ↔ array moves.
 *
 * <p>Column counts handed to {@link #gemm} are padded to whole vectors (buffers are planned padded with zeros),
 * so the inner loops need no masks. Each tile kernel is written out in full, one local per accumulator, so that
 * C2 keeps every accumulator in a register; the kernels of one shape repeat each other on purpose.
 */
final class SeqKernels {
    static final VectorSpecies<Float> S = VectorIsa.SPECIES;
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
    /** −log₂e: {@code reciprocalOnePlusExp2(x·MINUS_LOG2E)} is σ(x) ({@link #reciprocalOnePlusExp2}'s callers). */
    static final float MINUS_LOG2E = -LOG2E;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5·2²³: adding it rounds to an integer held in the low mantissa bits. */
    private static final float ROUND_MAGIC = 12582912f;
    private static final int MAGIC_BITS = Float.floatToRawIntBits(ROUND_MAGIC);
    /**
     * Arguments are clamped here so that 2^n stays inside the exponent field: at −88, n = −127 and 2^n is built
     * with exponent bits 0, i.e. exactly 0 (e^−88 ≈ 6e−39 is below the smallest normal float anyway).
     */
    private static final float EXP_MIN = -88f;

    /**
     * e^x for x ≤ 0 (larger x is not needed: sigmoid only asks for e^−|x|). Range reduction x = n·ln2 + r with
     * |r| ≤ ln2/2, a polynomial {@code 1 + r + r²·(c₂ + c₃r + c₄r² + c₅r³)} for e^r, and 2^n built in the
     * exponent bits. The c's minimise the largest relative error on that interval (fitted here by reweighted least
     * squares: 1.05e-7, 1.6e-7 with f32 rounding), so degree 5 is as accurate in f32 as the degree-7 series was,
     * with two FMAs fewer: Dice's sigmoid is a quarter to a third of DIN inference's attention unit.
     */
    static FloatVector expNonPositive(FloatVector x) {
        // scalar math: n = round(x·log2 e); r = x − n·ln2; e^x = 2^n·P(r)
        // A compare and a blend, not max(): Java's max (NaN and −0 rules) costs several instructions on AVX2,
        // and the exp loop is short enough for that to show (this exp alone 12% slower with max, a Dice loop 5%).
        x = x.blend(EXP_MIN, x.lt(EXP_MIN));
        FloatVector t = x.fma(LOG2E, ROUND_MAGIC);
        FloatVector n = t.sub(ROUND_MAGIC);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector p = r.fma(8.3125252277e-3f, 4.1890114546e-2f);
        p = p.fma(r, FloatVector.broadcast(S, 1.6667114198e-1f));
        p = p.fma(r, FloatVector.broadcast(S, 4.9999231100e-1f));
        p = p.mul(r).fma(r, r).add(1f);
        IntVector bits = t.reinterpretAsInts().sub(MAGIC_BITS - 127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(bits.reinterpretAsFloats());
    }

    /**
     * σ(x) = 1/(1 + e^−x), from e^−|x| so that nothing overflows; within 5e-7 relative of the exact value
     * ({@code CpuMathTest}). Its exp only ever sees arguments ≤ 0, so it needs none of the general exp's range
     * blends (Dice forward+backward at T = 200: 226 ms with it, 260 ms with the general exp; noisy machine), and
     * {@link CpuMath#sigmoid} is this function.
     */
    static FloatVector sigmoid(FloatVector x) {
        // scalar math: e = exp(−|x|); s = 1/(1+e); σ = x ≥ 0 ? s : e·s
        FloatVector e = expNonPositive(x.abs().neg());
        FloatVector s = FloatVector.broadcast(S, 1f).div(e.add(1f));
        return s.blend(e.mul(s), x.lt(0f));
    }

    /**
     * 1.5·2²³ + 127: adding it rounds u to an integer n held in the low mantissa bits with the exponent bias already
     * added, so the sum's bits are {@code BIASED_BITS + n} and, shifted left by 23, the float 2^n (the magic's own
     * bits above bit 8 leave through the top).
     */
    private static final float BIASED_ROUND_MAGIC = ROUND_MAGIC + 127;
    private static final int BIASED_BITS = Float.floatToRawIntBits(BIASED_ROUND_MAGIC);
    /**
     * 2^f on [−½, ½]: degree 5, coefficients fitted here for the least largest relative error (9e-8; 1.9e-7 with
     * f32 rounding, as the base-e polynomial of {@link #expNonPositive}).
     */
    private static final float P1 = 0.6931470036506653f;
    private static final float P2 = 0.24022242426872253f;
    private static final float P3 = 0.05550733581185341f;
    private static final float P4 = 0.009671512991189957f;
    private static final float P5 = 0.0013264816952869296f;

    /**
     * {@code 1/(1 + 2^u)}: σ(z) for {@code u = −z·log₂e}, for a caller that folds log₂e into a scale it applies
     * anyway (Dice's normalisation). Base 2 needs no Cody–Waite reduction ({@code f = u − round(u)} is exact). Its
     * error grows with |u| as u's own rounding does (1/(1 + 2^u) is within 6e-7 relative for |u| ≤ 10); for a
     * general σ(x) use {@link #sigmoid}, whose reduction is exact. Finite u only: ±∞ gives NaN.
     *
     * <p>The exponent is clamped as an integer, n to [−126, 127] on the rounded sum's bits (which grow with the sum,
     * and are negative for a negative sum), rather than u as a float: two integer min/max against a compare and a
     * blend each (two µops each on AVX2), and the bias rides in the magic number instead of a subtraction. Dice's
     * forward loop took 0.92× as long at 512 bits, 0.65× at 256 and 0.82× at 128 with the same bits (a scratch
     * harness, old and new in one JVM, Intel host). From |u| = 2²² on, the rounding leaves f outside [−½, ½] (up to
     * 2²⁴, next to powers of two), but there n is clamped and the result is within 2⁻¹²⁴ of 0 (u > 0; the clamped u
     * gave 2⁻¹²⁶) or within 4e-7 of 1 (u < 0). A scalar copy of these steps met 1/(1 + 2^u) so on every finite float
     * (a scratch check over all 2³² bit patterns, ~2 min on two cores, redone for the Estrin form on 2026-12-06:
     * no failure, at most 2.3e-7 relative for |u| ≤ 10; {@code CpuMathTest} samples every binade).
     */
    static FloatVector reciprocalOnePlusExp2(FloatVector u) {
        // scalar math: n = round(u); f = u − n; 2^u = 2^clamp(n, −126, 127)·P(f); result 1/(1 + 2^u)
        FloatVector t = u.add(BIASED_ROUND_MAGIC);
        FloatVector f = u.sub(t.sub(BIASED_ROUND_MAGIC));
        // Estrin's scheme, (1 + P1·f) + f²·((P2 + P3·f) + f²·(P4 + P5·f)): three dependent steps where Horner's
        // form had five FMAs in a row. Its callers are bound by this chain's latency (Dice's forward; see
        // CpuAttentionOps.activate), not by the one multiply it adds.
        FloatVector f2 = f.mul(f);
        FloatVector lo = f.fma(P1, 1f);
        FloatVector mid = f.fma(P3, P2);
        FloatVector hi = f.fma(P5, P4);
        FloatVector p = hi.fma(f2, mid).fma(f2, lo);
        IntVector bits = t.reinterpretAsInts().max(BIASED_BITS - 126).min(BIASED_BITS + 127)
                .lanewise(VectorOperators.LSHL, 23);
        return FloatVector.broadcast(S, 1f).div(p.fma(bits.reinterpretAsFloats(), FloatVector.broadcast(S, 1f)));
    }

    // ---- GEMM on padded float[] blocks ----

    /** The starting row of a product without bias ({@link #gemm}); wider products fill C first. */
    private static final float[] ZEROS = new float[1024];

    /**
     * {@code C[r, 0:n] = init + Σ_{k<K} A[r, k]·B[k, 0:n]} for {@code r < rows}, where {@code init} is
     * {@code C} itself ({@code accumulate}), {@code bias[0:n]}, or 0; {@code n} is a multiple of the lane count.
     *
     * <p>Tiles hold their accumulators in registers while B rows stream from L1; their sizes follow the register
     * file ({@link #plan}): 6 rows × 2 vectors and 6 × 3 on 32 registers, 6 × 2 and 6 × 1 on 16, and with
     * {@link #WIDE_TILES} (128 bits on 32 registers) 4 rows × 5, 4, 2 or 1 vectors beside 6 × 3. A tile loads its
     * starting values from a row given by array, offset and row stride: C itself, or the bias (or zeros) at stride 0;
     * the wide tiles take the bias's slice (or zeros) as one array read at offset 0, or C when it is null. No branch
     * on the initial value inside the k-loop (one there, or the 1-row tail in the same method, halved the tile's
     * speed).
     *
     * <p>Each tile column of B is first copied into {@code panel} ({@link #panelFloats} floats), {@code K} rows of
     * exactly the tile's width, unless B already is that narrow, and the tile's index into it grows by that width
     * each k. At B's own stride, a variable to C2, the bounds checks on B's loads stayed in the inner loop with the
     * stride's multiply and a base reloaded from the stack (36 instructions per 12 FMAs); an index written
     * {@code k·(3·L)} became two shifts, which at 512 bits compete with the FMAs for their ports. Figures in
     * docs/architecture.md ("Sequence GEMM panels").
     *
     * <p>{@code paneled}, when not null, is B already in that layout ({@link #panelize}, {@link #panelMap}): a weight
     * that many calls share is laid out once instead of once per call, and a per-sample operand is built in it. The
     * tiles then never read {@code b}. The rows left over after them read {@code b} when it is another array (the
     * weight's row-major copy), else the panels, tile column by tile column.
     */
    static void gemm(float[] a, int aOff, int aStride, int rows, int kN, float[] b, int bOff, int bStride, int n,
                     float[] bias, float[] c, int cOff, int cStride, boolean accumulate, float[] panel, float[] paneled) {
        int nv = n / L;
        int[] plan = plan(nv);
        // Every tile of the plan covers the same rows, so the rows left over are done across the whole width.
        int block = nv < ROW_BLOCKS.length ? ROW_BLOCKS[nv] : rowBlock(plan);
        int full = rows - rows % block;
        // Where the tiles take C's starting values: C itself when accumulating, else the bias (or zeros) as a row
        // of stride 0, so that a new C is written once, by the tiles. Filling C first cost a pass of stores over
        // lines not yet in cache (the batch-wide pre-activations and gradients): 5.5% of a DIN training step's
        // samples sat in that fill (JFR, B = 1024, T = 50, two threads, 512 bits). The wide tiles (4 rows × 1, 2,
        // 4 or 5 vectors) take one start row of their own at offset 0 instead (the bias's slice for their columns,
        // copied to the panel's first row, or zeros): with the narrow tiles' three parameters (row, offset, stride)
        // C2 compiled block5 1.2× slower at 128 bits. The rows left over start from C, so those are filled as before.
        float[] init = c;
        int iOff = cOff;
        int is = cStride;
        boolean fromRow = !accumulate && nv > 1 && (bias != null || n <= ZEROS.length);
        // B only as panels, and 3 to 5 rows left after the 6-row tiles (T = 100: 4): each tile column runs its tile
        // once more over the last 6 rows, overlapping rows already done, instead of 2-row kernels over the rest.
        // Those hold 4 FMA chains (2 with one row), so 4 rows took them twice a 6-row tile's time. The overlapped
        // rows get their bits again: the same tile, the same k order, the same start row (the bias at stride 0).
        boolean overlap = fromRow && block == 6 && paneled != null && b == paneled && full >= 6 && rows - full >= 3;
        if (!accumulate) {
            if (fromRow) {
                init = bias != null ? bias : ZEROS;
                iOff = 0;
                is = 0;
            }
            for (int r = fromRow ? (overlap ? rows : full) : 0; r < rows; r++) {
                if (bias == null) {
                    java.util.Arrays.fill(c, cOff + r * cStride, cOff + r * cStride + n, 0f);
                } else {
                    System.arraycopy(bias, 0, c, cOff + r * cStride, n);
                }
            }
        }
        int j = 0;
        int paneledOff = 0;
        for (int v : plan) {
            if (full == 0) {
                break;
            }
            float[] p = b;
            int pOff = bOff + j;
            if (paneled != null) {
                p = paneled;
                pOff = paneledOff;
                paneledOff += kN * v * L;
            } else if (bStride != v * L) {
                packPanel(b, bOff + j, bStride, kN, v * L, panel, START_ROW);
                p = panel;
                pOff = START_ROW;
            }
            if (sixRows(v)) {
                sixRowTile(v, a, aOff, aStride, full, kN, p, pOff, init, iOff + j, is, c, cOff + j, cStride);
            } else {
                // The wide tiles take their start row at offset 0: the bias's slice goes to the panel's first row.
                float[] start = null;
                if (fromRow) {
                    start = ZEROS;
                    if (bias != null) {
                        System.arraycopy(bias, j, panel, 0, v * L);
                        start = panel;
                    }
                }
                tile(v, a, aOff, aStride, full, kN, p, pOff, c, cOff + j, cStride, start);
            }
            j += v * L;
        }
        if (paneled == null || b != paneled) {
            // Row-major B, where the caller has it beside the panels: the leftover rows then run 2 × 5-vector
            // kernels across the width instead of 2 × (tile width) per tile column (2 × 1 on a 1-vector column).
            leftoverRows(a, aOff, aStride, full, rows, kN, b, bOff, bStride, nv, c, cOff, cStride);
        } else if (full < rows) {
            // each element still sums its k in order, so the results are those of the row-major B
            j = 0;
            paneledOff = 0;
            int last = rows - 6;
            for (int i = 0; i < plan.length; i++) {
                int v = plan[i];
                if (overlap) {
                    sixRowTile(v, a, aOff + last * aStride, aStride, 6, kN, paneled, paneledOff, init, iOff + j, is, c,
                            cOff + last * cStride + j, cStride);
                } else if (v == 2 && i + 1 < plan.length && plan[i + 1] == 2) {
                    // two 2-vector tile columns side by side in C: their rows left over go together (pairOfPanels)
                    leftoverRowsTwoPanels(a, aOff, aStride, full, rows, kN, paneled, paneledOff, paneledOff + kN * 2 * L,
                            c, cOff + j, cStride);
                    i++;
                    v = 4; // both columns: 4 vectors of C, two panels of K × 2 vectors
                } else {
                    leftoverRows(a, aOff, aStride, full, rows, kN, paneled, paneledOff, v * L, v, c, cOff + j, cStride);
                }
                j += v * L;
                paneledOff += kN * v * L;
            }
        }
    }

    /** Whether a {@code v}-vector tile column of {@link #gemm} runs 6-row tiles ({@link #sixRowTile}), else 4-row ones. */
    private static boolean sixRows(int v) {
        return v == 3 || (v == 2 && !WIDE_TILES) || (v == 1 && ODD_TILE_VECTORS == 1);
    }

    /** The 6-row tile of a {@code v}-vector column ({@link #sixRows}): 6 × 3, 6 × 1 or 6 × 2. */
    private static void sixRowTile(int v, float[] a, int aOff, int as, int rows, int kN, float[] b, int bOff,
                                   float[] init, int iOff, int is, float[] c, int cOff, int cs) {
        if (v == 3) {
            block6x3(a, aOff, as, rows, kN, b, bOff, init, iOff, is, c, cOff, cs);
        } else if (v == 1 && ODD_TILE_VECTORS == 1) {
            block6x1(a, aOff, as, rows, kN, b, bOff, init, iOff, is, c, cOff, cs);
        } else {
            block6x2(a, aOff, as, rows, kN, b, bOff, init, iOff, is, c, cOff, cs);
        }
    }

    /** Rows per step of the tiles of {@code plan}: every tile runs a whole number of steps over the same rows. */
    private static int rowBlock(int[] plan) {
        int block = 1;
        for (int v : plan) {
            int step = sixRows(v) ? 6 : 4;
            block = block * step / gcd(block, step);
        }
        return block;
    }

    private static int gcd(int x, int y) {
        return y == 0 ? x : gcd(y, x % y);
    }

    /**
     * Rows {@code from..rows} (fewer than a tile step, e.g. 2 of T = 50 after 6-row tiles) two at a time across up
     * to five vectors, then a last odd row across up to five. A row's leftover done per tile column, as before,
     * ran a 1-row × 2-vector kernel: two FMA chains, where the FMA units need about ten in flight to stay busy.
     */
    private static void leftoverRows(float[] a, int aOff, int as, int from, int rows, int kN, float[] b, int bOff, int bs,
                                     int nv, float[] c, int cOff, int cs) {
        int r = from;
        for (; r + 2 <= rows; r += 2) {
            for (int jv = 0; jv < nv; jv += 5) {
                int j = jv * L;
                pair(Math.min(5, nv - jv), a, aOff + r * as, as, kN, b, bOff + j, bs, c, cOff + r * cs + j, cs);
            }
        }
        if (r < rows) {
            for (int jv = 0; jv < nv; jv += 5) {
                int j = jv * L;
                row(Math.min(5, nv - jv), a, aOff + r * as, kN, b, bOff + j, bs, c, cOff + r * cs + j);
            }
        }
    }

    /**
     * {@link #leftoverRows} over two adjacent 2-vector tile columns of B as panels (at {@code p0} and {@code p1}, K rows
     * of 2 vectors each), whose columns lie side by side in C from {@code cOff}: two rows at a time through
     * {@link #pairOfPanels}, a last odd row through {@link #rowOfPanels}. Each element sums its k in the same order as
     * {@code leftoverRows} per column does, so the bits are the same.
     */
    private static void leftoverRowsTwoPanels(float[] a, int aOff, int as, int from, int rows, int kN, float[] p, int p0,
                                              int p1, float[] c, int cOff, int cs) {
        int r = from;
        for (; r + 2 <= rows; r += 2) {
            pairOfPanels(a, aOff + r * as, as, kN, p, p0, p1, c, cOff + r * cs, cs);
        }
        if (r < rows) {
            rowOfPanels(a, aOff + r * as, kN, p, p0, p1, c, cOff + r * cs);
        }
    }

    /**
     * 1 row × two 2-vector panels (4 accumulators): a last odd row of {@link #leftoverRowsTwoPanels} (a history whose
     * length is 1 more than a multiple of 6), where {@link #row2} per panel held 2 FMA chains.
     */
    private static void rowOfPanels(float[] a, int aRow, int kN, float[] p, int p0, int p1, float[] c, int cRow) {
        FloatVector x0 = FloatVector.fromArray(S, c, cRow), x1 = FloatVector.fromArray(S, c, cRow + L);
        FloatVector x2 = FloatVector.fromArray(S, c, cRow + 2 * L), x3 = FloatVector.fromArray(S, c, cRow + 3 * L);
        for (int k = 0, q0 = p0, q1 = p1; k < kN; k++, q0 += 2 * L, q1 += 2 * L) {
            // scalar math: C[r, j] += A[r, k]·B[k, j] for 1 row × 4 vectors, B's columns in two panels
            FloatVector v = FloatVector.broadcast(S, a[aRow + k]);
            x0 = v.fma(FloatVector.fromArray(S, p, q0), x0);
            x1 = v.fma(FloatVector.fromArray(S, p, q0 + L), x1);
            x2 = v.fma(FloatVector.fromArray(S, p, q1), x2);
            x3 = v.fma(FloatVector.fromArray(S, p, q1 + L), x3);
        }
        x0.intoArray(c, cRow); x1.intoArray(c, cRow + L); x2.intoArray(c, cRow + 2 * L); x3.intoArray(c, cRow + 3 * L);
    }

    /**
     * 2 rows × two 2-vector panels (8 accumulators): the rows a folded product leaves after its 6-row tiles
     * (T = 50: 2), where B exists only as panels. Per panel, {@link #pair2} holds 4 FMA chains, half of what two FMA
     * pipes of 4 cycles' latency need, and JFR gave it 3.8% of the attention unit's inference at T = 50 on the AVX2
     * server against 1.3% for {@link #pair5} on the second layer's row-major weights, which covers more columns.
     */
    private static void pairOfPanels(float[] a, int aRow, int as, int kN, float[] p, int p0, int p1, float[] c, int cRow,
                                     int cs) {
        int c0 = cRow, c1 = cRow + cs;
        FloatVector x00 = FloatVector.fromArray(S, c, c0), x01 = FloatVector.fromArray(S, c, c0 + L);
        FloatVector x02 = FloatVector.fromArray(S, c, c0 + 2 * L), x03 = FloatVector.fromArray(S, c, c0 + 3 * L);
        FloatVector x10 = FloatVector.fromArray(S, c, c1), x11 = FloatVector.fromArray(S, c, c1 + L);
        FloatVector x12 = FloatVector.fromArray(S, c, c1 + 2 * L), x13 = FloatVector.fromArray(S, c, c1 + 3 * L);
        int a0 = aRow, a1 = aRow + as;
        for (int k = 0, q0 = p0, q1 = p1; k < kN; k++, q0 += 2 * L, q1 += 2 * L) {
            // scalar math: C[r, j] += A[r, k]·B[k, j] for 2 rows × 4 vectors, B's columns in two panels
            FloatVector v0 = FloatVector.broadcast(S, a[a0 + k]);
            FloatVector v1 = FloatVector.broadcast(S, a[a1 + k]);
            FloatVector b0 = FloatVector.fromArray(S, p, q0);
            x00 = v0.fma(b0, x00); x10 = v1.fma(b0, x10);
            FloatVector b1 = FloatVector.fromArray(S, p, q0 + L);
            x01 = v0.fma(b1, x01); x11 = v1.fma(b1, x11);
            FloatVector b2 = FloatVector.fromArray(S, p, q1);
            x02 = v0.fma(b2, x02); x12 = v1.fma(b2, x12);
            FloatVector b3 = FloatVector.fromArray(S, p, q1 + L);
            x03 = v0.fma(b3, x03); x13 = v1.fma(b3, x13);
        }
        x00.intoArray(c, c0); x01.intoArray(c, c0 + L); x02.intoArray(c, c0 + 2 * L); x03.intoArray(c, c0 + 3 * L);
        x10.intoArray(c, c1); x11.intoArray(c, c1 + L); x12.intoArray(c, c1 + 2 * L); x13.intoArray(c, c1 + 3 * L);
    }

    private static void pair(int vectors, float[] a, int aRow, int as, int kN, float[] b, int bOff, int bs, float[] c,
                             int cRow, int cs) {
        switch (vectors) {
            case 5 -> pair5(a, aRow, as, kN, b, bOff, bs, c, cRow, cs);
            case 4 -> pair4(a, aRow, as, kN, b, bOff, bs, c, cRow, cs);
            case 3 -> pair3(a, aRow, as, kN, b, bOff, bs, c, cRow, cs);
            case 2 -> pair2(a, aRow, as, kN, b, bOff, bs, c, cRow, cs);
            default -> {
                row1(a, aRow, kN, b, bOff, bs, c, cRow);
                row1(a, aRow + as, kN, b, bOff, bs, c, cRow + cs);
            }
        }
    }

    private static void pair5(float[] a, int aRow, int as, int kN, float[] b, int bOff, int bs, float[] c, int cRow, int cs) {
        int c0 = cRow, c1 = cRow + cs;
        FloatVector x00 = FloatVector.fromArray(S, c, c0), x01 = FloatVector.fromArray(S, c, c0 + L), x02 = FloatVector.fromArray(S, c, c0 + 2 * L), x03 = FloatVector.fromArray(S, c, c0 + 3 * L), x04 = FloatVector.fromArray(S, c, c0 + 4 * L);
        FloatVector x10 = FloatVector.fromArray(S, c, c1), x11 = FloatVector.fromArray(S, c, c1 + L), x12 = FloatVector.fromArray(S, c, c1 + 2 * L), x13 = FloatVector.fromArray(S, c, c1 + 3 * L), x14 = FloatVector.fromArray(S, c, c1 + 4 * L);
        int a0 = aRow, a1 = aRow + as;
        for (int k = 0; k < kN; k++) {
            // scalar math: C[r, j] += A[r, k]·B[k, j] for 2 rows × 5 vectors
            int bk = bOff + k * bs;
            FloatVector v0 = FloatVector.broadcast(S, a[a0 + k]);
            FloatVector v1 = FloatVector.broadcast(S, a[a1 + k]);
                FloatVector b0 = FloatVector.fromArray(S, b, bk);
                x00 = v0.fma(b0, x00); x10 = v1.fma(b0, x10);
                FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
                x01 = v0.fma(b1, x01); x11 = v1.fma(b1, x11);
                FloatVector b2 = FloatVector.fromArray(S, b, bk + 2 * L);
                x02 = v0.fma(b2, x02); x12 = v1.fma(b2, x12);
                FloatVector b3 = FloatVector.fromArray(S, b, bk + 3 * L);
                x03 = v0.fma(b3, x03); x13 = v1.fma(b3, x13);
                FloatVector b4 = FloatVector.fromArray(S, b, bk + 4 * L);
                x04 = v0.fma(b4, x04); x14 = v1.fma(b4, x14);
        }
        x00.intoArray(c, c0); x01.intoArray(c, c0 + L); x02.intoArray(c, c0 + 2 * L); x03.intoArray(c, c0 + 3 * L); x04.intoArray(c, c0 + 4 * L);
        x10.intoArray(c, c1); x11.intoArray(c, c1 + L); x12.intoArray(c, c1 + 2 * L); x13.intoArray(c, c1 + 3 * L); x14.intoArray(c, c1 + 4 * L);
    }

    private static void pair4(float[] a, int aRow, int as, int kN, float[] b, int bOff, int bs, float[] c, int cRow, int cs) {
        int c0 = cRow, c1 = cRow + cs;
        FloatVector x00 = FloatVector.fromArray(S, c, c0), x01 = FloatVector.fromArray(S, c, c0 + L), x02 = FloatVector.fromArray(S, c, c0 + 2 * L), x03 = FloatVector.fromArray(S, c, c0 + 3 * L);
        FloatVector x10 = FloatVector.fromArray(S, c, c1), x11 = FloatVector.fromArray(S, c, c1 + L), x12 = FloatVector.fromArray(S, c, c1 + 2 * L), x13 = FloatVector.fromArray(S, c, c1 + 3 * L);
        int a0 = aRow, a1 = aRow + as;
        for (int k = 0; k < kN; k++) {
            // scalar math: C[r, j] += A[r, k]·B[k, j] for 2 rows × 4 vectors
            int bk = bOff + k * bs;
            FloatVector v0 = FloatVector.broadcast(S, a[a0 + k]);
            FloatVector v1 = FloatVector.broadcast(S, a[a1 + k]);
                FloatVector b0 = FloatVector.fromArray(S, b, bk);
                x00 = v0.fma(b0, x00); x10 = v1.fma(b0, x10);
                FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
                x01 = v0.fma(b1, x01); x11 = v1.fma(b1, x11);
                FloatVector b2 = FloatVector.fromArray(S, b, bk + 2 * L);
                x02 = v0.fma(b2, x02); x12 = v1.fma(b2, x12);
                FloatVector b3 = FloatVector.fromArray(S, b, bk + 3 * L);
                x03 = v0.fma(b3, x03); x13 = v1.fma(b3, x13);
        }
        x00.intoArray(c, c0); x01.intoArray(c, c0 + L); x02.intoArray(c, c0 + 2 * L); x03.intoArray(c, c0 + 3 * L);
        x10.intoArray(c, c1); x11.intoArray(c, c1 + L); x12.intoArray(c, c1 + 2 * L); x13.intoArray(c, c1 + 3 * L);
    }

    private static void pair3(float[] a, int aRow, int as, int kN, float[] b, int bOff, int bs, float[] c, int cRow, int cs) {
        int c0 = cRow, c1 = cRow + cs;
        FloatVector x00 = FloatVector.fromArray(S, c, c0), x01 = FloatVector.fromArray(S, c, c0 + L), x02 = FloatVector.fromArray(S, c, c0 + 2 * L);
        FloatVector x10 = FloatVector.fromArray(S, c, c1), x11 = FloatVector.fromArray(S, c, c1 + L), x12 = FloatVector.fromArray(S, c, c1 + 2 * L);
        int a0 = aRow, a1 = aRow + as;
        for (int k = 0; k < kN; k++) {
            // scalar math: C[r, j] += A[r, k]·B[k, j] for 2 rows × 3 vectors
            int bk = bOff + k * bs;
            FloatVector v0 = FloatVector.broadcast(S, a[a0 + k]);
            FloatVector v1 = FloatVector.broadcast(S, a[a1 + k]);
                FloatVector b0 = FloatVector.fromArray(S, b, bk);
                x00 = v0.fma(b0, x00); x10 = v1.fma(b0, x10);
                FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
                x01 = v0.fma(b1, x01); x11 = v1.fma(b1, x11);
                FloatVector b2 = FloatVector.fromArray(S, b, bk + 2 * L);
                x02 = v0.fma(b2, x02); x12 = v1.fma(b2, x12);
        }
        x00.intoArray(c, c0); x01.intoArray(c, c0 + L); x02.intoArray(c, c0 + 2 * L);
        x10.intoArray(c, c1); x11.intoArray(c, c1 + L); x12.intoArray(c, c1 + 2 * L);
    }

    private static void pair2(float[] a, int aRow, int as, int kN, float[] b, int bOff, int bs, float[] c, int cRow, int cs) {
        int c0 = cRow, c1 = cRow + cs;
        FloatVector x00 = FloatVector.fromArray(S, c, c0), x01 = FloatVector.fromArray(S, c, c0 + L);
        FloatVector x10 = FloatVector.fromArray(S, c, c1), x11 = FloatVector.fromArray(S, c, c1 + L);
        int a0 = aRow, a1 = aRow + as;
        for (int k = 0; k < kN; k++) {
            // scalar math: C[r, j] += A[r, k]·B[k, j] for 2 rows × 2 vectors
            int bk = bOff + k * bs;
            FloatVector v0 = FloatVector.broadcast(S, a[a0 + k]);
            FloatVector v1 = FloatVector.broadcast(S, a[a1 + k]);
                FloatVector b0 = FloatVector.fromArray(S, b, bk);
                x00 = v0.fma(b0, x00); x10 = v1.fma(b0, x10);
                FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
                x01 = v0.fma(b1, x01); x11 = v1.fma(b1, x11);
        }
        x00.intoArray(c, c0); x01.intoArray(c, c0 + L);
        x10.intoArray(c, c1); x11.intoArray(c, c1 + L);
    }

    /**
     * Whether the sequence kernels use the wide tiles sized for 32 registers (4 rows × 4 or 5 vectors, 20
     * accumulators; 6 × 3 was among them until it became the 32-register plans' 3-vector tile). On by default only at
     * 128 bits with 32 registers (the shape of NEON), off at 256 and 512 bits.
     *
     * <p>Off at 512 bits: on an AVX-512 host (2026-12-04) those kernels came out of C2 with some of their vector
     * operations left in the Vector API's Java fallback in some JVMs and not in others — twelve DIN training runs
     * (B = 1024, T = 50, two threads) took 59–217 ms per step, the slow ones allocating 1.3–3.2 MB of boxed vectors
     * per sample in {@code block4}, {@code blockT4}, {@code blockT5} and {@code pair5} (and every run with
     * {@code -XX:-TieredCompilation}) — while the 16-register tiles (at most 12 accumulators) ran 55–67 ms in four
     * of four, with no such garbage.
     *
     * <p>On at 128 bits (2026-12-05, the same host with {@code -XX:MaxVectorSize=16}): DIN inference (B = 1024,
     * T = 50, two threads) took 13.8–14.2 ms against 16.3–17.3 with the narrow tiles, and the DIN training step
     * 68–76 ms against 68–71, allocating 114–254 bytes per sample (114–139 narrow) in seven runs, none with boxed
     * tiles. {@code -Ddin4j.cpu.seq.wideTiles=true|false} overrides the default where there are 32 registers; the
     * op tests run the wide tiles at 128 bits and at 512 (the {@code registers-32} run), the narrow ones in the
     * other runs.
     */
    static final boolean WIDE_TILES = VectorIsa.REGISTERS >= 32
            && Boolean.parseBoolean(System.getProperty("din4j.cpu.seq.wideTiles", String.valueOf(L == 4)));

    /**
     * The width in vectors of the tile that ends a narrow plan ({@link #computePlan}) for an odd vector count: 3 on
     * 32 registers ({@code block6x3}, 18 accumulators), 1 on 16 ({@code block6x1}); both take 6 rows, as
     * {@code block6x2} does.
     *
     * <p>6 × 3 since 2026-12-05: on an Intel host at 512 bits the 3 × 3 tile spent a third of its instructions on
     * loop and index work for its 9 FMAs; with 6 × 3 the attention unit (one user's 200 candidates at T = 100, one
     * thread) took 4.03–4.08 ms against 4.47–4.69 in three alternated pairs. It did not box in the
     * {@code --alloc-check} runs of the DIN training step that found the wide tiles' garbage (five runs, 325–339
     * bytes per sample); under {@code -XX:-TieredCompilation} it boxes as {@code block6x2} does, before and after.
     *
     * <p>6 × 1 on 16 registers since 2026-12-06, in place of a 3 × 3 tile: the attention unit's 40-wide second
     * layer (5 vectors at 256 bits) went 2 + 3 with 3 × 3 over 60% of its columns, at about 69% of the rate
     * {@code block6x2} reached in the same runs (JFR samples per FLOP, serving at 256 bits), and now goes 2 + 2 + 1,
     * with 6 × 1 (six FMA chains, so at most ¾ of the FMA pipes' rate) over 20%. Figures in docs/architecture.md
     * ("An odd vector count on 16 registers ends in a 6 × 1 tile").
     */
    static final int ODD_TILE_VECTORS = VectorIsa.REGISTERS >= 32 ? 3 : 1;

    /** Tile plans for every vector count a sequence GEMM meets, computed once (no allocation per call). */
    private static final int[][] PLANS = new int[257][];
    private static final int[][] PLANS_TN = new int[257][];
    /**
     * {@link #rowBlock} of each plan, computed once: per call, its gcd recursion took 0.5–2% of DIN inference's
     * JFR samples on the AVX2 server.
     */
    private static final int[] ROW_BLOCKS = new int[257];

    static {
        for (int nv = 0; nv < PLANS.length; nv++) {
            PLANS[nv] = computePlan(nv, false);
            PLANS_TN[nv] = computePlan(nv, true);
            ROW_BLOCKS[nv] = rowBlock(PLANS[nv]);
        }
    }

    /** Tile widths (in vectors) that {@link #gemm} splits {@code nv} output vectors into. */
    static int[] plan(int nv) {
        return nv < PLANS.length ? PLANS[nv] : computePlan(nv, false);
    }

    /** Tile widths (in vectors) that {@link #gemmTN} splits {@code nv} output vectors into. */
    static int[] planTN(int nv) {
        return nv < PLANS_TN.length ? PLANS_TN[nv] : computePlan(nv, true);
    }

    /**
     * With the wide tiles ({@link #WIDE_TILES}): one width for the whole row where it divides (80 = 5 vectors of 16, 48 = 3, 64 = 4), so no
     * narrow tile is needed where a wide one fits, and 6 × 3 for the 3-vector case. Otherwise (256 and 512 bits, and 128 bits on 16 registers): 6
     * rows × 2 vectors, with one tile of {@link #ODD_TILE_VECTORS} where the count is odd (6 × 3 on 32 registers, 6 × 1
     * on 16); on 16 registers these hold at most 12 accumulators with no more than two B vectors live beside them,
     * which C2 allocates without spilling. The transposed kernels (4 rows) take 2-vector tiles, and a 1-vector one for
     * an odd count.
     */
    private static int[] computePlan(int nv, boolean transposed) {
        if (!WIDE_TILES) {
            int threes = !transposed && nv % 2 == 1 && nv >= 3 && ODD_TILE_VECTORS == 3 ? 1 : 0;
            int twos = (nv - 3 * threes) / 2;
            int ones = nv - 3 * threes - 2 * twos;
            int[] w = new int[threes + twos + ones];
            java.util.Arrays.fill(w, 0, twos, 2);
            for (int i = twos; i < w.length; i++) {
                w[i] = threes == 1 ? 3 : 1;
            }
            return w;
        }
        int wide = nv % 5 == 0 ? 5 : nv % 4 == 0 ? 4 : nv % 3 == 0 ? 3 : 4;
        int[] w = new int[(nv + wide - 1) / wide];
        for (int i = 0, left = nv; i < w.length; i++, left -= wide) {
            w[i] = Math.min(wide, left);
        }
        return w;
    }

    /** The tile of {@code vectors} vectors over B's panel at {@code pOff} ({@code K} rows of exactly that width). */
    private static void tile(int vectors, float[] a, int aOff, int as, int rows, int kN, float[] p, int pOff,
                             float[] c, int cOff, int cs, float[] start) {
        switch (vectors) {
            case 5 -> block5(a, aOff, as, rows, kN, p, pOff, c, cOff, cs, start);
            case 4 -> block4(a, aOff, as, rows, kN, p, pOff, c, cOff, cs, start);
            case 2 -> block2(a, aOff, as, rows, kN, p, pOff, c, cOff, cs, start);
            default -> block1(a, aOff, as, rows, kN, p, pOff, c, cOff, cs, start);
        }
    }

    /** Floats a {@link #gemm} panel needs for products with up to {@code maxK} rows of B: the widest tile's K rows. */
    static int panelFloats(int maxK) {
        return START_ROW + maxK * 5 * L;
    }

    /** Where a packed tile column starts in {@code panel}: after one row of a wide tile's start values. */
    private static final int START_ROW = 5 * L;

    /** {@code panel[at + k·width + i] = B[k, j0 + i]} for {@code k < K, i < width}: one tile column of B, rows back to back. */
    private static void packPanel(float[] b, int j0, int bs, int kN, int width, float[] panel, int at) {
        for (int k = 0; k < kN; k++) {
            for (int i = 0; i < width; i += L) {
                FloatVector.fromArray(S, b, j0 + k * bs + i).intoArray(panel, at + k * width + i);
            }
        }
    }

    /**
     * Where {@link #panelize} puts B's column vector {@code v} ({@code v < n/L}) of a {@code kN}-row B: row k of it at
     * {@code at[v] + k·width[v]}, so that an operand built per call (the attention unit's folded {@code A_q}) can be
     * written straight into the panels.
     */
    static void panelMap(int n, int kN, int[] at, int[] width) {
        int v0 = 0;
        int base = 0;
        for (int v : plan(n / L)) {
            for (int i = 0; i < v; i++) {
                at[v0 + i] = base + i * L;
                width[v0 + i] = v * L;
            }
            v0 += v;
            base += kN * v * L;
        }
    }

    /**
     * B ({@code K} rows of {@code n} floats at stride {@code bStride}) laid out as {@link #gemm} reads its tiles: every
     * tile column of the plan for {@code n}, {@code K} rows of exactly its width, one column after another;
     * {@code K·n} floats in {@code dst}.
     */
    static void panelize(float[] b, int bOff, int bStride, int kN, int n, float[] dst) {
        int j = 0;
        int at = 0;
        for (int v : plan(n / L)) {
            packPanel(b, bOff + j, bStride, kN, v * L, dst, at);
            j += v * L;
            at += kN * v * L;
        }
    }

    private static void row(int vectors, float[] a, int aRow, int kN, float[] b, int bOff, int bs, float[] c, int cRow) {
        switch (vectors) {
            case 5 -> row5(a, aRow, kN, b, bOff, bs, c, cRow);
            case 4 -> row4(a, aRow, kN, b, bOff, bs, c, cRow);
            case 3 -> row3(a, aRow, kN, b, bOff, bs, c, cRow);
            case 2 -> row2(a, aRow, kN, b, bOff, bs, c, cRow);
            default -> row1(a, aRow, kN, b, bOff, bs, c, cRow);
        }
    }

    /**
     * Rows of Aᵀ per tile of {@link #gemmTN}'s 1- and 2-vector columns: 8 on 32 registers (16 accumulators, 2 B
     * vectors and a broadcast), 6 for 2-vector columns on 16 (12 + 2 + 1 = 15 registers), else 4. With 4 rows a
     * 2-vector tile holds 8 FMA chains, the fewest that cover two FMA pipes' latency, and loads one broadcast per
     * 2 FMAs; more rows load B less often per FMA and keep more chains in flight. A scratch harness over the
     * attention unit's per-sample weight-gradient shape {@code M = Gᵀ·K} (80 × 50 → 64, one thread, the Intel
     * AVX-512 host, the kernels side by side in one JVM, 64 samples' operands in L2): at 512 bits 142–147 GFLOP/s
     * with 8 rows against 105–108 with 4 (a 4-row × 4-vector tile: 134–137); at 256 bits ({@code UseAVX=2}) 90
     * with 6 rows against 69. Each element still sums its k in order, so the results are the same bits.
     */
    static final int TN_ROWS = VectorIsa.REGISTERS >= 32 ? 8 : 6;

    /**
     * Rows of a {@code rows}-row {@link #gemmTN} that its {@link #TN_ROWS}-row tiles take for {@code v}-vector
     * columns; the 4-row tiles take the rest down to a multiple of 4. With 6 rows, an even number of tiles, so what
     * is left is a multiple of 4 (80 rows: 12 tiles of 6 and 2 of 4, not 13 of 6 and 2 single rows).
     */
    private static int tallRows(int rows, int v) {
        if (TN_ROWS == 8) {
            return v <= 2 ? rows & ~7 : 0;
        }
        return v == 2 ? ((rows & ~3) / 6 & ~1) * 6 : 0;
    }

    /**
     * As {@link #gemm} with A stored transposed: element (r, k) at {@code a[aOff + k·aStride + r]}. Used for
     * weight gradients {@code ∂W = Gᵀ·X} straight from the row-major G, without a transpose pass.
     */
    static void gemmTN(float[] a, int aOff, int aStride, int rows, int kN, float[] b, int bOff, int bStride, int n,
                       float[] c, int cOff, int cStride) {
        int nv = n / L;
        int j = 0;
        int full = rows & ~3;
        for (int v : planTN(nv)) {
            // TN_ROWS-row tiles where they fit, then 4-row tiles, then single rows
            int tall = tallRows(rows, v);
            if (tall > 0) {
                if (v == 1) {
                    blockT8x1(a, aOff, aStride, tall, kN, b, bOff + j, bStride, c, cOff + j, cStride);
                } else if (TN_ROWS == 8) {
                    blockT8x2(a, aOff, aStride, tall, kN, b, bOff + j, bStride, c, cOff + j, cStride);
                } else {
                    blockT6x2(a, aOff, aStride, tall, kN, b, bOff + j, bStride, c, cOff + j, cStride);
                }
            }
            int a4 = aOff + tall;
            int c4 = cOff + tall * cStride + j;
            switch (v) {
                case 5 -> blockT5(a, a4, aStride, full - tall, kN, b, bOff + j, bStride, c, c4, cStride);
                case 4 -> blockT4(a, a4, aStride, full - tall, kN, b, bOff + j, bStride, c, c4, cStride);
                case 3 -> blockT3(a, a4, aStride, full - tall, kN, b, bOff + j, bStride, c, c4, cStride);
                case 2 -> blockT2(a, a4, aStride, full - tall, kN, b, bOff + j, bStride, c, c4, cStride);
                default -> blockT1(a, a4, aStride, full - tall, kN, b, bOff + j, bStride, c, c4, cStride);
            }
            for (int r = full; r < rows; r++) {
                int cRow = cOff + r * cStride + j;
                switch (v) {
                    case 5 -> rowT5(a, aOff + r, aStride, kN, b, bOff + j, bStride, c, cRow);
                    case 4 -> rowT4(a, aOff + r, aStride, kN, b, bOff + j, bStride, c, cRow);
                    case 3 -> rowT3(a, aOff + r, aStride, kN, b, bOff + j, bStride, c, cRow);
                    case 2 -> rowT2(a, aOff + r, aStride, kN, b, bOff + j, bStride, c, cRow);
                    default -> rowT1(a, aOff + r, aStride, kN, b, bOff + j, bStride, c, cRow);
                }
            }
            j += v * L;
        }
    }

    /** {@link #gemmTN}'s 6 rows of Aᵀ × 2 vectors (12 accumulators: the 16-register tile; see {@link #TN_ROWS}). */
    private static void blockT6x2(float[] a, int aOff, int as, int rows, int kN, float[] b, int bOff, int bs,
                                  float[] c, int cOff, int cs) {
        for (int r = 0; r + 6 <= rows; r += 6) {
            int c0 = cOff + r * cs, c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs, c4 = c3 + cs, c5 = c4 + cs;
            FloatVector x00 = FloatVector.fromArray(S, c, c0), x01 = FloatVector.fromArray(S, c, c0 + L);
            FloatVector x10 = FloatVector.fromArray(S, c, c1), x11 = FloatVector.fromArray(S, c, c1 + L);
            FloatVector x20 = FloatVector.fromArray(S, c, c2), x21 = FloatVector.fromArray(S, c, c2 + L);
            FloatVector x30 = FloatVector.fromArray(S, c, c3), x31 = FloatVector.fromArray(S, c, c3 + L);
            FloatVector x40 = FloatVector.fromArray(S, c, c4), x41 = FloatVector.fromArray(S, c, c4 + L);
            FloatVector x50 = FloatVector.fromArray(S, c, c5), x51 = FloatVector.fromArray(S, c, c5 + L);
            for (int k = 0, ak = aOff + r, bk = bOff; k < kN; k++, ak += as, bk += bs) {
                // scalar math: C[r, j] += A[r, k]·B[k, j] for 6 rows of Aᵀ × 2 vectors
                FloatVector b0 = FloatVector.fromArray(S, b, bk);
                FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
                FloatVector v = FloatVector.broadcast(S, a[ak]);
                x00 = v.fma(b0, x00); x01 = v.fma(b1, x01);
                v = FloatVector.broadcast(S, a[ak + 1]);
                x10 = v.fma(b0, x10); x11 = v.fma(b1, x11);
                v = FloatVector.broadcast(S, a[ak + 2]);
                x20 = v.fma(b0, x20); x21 = v.fma(b1, x21);
                v = FloatVector.broadcast(S, a[ak + 3]);
                x30 = v.fma(b0, x30); x31 = v.fma(b1, x31);
                v = FloatVector.broadcast(S, a[ak + 4]);
                x40 = v.fma(b0, x40); x41 = v.fma(b1, x41);
                v = FloatVector.broadcast(S, a[ak + 5]);
                x50 = v.fma(b0, x50); x51 = v.fma(b1, x51);
            }
            x00.intoArray(c, c0); x01.intoArray(c, c0 + L);
            x10.intoArray(c, c1); x11.intoArray(c, c1 + L);
            x20.intoArray(c, c2); x21.intoArray(c, c2 + L);
            x30.intoArray(c, c3); x31.intoArray(c, c3 + L);
            x40.intoArray(c, c4); x41.intoArray(c, c4 + L);
            x50.intoArray(c, c5); x51.intoArray(c, c5 + L);
        }
    }

    /** {@link #gemmTN}'s 8 rows of Aᵀ × 2 vectors (16 accumulators, 32 registers only; see {@link #TN_ROWS}). */
    private static void blockT8x2(float[] a, int aOff, int as, int rows, int kN, float[] b, int bOff, int bs,
                                  float[] c, int cOff, int cs) {
        for (int r = 0; r + 8 <= rows; r += 8) {
            int c0 = cOff + r * cs, c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs, c4 = c3 + cs, c5 = c4 + cs, c6 = c5 + cs,
                    c7 = c6 + cs;
            FloatVector x00 = FloatVector.fromArray(S, c, c0), x01 = FloatVector.fromArray(S, c, c0 + L);
            FloatVector x10 = FloatVector.fromArray(S, c, c1), x11 = FloatVector.fromArray(S, c, c1 + L);
            FloatVector x20 = FloatVector.fromArray(S, c, c2), x21 = FloatVector.fromArray(S, c, c2 + L);
            FloatVector x30 = FloatVector.fromArray(S, c, c3), x31 = FloatVector.fromArray(S, c, c3 + L);
            FloatVector x40 = FloatVector.fromArray(S, c, c4), x41 = FloatVector.fromArray(S, c, c4 + L);
            FloatVector x50 = FloatVector.fromArray(S, c, c5), x51 = FloatVector.fromArray(S, c, c5 + L);
            FloatVector x60 = FloatVector.fromArray(S, c, c6), x61 = FloatVector.fromArray(S, c, c6 + L);
            FloatVector x70 = FloatVector.fromArray(S, c, c7), x71 = FloatVector.fromArray(S, c, c7 + L);
            for (int k = 0, ak = aOff + r, bk = bOff; k < kN; k++, ak += as, bk += bs) {
                // scalar math: C[r, j] += A[r, k]·B[k, j] for 8 rows of Aᵀ × 2 vectors
                FloatVector b0 = FloatVector.fromArray(S, b, bk);
                FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
                FloatVector v = FloatVector.broadcast(S, a[ak]);
                x00 = v.fma(b0, x00); x01 = v.fma(b1, x01);
                v = FloatVector.broadcast(S, a[ak + 1]);
                x10 = v.fma(b0, x10); x11 = v.fma(b1, x11);
                v = FloatVector.broadcast(S, a[ak + 2]);
                x20 = v.fma(b0, x20); x21 = v.fma(b1, x21);
                v = FloatVector.broadcast(S, a[ak + 3]);
                x30 = v.fma(b0, x30); x31 = v.fma(b1, x31);
                v = FloatVector.broadcast(S, a[ak + 4]);
                x40 = v.fma(b0, x40); x41 = v.fma(b1, x41);
                v = FloatVector.broadcast(S, a[ak + 5]);
                x50 = v.fma(b0, x50); x51 = v.fma(b1, x51);
                v = FloatVector.broadcast(S, a[ak + 6]);
                x60 = v.fma(b0, x60); x61 = v.fma(b1, x61);
                v = FloatVector.broadcast(S, a[ak + 7]);
                x70 = v.fma(b0, x70); x71 = v.fma(b1, x71);
            }
            x00.intoArray(c, c0); x01.intoArray(c, c0 + L);
            x10.intoArray(c, c1); x11.intoArray(c, c1 + L);
            x20.intoArray(c, c2); x21.intoArray(c, c2 + L);
            x30.intoArray(c, c3); x31.intoArray(c, c3 + L);
            x40.intoArray(c, c4); x41.intoArray(c, c4 + L);
            x50.intoArray(c, c5); x51.intoArray(c, c5 + L);
            x60.intoArray(c, c6); x61.intoArray(c, c6 + L);
            x70.intoArray(c, c7); x71.intoArray(c, c7 + L);
        }
    }

    /** {@link #gemmTN}'s 8 rows of Aᵀ × 1 vector (8 accumulators, 32 registers only). */
    private static void blockT8x1(float[] a, int aOff, int as, int rows, int kN, float[] b, int bOff, int bs,
                                  float[] c, int cOff, int cs) {
        for (int r = 0; r + 8 <= rows; r += 8) {
            int c0 = cOff + r * cs, c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs, c4 = c3 + cs, c5 = c4 + cs, c6 = c5 + cs,
                    c7 = c6 + cs;
            FloatVector x0 = FloatVector.fromArray(S, c, c0), x1 = FloatVector.fromArray(S, c, c1);
            FloatVector x2 = FloatVector.fromArray(S, c, c2), x3 = FloatVector.fromArray(S, c, c3);
            FloatVector x4 = FloatVector.fromArray(S, c, c4), x5 = FloatVector.fromArray(S, c, c5);
            FloatVector x6 = FloatVector.fromArray(S, c, c6), x7 = FloatVector.fromArray(S, c, c7);
            for (int k = 0, ak = aOff + r, bk = bOff; k < kN; k++, ak += as, bk += bs) {
                // scalar math: C[r, j] += A[r, k]·B[k, j] for 8 rows of Aᵀ × 1 vector
                FloatVector b0 = FloatVector.fromArray(S, b, bk);
                x0 = FloatVector.broadcast(S, a[ak]).fma(b0, x0);
                x1 = FloatVector.broadcast(S, a[ak + 1]).fma(b0, x1);
                x2 = FloatVector.broadcast(S, a[ak + 2]).fma(b0, x2);
                x3 = FloatVector.broadcast(S, a[ak + 3]).fma(b0, x3);
                x4 = FloatVector.broadcast(S, a[ak + 4]).fma(b0, x4);
                x5 = FloatVector.broadcast(S, a[ak + 5]).fma(b0, x5);
                x6 = FloatVector.broadcast(S, a[ak + 6]).fma(b0, x6);
                x7 = FloatVector.broadcast(S, a[ak + 7]).fma(b0, x7);
            }
            x0.intoArray(c, c0); x1.intoArray(c, c1); x2.intoArray(c, c2); x3.intoArray(c, c3);
            x4.intoArray(c, c4); x5.intoArray(c, c5); x6.intoArray(c, c6); x7.intoArray(c, c7);
        }
    }

    /** 6 rows × 3 vectors (18 accumulators): the better tile for 48-wide outputs (H = 40 padded). */
    private static void block6x3(float[] a, int aOff, int as, int rows, int kN, float[] b, int bOff,
                                 float[] init, int iOff, int is, float[] c, int cOff, int cs) {
        for (int r = 0; r + 6 <= rows; r += 6) {
            int c0 = cOff + r * cs, c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs, c4 = c3 + cs, c5 = c4 + cs;
            int i0 = iOff + r * is, i1 = i0 + is, i2 = i1 + is, i3 = i2 + is, i4 = i3 + is, i5 = i4 + is;
            FloatVector x00 = FloatVector.fromArray(S, init, i0), x01 = FloatVector.fromArray(S, init, i0 + L), x02 = FloatVector.fromArray(S, init, i0 + 2 * L);
            FloatVector x10 = FloatVector.fromArray(S, init, i1), x11 = FloatVector.fromArray(S, init, i1 + L), x12 = FloatVector.fromArray(S, init, i1 + 2 * L);
            FloatVector x20 = FloatVector.fromArray(S, init, i2), x21 = FloatVector.fromArray(S, init, i2 + L), x22 = FloatVector.fromArray(S, init, i2 + 2 * L);
            FloatVector x30 = FloatVector.fromArray(S, init, i3), x31 = FloatVector.fromArray(S, init, i3 + L), x32 = FloatVector.fromArray(S, init, i3 + 2 * L);
            FloatVector x40 = FloatVector.fromArray(S, init, i4), x41 = FloatVector.fromArray(S, init, i4 + L), x42 = FloatVector.fromArray(S, init, i4 + 2 * L);
            FloatVector x50 = FloatVector.fromArray(S, init, i5), x51 = FloatVector.fromArray(S, init, i5 + L), x52 = FloatVector.fromArray(S, init, i5 + 2 * L);
            int a0 = aOff + r * as, a1 = a0 + as, a2 = a1 + as, a3 = a2 + as, a4 = a3 + as, a5 = a4 + as;
            for (int k = 0, bk = bOff; k < kN; k++, bk += 3 * L) {
                // scalar math: C[r, j] += A[r, k]·B[k, j] for 6 rows × 3 vectors
                FloatVector b0 = FloatVector.fromArray(S, b, bk);
                FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
                FloatVector b2 = FloatVector.fromArray(S, b, bk + 2 * L);
                FloatVector v0 = FloatVector.broadcast(S, a[a0 + k]);
                x00 = v0.fma(b0, x00); x01 = v0.fma(b1, x01); x02 = v0.fma(b2, x02);
                FloatVector v1 = FloatVector.broadcast(S, a[a1 + k]);
                x10 = v1.fma(b0, x10); x11 = v1.fma(b1, x11); x12 = v1.fma(b2, x12);
                FloatVector v2 = FloatVector.broadcast(S, a[a2 + k]);
                x20 = v2.fma(b0, x20); x21 = v2.fma(b1, x21); x22 = v2.fma(b2, x22);
                FloatVector v3 = FloatVector.broadcast(S, a[a3 + k]);
                x30 = v3.fma(b0, x30); x31 = v3.fma(b1, x31); x32 = v3.fma(b2, x32);
                FloatVector v4 = FloatVector.broadcast(S, a[a4 + k]);
                x40 = v4.fma(b0, x40); x41 = v4.fma(b1, x41); x42 = v4.fma(b2, x42);
                FloatVector v5 = FloatVector.broadcast(S, a[a5 + k]);
                x50 = v5.fma(b0, x50); x51 = v5.fma(b1, x51); x52 = v5.fma(b2, x52);
            }
            x00.intoArray(c, c0); x01.intoArray(c, c0 + L); x02.intoArray(c, c0 + 2 * L);
            x10.intoArray(c, c1); x11.intoArray(c, c1 + L); x12.intoArray(c, c1 + 2 * L);
            x20.intoArray(c, c2); x21.intoArray(c, c2 + L); x22.intoArray(c, c2 + 2 * L);
            x30.intoArray(c, c3); x31.intoArray(c, c3 + L); x32.intoArray(c, c3 + 2 * L);
            x40.intoArray(c, c4); x41.intoArray(c, c4 + L); x42.intoArray(c, c4 + 2 * L);
            x50.intoArray(c, c5); x51.intoArray(c, c5 + L); x52.intoArray(c, c5 + 2 * L);
        }
    }

    private static void block5(float[] a, int aOff, int as, int rows, int kN, float[] b, int bOff,
                               float[] c, int cOff, int cs, float[] start) {
        float[] init = start != null ? start : c;
        int is = start != null ? 0 : cs;
        for (int r = 0; r + 4 <= rows; r += 4) {
            int c0 = cOff + r * cs, c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs;
            int i0 = start != null ? 0 : c0, i1 = i0 + is, i2 = i1 + is, i3 = i2 + is;
            FloatVector x00 = FloatVector.fromArray(S, init, i0), x01 = FloatVector.fromArray(S, init, i0 + L), x02 = FloatVector.fromArray(S, init, i0 + 2 * L), x03 = FloatVector.fromArray(S, init, i0 + 3 * L), x04 = FloatVector.fromArray(S, init, i0 + 4 * L);
            FloatVector x10 = FloatVector.fromArray(S, init, i1), x11 = FloatVector.fromArray(S, init, i1 + L), x12 = FloatVector.fromArray(S, init, i1 + 2 * L), x13 = FloatVector.fromArray(S, init, i1 + 3 * L), x14 = FloatVector.fromArray(S, init, i1 + 4 * L);
            FloatVector x20 = FloatVector.fromArray(S, init, i2), x21 = FloatVector.fromArray(S, init, i2 + L), x22 = FloatVector.fromArray(S, init, i2 + 2 * L), x23 = FloatVector.fromArray(S, init, i2 + 3 * L), x24 = FloatVector.fromArray(S, init, i2 + 4 * L);
            FloatVector x30 = FloatVector.fromArray(S, init, i3), x31 = FloatVector.fromArray(S, init, i3 + L), x32 = FloatVector.fromArray(S, init, i3 + 2 * L), x33 = FloatVector.fromArray(S, init, i3 + 3 * L), x34 = FloatVector.fromArray(S, init, i3 + 4 * L);
            int a0 = aOff + r * as, a1 = a0 + as, a2 = a1 + as, a3 = a2 + as;
            for (int k = 0, bk = bOff; k < kN; k++, bk += 5 * L) {
                // scalar math: C[r, j] += A[r, k]·B[k, j] for 4 rows × 5 vectors
                FloatVector b0 = FloatVector.fromArray(S, b, bk);
                FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
                FloatVector b2 = FloatVector.fromArray(S, b, bk + 2 * L);
                FloatVector b3 = FloatVector.fromArray(S, b, bk + 3 * L);
                FloatVector b4 = FloatVector.fromArray(S, b, bk + 4 * L);
                FloatVector v0 = FloatVector.broadcast(S, a[a0 + k]);
                x00 = v0.fma(b0, x00); x01 = v0.fma(b1, x01); x02 = v0.fma(b2, x02); x03 = v0.fma(b3, x03); x04 = v0.fma(b4, x04);
                FloatVector v1 = FloatVector.broadcast(S, a[a1 + k]);
                x10 = v1.fma(b0, x10); x11 = v1.fma(b1, x11); x12 = v1.fma(b2, x12); x13 = v1.fma(b3, x13); x14 = v1.fma(b4, x14);
                FloatVector v2 = FloatVector.broadcast(S, a[a2 + k]);
                x20 = v2.fma(b0, x20); x21 = v2.fma(b1, x21); x22 = v2.fma(b2, x22); x23 = v2.fma(b3, x23); x24 = v2.fma(b4, x24);
                FloatVector v3 = FloatVector.broadcast(S, a[a3 + k]);
                x30 = v3.fma(b0, x30); x31 = v3.fma(b1, x31); x32 = v3.fma(b2, x32); x33 = v3.fma(b3, x33); x34 = v3.fma(b4, x34);
            }
            x00.intoArray(c, c0); x01.intoArray(c, c0 + L); x02.intoArray(c, c0 + 2 * L); x03.intoArray(c, c0 + 3 * L); x04.intoArray(c, c0 + 4 * L);
            x10.intoArray(c, c1); x11.intoArray(c, c1 + L); x12.intoArray(c, c1 + 2 * L); x13.intoArray(c, c1 + 3 * L); x14.intoArray(c, c1 + 4 * L);
            x20.intoArray(c, c2); x21.intoArray(c, c2 + L); x22.intoArray(c, c2 + 2 * L); x23.intoArray(c, c2 + 3 * L); x24.intoArray(c, c2 + 4 * L);
            x30.intoArray(c, c3); x31.intoArray(c, c3 + L); x32.intoArray(c, c3 + 2 * L); x33.intoArray(c, c3 + 3 * L); x34.intoArray(c, c3 + 4 * L);
        }
    }

    private static void row5(float[] a, int aRow, int kN, float[] b, int bOff, int bs, float[] c, int cRow) {
        FloatVector x0 = FloatVector.fromArray(S, c, cRow), x1 = FloatVector.fromArray(S, c, cRow + L), x2 = FloatVector.fromArray(S, c, cRow + 2 * L), x3 = FloatVector.fromArray(S, c, cRow + 3 * L), x4 = FloatVector.fromArray(S, c, cRow + 4 * L);
        for (int k = 0; k < kN; k++) {
            // scalar math: C[r, j] += A[r, k]·B[k, j] for 1 row × 5 vectors
            int bk = bOff + k * bs;
            FloatVector v = FloatVector.broadcast(S, a[aRow + k]);
            x0 = v.fma(FloatVector.fromArray(S, b, bk), x0);
            x1 = v.fma(FloatVector.fromArray(S, b, bk + L), x1);
            x2 = v.fma(FloatVector.fromArray(S, b, bk + 2 * L), x2);
            x3 = v.fma(FloatVector.fromArray(S, b, bk + 3 * L), x3);
            x4 = v.fma(FloatVector.fromArray(S, b, bk + 4 * L), x4);
        }
        x0.intoArray(c, cRow); x1.intoArray(c, cRow + L); x2.intoArray(c, cRow + 2 * L); x3.intoArray(c, cRow + 3 * L); x4.intoArray(c, cRow + 4 * L);
    }

    private static void block4(float[] a, int aOff, int as, int rows, int kN, float[] b, int bOff,
                               float[] c, int cOff, int cs, float[] start) {
        float[] init = start != null ? start : c;
        int is = start != null ? 0 : cs;
        for (int r = 0; r + 4 <= rows; r += 4) {
            int c0 = cOff + r * cs, c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs;
            int i0 = start != null ? 0 : c0, i1 = i0 + is, i2 = i1 + is, i3 = i2 + is;
            FloatVector x00 = FloatVector.fromArray(S, init, i0), x01 = FloatVector.fromArray(S, init, i0 + L), x02 = FloatVector.fromArray(S, init, i0 + 2 * L), x03 = FloatVector.fromArray(S, init, i0 + 3 * L);
            FloatVector x10 = FloatVector.fromArray(S, init, i1), x11 = FloatVector.fromArray(S, init, i1 + L), x12 = FloatVector.fromArray(S, init, i1 + 2 * L), x13 = FloatVector.fromArray(S, init, i1 + 3 * L);
            FloatVector x20 = FloatVector.fromArray(S, init, i2), x21 = FloatVector.fromArray(S, init, i2 + L), x22 = FloatVector.fromArray(S, init, i2 + 2 * L), x23 = FloatVector.fromArray(S, init, i2 + 3 * L);
            FloatVector x30 = FloatVector.fromArray(S, init, i3), x31 = FloatVector.fromArray(S, init, i3 + L), x32 = FloatVector.fromArray(S, init, i3 + 2 * L), x33 = FloatVector.fromArray(S, init, i3 + 3 * L);
            int a0 = aOff + r * as, a1 = a0 + as, a2 = a1 + as, a3 = a2 + as;
            for (int k = 0, bk = bOff; k < kN; k++, bk += 4 * L) {
                // scalar math: C[r, j] += A[r, k]·B[k, j] for 4 rows × 4 vectors
                FloatVector b0 = FloatVector.fromArray(S, b, bk);
                FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
                FloatVector b2 = FloatVector.fromArray(S, b, bk + 2 * L);
                FloatVector b3 = FloatVector.fromArray(S, b, bk + 3 * L);
                FloatVector v0 = FloatVector.broadcast(S, a[a0 + k]);
                x00 = v0.fma(b0, x00); x01 = v0.fma(b1, x01); x02 = v0.fma(b2, x02); x03 = v0.fma(b3, x03);
                FloatVector v1 = FloatVector.broadcast(S, a[a1 + k]);
                x10 = v1.fma(b0, x10); x11 = v1.fma(b1, x11); x12 = v1.fma(b2, x12); x13 = v1.fma(b3, x13);
                FloatVector v2 = FloatVector.broadcast(S, a[a2 + k]);
                x20 = v2.fma(b0, x20); x21 = v2.fma(b1, x21); x22 = v2.fma(b2, x22); x23 = v2.fma(b3, x23);
                FloatVector v3 = FloatVector.broadcast(S, a[a3 + k]);
                x30 = v3.fma(b0, x30); x31 = v3.fma(b1, x31); x32 = v3.fma(b2, x32); x33 = v3.fma(b3, x33);
            }
            x00.intoArray(c, c0); x01.intoArray(c, c0 + L); x02.intoArray(c, c0 + 2 * L); x03.intoArray(c, c0 + 3 * L);
            x10.intoArray(c, c1); x11.intoArray(c, c1 + L); x12.intoArray(c, c1 + 2 * L); x13.intoArray(c, c1 + 3 * L);
            x20.intoArray(c, c2); x21.intoArray(c, c2 + L); x22.intoArray(c, c2 + 2 * L); x23.intoArray(c, c2 + 3 * L);
            x30.intoArray(c, c3); x31.intoArray(c, c3 + L); x32.intoArray(c, c3 + 2 * L); x33.intoArray(c, c3 + 3 * L);
        }
    }

    private static void row4(float[] a, int aRow, int kN, float[] b, int bOff, int bs, float[] c, int cRow) {
        FloatVector x0 = FloatVector.fromArray(S, c, cRow), x1 = FloatVector.fromArray(S, c, cRow + L), x2 = FloatVector.fromArray(S, c, cRow + 2 * L), x3 = FloatVector.fromArray(S, c, cRow + 3 * L);
        for (int k = 0; k < kN; k++) {
            // scalar math: C[r, j] += A[r, k]·B[k, j] for 1 row × 4 vectors
            int bk = bOff + k * bs;
            FloatVector v = FloatVector.broadcast(S, a[aRow + k]);
            x0 = v.fma(FloatVector.fromArray(S, b, bk), x0);
            x1 = v.fma(FloatVector.fromArray(S, b, bk + L), x1);
            x2 = v.fma(FloatVector.fromArray(S, b, bk + 2 * L), x2);
            x3 = v.fma(FloatVector.fromArray(S, b, bk + 3 * L), x3);
        }
        x0.intoArray(c, cRow); x1.intoArray(c, cRow + L); x2.intoArray(c, cRow + 2 * L); x3.intoArray(c, cRow + 3 * L);
    }

    private static void row3(float[] a, int aRow, int kN, float[] b, int bOff, int bs, float[] c, int cRow) {
        FloatVector x0 = FloatVector.fromArray(S, c, cRow), x1 = FloatVector.fromArray(S, c, cRow + L), x2 = FloatVector.fromArray(S, c, cRow + 2 * L);
        for (int k = 0; k < kN; k++) {
            // scalar math: C[r, j] += A[r, k]·B[k, j] for 1 row × 3 vectors
            int bk = bOff + k * bs;
            FloatVector v = FloatVector.broadcast(S, a[aRow + k]);
            x0 = v.fma(FloatVector.fromArray(S, b, bk), x0);
            x1 = v.fma(FloatVector.fromArray(S, b, bk + L), x1);
            x2 = v.fma(FloatVector.fromArray(S, b, bk + 2 * L), x2);
        }
        x0.intoArray(c, cRow); x1.intoArray(c, cRow + L); x2.intoArray(c, cRow + 2 * L);
    }

    /**
     * 6 rows × 1 vector (6 accumulators): the odd vector count's last column on 16 registers
     * ({@link #ODD_TILE_VECTORS}). Its place was a 3 × 3 tile; a 4 × 3 one (12 accumulators) had measured 36–39 GFLOP/s
     * on the AVX2 host against 55–78 for 6 × 2: C2 kept two broadcasts live, so one accumulator spilled and its chain
     * ran through a store and a reload every k.
     */
    private static void block6x1(float[] a, int aOff, int as, int rows, int kN, float[] b, int bOff,
                                 float[] init, int iOff, int is, float[] c, int cOff, int cs) {
        for (int r = 0; r + 6 <= rows; r += 6) {
            int c0 = cOff + r * cs, c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs, c4 = c3 + cs, c5 = c4 + cs;
            int i0 = iOff + r * is, i1 = i0 + is, i2 = i1 + is, i3 = i2 + is, i4 = i3 + is, i5 = i4 + is;
            FloatVector x0 = FloatVector.fromArray(S, init, i0), x1 = FloatVector.fromArray(S, init, i1);
            FloatVector x2 = FloatVector.fromArray(S, init, i2), x3 = FloatVector.fromArray(S, init, i3);
            FloatVector x4 = FloatVector.fromArray(S, init, i4), x5 = FloatVector.fromArray(S, init, i5);
            int a0 = aOff + r * as, a1 = a0 + as, a2 = a1 + as, a3 = a2 + as, a4 = a3 + as, a5 = a4 + as;
            for (int k = 0, bk = bOff; k < kN; k++, bk += L) {
                // scalar math: C[r, j] += A[r, k]·B[k, j] for 6 rows × 1 vector
                FloatVector b0 = FloatVector.fromArray(S, b, bk);
                x0 = FloatVector.broadcast(S, a[a0 + k]).fma(b0, x0);
                x1 = FloatVector.broadcast(S, a[a1 + k]).fma(b0, x1);
                x2 = FloatVector.broadcast(S, a[a2 + k]).fma(b0, x2);
                x3 = FloatVector.broadcast(S, a[a3 + k]).fma(b0, x3);
                x4 = FloatVector.broadcast(S, a[a4 + k]).fma(b0, x4);
                x5 = FloatVector.broadcast(S, a[a5 + k]).fma(b0, x5);
            }
            x0.intoArray(c, c0); x1.intoArray(c, c1); x2.intoArray(c, c2);
            x3.intoArray(c, c3); x4.intoArray(c, c4); x5.intoArray(c, c5);
        }
    }

    /** 6 rows × 2 vectors (12 accumulators, BLIS's Haswell shape): the 2-vector tile on 16 registers. */
    private static void block6x2(float[] a, int aOff, int as, int rows, int kN, float[] b, int bOff,
                                 float[] init, int iOff, int is, float[] c, int cOff, int cs) {
        for (int r = 0; r + 6 <= rows; r += 6) {
            int c0 = cOff + r * cs, c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs, c4 = c3 + cs, c5 = c4 + cs;
            int i0 = iOff + r * is, i1 = i0 + is, i2 = i1 + is, i3 = i2 + is, i4 = i3 + is, i5 = i4 + is;
            FloatVector x00 = FloatVector.fromArray(S, init, i0), x01 = FloatVector.fromArray(S, init, i0 + L);
            FloatVector x10 = FloatVector.fromArray(S, init, i1), x11 = FloatVector.fromArray(S, init, i1 + L);
            FloatVector x20 = FloatVector.fromArray(S, init, i2), x21 = FloatVector.fromArray(S, init, i2 + L);
            FloatVector x30 = FloatVector.fromArray(S, init, i3), x31 = FloatVector.fromArray(S, init, i3 + L);
            FloatVector x40 = FloatVector.fromArray(S, init, i4), x41 = FloatVector.fromArray(S, init, i4 + L);
            FloatVector x50 = FloatVector.fromArray(S, init, i5), x51 = FloatVector.fromArray(S, init, i5 + L);
            int a0 = aOff + r * as, a1 = a0 + as, a2 = a1 + as, a3 = a2 + as, a4 = a3 + as, a5 = a4 + as;
            for (int k = 0, bk = bOff; k < kN; k++, bk += 2 * L) {
                // scalar math: C[r, j] += A[r, k]·B[k, j] for 6 rows × 2 vectors
                FloatVector b0 = FloatVector.fromArray(S, b, bk);
                FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
                FloatVector v0 = FloatVector.broadcast(S, a[a0 + k]);
                x00 = v0.fma(b0, x00); x01 = v0.fma(b1, x01);
                FloatVector v1 = FloatVector.broadcast(S, a[a1 + k]);
                x10 = v1.fma(b0, x10); x11 = v1.fma(b1, x11);
                FloatVector v2 = FloatVector.broadcast(S, a[a2 + k]);
                x20 = v2.fma(b0, x20); x21 = v2.fma(b1, x21);
                FloatVector v3 = FloatVector.broadcast(S, a[a3 + k]);
                x30 = v3.fma(b0, x30); x31 = v3.fma(b1, x31);
                FloatVector v4 = FloatVector.broadcast(S, a[a4 + k]);
                x40 = v4.fma(b0, x40); x41 = v4.fma(b1, x41);
                FloatVector v5 = FloatVector.broadcast(S, a[a5 + k]);
                x50 = v5.fma(b0, x50); x51 = v5.fma(b1, x51);
            }
            x00.intoArray(c, c0); x01.intoArray(c, c0 + L);
            x10.intoArray(c, c1); x11.intoArray(c, c1 + L);
            x20.intoArray(c, c2); x21.intoArray(c, c2 + L);
            x30.intoArray(c, c3); x31.intoArray(c, c3 + L);
            x40.intoArray(c, c4); x41.intoArray(c, c4 + L);
            x50.intoArray(c, c5); x51.intoArray(c, c5 + L);
        }
    }

    private static void block2(float[] a, int aOff, int as, int rows, int kN, float[] b, int bOff,
                               float[] c, int cOff, int cs, float[] start) {
        float[] init = start != null ? start : c;
        int is = start != null ? 0 : cs;
        for (int r = 0; r + 4 <= rows; r += 4) {
            int c0 = cOff + r * cs, c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs;
            int i0 = start != null ? 0 : c0, i1 = i0 + is, i2 = i1 + is, i3 = i2 + is;
            FloatVector x00 = FloatVector.fromArray(S, init, i0), x01 = FloatVector.fromArray(S, init, i0 + L);
            FloatVector x10 = FloatVector.fromArray(S, init, i1), x11 = FloatVector.fromArray(S, init, i1 + L);
            FloatVector x20 = FloatVector.fromArray(S, init, i2), x21 = FloatVector.fromArray(S, init, i2 + L);
            FloatVector x30 = FloatVector.fromArray(S, init, i3), x31 = FloatVector.fromArray(S, init, i3 + L);
            int a0 = aOff + r * as, a1 = a0 + as, a2 = a1 + as, a3 = a2 + as;
            for (int k = 0, bk = bOff; k < kN; k++, bk += 2 * L) {
                // scalar math: C[r, j] += A[r, k]·B[k, j] for 4 rows × 2 vectors
                FloatVector b0 = FloatVector.fromArray(S, b, bk);
                FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
                FloatVector v0 = FloatVector.broadcast(S, a[a0 + k]);
                x00 = v0.fma(b0, x00); x01 = v0.fma(b1, x01);
                FloatVector v1 = FloatVector.broadcast(S, a[a1 + k]);
                x10 = v1.fma(b0, x10); x11 = v1.fma(b1, x11);
                FloatVector v2 = FloatVector.broadcast(S, a[a2 + k]);
                x20 = v2.fma(b0, x20); x21 = v2.fma(b1, x21);
                FloatVector v3 = FloatVector.broadcast(S, a[a3 + k]);
                x30 = v3.fma(b0, x30); x31 = v3.fma(b1, x31);
            }
            x00.intoArray(c, c0); x01.intoArray(c, c0 + L);
            x10.intoArray(c, c1); x11.intoArray(c, c1 + L);
            x20.intoArray(c, c2); x21.intoArray(c, c2 + L);
            x30.intoArray(c, c3); x31.intoArray(c, c3 + L);
        }
    }

    private static void row2(float[] a, int aRow, int kN, float[] b, int bOff, int bs, float[] c, int cRow) {
        FloatVector x0 = FloatVector.fromArray(S, c, cRow), x1 = FloatVector.fromArray(S, c, cRow + L);
        for (int k = 0; k < kN; k++) {
            // scalar math: C[r, j] += A[r, k]·B[k, j] for 1 row × 2 vectors
            int bk = bOff + k * bs;
            FloatVector v = FloatVector.broadcast(S, a[aRow + k]);
            x0 = v.fma(FloatVector.fromArray(S, b, bk), x0);
            x1 = v.fma(FloatVector.fromArray(S, b, bk + L), x1);
        }
        x0.intoArray(c, cRow); x1.intoArray(c, cRow + L);
    }

    private static void block1(float[] a, int aOff, int as, int rows, int kN, float[] b, int bOff,
                               float[] c, int cOff, int cs, float[] start) {
        float[] init = start != null ? start : c;
        int is = start != null ? 0 : cs;
        for (int r = 0; r + 4 <= rows; r += 4) {
            int c0 = cOff + r * cs, c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs;
            int i0 = start != null ? 0 : c0, i1 = i0 + is, i2 = i1 + is, i3 = i2 + is;
            FloatVector x00 = FloatVector.fromArray(S, init, i0);
            FloatVector x10 = FloatVector.fromArray(S, init, i1);
            FloatVector x20 = FloatVector.fromArray(S, init, i2);
            FloatVector x30 = FloatVector.fromArray(S, init, i3);
            int a0 = aOff + r * as, a1 = a0 + as, a2 = a1 + as, a3 = a2 + as;
            for (int k = 0, bk = bOff; k < kN; k++, bk += L) {
                // scalar math: C[r, j] += A[r, k]·B[k, j] for 4 rows × 1 vectors
                FloatVector b0 = FloatVector.fromArray(S, b, bk);
                FloatVector v0 = FloatVector.broadcast(S, a[a0 + k]);
                x00 = v0.fma(b0, x00);
                FloatVector v1 = FloatVector.broadcast(S, a[a1 + k]);
                x10 = v1.fma(b0, x10);
                FloatVector v2 = FloatVector.broadcast(S, a[a2 + k]);
                x20 = v2.fma(b0, x20);
                FloatVector v3 = FloatVector.broadcast(S, a[a3 + k]);
                x30 = v3.fma(b0, x30);
            }
            x00.intoArray(c, c0);
            x10.intoArray(c, c1);
            x20.intoArray(c, c2);
            x30.intoArray(c, c3);
        }
    }

    private static void row1(float[] a, int aRow, int kN, float[] b, int bOff, int bs, float[] c, int cRow) {
        FloatVector x0 = FloatVector.fromArray(S, c, cRow);
        for (int k = 0; k < kN; k++) {
            // scalar math: C[r, j] += A[r, k]·B[k, j] for 1 row × 1 vectors
            int bk = bOff + k * bs;
            FloatVector v = FloatVector.broadcast(S, a[aRow + k]);
            x0 = v.fma(FloatVector.fromArray(S, b, bk), x0);
        }
        x0.intoArray(c, cRow);
    }

    private static void blockT5(float[] a, int aOff, int as, int rows, int kN, float[] b, int bOff, int bs,
                               float[] c, int cOff, int cs) {
        for (int r = 0; r + 4 <= rows; r += 4) {
            int c0 = cOff + r * cs, c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs;
            FloatVector x00 = FloatVector.fromArray(S, c, c0), x01 = FloatVector.fromArray(S, c, c0 + L), x02 = FloatVector.fromArray(S, c, c0 + 2 * L), x03 = FloatVector.fromArray(S, c, c0 + 3 * L), x04 = FloatVector.fromArray(S, c, c0 + 4 * L);
            FloatVector x10 = FloatVector.fromArray(S, c, c1), x11 = FloatVector.fromArray(S, c, c1 + L), x12 = FloatVector.fromArray(S, c, c1 + 2 * L), x13 = FloatVector.fromArray(S, c, c1 + 3 * L), x14 = FloatVector.fromArray(S, c, c1 + 4 * L);
            FloatVector x20 = FloatVector.fromArray(S, c, c2), x21 = FloatVector.fromArray(S, c, c2 + L), x22 = FloatVector.fromArray(S, c, c2 + 2 * L), x23 = FloatVector.fromArray(S, c, c2 + 3 * L), x24 = FloatVector.fromArray(S, c, c2 + 4 * L);
            FloatVector x30 = FloatVector.fromArray(S, c, c3), x31 = FloatVector.fromArray(S, c, c3 + L), x32 = FloatVector.fromArray(S, c, c3 + 2 * L), x33 = FloatVector.fromArray(S, c, c3 + 3 * L), x34 = FloatVector.fromArray(S, c, c3 + 4 * L);
            int a0 = aOff + r;
            for (int k = 0, bk = bOff; k < kN; k++, bk += bs) {
                // scalar math: C[r, j] += A[r, k]·B[k, j] for 4 rows of Aᵀ × 5 vectors
                FloatVector b0 = FloatVector.fromArray(S, b, bk);
                FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
                FloatVector b2 = FloatVector.fromArray(S, b, bk + 2 * L);
                FloatVector b3 = FloatVector.fromArray(S, b, bk + 3 * L);
                FloatVector b4 = FloatVector.fromArray(S, b, bk + 4 * L);
                FloatVector v0 = FloatVector.broadcast(S, a[a0 + k * as]);
                x00 = v0.fma(b0, x00); x01 = v0.fma(b1, x01); x02 = v0.fma(b2, x02); x03 = v0.fma(b3, x03); x04 = v0.fma(b4, x04);
                FloatVector v1 = FloatVector.broadcast(S, a[a0 + k * as + 1]);
                x10 = v1.fma(b0, x10); x11 = v1.fma(b1, x11); x12 = v1.fma(b2, x12); x13 = v1.fma(b3, x13); x14 = v1.fma(b4, x14);
                FloatVector v2 = FloatVector.broadcast(S, a[a0 + k * as + 2]);
                x20 = v2.fma(b0, x20); x21 = v2.fma(b1, x21); x22 = v2.fma(b2, x22); x23 = v2.fma(b3, x23); x24 = v2.fma(b4, x24);
                FloatVector v3 = FloatVector.broadcast(S, a[a0 + k * as + 3]);
                x30 = v3.fma(b0, x30); x31 = v3.fma(b1, x31); x32 = v3.fma(b2, x32); x33 = v3.fma(b3, x33); x34 = v3.fma(b4, x34);
            }
            x00.intoArray(c, c0); x01.intoArray(c, c0 + L); x02.intoArray(c, c0 + 2 * L); x03.intoArray(c, c0 + 3 * L); x04.intoArray(c, c0 + 4 * L);
            x10.intoArray(c, c1); x11.intoArray(c, c1 + L); x12.intoArray(c, c1 + 2 * L); x13.intoArray(c, c1 + 3 * L); x14.intoArray(c, c1 + 4 * L);
            x20.intoArray(c, c2); x21.intoArray(c, c2 + L); x22.intoArray(c, c2 + 2 * L); x23.intoArray(c, c2 + 3 * L); x24.intoArray(c, c2 + 4 * L);
            x30.intoArray(c, c3); x31.intoArray(c, c3 + L); x32.intoArray(c, c3 + 2 * L); x33.intoArray(c, c3 + 3 * L); x34.intoArray(c, c3 + 4 * L);
        }
    }

    private static void rowT5(float[] a, int aCol, int as, int kN, float[] b, int bOff, int bs, float[] c, int cRow) {
        FloatVector x0 = FloatVector.fromArray(S, c, cRow), x1 = FloatVector.fromArray(S, c, cRow + L), x2 = FloatVector.fromArray(S, c, cRow + 2 * L), x3 = FloatVector.fromArray(S, c, cRow + 3 * L), x4 = FloatVector.fromArray(S, c, cRow + 4 * L);
        for (int k = 0; k < kN; k++) {
            // scalar math: C[r, j] += A[r, k]·B[k, j] for 1 row of Aᵀ × 5 vectors
            int bk = bOff + k * bs;
            FloatVector v = FloatVector.broadcast(S, a[aCol + k * as]);
            x0 = v.fma(FloatVector.fromArray(S, b, bk), x0);
            x1 = v.fma(FloatVector.fromArray(S, b, bk + L), x1);
            x2 = v.fma(FloatVector.fromArray(S, b, bk + 2 * L), x2);
            x3 = v.fma(FloatVector.fromArray(S, b, bk + 3 * L), x3);
            x4 = v.fma(FloatVector.fromArray(S, b, bk + 4 * L), x4);
        }
        x0.intoArray(c, cRow); x1.intoArray(c, cRow + L); x2.intoArray(c, cRow + 2 * L); x3.intoArray(c, cRow + 3 * L); x4.intoArray(c, cRow + 4 * L);
    }

    private static void blockT4(float[] a, int aOff, int as, int rows, int kN, float[] b, int bOff, int bs,
                               float[] c, int cOff, int cs) {
        for (int r = 0; r + 4 <= rows; r += 4) {
            int c0 = cOff + r * cs, c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs;
            FloatVector x00 = FloatVector.fromArray(S, c, c0), x01 = FloatVector.fromArray(S, c, c0 + L), x02 = FloatVector.fromArray(S, c, c0 + 2 * L), x03 = FloatVector.fromArray(S, c, c0 + 3 * L);
            FloatVector x10 = FloatVector.fromArray(S, c, c1), x11 = FloatVector.fromArray(S, c, c1 + L), x12 = FloatVector.fromArray(S, c, c1 + 2 * L), x13 = FloatVector.fromArray(S, c, c1 + 3 * L);
            FloatVector x20 = FloatVector.fromArray(S, c, c2), x21 = FloatVector.fromArray(S, c, c2 + L), x22 = FloatVector.fromArray(S, c, c2 + 2 * L), x23 = FloatVector.fromArray(S, c, c2 + 3 * L);
            FloatVector x30 = FloatVector.fromArray(S, c, c3), x31 = FloatVector.fromArray(S, c, c3 + L), x32 = FloatVector.fromArray(S, c, c3 + 2 * L), x33 = FloatVector.fromArray(S, c, c3 + 3 * L);
            int a0 = aOff + r;
            for (int k = 0, bk = bOff; k < kN; k++, bk += bs) {
                // scalar math: C[r, j] += A[r, k]·B[k, j] for 4 rows of Aᵀ × 4 vectors
                FloatVector b0 = FloatVector.fromArray(S, b, bk);
                FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
                FloatVector b2 = FloatVector.fromArray(S, b, bk + 2 * L);
                FloatVector b3 = FloatVector.fromArray(S, b, bk + 3 * L);
                FloatVector v0 = FloatVector.broadcast(S, a[a0 + k * as]);
                x00 = v0.fma(b0, x00); x01 = v0.fma(b1, x01); x02 = v0.fma(b2, x02); x03 = v0.fma(b3, x03);
                FloatVector v1 = FloatVector.broadcast(S, a[a0 + k * as + 1]);
                x10 = v1.fma(b0, x10); x11 = v1.fma(b1, x11); x12 = v1.fma(b2, x12); x13 = v1.fma(b3, x13);
                FloatVector v2 = FloatVector.broadcast(S, a[a0 + k * as + 2]);
                x20 = v2.fma(b0, x20); x21 = v2.fma(b1, x21); x22 = v2.fma(b2, x22); x23 = v2.fma(b3, x23);
                FloatVector v3 = FloatVector.broadcast(S, a[a0 + k * as + 3]);
                x30 = v3.fma(b0, x30); x31 = v3.fma(b1, x31); x32 = v3.fma(b2, x32); x33 = v3.fma(b3, x33);
            }
            x00.intoArray(c, c0); x01.intoArray(c, c0 + L); x02.intoArray(c, c0 + 2 * L); x03.intoArray(c, c0 + 3 * L);
            x10.intoArray(c, c1); x11.intoArray(c, c1 + L); x12.intoArray(c, c1 + 2 * L); x13.intoArray(c, c1 + 3 * L);
            x20.intoArray(c, c2); x21.intoArray(c, c2 + L); x22.intoArray(c, c2 + 2 * L); x23.intoArray(c, c2 + 3 * L);
            x30.intoArray(c, c3); x31.intoArray(c, c3 + L); x32.intoArray(c, c3 + 2 * L); x33.intoArray(c, c3 + 3 * L);
        }
    }

    private static void rowT4(float[] a, int aCol, int as, int kN, float[] b, int bOff, int bs, float[] c, int cRow) {
        FloatVector x0 = FloatVector.fromArray(S, c, cRow), x1 = FloatVector.fromArray(S, c, cRow + L), x2 = FloatVector.fromArray(S, c, cRow + 2 * L), x3 = FloatVector.fromArray(S, c, cRow + 3 * L);
        for (int k = 0; k < kN; k++) {
            // scalar math: C[r, j] += A[r, k]·B[k, j] for 1 row of Aᵀ × 4 vectors
            int bk = bOff + k * bs;
            FloatVector v = FloatVector.broadcast(S, a[aCol + k * as]);
            x0 = v.fma(FloatVector.fromArray(S, b, bk), x0);
            x1 = v.fma(FloatVector.fromArray(S, b, bk + L), x1);
            x2 = v.fma(FloatVector.fromArray(S, b, bk + 2 * L), x2);
            x3 = v.fma(FloatVector.fromArray(S, b, bk + 3 * L), x3);
        }
        x0.intoArray(c, cRow); x1.intoArray(c, cRow + L); x2.intoArray(c, cRow + 2 * L); x3.intoArray(c, cRow + 3 * L);
    }

    private static void blockT3(float[] a, int aOff, int as, int rows, int kN, float[] b, int bOff, int bs,
                               float[] c, int cOff, int cs) {
        for (int r = 0; r + 4 <= rows; r += 4) {
            int c0 = cOff + r * cs, c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs;
            FloatVector x00 = FloatVector.fromArray(S, c, c0), x01 = FloatVector.fromArray(S, c, c0 + L), x02 = FloatVector.fromArray(S, c, c0 + 2 * L);
            FloatVector x10 = FloatVector.fromArray(S, c, c1), x11 = FloatVector.fromArray(S, c, c1 + L), x12 = FloatVector.fromArray(S, c, c1 + 2 * L);
            FloatVector x20 = FloatVector.fromArray(S, c, c2), x21 = FloatVector.fromArray(S, c, c2 + L), x22 = FloatVector.fromArray(S, c, c2 + 2 * L);
            FloatVector x30 = FloatVector.fromArray(S, c, c3), x31 = FloatVector.fromArray(S, c, c3 + L), x32 = FloatVector.fromArray(S, c, c3 + 2 * L);
            int a0 = aOff + r;
            for (int k = 0, bk = bOff; k < kN; k++, bk += bs) {
                // scalar math: C[r, j] += A[r, k]·B[k, j] for 4 rows of Aᵀ × 3 vectors
                FloatVector b0 = FloatVector.fromArray(S, b, bk);
                FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
                FloatVector b2 = FloatVector.fromArray(S, b, bk + 2 * L);
                FloatVector v0 = FloatVector.broadcast(S, a[a0 + k * as]);
                x00 = v0.fma(b0, x00); x01 = v0.fma(b1, x01); x02 = v0.fma(b2, x02);
                FloatVector v1 = FloatVector.broadcast(S, a[a0 + k * as + 1]);
                x10 = v1.fma(b0, x10); x11 = v1.fma(b1, x11); x12 = v1.fma(b2, x12);
                FloatVector v2 = FloatVector.broadcast(S, a[a0 + k * as + 2]);
                x20 = v2.fma(b0, x20); x21 = v2.fma(b1, x21); x22 = v2.fma(b2, x22);
                FloatVector v3 = FloatVector.broadcast(S, a[a0 + k * as + 3]);
                x30 = v3.fma(b0, x30); x31 = v3.fma(b1, x31); x32 = v3.fma(b2, x32);
            }
            x00.intoArray(c, c0); x01.intoArray(c, c0 + L); x02.intoArray(c, c0 + 2 * L);
            x10.intoArray(c, c1); x11.intoArray(c, c1 + L); x12.intoArray(c, c1 + 2 * L);
            x20.intoArray(c, c2); x21.intoArray(c, c2 + L); x22.intoArray(c, c2 + 2 * L);
            x30.intoArray(c, c3); x31.intoArray(c, c3 + L); x32.intoArray(c, c3 + 2 * L);
        }
    }

    private static void rowT3(float[] a, int aCol, int as, int kN, float[] b, int bOff, int bs, float[] c, int cRow) {
        FloatVector x0 = FloatVector.fromArray(S, c, cRow), x1 = FloatVector.fromArray(S, c, cRow + L), x2 = FloatVector.fromArray(S, c, cRow + 2 * L);
        for (int k = 0; k < kN; k++) {
            // scalar math: C[r, j] += A[r, k]·B[k, j] for 1 row of Aᵀ × 3 vectors
            int bk = bOff + k * bs;
            FloatVector v = FloatVector.broadcast(S, a[aCol + k * as]);
            x0 = v.fma(FloatVector.fromArray(S, b, bk), x0);
            x1 = v.fma(FloatVector.fromArray(S, b, bk + L), x1);
            x2 = v.fma(FloatVector.fromArray(S, b, bk + 2 * L), x2);
        }
        x0.intoArray(c, cRow); x1.intoArray(c, cRow + L); x2.intoArray(c, cRow + 2 * L);
    }

    private static void blockT2(float[] a, int aOff, int as, int rows, int kN, float[] b, int bOff, int bs,
                               float[] c, int cOff, int cs) {
        for (int r = 0; r + 4 <= rows; r += 4) {
            int c0 = cOff + r * cs, c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs;
            FloatVector x00 = FloatVector.fromArray(S, c, c0), x01 = FloatVector.fromArray(S, c, c0 + L);
            FloatVector x10 = FloatVector.fromArray(S, c, c1), x11 = FloatVector.fromArray(S, c, c1 + L);
            FloatVector x20 = FloatVector.fromArray(S, c, c2), x21 = FloatVector.fromArray(S, c, c2 + L);
            FloatVector x30 = FloatVector.fromArray(S, c, c3), x31 = FloatVector.fromArray(S, c, c3 + L);
            int a0 = aOff + r;
            for (int k = 0, bk = bOff; k < kN; k++, bk += bs) {
                // scalar math: C[r, j] += A[r, k]·B[k, j] for 4 rows of Aᵀ × 2 vectors
                FloatVector b0 = FloatVector.fromArray(S, b, bk);
                FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
                FloatVector v0 = FloatVector.broadcast(S, a[a0 + k * as]);
                x00 = v0.fma(b0, x00); x01 = v0.fma(b1, x01);
                FloatVector v1 = FloatVector.broadcast(S, a[a0 + k * as + 1]);
                x10 = v1.fma(b0, x10); x11 = v1.fma(b1, x11);
                FloatVector v2 = FloatVector.broadcast(S, a[a0 + k * as + 2]);
                x20 = v2.fma(b0, x20); x21 = v2.fma(b1, x21);
                FloatVector v3 = FloatVector.broadcast(S, a[a0 + k * as + 3]);
                x30 = v3.fma(b0, x30); x31 = v3.fma(b1, x31);
            }
            x00.intoArray(c, c0); x01.intoArray(c, c0 + L);
            x10.intoArray(c, c1); x11.intoArray(c, c1 + L);
            x20.intoArray(c, c2); x21.intoArray(c, c2 + L);
            x30.intoArray(c, c3); x31.intoArray(c, c3 + L);
        }
    }

    private static void rowT2(float[] a, int aCol, int as, int kN, float[] b, int bOff, int bs, float[] c, int cRow) {
        FloatVector x0 = FloatVector.fromArray(S, c, cRow), x1 = FloatVector.fromArray(S, c, cRow + L);
        for (int k = 0; k < kN; k++) {
            // scalar math: C[r, j] += A[r, k]·B[k, j] for 1 row of Aᵀ × 2 vectors
            int bk = bOff + k * bs;
            FloatVector v = FloatVector.broadcast(S, a[aCol + k * as]);
            x0 = v.fma(FloatVector.fromArray(S, b, bk), x0);
            x1 = v.fma(FloatVector.fromArray(S, b, bk + L), x1);
        }
        x0.intoArray(c, cRow); x1.intoArray(c, cRow + L);
    }

    private static void blockT1(float[] a, int aOff, int as, int rows, int kN, float[] b, int bOff, int bs,
                               float[] c, int cOff, int cs) {
        for (int r = 0; r + 4 <= rows; r += 4) {
            int c0 = cOff + r * cs, c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs;
            FloatVector x00 = FloatVector.fromArray(S, c, c0);
            FloatVector x10 = FloatVector.fromArray(S, c, c1);
            FloatVector x20 = FloatVector.fromArray(S, c, c2);
            FloatVector x30 = FloatVector.fromArray(S, c, c3);
            int a0 = aOff + r;
            for (int k = 0, bk = bOff; k < kN; k++, bk += bs) {
                // scalar math: C[r, j] += A[r, k]·B[k, j] for 4 rows of Aᵀ × 1 vectors
                FloatVector b0 = FloatVector.fromArray(S, b, bk);
                FloatVector v0 = FloatVector.broadcast(S, a[a0 + k * as]);
                x00 = v0.fma(b0, x00);
                FloatVector v1 = FloatVector.broadcast(S, a[a0 + k * as + 1]);
                x10 = v1.fma(b0, x10);
                FloatVector v2 = FloatVector.broadcast(S, a[a0 + k * as + 2]);
                x20 = v2.fma(b0, x20);
                FloatVector v3 = FloatVector.broadcast(S, a[a0 + k * as + 3]);
                x30 = v3.fma(b0, x30);
            }
            x00.intoArray(c, c0);
            x10.intoArray(c, c1);
            x20.intoArray(c, c2);
            x30.intoArray(c, c3);
        }
    }

    private static void rowT1(float[] a, int aCol, int as, int kN, float[] b, int bOff, int bs, float[] c, int cRow) {
        FloatVector x0 = FloatVector.fromArray(S, c, cRow);
        for (int k = 0; k < kN; k++) {
            // scalar math: C[r, j] += A[r, k]·B[k, j] for 1 row of Aᵀ × 1 vectors
            int bk = bOff + k * bs;
            FloatVector v = FloatVector.broadcast(S, a[aCol + k * as]);
            x0 = v.fma(FloatVector.fromArray(S, b, bk), x0);
        }
        x0.intoArray(c, cRow);
    }

    /**
     * {@code Σ x[xOff + i]·y[yOff + i]} over {@code n} (a multiple of the lane count), its lanes summed from
     * {@code lanes[at..at + L)} ({@link Lanes#sum(float[], int)}). The attention unit's scores, one dot per row: summed
     * from the vector's lane extracts they took 1.2–1.5 µs of a candidate's ~21 at 512 bits (Intel AVX-512 host, one
     * thread), about 0.7 µs this way.
     */
    static float dot(float[] x, int xOff, float[] y, int yOff, int n, float[] lanes, int at) {
        FloatVector acc = FloatVector.zero(S);
        for (int i = 0; i < n; i += L) {
            // scalar math: acc += x[i]·y[i]
            acc = FloatVector.fromArray(S, x, xOff + i).fma(FloatVector.fromArray(S, y, yOff + i), acc);
        }
        acc.intoArray(lanes, at);
        return Lanes.sum(lanes, at);
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
            VectorMask<Float> m = Lanes.tail(i, n);
            long o = byteOff + (long) i * Float.BYTES;
            Lanes.storeAt(Lanes.loadAt(seg, o, m).add(FloatVector.fromArray(S, src, sOff + i, m)),
                    seg, o, m);
        }
    }

    /** {@code dst[i] += src[i]} for {@code n} floats between two segments (byte offsets). */
    static void addInto(MemorySegment dst, long dOff, MemorySegment src, long sOff, int n) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += L) {
            // scalar math: dst[i] += src[i]
            long o = (long) i * Float.BYTES;
            FloatVector.fromMemorySegment(S, dst, dOff + o, NATIVE).add(FloatVector.fromMemorySegment(S, src, sOff + o, NATIVE))
                    .intoMemorySegment(dst, dOff + o, NATIVE);
        }
        if (bound < n) {
            // in its own method, so that this one stays small enough to inline into the embedding backward's loop
            addTailInto(dst, dOff, src, sOff, bound, n);
        }
    }

    /**
     * {@code dst[i] = 0 + src[i]} for {@code n} floats between two segments (byte offsets): what {@link #addInto} leaves
     * in a zeroed {@code dst}, bit for bit (−0 becomes +0), without the zeroing or the read of {@code dst}.
     */
    static void addZeroInto(MemorySegment dst, long dOff, MemorySegment src, long sOff, int n) {
        int bound = S.loopBound(n);
        FloatVector zero = FloatVector.zero(S);
        for (int i = 0; i < bound; i += L) {
            // scalar math: dst[i] = 0 + src[i]
            long o = (long) i * Float.BYTES;
            zero.add(FloatVector.fromMemorySegment(S, src, sOff + o, NATIVE)).intoMemorySegment(dst, dOff + o, NATIVE);
        }
        for (int i = bound; i < n; i++) {
            long o = (long) i * Float.BYTES;
            dst.set(F, dOff + o, 0f + src.get(F, sOff + o));
        }
    }

    private static void addTailInto(MemorySegment dst, long dOff, MemorySegment src, long sOff, int i, int n) {
        VectorMask<Float> m = Lanes.tail(i, n);
        long o = (long) i * Float.BYTES;
        Lanes.storeAt(Lanes.loadAt(dst, dOff + o, m).add(Lanes.loadAt(src, sOff + o, m)), dst, dOff + o, m);
    }
}
