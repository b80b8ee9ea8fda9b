package io.din4j.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register-blocked single-precision GEMM, {@code C (+)= A·B (+ bias)}, for the dense layers.
 *
 * <p>B ({@code K × N}) is packed per call into panels of a few vectors of columns ({@link #panelPlan}: sized to
 * the register file of the ISA found at start-up, see {@link VectorIsa}), each panel row-major by k, zero-padded to
 * whole vectors, so a micro-kernel streams it contiguously with no masks. A is copied six (or four, see
 * {@link #rowsPerBlock}) rows at a time into a k-contiguous buffer (interleaved by k when A's rows are adjacent in
 * memory). A micro-kernel holds a 6-row × C-vector tile of C in registers (≤ 24 accumulators on the 32 registers of
 * AVX-512, 12 on AVX2's 16),
 * broadcasting one element of A per row and k into C fused multiply-adds; the tile is then written out by a small
 * separate loop that adds the bias or the existing C and masks the last vector. K is processed in blocks of
 * {@link #KC} so a panel's block stays in L1 while the rows stream past it.
 */
final class Gemm {
    static final VectorSpecies<Float> S = VectorIsa.SPECIES;
    static final int L = S.length();
    /** Rows of A per micro-kernel for products of at most 4 rows. */
    static final int R = 4;
    /**
     * Rows of A per micro-kernel when A is interleaved by k (the weight gradient's dyᵀ): 6 on 32 registers at 256
     * bits and wider, otherwise 4.
     * One JVM alternating the old and new jars call block by call block, four JVMs, one thread, on the Intel host:
     * 1024 × 128 → 128's backward took 0.80–0.96× as long with 6 rows at 512 bits, but 1.06–1.11× at 256 bits
     * (1024 × 256 → 768: 0.92–1.00× and 1.13–1.20×), where a 6 × 2 tile's A block (6 × 512 k) and B panel block
     * (32 KiB) nearly fill L1 (halving the K block for them made it worse: 1.19–1.25×); and at 128 bits on 32
     * registers, where the backward took 1.04–1.09× as long.
     */
    static final int INTERLEAVED_ROWS = VectorIsa.REGISTERS >= 32 && L >= 8 ? 6 : R;
    /**
     * Rows of A per micro-kernel when A is packed k-contiguous. With 16 registers the panels are 2 vectors wide, and
     * a 4 × 2 tile holds only 8 accumulators: fewer independent FMA chains than two FMA pipes × 4–5 cycles of latency
     * need; 6 × 2 holds 12 (plus 2 B vectors and a broadcast: 15 registers). With 32, a 6 × 4 tile holds 24 (plus 4
     * B vectors and a broadcast: 29): six broadcasts and four loads of B per 24 FMAs instead of four and four per 16.
     * Over one 128-k block in L1, one thread at 512 bits on the Intel host, 6 × 4 ran 206–211 GFLOP/s against
     * 185–188 for 4 × 4 (a scratch harness with copies of both, same JVM; the one-thread FMA peak is ~243). In the
     * whole forward the gain is smaller (old and new jars alternated in one JVM, four JVMs, one thread):
     * 1024 × 256 → 768 and 1024 × 256 → 128 0.91–1.05× the time, 64 × 256 → 768 0.96–0.99×, but 1024 × 128 → 128
     * 0.94–1.14×. At 128 bits on 32 registers ({@code MaxVectorSize=16} on the same host, the shape of NEON) the
     * 6-row tiles took 1.14–1.16× as long in both forwards, so there it stays 4 rows.
     */
    static final int ROWS = VectorIsa.REGISTERS >= 32 && L < 8 ? R : 6;
    /**
     * Vectors per full panel: ROWS × PV accumulators must fit the register file with the B row and the broadcasts
     * beside them. On 16 registers 4 × 3 spills one accumulator (C2 keeps two broadcasts live) and ran at 36–39
     * GFLOP/s on the AVX2 host against 50–63 for 4 × 2 (single-thread micro-kernel, same run).
     */
    static final int PV = VectorIsa.REGISTERS >= 32 ? 4 : 2;
    /** Tile row stride in the scratch tile (room for a 5-vector panel). */
    private static final int TW = 5 * L;
    /**
     * K block: a full panel's block of packed B fills 32 KiB, the smallest L1 data cache of the hosts we target:
     * 128 k on AVX-512 (4 vectors × 64 bytes), 512 on AVX2 (2 × 32 bytes), 1,024 at 128 bits. A fixed 128 on
     * AVX2 filled only 8 KiB and split every K above 128 into blocks whose partial sums went back through C; on
     * the AVX2 host 512 ran 1024×576→200 in 3.26 ms against 3.99 and PLE's 64×256→768 in 0.32 against 0.37 ms
     * (best of 30, one thread, alternating JVMs).
     */
    static final int KC = 32 * 1024 / (PV * L * Float.BYTES);
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    private static final ByteOrder NO = ByteOrder.nativeOrder();

    /** Per-thread buffers, grown on demand and reused, padded so two threads' arrays never share a cache line. */
    static final class Scratch {
        private static final int PAD = 32;
        float[] a = new float[0];
        float[] b = new float[0];
        final float[] tile = new float[Math.max(R, ROWS) * TW + 2 * PAD];
        /** C's rows of one {@link #multiply} call, a chunk of columns at a time ({@link #STAGE_COLUMNS}). */
        float[] stage = new float[0];
        /** The bias of the chunk's columns, as an array (zeros past N). */
        final float[] biasRow = new float[STAGE_COLUMNS + 2 * PV * L];

        float[] stage(int n) {
            if (stage.length < n) {
                stage = new float[n];
            }
            return stage;
        }

        float[] a(int n) {
            if (a.length < n + PAD) {
                a = new float[n + 2 * PAD];
            }
            return a;
        }

        float[] b(int n) {
            if (b.length < n + PAD) {
                b = new float[n + 2 * PAD];
            }
            return b;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private Gemm() {
    }

    static Scratch scratch() {
        return SCRATCH.get();
    }

    /** Panel plans for every column-vector count up to 256, computed once (no allocation per call). */
    private static final int[][] PANELS = new int[257][];

    static {
        for (int nv = 0; nv < PANELS.length; nv++) {
            PANELS[nv] = computePanels(nv);
        }
    }

    /**
     * Panel widths, in vectors, of a B with {@code nv} column vectors: {@link #PV}-vector panels, so a 6-row tile's
     * accumulators fit the register file; on 32 registers a remainder of one vector after a full panel joins it as
     * one 5-vector panel (a 1-vector panel would hold too few FMA chains), which {@link #rowsPerBlock} then
     * multiplies in 4-row tiles (6 × 5 would take 30 accumulators).
     */
    static int[] panelPlan(int nv) {
        return nv < PANELS.length ? PANELS[nv] : computePanels(nv);
    }

    /** Whether {@link #panelPlan} ends in a 5-vector panel. */
    static boolean hasFiveVectorPanel(int nv) {
        return PV == 4 && nv % PV == 1 && nv > PV;
    }

    private static int[] computePanels(int nv) {
        int full = nv / PV;
        int rem = nv % PV;
        boolean merge = hasFiveVectorPanel(nv);
        int[] w = new int[full + (rem == 0 || merge ? 0 : 1)];
        java.util.Arrays.fill(w, PV);
        if (merge) {
            w[full - 1] = PV + 1;
        } else if (rem != 0) {
            w[full] = rem;
        }
        return w;
    }

    /** Floats of packed B for {@code K × N}. */
    static int packedSize(int k, int n) {
        return k * ((n + L - 1) / L) * L;
    }

    /**
     * Floats of room in front of packed panels in their array, so that the panels can start on a cache line
     * wherever the array lies ({@link #panelBase}).
     */
    static final int PANEL_SLACK = AlignedArrays.LINE / Float.BYTES;

    /** The length of an array for {@link #packedSize} floats of panels placed at its {@link #panelBase}. */
    static int panelArraySize(int k, int n) {
        return packedSize(k, n) + PANEL_SLACK;
    }

    /**
     * Where in {@code b} the panels go: its first element on a cache line now, or 0 where that is not known. The
     * tiles load B a whole vector at a time, and at 512 bits a vector a line off straddles two; placed on lines,
     * a one-thread 1024×256→768 forward took 0.93–0.97× the time and PLE inference at B = 1,024 on one thread
     * 0.92–0.97× (docs/architecture.md, "Cache-line alignment of the scratch arrays").
     */
    static int panelBase(float[] b) {
        return AlignedArrays.floatsToLine(b);
    }

    /**
     * Packs {@code B[k][j] = src[base + k·kStride + j·jStride]} (element offsets) for {@code k < K, j < N} into
     * {@code dst} from {@code dst[dstBase]} on, panel by panel. Either stride may be 1; {@code jStride == 1} uses
     * vector copies.
     */
    static void packB(MemorySegment src, long base, long kStride, long jStride, int k, int n, float[] dst, int dstBase) {
        packB(src, base, kStride, jStride, k, n, dst, dstBase, 0, k);
    }

    /** {@code dst[d..d+width)} = the {@code valid} floats at byte offset {@code off} of {@code src}, then zeros. */
    private static void packTail(MemorySegment src, long off, int valid, float[] dst, int d, int width) {
        // Two loops, not one with "j < valid ? read : 0": C2 hoists the segment's bounds check for every iteration
        // of a loop out of it (a profile predicate), so a read loop bounded by width checked floats past the matrix's
        // end, trapped, and had packB recompiled some eighty times in one run (-Xlog:deoptimization=debug), keeping
        // the JIT busy long after the warm-up (the same cause as Lanes.readLanes).
        int read = Math.min(valid, width);
        for (int j = 0; j < read; j++) {
            dst[d + j] = src.get(F, off + (long) j * Float.BYTES);
        }
        for (int j = Math.max(read, 0); j < width; j++) {
            dst[d + j] = 0f;
        }
    }

    /**
     * {@link #packB} restricted to the rows {@code [kFrom, kTo)} of B, so several threads can pack one B. The work is
     * in helpers (a panel, or {@link #ROW_BLOCK} rows, per call), so that this method's own loop runs a few times per
     * call: with the rows' loops here, a method called once per weight and step crossed the on-stack-replacement
     * threshold, and C2 compiled it on the stack and then as a whole, twice each after a profile-predicate trap
     * (4 compiles, 210–270 ms of C2's time in a DIN warm-up; docs/cli.md, "Compiles the warm-up waits for").
     */
    static void packB(MemorySegment src, long base, long kStride, long jStride, int k, int n, float[] dst, int dstBase,
            int kFrom, int kTo) {
        if (jStride == 1) {
            int[] plan = panelPlan((n + L - 1) / L);
            for (int k0 = kFrom; k0 < kTo; k0 += ROW_BLOCK) {
                packRows(src, base, kStride, n, plan, dst, dstBase, k, k0, Math.min(kTo, k0 + ROW_BLOCK));
            }
            return;
        }
        int off = dstBase;
        int v0 = 0;
        for (int pv : panelPlan((n + L - 1) / L)) {
            packPanelColumns(src, base, kStride, jStride, v0 * L, pv, n, dst, off, kFrom, kTo);
            off += k * pv * L;
            v0 += pv;
        }
    }

    /** Rows of B {@link #packRows} copies per call: its loop stays short (see {@link #packB}). */
    private static final int ROW_BLOCK = 64;

    /**
     * Rows {@code [kFrom, kTo)} of a B whose rows are contiguous ({@code jStride} 1) into every panel: row by row,
     * so the source is read in order. Panel by panel (as before) read 64 bytes of every row per panel at 256 bits, a
     * row apart: the backward's pack of X (1,024 × 256, 1 MiB) walked the whole matrix 16 times at a 1 KiB stride,
     * and took 11% of a one-thread {@code DenseBench.backward} 1024 × 256 → 128 (JFR, {@code UseAVX=2}). Row by
     * row, that backward took 0.92–0.97× the time at 256 bits and 0.93–0.99× at 512, 0.98–1.03× at 128, and
     * 0.93–1.07× with two threads (old and new jars alternated in one JVM, four to six JVMs each).
     */
    private static void packRows(MemorySegment src, long base, long kStride, int n, int[] plan, float[] dst, int dstBase,
                                 int k, int kFrom, int kTo) {
        for (int kk = kFrom; kk < kTo; kk++) {
            long row = (base + kk * kStride) * Float.BYTES;
            int off = dstBase;
            int j0 = 0;
            for (int pv : plan) {
                int pw = pv * L;
                int d = off + kk * pw;
                // Whole vectors with plain loads, the panel's last partial vector (if any) lane by lane: a mask
                // computed per vector is not a constant to C2, and the masked load it fed was boxed (JFR).
                int whole = Math.min(pv, (n - j0) / L);
                for (int c = 0; c < whole; c++) {
                    FloatVector.fromMemorySegment(S, src, row + (long) (j0 + c * L) * Float.BYTES, NO).intoArray(dst, d + c * L);
                }
                if (whole < pv) {
                    packTail(src, row + (long) (j0 + whole * L) * Float.BYTES, n - j0 - whole * L, dst, d + whole * L,
                            (pv - whole) * L);
                }
                off += k * pw;
                j0 += pw;
            }
        }
    }

    /** Bytes of the panel {@link #packPanelColumns} fills at a time, well inside L1 with the columns it reads. */
    private static final int TRANSPOSE_BLOCK_BYTES = 16 << 10;

    /**
     * One panel of {@code pv} vectors from column {@code j0} of a B read column by column (a transposed operand).
     * In blocks of rows of {@link #TRANSPOSE_BLOCK_BYTES}: each column's reads are contiguous and its writes a panel
     * row apart, so without the blocks a whole K of panel rows (256 rows of a 4-vector panel are 64 KiB at 512 bits)
     * left L1 between one column and the next.
     */
    private static void packPanelColumns(MemorySegment src, long base, long kStride, long jStride, int j0, int pv, int n,
                                         float[] dst, int off, int kFrom, int kTo) {
        int pw = pv * L;
        int w = Math.min(pw, n - j0);
        int blockRows = Math.max(8, TRANSPOSE_BLOCK_BYTES / (pw * Float.BYTES));
        for (int k0 = kFrom; k0 < kTo; k0 += blockRows) {
            int k1 = Math.min(kTo, k0 + blockRows);
            for (int j = 0; j < pw; j++) {
                if (j >= w) {
                    for (int kk = k0; kk < k1; kk++) {
                        dst[off + kk * pw + j] = 0f;
                    }
                    continue;
                }
                long col = base + (j0 + j) * jStride;
                for (int kk = k0; kk < k1; kk++) {
                    dst[off + kk * pw + j] = src.getAtIndex(F, col + kk * kStride);
                }
            }
        }
    }

    /**
     * Copies rows {@code m0 .. m0+rows} (rows ≤ {@code rb}, the block's rows) of A into {@code a} as {@code a[at + r·kc + k] = A[m0+r][k0+k]},
     * reading {@code A[m][k] = src[base + m·mStride + k·kStride]}; missing rows repeat the last one (their
     * results are discarded).
     */
    static void packA(MemorySegment src, long base, long mStride, long kStride, int m0, int rows, int rb, int k0, int kc, float[] a,
            int at) {
        for (int r = 0; r < rb; r++) {
            int m = m0 + Math.min(r, rows - 1);
            int d = at + r * kc;
            if (r >= rows) {
                System.arraycopy(a, at + (rows - 1) * kc, a, d, kc);
                continue;
            }
            long row = base + m * mStride + k0 * kStride;
            if (kStride == 1) {
                int k = 0;
                int bound = S.loopBound(kc);
                for (; k < bound; k += L) {
                    FloatVector.fromMemorySegment(S, src, (row + k) * Float.BYTES, NO).intoArray(a, d + k);
                }
                for (; k < kc; k++) {
                    a[d + k] = src.getAtIndex(F, row + k);
                }
            } else {
                for (int k = 0; k < kc; k++) {
                    a[d + k] = src.getAtIndex(F, row + k * kStride);
                }
            }
        }
    }

    /**
     * Copies rows {@code m0 .. m0+rows} (rows ≤ {@code rb}, 4 or 6) of an A whose rows are adjacent in memory
     * ({@code A[m][k] = src[base + m + k·kStride]}, e.g. A = dyᵀ for the weight gradient) into {@code a} interleaved
     * by k: {@code a[at + rb·k + r] = A[m0+r][k0+k]}: one vector load and store per k instead of {@code rb} strided
     * reads. Missing rows read as 0 (their results are discarded). Writes up to {@code L − rb} floats past the
     * block's {@code rb·kc}: the next block's slot, packed after it, or {@link Scratch}'s padding.
     *
     * <p>Only the preferred species, as everywhere in the kernels: this copy used 4-lane vectors
     * ({@code SPECIES_128}) at 256 and 512 bits, and every {@code Float128Vector} it made entered the type profiles of
     * the JDK's shared vector methods ({@code FloatVector.intoArray} calls {@code length()} on its receiver). C2
     * compiles a kernel's stores after its k-loop from those profiles; a profile with two vector classes in it made
     * the store a type switch on the accumulator, which must then exist as an object, so C2 boxed the accumulators
     * on every k. A DIN training step at 256 bits took 1.56–1.70× as long in a JVM that compiled
     * {@code SeqKernels.block3x3} (then the 16-register 3-vector tile) after the weight gradients had run (its FMAs
     * allocating: JFR), and the same time as before without the 4-lane vectors (docs/architecture.md, "One vector
     * species").
     */
    static void packAInterleaved(MemorySegment src, long base, long kStride, int m0, int rows, int rb, int k0, int kc, float[] a,
            int at) {
        long from = (base + m0 + k0 * kStride) * Float.BYTES;
        long step = kStride * Float.BYTES;
        int k = 0;
        if (rows == rb) {
            // A whole vector per k from the block's first row on: the lanes past row rb − 1 (the next rows, or the
            // next k's) land where the next k's store goes, or past the block. Only while the vector stays inside
            // src: the last k of the matrix's last rows end in scalar copies.
            long last = src.byteSize() - (long) L * Float.BYTES;
            for (; k < kc && from + k * step <= last; k++) {
                FloatVector.fromMemorySegment(S, src, from + k * step, NO).intoArray(a, at + rb * k);
            }
        }
        for (; k < kc; k++) {
            long o = from + k * step;
            int d = at + rb * k;
            for (int r = 0; r < rows; r++) {
                a[d + r] = src.get(F, o + (long) r * Float.BYTES);
            }
            for (int r = rows; r < rb; r++) {
                a[d + r] = 0f;
            }
        }
    }

    /**
     * Multiplies the row blocks {@code firstBlock .. firstBlock+blocks} of A (slots of {@code rb} rows, packed one
     * after another in {@code a}, {@code rb·kc} floats each: row stride {@code kc}, or interleaved by k when
     * {@code interleaved}; blocks from {@code shortFrom} on hold {@code rb − 1} rows, see {@link #shortBlocksFrom}) by
     * the K-block {@code [k0, k0+kc)} of every panel of packed B (from {@code b[bBase]} on), and writes their rows of
     * C below {@code rowEnd} ({@code c[cBase + m·ldc + j]}).
     * {@code add}: C += A·B; otherwise {@code C = A·B + bias} ({@code bias} null for none). {@code relu}: then C =
     * max(C, 0) (only on the last K block).
     *
     * <p>Panels are the outer loop: a panel's K-block (≤ 32 KiB) stays in L1 while every row block of A streams
     * past it, so a wide B (PLE's experts: N = 768) is read from L2 once per K-block rather than once per row block.
     */
    static void multiply(float[] a, boolean interleaved, int rb, int firstBlock, int blocks, int shortFrom, int kc, int k0,
            int kTotal, float[] b, int bBase, int n, Scratch s, MemorySegment c, long cBase, long ldc, int rowEnd,
            MemorySegment bias, boolean add, boolean relu) {
        multiply(a, interleaved, rb, firstBlock, blocks, shortFrom, kc, k0, kTotal, b, bBase, n, s, c, cBase, ldc, rowEnd, bias,
                add, relu, 0, Integer.MAX_VALUE);
    }

    /**
     * Columns of C that {@link #multiply} stages at a time. Up to this width (PLE's 768-wide expert layers) a
     * block's rows are whole rows of C, contiguous in the stage and in C, and go in one copy; wider products go a
     * chunk at a time, one copy per row. A group of 96 rows × 768 columns is a 288 KiB stage.
     */
    static final int STAGE_COLUMNS = 1024;

    /**
     * {@link #multiply} restricted to the panels {@code [pFrom, pTo)} of B, so threads can split a product by columns.
     *
     * <p>The tiles go into C through a {@code float[]} stage, a chunk of {@link #STAGE_COLUMNS} columns at a time:
     * each tile is added into (or, with the bias, written to) the stage with the ReLU, and as the chunk's last panel
     * passes a row block, the block's rows go to C in bulk copies (C's old values come in the same way first, for
     * {@code add}). Stored vector by vector into C's segment, the tiles paid for C2 reloading the segment's fields
     * after every store into native memory (docs/architecture.md, "The tile's store to C"); array stores and a
     * copy per block do not. PLE inference at B = 1,024 on two threads took 0.96–0.99× as long at 256 bits and
     * 0.94–0.96× at 128 on the AVX2 server; the figures, and the one-thread products that did not gain, are in
     * docs/architecture.md ("C staged in an array"). Each element gets the same operations in the same order as
     * before, so the same bits: {@code tile + bias}, then {@code tile + C} for later K blocks, then the ReLU.
     */
    static void multiply(float[] a, boolean interleaved, int rb, int firstBlock, int blocks, int shortFrom, int kc, int k0,
            int kTotal, float[] b, int bBase, int n, Scratch s, MemorySegment c, long cBase, long ldc, int rowEnd,
            MemorySegment bias, boolean add, boolean relu, int pFrom, int pTo) {
        float[] t = s.tile;
        int m0 = blockStart(firstBlock, rb, shortFrom);
        int mEnd = Math.min(rowEnd, blockStart(firstBlock + blocks, rb, shortFrom));
        if (mEnd <= m0) {
            return;
        }
        int[] plan = panelPlan((n + L - 1) / L);
        int off = bBase;
        int v0 = 0;
        int chunkFrom = -1;
        int chunkTo = 0;
        float[] stage = null;
        for (int panel = 0; panel < plan.length; panel++) {
            int pv = plan[panel];
            int pw = pv * L;
            if (panel < pFrom || panel >= pTo) {
                off += kTotal * pw;
                v0 += pv;
                continue;
            }
            int j0 = v0 * L;
            if (chunkFrom < 0) {
                // a new chunk: this panel and the next ones of the call while they fit STAGE_COLUMNS
                chunkFrom = j0;
                chunkTo = j0 + pw;
                for (int q = panel + 1; q < plan.length && q < pTo && chunkTo + plan[q] * L - j0 <= STAGE_COLUMNS; q++) {
                    chunkTo += plan[q] * L;
                }
                stage = s.stage((mEnd - m0) * (chunkTo - chunkFrom));
                beginChunk(s, stage, chunkFrom, chunkTo - chunkFrom, n, c, cBase, ldc, m0, mEnd, bias, add);
            }
            int sw = chunkTo - chunkFrom;
            int bo = off + k0 * pw;
            for (int blk = 0; blk < blocks; blk++) {
                int a0 = blk * rb * kc;
                int block = firstBlock + blk;
                int mb = blockStart(block, rb, shortFrom);
                int rows = Math.min(blockRows(block, rb, shortFrom), rowEnd - mb);
                int at = (mb - m0) * sw + j0 - chunkFrom;
                boolean staged = false;
                // The K-phased one-row kernels sum in another order than the tiles, so only a product of one row
                // (its first block, of one row) takes them: a one-row block at the end of a larger product (129 rows
                // in 4-row interleaved blocks, the last holding one) would score that row differently from
                // the same row in a batch cut otherwise (PredictorPartsTest, 128-bit vectors).
                if (rows == 1 && mb == 0 && !interleaved && blocks == 1) {
                    oneRow(pv, a, a0, kc, b, bo, t);
                } else if (interleaved && rb == 6) {
                    switch (pv) {
                        case 4 -> k64i(a, a0, kc, b, bo, t);
                        case 3 -> k63i(a, a0, kc, b, bo, t);
                        case 2 -> k62i(a, a0, kc, b, bo, t);
                        default -> k61i(a, a0, kc, b, bo, t);
                    }
                } else if (interleaved) {
                    switch (pv) {
                        case 4 -> k4i(a, a0, kc, b, bo, t);
                        case 5 -> k5i(a, a0, kc, b, bo, t);
                        case 3 -> k3i(a, a0, kc, b, bo, t);
                        case 2 -> k2i(a, a0, kc, b, bo, t);
                        default -> k1i(a, a0, kc, b, bo, t);
                    }
                } else if (rb == 6) {
                    // panels are at most PV vectors wide: 4 on 32 registers, 2 on 16
                    if (block >= shortFrom) {
                        switch (pv) {
                            case 4 -> k54(a, a0, kc, b, bo, t);
                            case 3 -> k53(a, a0, kc, b, bo, t);
                            case 2 -> k52(a, a0, kc, b, bo, t);
                            default -> k51(a, a0, kc, b, bo, t);
                        }
                    } else if (pv == 2) {
                        // AVX2's full tile ends in the stage itself (k62's comment)
                        k62(a, a0, kc, b, bo, stage, at, sw, rows, add ? stage : s.biasRow, add ? at : j0 - chunkFrom,
                                add ? sw : 0, add || bias != null, relu);
                        staged = true;
                    } else {
                        switch (pv) {
                            case 4 -> k64(a, a0, kc, b, bo, t);
                            case 3 -> k63(a, a0, kc, b, bo, t);
                            default -> k61(a, a0, kc, b, bo, t);
                        }
                    }
                } else {
                    int a1 = a0 + kc;
                    int a2 = a1 + kc;
                    int a3 = a2 + kc;
                    switch (pv) {
                        case 4 -> k4(a, a0, a1, a2, a3, kc, b, bo, t);
                        case 5 -> k5(a, a0, a1, a2, a3, kc, b, bo, t);
                        case 3 -> k3(a, a0, a1, a2, a3, kc, b, bo, t);
                        case 2 -> k2(a, a0, a1, a2, a3, kc, b, bo, t);
                        default -> k1(a, a0, a1, a2, a3, kc, b, bo, t);
                    }
                }
                if (!staged) {
                    stageTile(t, pv, stage, at, sw, rows, s.biasRow, j0 - chunkFrom, add, bias != null, relu);
                }
                if (j0 + pw == chunkTo && rows > 0) {
                    // the chunk's last panel: this block's rows are done, so they go now, between the tiles
                    toC(stage, mb - m0, rows, chunkFrom, sw, n, c, cBase, ldc, mb);
                }
            }
            if (j0 + pw == chunkTo) {
                chunkFrom = -1;
            }
            off += kTotal * pw;
            v0 += pv;
        }
    }

    /**
     * Readies the stage for the columns {@code [j0, j0 + sw)} of rows {@code [m0, mEnd)}: with {@code add} C's
     * values (zeros past N, so that no stale value meets the tiles' padding lanes), with a bias its slice in
     * {@link Scratch#biasRow}.
     */
    private static void beginChunk(Scratch s, float[] stage, int j0, int sw, int n, MemorySegment c, long cBase, long ldc,
            int m0, int mEnd, MemorySegment bias, boolean add) {
        int valid = Math.min(sw, n - j0);
        if (add && wholeRows(j0, sw, n, ldc)) {
            MemorySegment.copy(c, F, (cBase + m0 * ldc) * Float.BYTES, stage, 0, (mEnd - m0) * sw);
        } else if (add) {
            for (int m = m0; m < mEnd; m++) {
                int at = (m - m0) * sw;
                MemorySegment.copy(c, F, (cBase + m * ldc + j0) * Float.BYTES, stage, at, valid);
                java.util.Arrays.fill(stage, at + valid, at + sw, 0f);
            }
        } else if (bias != null) {
            MemorySegment.copy(bias, F, (long) j0 * Float.BYTES, s.biasRow, 0, valid);
            java.util.Arrays.fill(s.biasRow, valid, sw, 0f);
        }
    }

    /**
     * One tile into the stage (every tile but {@link #k62}'s, which ends in the stage itself): its {@code rows} rows
     * of {@code pv} vectors at {@code stage[at + r·sw]}, as {@code tile + stage} ({@code add}), {@code tile + bias} or
     * the tile, then with {@code relu} a compare and a blend (Java's max, with its NaN and −0 rules, is several
     * instructions on AVX2). One loop per kind of start value, no branch inside but the loop-invariant {@code relu}.
     */
    private static void stageTile(float[] t, int pv, float[] stage, int at, int sw, int rows, float[] biasRow, int col,
            boolean add, boolean hasBias, boolean relu) {
        for (int r = 0; r < rows; r++) {
            int ti = r * TW;
            int si = at + r * sw;
            if (add) {
                for (int v = 0; v < pv; v++) {
                    // scalar math: c[m][j] = acc + c[m][j]
                    FloatVector acc = FloatVector.fromArray(S, t, ti + v * L).add(FloatVector.fromArray(S, stage, si + v * L));
                    (relu ? acc.blend(0f, acc.lt(0f)) : acc).intoArray(stage, si + v * L);
                }
            } else if (hasBias) {
                for (int v = 0; v < pv; v++) {
                    // scalar math: c[m][j] = acc + bias[j]
                    FloatVector acc = FloatVector.fromArray(S, t, ti + v * L).add(FloatVector.fromArray(S, biasRow, col + v * L));
                    (relu ? acc.blend(0f, acc.lt(0f)) : acc).intoArray(stage, si + v * L);
                }
            } else {
                for (int v = 0; v < pv; v++) {
                    // scalar math: c[m][j] = acc
                    FloatVector acc = FloatVector.fromArray(S, t, ti + v * L);
                    (relu ? acc.blend(0f, acc.lt(0f)) : acc).intoArray(stage, si + v * L);
                }
            }
        }
    }

    /**
     * Whether a chunk of columns {@code [j0, j0 + sw)} is whole rows of C laid end to end (C's row length is N and
     * a multiple of the lanes): then its rows go in and out as one copy. With a copy per row of 512 bytes,
     * 1024 × 128 → 128 on one thread took 1.13× as long as with the stores into C; with one copy per block of rows, 1.03×.
     */
    private static boolean wholeRows(int j0, int sw, int n, long ldc) {
        return j0 == 0 && sw == n && ldc == n;
    }

    /**
     * {@code rows} rows of the stage from its row {@code sr} to C's rows from {@code m}, columns
     * {@code [j0, min(j0 + sw, N))}: one bulk copy, or one per row. A block's rows go as soon as the chunk's last
     * panel has passed them, while they are still in cache, rather than the whole chunk at its end (the two measured
     * alike: docs/architecture.md, "C staged in an array").
     */
    private static void toC(float[] stage, int sr, int rows, int j0, int sw, int n, MemorySegment c, long cBase, long ldc,
            int m) {
        if (wholeRows(j0, sw, n, ldc)) {
            MemorySegment.copy(stage, sr * sw, c, F, (cBase + m * ldc) * Float.BYTES, rows * sw);
            return;
        }
        int valid = Math.min(sw, n - j0);
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(stage, (sr + r) * sw, c, F, (cBase + (m + r) * ldc + j0) * Float.BYTES, valid);
        }
    }

    /**
     * Rows of A per block for a product of {@code rows} rows by a B of {@code nv} column vectors: {@link #ROWS}, or
     * {@link #INTERLEAVED_ROWS} for A interleaved by k, but {@link #R} when there are at most {@code R} rows (a
     * 6-row kernel on one row, batch-1 inference, multiplies five copies of it, half again the work of the 4-row
     * kernel: PLE at B = 1 ran 0.88× as fast), and when B's plan has a 5-vector panel. Splitting 4 + 1 as 3 + 2 for
     * 6-row tiles instead made DIN's MLP slower at 512 bits: 1024 × 200 → 80 (N = 5 vectors) 1.02–1.24× the time
     * forward and 0.99–1.47× backward, 1024 × 160 → 200 1.03–1.13× forward (both jars in one JVM, 2 threads).
     */
    static int rowsPerBlock(boolean interleaved, int rows, int nv) {
        if (rows <= R || hasFiveVectorPanel(nv)) {
            return R;
        }
        return interleaved ? INTERLEAVED_ROWS : ROWS;
    }

    /**
     * The first short block of a product of {@code rows} rows in {@code blocks} blocks of {@code rb} rows: on the
     * 6-row plan the last blocks hold 5 rows, as many as it takes to cover the rows with the
     * fewest spare ones (32 rows: 6 + 6 + 5 + 5 + 5 + 5 instead of 6 × 6, whose last 4 rows were multiplied and
     * dropped). One thread, {@code UseAVX=2} on an AVX-512 host: 32 × 256 → 768 took as long as 36 × 256 → 768
     * (128 µs), and 30 rows 107 µs.
     * {@code blocks} when every block is full: 4-row blocks, and A interleaved by k (its kernels are 6 rows only),
     * keep their spare rows.
     */
    static int shortBlocksFrom(int rows, int rb, int blocks, boolean interleaved) {
        if (rb != 6 || interleaved) {
            return blocks;
        }
        int spare = blocks * rb - rows;
        return blocks - Math.min(spare, blocks);
    }

    /** First row of block {@code blk}: blocks before {@code shortFrom} hold {@code rb} rows, the others {@code rb - 1}. */
    static int blockStart(int blk, int rb, int shortFrom) {
        return blk <= shortFrom ? blk * rb : shortFrom * rb + (blk - shortFrom) * (rb - 1);
    }

    /** Rows of block {@code blk} (before clipping to the product's last row). */
    static int blockRows(int blk, int rb, int shortFrom) {
        return blk < shortFrom ? rb : rb - 1;
    }

    // ---- one row of A (batch-1 inference): a 4-row kernel would multiply three rows of zeros, and one row's
    // pv accumulators alone are too few FMA chains to cover the FMA latency. These split K into phases instead
    // (k mod phases), each phase with its own accumulators, summed once at the end. ----

    private static void oneRow(int pv, float[] a, int a0, int kc, float[] b, int bo, float[] t) {
        switch (pv) {
            case 1 -> oneRow1(a, a0, kc, b, bo, t);
            case 2 -> oneRow2(a, a0, kc, b, bo, t);
            case 3 -> oneRow3(a, a0, kc, b, bo, t);
            case 4 -> oneRow4(a, a0, kc, b, bo, t);
            default -> oneRow5(a, a0, kc, b, bo, t);
        }
    }

    /** One row × a 1-vector panel, K in 4 phases (4 accumulators). */
    private static void oneRow1(float[] a, int a0, int kc, float[] b, int bo, float[] t) {
        int pw = L;
        FloatVector x00 = FloatVector.zero(S);
        FloatVector x10 = FloatVector.zero(S);
        FloatVector x20 = FloatVector.zero(S);
        FloatVector x30 = FloatVector.zero(S);
        int k = 0;
        for (; k + 4 <= kc; k += 4) {
            // scalar math: C[0, j] += A[0, k]·B[k, j] for 4 values of k
            int bk = bo + k * pw;
            FloatVector v0 = FloatVector.broadcast(S, a[a0 + k]);
            x00 = v0.fma(FloatVector.fromArray(S, b, bk), x00);
            FloatVector v1 = FloatVector.broadcast(S, a[a0 + k + 1]);
            x10 = v1.fma(FloatVector.fromArray(S, b, bk + pw), x10);
            FloatVector v2 = FloatVector.broadcast(S, a[a0 + k + 2]);
            x20 = v2.fma(FloatVector.fromArray(S, b, bk + 2 * pw), x20);
            FloatVector v3 = FloatVector.broadcast(S, a[a0 + k + 3]);
            x30 = v3.fma(FloatVector.fromArray(S, b, bk + 3 * pw), x30);
        }
        for (; k < kc; k++) {
            int bk = bo + k * pw;
            FloatVector v0 = FloatVector.broadcast(S, a[a0 + k]);
            x00 = v0.fma(FloatVector.fromArray(S, b, bk), x00);
        }
        x00.add(x10).add(x20.add(x30)).intoArray(t, 0);
    }

    /** One row × a 2-vector panel, K in 4 phases (8 accumulators). */
    private static void oneRow2(float[] a, int a0, int kc, float[] b, int bo, float[] t) {
        int pw = 2 * L;
        FloatVector x00 = FloatVector.zero(S), x01 = FloatVector.zero(S);
        FloatVector x10 = FloatVector.zero(S), x11 = FloatVector.zero(S);
        FloatVector x20 = FloatVector.zero(S), x21 = FloatVector.zero(S);
        FloatVector x30 = FloatVector.zero(S), x31 = FloatVector.zero(S);
        int k = 0;
        for (; k + 4 <= kc; k += 4) {
            // scalar math: C[0, j] += A[0, k]·B[k, j] for 4 values of k
            int bk = bo + k * pw;
            FloatVector v0 = FloatVector.broadcast(S, a[a0 + k]);
            x00 = v0.fma(FloatVector.fromArray(S, b, bk), x00);
            x01 = v0.fma(FloatVector.fromArray(S, b, bk + L), x01);
            FloatVector v1 = FloatVector.broadcast(S, a[a0 + k + 1]);
            x10 = v1.fma(FloatVector.fromArray(S, b, bk + pw), x10);
            x11 = v1.fma(FloatVector.fromArray(S, b, bk + pw + L), x11);
            FloatVector v2 = FloatVector.broadcast(S, a[a0 + k + 2]);
            x20 = v2.fma(FloatVector.fromArray(S, b, bk + 2 * pw), x20);
            x21 = v2.fma(FloatVector.fromArray(S, b, bk + 2 * pw + L), x21);
            FloatVector v3 = FloatVector.broadcast(S, a[a0 + k + 3]);
            x30 = v3.fma(FloatVector.fromArray(S, b, bk + 3 * pw), x30);
            x31 = v3.fma(FloatVector.fromArray(S, b, bk + 3 * pw + L), x31);
        }
        for (; k < kc; k++) {
            int bk = bo + k * pw;
            FloatVector v0 = FloatVector.broadcast(S, a[a0 + k]);
            x00 = v0.fma(FloatVector.fromArray(S, b, bk), x00);
            x01 = v0.fma(FloatVector.fromArray(S, b, bk + L), x01);
        }
        x00.add(x10).add(x20.add(x30)).intoArray(t, 0);
        x01.add(x11).add(x21.add(x31)).intoArray(t, L);
    }

    /** One row × a 3-vector panel, K in 2 phases (6 accumulators). */
    private static void oneRow3(float[] a, int a0, int kc, float[] b, int bo, float[] t) {
        int pw = 3 * L;
        FloatVector x00 = FloatVector.zero(S), x01 = FloatVector.zero(S), x02 = FloatVector.zero(S);
        FloatVector x10 = FloatVector.zero(S), x11 = FloatVector.zero(S), x12 = FloatVector.zero(S);
        int k = 0;
        for (; k + 2 <= kc; k += 2) {
            // scalar math: C[0, j] += A[0, k]·B[k, j] for 2 values of k
            int bk = bo + k * pw;
            FloatVector v0 = FloatVector.broadcast(S, a[a0 + k]);
            x00 = v0.fma(FloatVector.fromArray(S, b, bk), x00);
            x01 = v0.fma(FloatVector.fromArray(S, b, bk + L), x01);
            x02 = v0.fma(FloatVector.fromArray(S, b, bk + 2 * L), x02);
            FloatVector v1 = FloatVector.broadcast(S, a[a0 + k + 1]);
            x10 = v1.fma(FloatVector.fromArray(S, b, bk + pw), x10);
            x11 = v1.fma(FloatVector.fromArray(S, b, bk + pw + L), x11);
            x12 = v1.fma(FloatVector.fromArray(S, b, bk + pw + 2 * L), x12);
        }
        for (; k < kc; k++) {
            int bk = bo + k * pw;
            FloatVector v0 = FloatVector.broadcast(S, a[a0 + k]);
            x00 = v0.fma(FloatVector.fromArray(S, b, bk), x00);
            x01 = v0.fma(FloatVector.fromArray(S, b, bk + L), x01);
            x02 = v0.fma(FloatVector.fromArray(S, b, bk + 2 * L), x02);
        }
        x00.add(x10).intoArray(t, 0);
        x01.add(x11).intoArray(t, L);
        x02.add(x12).intoArray(t, 2 * L);
    }

    /** One row × a 4-vector panel, K in 2 phases (8 accumulators). */
    private static void oneRow4(float[] a, int a0, int kc, float[] b, int bo, float[] t) {
        int pw = 4 * L;
        FloatVector x00 = FloatVector.zero(S), x01 = FloatVector.zero(S), x02 = FloatVector.zero(S), x03 = FloatVector.zero(S);
        FloatVector x10 = FloatVector.zero(S), x11 = FloatVector.zero(S), x12 = FloatVector.zero(S), x13 = FloatVector.zero(S);
        int k = 0;
        for (; k + 2 <= kc; k += 2) {
            // scalar math: C[0, j] += A[0, k]·B[k, j] for 2 values of k
            int bk = bo + k * pw;
            FloatVector v0 = FloatVector.broadcast(S, a[a0 + k]);
            x00 = v0.fma(FloatVector.fromArray(S, b, bk), x00);
            x01 = v0.fma(FloatVector.fromArray(S, b, bk + L), x01);
            x02 = v0.fma(FloatVector.fromArray(S, b, bk + 2 * L), x02);
            x03 = v0.fma(FloatVector.fromArray(S, b, bk + 3 * L), x03);
            FloatVector v1 = FloatVector.broadcast(S, a[a0 + k + 1]);
            x10 = v1.fma(FloatVector.fromArray(S, b, bk + pw), x10);
            x11 = v1.fma(FloatVector.fromArray(S, b, bk + pw + L), x11);
            x12 = v1.fma(FloatVector.fromArray(S, b, bk + pw + 2 * L), x12);
            x13 = v1.fma(FloatVector.fromArray(S, b, bk + pw + 3 * L), x13);
        }
        for (; k < kc; k++) {
            int bk = bo + k * pw;
            FloatVector v0 = FloatVector.broadcast(S, a[a0 + k]);
            x00 = v0.fma(FloatVector.fromArray(S, b, bk), x00);
            x01 = v0.fma(FloatVector.fromArray(S, b, bk + L), x01);
            x02 = v0.fma(FloatVector.fromArray(S, b, bk + 2 * L), x02);
            x03 = v0.fma(FloatVector.fromArray(S, b, bk + 3 * L), x03);
        }
        x00.add(x10).intoArray(t, 0);
        x01.add(x11).intoArray(t, L);
        x02.add(x12).intoArray(t, 2 * L);
        x03.add(x13).intoArray(t, 3 * L);
    }

    /** One row × a 5-vector panel, K in 2 phases (10 accumulators). */
    private static void oneRow5(float[] a, int a0, int kc, float[] b, int bo, float[] t) {
        int pw = 5 * L;
        FloatVector x00 = FloatVector.zero(S), x01 = FloatVector.zero(S), x02 = FloatVector.zero(S), x03 = FloatVector.zero(S), x04 = FloatVector.zero(S);
        FloatVector x10 = FloatVector.zero(S), x11 = FloatVector.zero(S), x12 = FloatVector.zero(S), x13 = FloatVector.zero(S), x14 = FloatVector.zero(S);
        int k = 0;
        for (; k + 2 <= kc; k += 2) {
            // scalar math: C[0, j] += A[0, k]·B[k, j] for 2 values of k
            int bk = bo + k * pw;
            FloatVector v0 = FloatVector.broadcast(S, a[a0 + k]);
            x00 = v0.fma(FloatVector.fromArray(S, b, bk), x00);
            x01 = v0.fma(FloatVector.fromArray(S, b, bk + L), x01);
            x02 = v0.fma(FloatVector.fromArray(S, b, bk + 2 * L), x02);
            x03 = v0.fma(FloatVector.fromArray(S, b, bk + 3 * L), x03);
            x04 = v0.fma(FloatVector.fromArray(S, b, bk + 4 * L), x04);
            FloatVector v1 = FloatVector.broadcast(S, a[a0 + k + 1]);
            x10 = v1.fma(FloatVector.fromArray(S, b, bk + pw), x10);
            x11 = v1.fma(FloatVector.fromArray(S, b, bk + pw + L), x11);
            x12 = v1.fma(FloatVector.fromArray(S, b, bk + pw + 2 * L), x12);
            x13 = v1.fma(FloatVector.fromArray(S, b, bk + pw + 3 * L), x13);
            x14 = v1.fma(FloatVector.fromArray(S, b, bk + pw + 4 * L), x14);
        }
        for (; k < kc; k++) {
            int bk = bo + k * pw;
            FloatVector v0 = FloatVector.broadcast(S, a[a0 + k]);
            x00 = v0.fma(FloatVector.fromArray(S, b, bk), x00);
            x01 = v0.fma(FloatVector.fromArray(S, b, bk + L), x01);
            x02 = v0.fma(FloatVector.fromArray(S, b, bk + 2 * L), x02);
            x03 = v0.fma(FloatVector.fromArray(S, b, bk + 3 * L), x03);
            x04 = v0.fma(FloatVector.fromArray(S, b, bk + 4 * L), x04);
        }
        x00.add(x10).intoArray(t, 0);
        x01.add(x11).intoArray(t, L);
        x02.add(x12).intoArray(t, 2 * L);
        x03.add(x13).intoArray(t, 3 * L);
        x04.add(x14).intoArray(t, 4 * L);
    }

    // ---- dot-product kernels for products with fewer outputs than lanes (CpuDenseOps.narrowLinear): A rows and
    // W rows both contiguous along K, accumulated lane-wise along K and reduced once at the end. ----

    /**
     * {@code y[yo + i] = x[x0..]·w[w0 + i·k..] (+ bias[j + i])} for the four outputs {@code i < 4}, and the same for
     * row {@code x1} into {@code y1o} when {@code second}; element offsets, rows of length {@code k}; then max(y, 0)
     * when {@code relu}. {@code t}: scratch of at least 8 vectors.
     *
     * <p>The accumulators leave the vector loop through {@code t} and are summed there ({@link #finishDot}), not by
     * {@link Lanes#sum} on each vector: with eight sums, eight tails and eight stores inlined, this method was past
     * C2's inlining budget in some JVMs and not others, and PLE's level-1 gate logits (B = 1024, 128 → 4) took
     * 100–150 µs per inference call in 9 of 12 JVMs, 58 µs in one and 672 µs in another (256 bits, {@code OpTimes});
     * stored, nothing that takes a vector is left to inline, and they took 40–50 µs in 8 of 8. Same sums in the same
     * order, so the same bits.
     */
    static void dot2x4(MemorySegment x, long x0, long x1, MemorySegment w, long w0, int k, MemorySegment y, long y0o,
            long y1o, boolean second, MemorySegment bias, int j, boolean relu, float[] t) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z;
        FloatVector c10 = z, c11 = z, c12 = z, c13 = z;
        long w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
        int kk = 0;
        for (; kk + L <= k; kk += L) {
            // scalar math: c[r][i] += x[r][kk] · w[i][kk]
            FloatVector a0 = Lanes.load(x, x0 + kk);
            FloatVector a1 = Lanes.load(x, x1 + kk);
            FloatVector b0 = Lanes.load(w, w0 + kk);
            FloatVector b1 = Lanes.load(w, w1 + kk);
            FloatVector b2 = Lanes.load(w, w2 + kk);
            FloatVector b3 = Lanes.load(w, w3 + kk);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            c02 = a0.fma(b2, c02);
            c03 = a0.fma(b3, c03);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            c12 = a1.fma(b2, c12);
            c13 = a1.fma(b3, c13);
        }
        c00.intoArray(t, 0);
        c01.intoArray(t, L);
        c02.intoArray(t, 2 * L);
        c03.intoArray(t, 3 * L);
        c10.intoArray(t, 4 * L);
        c11.intoArray(t, 5 * L);
        c12.intoArray(t, 6 * L);
        c13.intoArray(t, 7 * L);
        for (int i = 0; i < 4; i++) {
            finishDot(t, i * L, x, x0, w, w0 + i * (long) k, kk, k, y, y0o + i, bias, j + i, relu);
        }
        if (second) {
            for (int i = 0; i < 4; i++) {
                finishDot(t, (4 + i) * L, x, x1, w, w0 + i * (long) k, kk, k, y, y1o + i, bias, j + i, relu);
            }
        }
    }

    /** {@link #dot2x4} for one output. */
    static void dot2x1(MemorySegment x, long x0, long x1, MemorySegment w, long w0, int k, MemorySegment y, long y0o,
            long y1o, boolean second, MemorySegment bias, int j, boolean relu, float[] t) {
        FloatVector c0 = FloatVector.zero(S);
        FloatVector c1 = c0;
        int kk = 0;
        for (; kk + L <= k; kk += L) {
            // scalar math: c[r] += x[r][kk] · w[kk]
            FloatVector b0 = Lanes.load(w, w0 + kk);
            c0 = Lanes.load(x, x0 + kk).fma(b0, c0);
            c1 = Lanes.load(x, x1 + kk).fma(b0, c1);
        }
        c0.intoArray(t, 0);
        c1.intoArray(t, L);
        finishDot(t, 0, x, x0, w, w0, kk, k, y, y0o, bias, j, relu);
        if (second) {
            finishDot(t, L, x, x1, w, w0, kk, k, y, y1o, bias, j, relu);
        }
    }

    /**
     * One output of {@link #dot2x4}: the {@code L} lanes at {@code t[at..]} summed in {@link Lanes#sum}'s pairwise
     * order, plus the part of K past the last whole vector, plus the bias, then max(·, 0) when
     * {@code relu}, stored at {@code y[yAt]}.
     */
    private static void finishDot(float[] t, int at, MemorySegment x, long xo, MemorySegment w, long wo, int from, int k,
            MemorySegment y, long yAt, MemorySegment bias, int j, boolean relu) {
        putDot(y, yAt, Lanes.sum(t, at) + dotTail(x, xo, w, wo, from, k), bias, j, relu);
    }

    /** {@code Σ x[xo + i]·w[wo + i]} for {@code i} in {@code [from, k)}: the part of K past the last whole vector. */
    private static float dotTail(MemorySegment x, long xo, MemorySegment w, long wo, int from, int k) {
        float s = 0;
        for (int i = from; i < k; i++) {
            s += x.getAtIndex(F, xo + i) * w.getAtIndex(F, wo + i);
        }
        return s;
    }

    private static void putDot(MemorySegment y, long at, float dot, MemorySegment bias, int j, boolean relu) {
        float v = bias == null ? dot : dot + bias.getAtIndex(F, j);
        y.setAtIndex(F, at, relu ? Math.max(v, 0f) : v);
    }

    // ---- micro-kernels: 4 rows × C vectors. Each is written out in full so that C2 keeps every accumulator in
    // a register; a loop over an array of vectors would box them. ----

    private static void k4(float[] a, int a0, int a1, int a2, int a3, int kc, float[] b, int bo, float[] t) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z;
        FloatVector c10 = z, c11 = z, c12 = z, c13 = z;
        FloatVector c20 = z, c21 = z, c22 = z, c23 = z;
        FloatVector c30 = z, c31 = z, c32 = z, c33 = z;
        for (int k = 0; k < kc; k++) {
            // scalar math: c[r][j] += a[r][k] · b[k][j]
            int bk = bo + k * (4 * L);
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
            FloatVector b2 = FloatVector.fromArray(S, b, bk + 2 * L);
            FloatVector b3 = FloatVector.fromArray(S, b, bk + 3 * L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + k]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(S, a[a1 + k]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(S, a[a2 + k]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(S, a[a3 + k]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            c33 = x.fma(b3, c33);
        }
        c00.intoArray(t, 0);
        c01.intoArray(t, L);
        c02.intoArray(t, 2 * L);
        c03.intoArray(t, 3 * L);
        c10.intoArray(t, TW);
        c11.intoArray(t, TW + L);
        c12.intoArray(t, TW + 2 * L);
        c13.intoArray(t, TW + 3 * L);
        c20.intoArray(t, 2 * TW);
        c21.intoArray(t, 2 * TW + L);
        c22.intoArray(t, 2 * TW + 2 * L);
        c23.intoArray(t, 2 * TW + 3 * L);
        c30.intoArray(t, 3 * TW);
        c31.intoArray(t, 3 * TW + L);
        c32.intoArray(t, 3 * TW + 2 * L);
        c33.intoArray(t, 3 * TW + 3 * L);
    }

    private static void k5(float[] a, int a0, int a1, int a2, int a3, int kc, float[] b, int bo, float[] t) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c04 = z;
        FloatVector c10 = z, c11 = z, c12 = z, c13 = z, c14 = z;
        FloatVector c20 = z, c21 = z, c22 = z, c23 = z, c24 = z;
        FloatVector c30 = z, c31 = z, c32 = z, c33 = z, c34 = z;
        for (int k = 0; k < kc; k++) {
            // scalar math: c[r][j] += a[r][k] · b[k][j]
            int bk = bo + k * (5 * L);
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
            FloatVector b2 = FloatVector.fromArray(S, b, bk + 2 * L);
            FloatVector b3 = FloatVector.fromArray(S, b, bk + 3 * L);
            FloatVector b4 = FloatVector.fromArray(S, b, bk + 4 * L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + k]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            c03 = x.fma(b3, c03);
            c04 = x.fma(b4, c04);
            x = FloatVector.broadcast(S, a[a1 + k]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            c13 = x.fma(b3, c13);
            c14 = x.fma(b4, c14);
            x = FloatVector.broadcast(S, a[a2 + k]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            c23 = x.fma(b3, c23);
            c24 = x.fma(b4, c24);
            x = FloatVector.broadcast(S, a[a3 + k]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            c33 = x.fma(b3, c33);
            c34 = x.fma(b4, c34);
        }
        c00.intoArray(t, 0);
        c01.intoArray(t, L);
        c02.intoArray(t, 2 * L);
        c03.intoArray(t, 3 * L);
        c04.intoArray(t, 4 * L);
        c10.intoArray(t, TW);
        c11.intoArray(t, TW + L);
        c12.intoArray(t, TW + 2 * L);
        c13.intoArray(t, TW + 3 * L);
        c14.intoArray(t, TW + 4 * L);
        c20.intoArray(t, 2 * TW);
        c21.intoArray(t, 2 * TW + L);
        c22.intoArray(t, 2 * TW + 2 * L);
        c23.intoArray(t, 2 * TW + 3 * L);
        c24.intoArray(t, 2 * TW + 4 * L);
        c30.intoArray(t, 3 * TW);
        c31.intoArray(t, 3 * TW + L);
        c32.intoArray(t, 3 * TW + 2 * L);
        c33.intoArray(t, 3 * TW + 3 * L);
        c34.intoArray(t, 3 * TW + 4 * L);
    }

    private static void k3(float[] a, int a0, int a1, int a2, int a3, int kc, float[] b, int bo, float[] t) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c02 = z;
        FloatVector c10 = z, c11 = z, c12 = z;
        FloatVector c20 = z, c21 = z, c22 = z;
        FloatVector c30 = z, c31 = z, c32 = z;
        for (int k = 0; k < kc; k++) {
            // scalar math: c[r][j] += a[r][k] · b[k][j]
            int bk = bo + k * (3 * L);
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
            FloatVector b2 = FloatVector.fromArray(S, b, bk + 2 * L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + k]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, a[a1 + k]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, a[a2 + k]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            x = FloatVector.broadcast(S, a[a3 + k]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
        }
        c00.intoArray(t, 0);
        c01.intoArray(t, L);
        c02.intoArray(t, 2 * L);
        c10.intoArray(t, TW);
        c11.intoArray(t, TW + L);
        c12.intoArray(t, TW + 2 * L);
        c20.intoArray(t, 2 * TW);
        c21.intoArray(t, 2 * TW + L);
        c22.intoArray(t, 2 * TW + 2 * L);
        c30.intoArray(t, 3 * TW);
        c31.intoArray(t, 3 * TW + L);
        c32.intoArray(t, 3 * TW + 2 * L);
    }

    private static void k2(float[] a, int a0, int a1, int a2, int a3, int kc, float[] b, int bo, float[] t) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        for (int k = 0; k < kc; k++) {
            // scalar math: c[r][j] += a[r][k] · b[k][j]
            int bk = bo + k * (2 * L);
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + k]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[a1 + k]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[a2 + k]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[a3 + k]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
        }
        c00.intoArray(t, 0);
        c01.intoArray(t, L);
        c10.intoArray(t, TW);
        c11.intoArray(t, TW + L);
        c20.intoArray(t, 2 * TW);
        c21.intoArray(t, 2 * TW + L);
        c30.intoArray(t, 3 * TW);
        c31.intoArray(t, 3 * TW + L);
    }

    private static void k1(float[] a, int a0, int a1, int a2, int a3, int kc, float[] b, int bo, float[] t) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0 = z, c1 = z, c2 = z, c3 = z;
        for (int k = 0; k < kc; k++) {
            // scalar math: c[r][j] += a[r][k] · b[k][j]
            FloatVector b0 = FloatVector.fromArray(S, b, bo + k * L);
            c0 = FloatVector.broadcast(S, a[a0 + k]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, a[a1 + k]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, a[a2 + k]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, a[a3 + k]).fma(b0, c3);
        }
        c0.intoArray(t, 0);
        c1.intoArray(t, TW);
        c2.intoArray(t, 2 * TW);
        c3.intoArray(t, 3 * TW);
    }

    // ---- 6 rows × 1 to 4 vectors (ROWS = 6), and the 5-row blocks that end a product: A rows at a0 + r·kc. ----

    private static void k64(float[] a, int a0, int kc, float[] b, int bo, float[] t) {
        int a1 = a0 + kc;
        int a2 = a1 + kc;
        int a3 = a2 + kc;
        int a4 = a3 + kc;
        int a5 = a4 + kc;
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z;
        FloatVector c10 = z, c11 = z, c12 = z, c13 = z;
        FloatVector c20 = z, c21 = z, c22 = z, c23 = z;
        FloatVector c30 = z, c31 = z, c32 = z, c33 = z;
        FloatVector c40 = z, c41 = z, c42 = z, c43 = z;
        FloatVector c50 = z, c51 = z, c52 = z, c53 = z;
        for (int k = 0; k < kc; k++) {
            // scalar math: c[r][j] += a[r][k] · b[k][j]
            int bk = bo + k * (4 * L);
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
            FloatVector b2 = FloatVector.fromArray(S, b, bk + 2 * L);
            FloatVector b3 = FloatVector.fromArray(S, b, bk + 3 * L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + k]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(S, a[a1 + k]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(S, a[a2 + k]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(S, a[a3 + k]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            c33 = x.fma(b3, c33);
            x = FloatVector.broadcast(S, a[a4 + k]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            c42 = x.fma(b2, c42);
            c43 = x.fma(b3, c43);
            x = FloatVector.broadcast(S, a[a5 + k]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            c52 = x.fma(b2, c52);
            c53 = x.fma(b3, c53);
        }
        c00.intoArray(t, 0);
        c01.intoArray(t, L);
        c02.intoArray(t, 2 * L);
        c03.intoArray(t, 3 * L);
        c10.intoArray(t, TW);
        c11.intoArray(t, TW + L);
        c12.intoArray(t, TW + 2 * L);
        c13.intoArray(t, TW + 3 * L);
        c20.intoArray(t, 2 * TW);
        c21.intoArray(t, 2 * TW + L);
        c22.intoArray(t, 2 * TW + 2 * L);
        c23.intoArray(t, 2 * TW + 3 * L);
        c30.intoArray(t, 3 * TW);
        c31.intoArray(t, 3 * TW + L);
        c32.intoArray(t, 3 * TW + 2 * L);
        c33.intoArray(t, 3 * TW + 3 * L);
        c40.intoArray(t, 4 * TW);
        c41.intoArray(t, 4 * TW + L);
        c42.intoArray(t, 4 * TW + 2 * L);
        c43.intoArray(t, 4 * TW + 3 * L);
        c50.intoArray(t, 5 * TW);
        c51.intoArray(t, 5 * TW + L);
        c52.intoArray(t, 5 * TW + 2 * L);
        c53.intoArray(t, 5 * TW + 3 * L);
    }

    private static void k54(float[] a, int a0, int kc, float[] b, int bo, float[] t) {
        int a1 = a0 + kc;
        int a2 = a1 + kc;
        int a3 = a2 + kc;
        int a4 = a3 + kc;
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z;
        FloatVector c10 = z, c11 = z, c12 = z, c13 = z;
        FloatVector c20 = z, c21 = z, c22 = z, c23 = z;
        FloatVector c30 = z, c31 = z, c32 = z, c33 = z;
        FloatVector c40 = z, c41 = z, c42 = z, c43 = z;
        for (int k = 0; k < kc; k++) {
            // scalar math: c[r][j] += a[r][k] · b[k][j]
            int bk = bo + k * (4 * L);
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
            FloatVector b2 = FloatVector.fromArray(S, b, bk + 2 * L);
            FloatVector b3 = FloatVector.fromArray(S, b, bk + 3 * L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + k]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(S, a[a1 + k]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(S, a[a2 + k]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(S, a[a3 + k]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            c33 = x.fma(b3, c33);
            x = FloatVector.broadcast(S, a[a4 + k]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            c42 = x.fma(b2, c42);
            c43 = x.fma(b3, c43);
        }
        c00.intoArray(t, 0);
        c01.intoArray(t, L);
        c02.intoArray(t, 2 * L);
        c03.intoArray(t, 3 * L);
        c10.intoArray(t, TW);
        c11.intoArray(t, TW + L);
        c12.intoArray(t, TW + 2 * L);
        c13.intoArray(t, TW + 3 * L);
        c20.intoArray(t, 2 * TW);
        c21.intoArray(t, 2 * TW + L);
        c22.intoArray(t, 2 * TW + 2 * L);
        c23.intoArray(t, 2 * TW + 3 * L);
        c30.intoArray(t, 3 * TW);
        c31.intoArray(t, 3 * TW + L);
        c32.intoArray(t, 3 * TW + 2 * L);
        c33.intoArray(t, 3 * TW + 3 * L);
        c40.intoArray(t, 4 * TW);
        c41.intoArray(t, 4 * TW + L);
        c42.intoArray(t, 4 * TW + 2 * L);
        c43.intoArray(t, 4 * TW + 3 * L);
    }

    private static void k63(float[] a, int a0, int kc, float[] b, int bo, float[] t) {
        int a1 = a0 + kc;
        int a2 = a1 + kc;
        int a3 = a2 + kc;
        int a4 = a3 + kc;
        int a5 = a4 + kc;
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c02 = z;
        FloatVector c10 = z, c11 = z, c12 = z;
        FloatVector c20 = z, c21 = z, c22 = z;
        FloatVector c30 = z, c31 = z, c32 = z;
        FloatVector c40 = z, c41 = z, c42 = z;
        FloatVector c50 = z, c51 = z, c52 = z;
        for (int k = 0; k < kc; k++) {
            // scalar math: c[r][j] += a[r][k] · b[k][j]
            int bk = bo + k * (3 * L);
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
            FloatVector b2 = FloatVector.fromArray(S, b, bk + 2 * L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + k]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, a[a1 + k]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, a[a2 + k]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            x = FloatVector.broadcast(S, a[a3 + k]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            x = FloatVector.broadcast(S, a[a4 + k]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            c42 = x.fma(b2, c42);
            x = FloatVector.broadcast(S, a[a5 + k]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            c52 = x.fma(b2, c52);
        }
        c00.intoArray(t, 0);
        c01.intoArray(t, L);
        c02.intoArray(t, 2 * L);
        c10.intoArray(t, TW);
        c11.intoArray(t, TW + L);
        c12.intoArray(t, TW + 2 * L);
        c20.intoArray(t, 2 * TW);
        c21.intoArray(t, 2 * TW + L);
        c22.intoArray(t, 2 * TW + 2 * L);
        c30.intoArray(t, 3 * TW);
        c31.intoArray(t, 3 * TW + L);
        c32.intoArray(t, 3 * TW + 2 * L);
        c40.intoArray(t, 4 * TW);
        c41.intoArray(t, 4 * TW + L);
        c42.intoArray(t, 4 * TW + 2 * L);
        c50.intoArray(t, 5 * TW);
        c51.intoArray(t, 5 * TW + L);
        c52.intoArray(t, 5 * TW + 2 * L);
    }

    private static void k53(float[] a, int a0, int kc, float[] b, int bo, float[] t) {
        int a1 = a0 + kc;
        int a2 = a1 + kc;
        int a3 = a2 + kc;
        int a4 = a3 + kc;
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c02 = z;
        FloatVector c10 = z, c11 = z, c12 = z;
        FloatVector c20 = z, c21 = z, c22 = z;
        FloatVector c30 = z, c31 = z, c32 = z;
        FloatVector c40 = z, c41 = z, c42 = z;
        for (int k = 0; k < kc; k++) {
            // scalar math: c[r][j] += a[r][k] · b[k][j]
            int bk = bo + k * (3 * L);
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
            FloatVector b2 = FloatVector.fromArray(S, b, bk + 2 * L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + k]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, a[a1 + k]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, a[a2 + k]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            x = FloatVector.broadcast(S, a[a3 + k]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            x = FloatVector.broadcast(S, a[a4 + k]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            c42 = x.fma(b2, c42);
        }
        c00.intoArray(t, 0);
        c01.intoArray(t, L);
        c02.intoArray(t, 2 * L);
        c10.intoArray(t, TW);
        c11.intoArray(t, TW + L);
        c12.intoArray(t, TW + 2 * L);
        c20.intoArray(t, 2 * TW);
        c21.intoArray(t, 2 * TW + L);
        c22.intoArray(t, 2 * TW + 2 * L);
        c30.intoArray(t, 3 * TW);
        c31.intoArray(t, 3 * TW + L);
        c32.intoArray(t, 3 * TW + 2 * L);
        c40.intoArray(t, 4 * TW);
        c41.intoArray(t, 4 * TW + L);
        c42.intoArray(t, 4 * TW + 2 * L);
    }

    /**
     * The 6 × 2 tile, AVX2's (16 registers: 12 accumulators, 2 B vectors and a broadcast), written straight into the
     * stage: each of its first {@code rows} rows goes to {@code out[at + r·sw]} as {@code acc}, or with
     * {@code hasStart} {@code acc + start[st + r·ss]} (the bias row, {@code ss} = 0, or the stage itself for later K
     * blocks), then with {@code relu} the compare and blend. These are {@link #stageTile}'s operations in its order,
     * so the same bits. Without the round trip through the tile array and {@code stageTile}'s loop, PLE inference
     * (whose products have K = 256 and 128, short enough for the epilogue to count) at B = 1,024 on one thread took
     * 0.955–0.971× the time at 256 bits and 0.943–0.952× at 128 on the AVX2 server; DIN inference and training
     * 0.99–1.00× (tools/JarAB.java, both orders). The 5-row tile written the same way made PLE slower where it
     * counts most, in 32-row parts (four of six row blocks 5-row): 1.055/1.048× at B = 64 on two threads, 1.046/1.033×
     * at B = 32 on one. AVX-512's 6 × 4 tile was not measured. So the other tiles keep the array. The rows'
     * epilogue is written out: a helper taking the two accumulators was not inlined, and the vectors passed to it
     * were boxed (PLE 5× slower).
     */
    private static void k62(float[] a, int a0, int kc, float[] b, int bo, float[] out, int at, int sw, int rows,
            float[] start, int st, int ss, boolean hasStart, boolean relu) {
        int a1 = a0 + kc;
        int a2 = a1 + kc;
        int a3 = a2 + kc;
        int a4 = a3 + kc;
        int a5 = a4 + kc;
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
        for (int k = 0; k < kc; k++) {
            // scalar math: c[r][j] += a[r][k] · b[k][j]
            int bk = bo + k * (2 * L);
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + k]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[a1 + k]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[a2 + k]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[a3 + k]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[a4 + k]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[a5 + k]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        if (rows > 0) {
            FloatVector x0 = c00, x1 = c01;
            if (hasStart) {
                x0 = x0.add(FloatVector.fromArray(S, start, st));
                x1 = x1.add(FloatVector.fromArray(S, start, st + L));
            }
            if (relu) {
                x0 = x0.blend(0f, x0.lt(0f));
                x1 = x1.blend(0f, x1.lt(0f));
            }
            x0.intoArray(out, at);
            x1.intoArray(out, at + L);
        }
        if (rows > 1) {
            FloatVector x0 = c10, x1 = c11;
            if (hasStart) {
                x0 = x0.add(FloatVector.fromArray(S, start, st + ss));
                x1 = x1.add(FloatVector.fromArray(S, start, st + ss + L));
            }
            if (relu) {
                x0 = x0.blend(0f, x0.lt(0f));
                x1 = x1.blend(0f, x1.lt(0f));
            }
            x0.intoArray(out, at + sw);
            x1.intoArray(out, at + sw + L);
        }
        if (rows > 2) {
            FloatVector x0 = c20, x1 = c21;
            if (hasStart) {
                x0 = x0.add(FloatVector.fromArray(S, start, st + 2 * ss));
                x1 = x1.add(FloatVector.fromArray(S, start, st + 2 * ss + L));
            }
            if (relu) {
                x0 = x0.blend(0f, x0.lt(0f));
                x1 = x1.blend(0f, x1.lt(0f));
            }
            x0.intoArray(out, at + 2 * sw);
            x1.intoArray(out, at + 2 * sw + L);
        }
        if (rows > 3) {
            FloatVector x0 = c30, x1 = c31;
            if (hasStart) {
                x0 = x0.add(FloatVector.fromArray(S, start, st + 3 * ss));
                x1 = x1.add(FloatVector.fromArray(S, start, st + 3 * ss + L));
            }
            if (relu) {
                x0 = x0.blend(0f, x0.lt(0f));
                x1 = x1.blend(0f, x1.lt(0f));
            }
            x0.intoArray(out, at + 3 * sw);
            x1.intoArray(out, at + 3 * sw + L);
        }
        if (rows > 4) {
            FloatVector x0 = c40, x1 = c41;
            if (hasStart) {
                x0 = x0.add(FloatVector.fromArray(S, start, st + 4 * ss));
                x1 = x1.add(FloatVector.fromArray(S, start, st + 4 * ss + L));
            }
            if (relu) {
                x0 = x0.blend(0f, x0.lt(0f));
                x1 = x1.blend(0f, x1.lt(0f));
            }
            x0.intoArray(out, at + 4 * sw);
            x1.intoArray(out, at + 4 * sw + L);
        }
        if (rows > 5) {
            FloatVector x0 = c50, x1 = c51;
            if (hasStart) {
                x0 = x0.add(FloatVector.fromArray(S, start, st + 5 * ss));
                x1 = x1.add(FloatVector.fromArray(S, start, st + 5 * ss + L));
            }
            if (relu) {
                x0 = x0.blend(0f, x0.lt(0f));
                x1 = x1.blend(0f, x1.lt(0f));
            }
            x0.intoArray(out, at + 5 * sw);
            x1.intoArray(out, at + 5 * sw + L);
        }
    }

    private static void k61(float[] a, int a0, int kc, float[] b, int bo, float[] t) {
        int a1 = a0 + kc;
        int a2 = a1 + kc;
        int a3 = a2 + kc;
        int a4 = a3 + kc;
        int a5 = a4 + kc;
        FloatVector z = FloatVector.zero(S);
        FloatVector c0 = z, c1 = z, c2 = z, c3 = z, c4 = z, c5 = z;
        for (int k = 0; k < kc; k++) {
            // scalar math: c[r][j] += a[r][k] · b[k][j]
            FloatVector b0 = FloatVector.fromArray(S, b, bo + k * L);
            c0 = FloatVector.broadcast(S, a[a0 + k]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, a[a1 + k]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, a[a2 + k]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, a[a3 + k]).fma(b0, c3);
            c4 = FloatVector.broadcast(S, a[a4 + k]).fma(b0, c4);
            c5 = FloatVector.broadcast(S, a[a5 + k]).fma(b0, c5);
        }
        c0.intoArray(t, 0);
        c1.intoArray(t, TW);
        c2.intoArray(t, 2 * TW);
        c3.intoArray(t, 3 * TW);
        c4.intoArray(t, 4 * TW);
        c5.intoArray(t, 5 * TW);
    }

    /**
     * The 5-row kernels of the 16-register plan, for a product's short blocks ({@link #shortBlocks}): the first five
     * rows of a 6-row slot of packed A.
     */
    private static void k52(float[] a, int a0, int kc, float[] b, int bo, float[] t) {
        int a1 = a0 + kc;
        int a2 = a1 + kc;
        int a3 = a2 + kc;
        int a4 = a3 + kc;
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z;
        for (int k = 0; k < kc; k++) {
            // scalar math: c[r][j] += a[r][k] · b[k][j]
            int bk = bo + k * (2 * L);
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + k]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[a1 + k]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[a2 + k]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[a3 + k]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[a4 + k]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
        }
        c00.intoArray(t, 0);
        c01.intoArray(t, L);
        c10.intoArray(t, TW);
        c11.intoArray(t, TW + L);
        c20.intoArray(t, 2 * TW);
        c21.intoArray(t, 2 * TW + L);
        c30.intoArray(t, 3 * TW);
        c31.intoArray(t, 3 * TW + L);
        c40.intoArray(t, 4 * TW);
        c41.intoArray(t, 4 * TW + L);
    }

    private static void k51(float[] a, int a0, int kc, float[] b, int bo, float[] t) {
        int a1 = a0 + kc;
        int a2 = a1 + kc;
        int a3 = a2 + kc;
        int a4 = a3 + kc;
        FloatVector z = FloatVector.zero(S);
        FloatVector c0 = z, c1 = z, c2 = z, c3 = z, c4 = z;
        for (int k = 0; k < kc; k++) {
            // scalar math: c[r][j] += a[r][k] · b[k][j]
            FloatVector b0 = FloatVector.fromArray(S, b, bo + k * L);
            c0 = FloatVector.broadcast(S, a[a0 + k]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, a[a1 + k]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, a[a2 + k]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, a[a3 + k]).fma(b0, c3);
            c4 = FloatVector.broadcast(S, a[a4 + k]).fma(b0, c4);
        }
        c0.intoArray(t, 0);
        c1.intoArray(t, TW);
        c2.intoArray(t, 2 * TW);
        c3.intoArray(t, 3 * TW);
        c4.intoArray(t, 4 * TW);
    }

    // ---- the 4-row micro-kernels reading A interleaved by k: a[4·k + r] (see packAInterleaved). ----

    private static void k4i(float[] a, int a0, int kc, float[] b, int bo, float[] t) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z;
        FloatVector c10 = z, c11 = z, c12 = z, c13 = z;
        FloatVector c20 = z, c21 = z, c22 = z, c23 = z;
        FloatVector c30 = z, c31 = z, c32 = z, c33 = z;
        for (int k = 0; k < kc; k++) {
            // scalar math: c[r][j] += a[r][k] · b[k][j]
            int bk = bo + k * (4 * L);
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
            FloatVector b2 = FloatVector.fromArray(S, b, bk + 2 * L);
            FloatVector b3 = FloatVector.fromArray(S, b, bk + 3 * L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + 4 * k]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(S, a[a0 + 4 * k + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(S, a[a0 + 4 * k + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(S, a[a0 + 4 * k + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            c33 = x.fma(b3, c33);
        }
        c00.intoArray(t, 0);
        c01.intoArray(t, L);
        c02.intoArray(t, 2 * L);
        c03.intoArray(t, 3 * L);
        c10.intoArray(t, TW);
        c11.intoArray(t, TW + L);
        c12.intoArray(t, TW + 2 * L);
        c13.intoArray(t, TW + 3 * L);
        c20.intoArray(t, 2 * TW);
        c21.intoArray(t, 2 * TW + L);
        c22.intoArray(t, 2 * TW + 2 * L);
        c23.intoArray(t, 2 * TW + 3 * L);
        c30.intoArray(t, 3 * TW);
        c31.intoArray(t, 3 * TW + L);
        c32.intoArray(t, 3 * TW + 2 * L);
        c33.intoArray(t, 3 * TW + 3 * L);
    }

    private static void k5i(float[] a, int a0, int kc, float[] b, int bo, float[] t) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c04 = z;
        FloatVector c10 = z, c11 = z, c12 = z, c13 = z, c14 = z;
        FloatVector c20 = z, c21 = z, c22 = z, c23 = z, c24 = z;
        FloatVector c30 = z, c31 = z, c32 = z, c33 = z, c34 = z;
        for (int k = 0; k < kc; k++) {
            // scalar math: c[r][j] += a[r][k] · b[k][j]
            int bk = bo + k * (5 * L);
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
            FloatVector b2 = FloatVector.fromArray(S, b, bk + 2 * L);
            FloatVector b3 = FloatVector.fromArray(S, b, bk + 3 * L);
            FloatVector b4 = FloatVector.fromArray(S, b, bk + 4 * L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + 4 * k]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            c03 = x.fma(b3, c03);
            c04 = x.fma(b4, c04);
            x = FloatVector.broadcast(S, a[a0 + 4 * k + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            c13 = x.fma(b3, c13);
            c14 = x.fma(b4, c14);
            x = FloatVector.broadcast(S, a[a0 + 4 * k + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            c23 = x.fma(b3, c23);
            c24 = x.fma(b4, c24);
            x = FloatVector.broadcast(S, a[a0 + 4 * k + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            c33 = x.fma(b3, c33);
            c34 = x.fma(b4, c34);
        }
        c00.intoArray(t, 0);
        c01.intoArray(t, L);
        c02.intoArray(t, 2 * L);
        c03.intoArray(t, 3 * L);
        c04.intoArray(t, 4 * L);
        c10.intoArray(t, TW);
        c11.intoArray(t, TW + L);
        c12.intoArray(t, TW + 2 * L);
        c13.intoArray(t, TW + 3 * L);
        c14.intoArray(t, TW + 4 * L);
        c20.intoArray(t, 2 * TW);
        c21.intoArray(t, 2 * TW + L);
        c22.intoArray(t, 2 * TW + 2 * L);
        c23.intoArray(t, 2 * TW + 3 * L);
        c24.intoArray(t, 2 * TW + 4 * L);
        c30.intoArray(t, 3 * TW);
        c31.intoArray(t, 3 * TW + L);
        c32.intoArray(t, 3 * TW + 2 * L);
        c33.intoArray(t, 3 * TW + 3 * L);
        c34.intoArray(t, 3 * TW + 4 * L);
    }

    private static void k3i(float[] a, int a0, int kc, float[] b, int bo, float[] t) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c02 = z;
        FloatVector c10 = z, c11 = z, c12 = z;
        FloatVector c20 = z, c21 = z, c22 = z;
        FloatVector c30 = z, c31 = z, c32 = z;
        for (int k = 0; k < kc; k++) {
            // scalar math: c[r][j] += a[r][k] · b[k][j]
            int bk = bo + k * (3 * L);
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
            FloatVector b2 = FloatVector.fromArray(S, b, bk + 2 * L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + 4 * k]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, a[a0 + 4 * k + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, a[a0 + 4 * k + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            x = FloatVector.broadcast(S, a[a0 + 4 * k + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
        }
        c00.intoArray(t, 0);
        c01.intoArray(t, L);
        c02.intoArray(t, 2 * L);
        c10.intoArray(t, TW);
        c11.intoArray(t, TW + L);
        c12.intoArray(t, TW + 2 * L);
        c20.intoArray(t, 2 * TW);
        c21.intoArray(t, 2 * TW + L);
        c22.intoArray(t, 2 * TW + 2 * L);
        c30.intoArray(t, 3 * TW);
        c31.intoArray(t, 3 * TW + L);
        c32.intoArray(t, 3 * TW + 2 * L);
    }

    private static void k2i(float[] a, int a0, int kc, float[] b, int bo, float[] t) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        for (int k = 0; k < kc; k++) {
            // scalar math: c[r][j] += a[r][k] · b[k][j]
            int bk = bo + k * (2 * L);
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + 4 * k]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[a0 + 4 * k + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[a0 + 4 * k + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[a0 + 4 * k + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
        }
        c00.intoArray(t, 0);
        c01.intoArray(t, L);
        c10.intoArray(t, TW);
        c11.intoArray(t, TW + L);
        c20.intoArray(t, 2 * TW);
        c21.intoArray(t, 2 * TW + L);
        c30.intoArray(t, 3 * TW);
        c31.intoArray(t, 3 * TW + L);
    }

    private static void k1i(float[] a, int a0, int kc, float[] b, int bo, float[] t) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0 = z, c1 = z, c2 = z, c3 = z;
        for (int k = 0; k < kc; k++) {
            // scalar math: c[r][j] += a[r][k] · b[k][j]
            FloatVector b0 = FloatVector.fromArray(S, b, bo + k * L);
            c0 = FloatVector.broadcast(S, a[a0 + 4 * k]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, a[a0 + 4 * k + 1]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, a[a0 + 4 * k + 2]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, a[a0 + 4 * k + 3]).fma(b0, c3);
        }
        c0.intoArray(t, 0);
        c1.intoArray(t, TW);
        c2.intoArray(t, 2 * TW);
        c3.intoArray(t, 3 * TW);
    }

    // ---- 6 rows × 1 to 4 vectors with A interleaved by k (a[a0 + 6·k + r]): the weight gradient's dyᵀ, no 5-row
    // variants (a product's spare rows are multiplied as zeros). ----

    private static void k64i(float[] a, int a0, int kc, float[] b, int bo, float[] t) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z;
        FloatVector c10 = z, c11 = z, c12 = z, c13 = z;
        FloatVector c20 = z, c21 = z, c22 = z, c23 = z;
        FloatVector c30 = z, c31 = z, c32 = z, c33 = z;
        FloatVector c40 = z, c41 = z, c42 = z, c43 = z;
        FloatVector c50 = z, c51 = z, c52 = z, c53 = z;
        for (int k = 0; k < kc; k++) {
            // scalar math: c[r][j] += a[r][k] · b[k][j]
            int bk = bo + k * (4 * L);
            int ak = a0 + 6 * k;
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
            FloatVector b2 = FloatVector.fromArray(S, b, bk + 2 * L);
            FloatVector b3 = FloatVector.fromArray(S, b, bk + 3 * L);
            FloatVector x = FloatVector.broadcast(S, a[ak]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(S, a[ak + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(S, a[ak + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(S, a[ak + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            c33 = x.fma(b3, c33);
            x = FloatVector.broadcast(S, a[ak + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            c42 = x.fma(b2, c42);
            c43 = x.fma(b3, c43);
            x = FloatVector.broadcast(S, a[ak + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            c52 = x.fma(b2, c52);
            c53 = x.fma(b3, c53);
        }
        c00.intoArray(t, 0);
        c01.intoArray(t, L);
        c02.intoArray(t, 2 * L);
        c03.intoArray(t, 3 * L);
        c10.intoArray(t, TW);
        c11.intoArray(t, TW + L);
        c12.intoArray(t, TW + 2 * L);
        c13.intoArray(t, TW + 3 * L);
        c20.intoArray(t, 2 * TW);
        c21.intoArray(t, 2 * TW + L);
        c22.intoArray(t, 2 * TW + 2 * L);
        c23.intoArray(t, 2 * TW + 3 * L);
        c30.intoArray(t, 3 * TW);
        c31.intoArray(t, 3 * TW + L);
        c32.intoArray(t, 3 * TW + 2 * L);
        c33.intoArray(t, 3 * TW + 3 * L);
        c40.intoArray(t, 4 * TW);
        c41.intoArray(t, 4 * TW + L);
        c42.intoArray(t, 4 * TW + 2 * L);
        c43.intoArray(t, 4 * TW + 3 * L);
        c50.intoArray(t, 5 * TW);
        c51.intoArray(t, 5 * TW + L);
        c52.intoArray(t, 5 * TW + 2 * L);
        c53.intoArray(t, 5 * TW + 3 * L);
    }

    private static void k63i(float[] a, int a0, int kc, float[] b, int bo, float[] t) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c02 = z;
        FloatVector c10 = z, c11 = z, c12 = z;
        FloatVector c20 = z, c21 = z, c22 = z;
        FloatVector c30 = z, c31 = z, c32 = z;
        FloatVector c40 = z, c41 = z, c42 = z;
        FloatVector c50 = z, c51 = z, c52 = z;
        for (int k = 0; k < kc; k++) {
            // scalar math: c[r][j] += a[r][k] · b[k][j]
            int bk = bo + k * (3 * L);
            int ak = a0 + 6 * k;
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
            FloatVector b2 = FloatVector.fromArray(S, b, bk + 2 * L);
            FloatVector x = FloatVector.broadcast(S, a[ak]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, a[ak + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, a[ak + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            x = FloatVector.broadcast(S, a[ak + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            x = FloatVector.broadcast(S, a[ak + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            c42 = x.fma(b2, c42);
            x = FloatVector.broadcast(S, a[ak + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            c52 = x.fma(b2, c52);
        }
        c00.intoArray(t, 0);
        c01.intoArray(t, L);
        c02.intoArray(t, 2 * L);
        c10.intoArray(t, TW);
        c11.intoArray(t, TW + L);
        c12.intoArray(t, TW + 2 * L);
        c20.intoArray(t, 2 * TW);
        c21.intoArray(t, 2 * TW + L);
        c22.intoArray(t, 2 * TW + 2 * L);
        c30.intoArray(t, 3 * TW);
        c31.intoArray(t, 3 * TW + L);
        c32.intoArray(t, 3 * TW + 2 * L);
        c40.intoArray(t, 4 * TW);
        c41.intoArray(t, 4 * TW + L);
        c42.intoArray(t, 4 * TW + 2 * L);
        c50.intoArray(t, 5 * TW);
        c51.intoArray(t, 5 * TW + L);
        c52.intoArray(t, 5 * TW + 2 * L);
    }

    private static void k62i(float[] a, int a0, int kc, float[] b, int bo, float[] t) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z;
        FloatVector c10 = z, c11 = z;
        FloatVector c20 = z, c21 = z;
        FloatVector c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z;
        FloatVector c50 = z, c51 = z;
        for (int k = 0; k < kc; k++) {
            // scalar math: c[r][j] += a[r][k] · b[k][j]
            int bk = bo + k * (2 * L);
            int ak = a0 + 6 * k;
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
            FloatVector x = FloatVector.broadcast(S, a[ak]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ak + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ak + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ak + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[ak + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[ak + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        c00.intoArray(t, 0);
        c01.intoArray(t, L);
        c10.intoArray(t, TW);
        c11.intoArray(t, TW + L);
        c20.intoArray(t, 2 * TW);
        c21.intoArray(t, 2 * TW + L);
        c30.intoArray(t, 3 * TW);
        c31.intoArray(t, 3 * TW + L);
        c40.intoArray(t, 4 * TW);
        c41.intoArray(t, 4 * TW + L);
        c50.intoArray(t, 5 * TW);
        c51.intoArray(t, 5 * TW + L);
    }

    private static void k61i(float[] a, int a0, int kc, float[] b, int bo, float[] t) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c10 = z, c20 = z, c30 = z, c40 = z, c50 = z;
        for (int k = 0; k < kc; k++) {
            // scalar math: c[r][j] += a[r][k] · b[k][j]
            int bk = bo + k * L;
            int ak = a0 + 6 * k;
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector x = FloatVector.broadcast(S, a[ak]);
            c00 = x.fma(b0, c00);
            x = FloatVector.broadcast(S, a[ak + 1]);
            c10 = x.fma(b0, c10);
            x = FloatVector.broadcast(S, a[ak + 2]);
            c20 = x.fma(b0, c20);
            x = FloatVector.broadcast(S, a[ak + 3]);
            c30 = x.fma(b0, c30);
            x = FloatVector.broadcast(S, a[ak + 4]);
            c40 = x.fma(b0, c40);
            x = FloatVector.broadcast(S, a[ak + 5]);
            c50 = x.fma(b0, c50);
        }
        c00.intoArray(t, 0);
        c10.intoArray(t, TW);
        c20.intoArray(t, 2 * TW);
        c30.intoArray(t, 3 * TW);
        c40.intoArray(t, 4 * TW);
        c50.intoArray(t, 5 * TW);
    }
}
