package io.din4j.backend.cpu;

import io.din4j.backend.DenseOps;
import io.din4j.backend.ValueChecks;
import io.din4j.tensor.DerivedCache;
import io.din4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;

/**
 * DenseOps of the cpu backend: every product is a {@link Gemm}, parallel over the rows of its output. The weight
 * gradient {@code dW = dyᵀ·x} is split over the output rows of dW, so each thread owns whole rows of dW and db and
 * the sums need no reduction across threads (and do not depend on the thread count).
 */
final class CpuDenseOps implements DenseOps {
    /** Packed B larger than this (floats) is packed by all threads. */
    private static final int PARALLEL_PACK = 1 << 15;
    /**
     * Row blocks (of {@link Gemm#rowsPerBlock} rows) multiplied together: their rows of C (64–96 rows) stay in L2
     * across the K blocks, and their A K-block (≤ 16 × 6 × 512 floats, 192 KiB) streams from L2 past each panel.
     */
    private static final int GROUP = 16;

    /**
     * The largest chunk size from {@code chunk} down to two thirds of it that cuts {@code items} into a multiple of
     * {@code threads} chunks, where there are more chunks than threads; else {@code chunk}. {@link Parallel#forChunks}
     * cuts its chunks evenly, so every thread then claims as many items as the others: 1,024 rows in 6-row blocks
     * (171 blocks, at most 16 per chunk) made 11 chunks of 15–16 blocks, and one of two threads multiplied 93 blocks
     * while the other waited after 78. 12 chunks of 14–15 made 1024×256→768 run at 2.06–2.14 ms against 2.18–2.23 (two
     * threads, 256 bits, the AVX-512 host).
     */
    static int balancedChunk(int items, int chunk, int threads) {
        if ((items + chunk - 1) / chunk <= threads) {
            return chunk;
        }
        for (int c = chunk; c >= Math.max(1, chunk * 2 / 3); c--) {
            if ((items + c - 1) / c % threads == 0) {
                return c;
            }
        }
        return chunk;
    }

    /** The least work worth handing to another thread: 128 Ki multiply-adds, a few microseconds. */
    private static final long MIN_CHUNK_FMAS = 1L << 17;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.nativeOrder());

    private final Parallel parallel;

    CpuDenseOps(Parallel parallel) {
        this.parallel = parallel;
    }

    private static int[] dims(Tensor x, Tensor w, String yName, Tensor y) {
        long[] d = ValueChecks.linear(x, w, yName, y, false);
        return new int[] {Math.toIntExact(d[0]), Math.toIntExact(d[1]), Math.toIntExact(d[2])};
    }

    @Override
    public void linear(Tensor x, Tensor w, Tensor b, Tensor y) {
        linear(x, w, b, y, false);
    }

    @Override
    public boolean linearRelu(Tensor x, Tensor w, Tensor b, Tensor y) {
        linear(x, w, b, y, true);
        return true;
    }

    private void linear(Tensor x, Tensor w, Tensor b, Tensor y, boolean relu) {
        int[] d = dims(x, w, "y", y);
        int n = d[0], in = d[1], out = d[2];
        if (b != null) {
            ValueChecks.value("b", b, false, out);
        }
        if (n == 0 || out == 0) {
            return;
        }
        MemorySegment bias = b == null ? null : b.segment();
        if (in == 0) {
            for (int r = 0; r < n; r++) {
                for (int o = 0; o < out; o++) {
                    float v = b == null ? 0f : b.getFloat(o);
                    y.setFloat((long) r * out + o, relu ? Math.max(v, 0f) : v);
                }
            }
            return;
        }
        if (out < Gemm.L) {
            narrowLinear(x.segment(), w.segment(), bias, y.segment(), n, in, out, relu);
            return;
        }
        // B[k][j] = W[j][k]
        Panels bp = packWeights(w, 1, in, in, out);
        gemm(x.segment(), in, 1, n, in, bp, out, y.segment(), bias, false, null, relu);
    }

    @Override
    public void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dW, Tensor db) {
        int[] d = dims(x, w, "dy", dy);
        int n = d[0], in = d[1], out = d[2];
        if (dx != null) {
            ValueChecks.rows("dx", dx, false, n, in);
        }
        ValueChecks.value("dW", dW, false, out, in);
        if (db != null) {
            ValueChecks.value("db", db, false, out);
        }
        if (n == 0 || out == 0) {
            return;
        }
        if (dx != null && in > 0) {
            // dx += dy·W: A = dy [n, out], B[k][j] = W[k][j]
            Panels bp = packWeights(w, in, 1, out, in);
            gemm(dy.segment(), out, 1, n, out, bp, in, dx.segment(), null, true, null, false);
        }
        if (in > 0) {
            // dW += dyᵀ·x: A[m][k] = dy[k][m] (m < out, k < n), B[k][j] = x[k][j]
            Panels bp = pack(x.segment(), in, 1, n, in);
            gemm(dy.segment(), 1, out, out, n, bp, in, dW.segment(), null, true, db == null ? null : db.segment(), false);
        } else if (db != null) {
            for (int o = 0; o < out; o++) {
                float s = 0;
                for (int r = 0; r < n; r++) {
                    s += dy.getFloat((long) r * out + o);
                }
                db.setFloat(o, db.getFloat(o) + s);
            }
        }
    }

    /**
     * {@code y = x·Wᵀ + b} for fewer outputs than lanes (gate logits, a tower's one logit): each output is a dot
     * product of an x row and a W row along K, vectorised over K, two rows of x by up to four outputs at a time
     * (8 accumulators). The GEMM would fill one vector of B per k with {@code out} of its L lanes and pack A for it:
     * PLE's four gate logits at B = 1024 (1 Mi multiply-adds) took as long as a tower's 128→32 layer (4 Mi). One
     * thread, B = 1024, 256 → 4, AVX2 host: best 77–125 µs against 120–146 before (same run, /tmp harness).
     */
    private void narrowLinear(MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y, int n, int in, int out,
            boolean relu) {
        int pairs = (n + 1) / 2;
        long fmasPerPair = Math.max(1L, 2L * in * out);
        int chunk = (int) Math.max(1, Math.min(pairs, (MIN_CHUNK_FMAS + fmasPerPair - 1) / fmasPerPair));
        parallel.forChunks(pairs, chunk, (unused, from, to) -> {
            float[] t = Gemm.scratch().tile;
            for (int p = from; p < to; p++) {
                int r0 = 2 * p;
                // An odd last row is multiplied twice (r1 = r0) and written once.
                int r1 = Math.min(r0 + 1, n - 1);
                int j = 0;
                for (; j + 4 <= out; j += 4) {
                    Gemm.dot2x4(x, (long) r0 * in, (long) r1 * in, w, (long) j * in, in, y, (long) r0 * out + j,
                            (long) r1 * out + j, r1 != r0, bias, j, relu, t);
                }
                for (; j < out; j++) {
                    Gemm.dot2x1(x, (long) r0 * in, (long) r1 * in, w, (long) j * in, in, y, (long) r0 * out + j,
                            (long) r1 * out + j, r1 != r0, bias, j, relu, t);
                }
            }
        });
    }

    /**
     * Packed B: panels in {@code data} from {@code data[base]} on, {@link Gemm#panelBase} when packed. {@code checkedAt}:
     * the GC epoch ({@link AlignedArrays#gcEpoch}) at which base was last found on a cache line (weights only).
     */
    private static final class Panels {
        final float[] data;
        final int base;
        int checkedAt;

        Panels(float[] data) {
            this.data = data;
            this.base = Gemm.panelBase(data);
            this.checkedAt = AlignedArrays.gcEpoch();
        }
    }

    /** Packs {@code B[k][j] = src[k·kStride + j·jStride]} ({@code k × n}) into the calling thread's scratch. */
    private Panels pack(MemorySegment src, long kStride, long jStride, int k, int n) {
        Panels bp = new Panels(Gemm.scratch().b(Gemm.panelArraySize(k, n)));
        packInto(src, kStride, jStride, k, n, bp);
        return bp;
    }

    private void packInto(MemorySegment src, long kStride, long jStride, int k, int n, Panels bp) {
        if ((long) k * n < PARALLEL_PACK) {
            Gemm.packB(src, 0, kStride, jStride, k, n, bp.data, bp.base);
        } else {
            parallel.forRange(k, 64, (worker, from, to) -> Gemm.packB(src, 0, kStride, jStride, k, n, bp.data, bp.base, from, to));
        }
    }

    /** How a weight matrix was packed: the key of its packed panels in the weight's {@link DerivedCache}. */
    private record PackKey(long kStride, long jStride, int k, int n) {
    }

    /**
     * {@link #pack} of a weight matrix (all of {@code w}), reused while the weights are unchanged. Serving calls each
     * layer again and again with the same weights, and packing W (a transpose: one scalar move per weight) costs
     * more than the product itself at small batches: 1×160 · 160×200 is 32 000 FMAs, ~2 000 vector instructions,
     * against 32 000 scalar moves. The panels live in the weight tensor's {@link DerivedCache} (a model's
     * parameters have one, owned and freed by the model, shared by every thread that scores with it) under the
     * current version of the values; every writer of a parameter bumps that version, so after a training step the
     * next call packs again. Results are the same as packing every time. A tensor without a cache (a view, a raw
     * tensor in an op test) is packed every time.
     *
     * <p>After a garbage collection has moved the panels off their cache line, the first call copies them into a
     * new array at its own aligned place and caches that; threads still multiplying with the old one are not
     * disturbed, as nothing they read is written.
     */
    private Panels packWeights(Tensor w, long kStride, long jStride, int k, int n) {
        MemorySegment src = w.segment();
        DerivedCache cache = w.cache();
        if (cache == null || src.byteSize() != (long) k * n * Float.BYTES) {
            return pack(src, kStride, jStride, k, n);
        }
        PackKey key = new PackKey(kStride, jStride, k, n);
        Panels packed = cache.getReusing(key, (Panels stale) -> {
            Panels panels = stale != null ? stale : new Panels(new float[Gemm.panelArraySize(k, n)]);
            packInto(src, kStride, jStride, k, n, panels);
            return panels;
        });
        int epoch = AlignedArrays.gcEpoch();
        if (packed.checkedAt != epoch) {
            if (Gemm.panelBase(packed.data) == packed.base) {
                packed.checkedAt = epoch;
            } else {
                Panels moved = new Panels(new float[packed.data.length]);
                System.arraycopy(packed.data, packed.base, moved.data, moved.base, Gemm.packedSize(k, n));
                cache.replace(key, packed, moved);
                packed = moved;
            }
        }
        return packed;
    }

    /**
     * Whether a product of {@code blocks} row blocks (claimed {@code chunk} at a time) and {@code panels} panels of B
     * is split between the threads by panels rather than by rows: when the rows cannot give every thread two
     * chunks, there are at least two panels per thread, and the product is worth more than one hand-off.
     */
    static boolean splitsColumns(int threads, int blocks, int chunk, int panels, long fmas) {
        return threads > 1 && blocks < 2 * chunk * threads && panels >= 2 * threads && fmas >= 2 * MIN_CHUNK_FMAS;
    }

    /**
     * {@code C[m][j] (+)= Σ_k A[m][k]·B[k][j]} for {@code m < rows, j < n} with {@code A[m][k] = a[m·mStride +
     * k·kStride]}, {@code C} row-major with row length n. {@code colSums}, when not null, receives
     * {@code += Σ_k A[m][k]} for each m (db, from the A blocks already in cache). {@code relu}: C = max(C, 0), applied
     * as the last K block is written.
     */
    private void gemm(MemorySegment a, long mStride, long kStride, int rows, int k, Panels bp, int n, MemorySegment c,
            MemorySegment bias, boolean add, MemorySegment colSums, boolean relu) {
        // Rows of A adjacent in memory (A = dyᵀ): pack interleaved by k, the block's rows contiguous per k.
        boolean interleaved = mStride == 1 && kStride != 1;
        int rb = Gemm.rowsPerBlock(interleaved, rows, (n + Gemm.L - 1) / Gemm.L);
        int blocks = (rows + rb - 1) / rb;
        int shortFrom = Gemm.shortBlocksFrom(rows, rb, blocks, interleaved);
        // Chunks of up to GROUP row blocks claimed by whichever thread is free: at B=64 (11 blocks of 6 rows) two
        // static halves left the caller waiting for the other thread ~10% of the time on the AVX2 host. A chunk
        // holds at least MIN_CHUNK_FMAS multiply-adds, so a small product (a gate's 4 logits) stays on one thread.
        long fmasPerBlock = Math.max(1L, (long) rb * k * n);
        int minBlocks = (int) Math.max(2, Math.min(Integer.MAX_VALUE, (MIN_CHUNK_FMAS + fmasPerBlock - 1) / fmasPerBlock));
        int chunk = Math.max(minBlocks, Math.min(GROUP, blocks / (4 * parallel.threads())));
        int panels = Gemm.panelPlan((n + Gemm.L - 1) / Gemm.L).length;
        if (splitsColumns(parallel.threads(), blocks, chunk, panels, (long) rows * k * n) && colSums == null) {
            // Too few row blocks for every thread to get two chunks (a 32-row product: 6 blocks in chunks of 2, so
            // one thread ran 4 blocks and the other 2): split B's panels instead. Every thread packs the few rows of
            // A and multiplies them by its share of the panels; each output element comes from the same kernel over
            // the same K blocks as in a row split, so the results are the same bits. Measured on the AVX2 host, one
            // JVM alternating the two splits call by call, 2 threads: 32×256→768 1.34–1.39× as fast, 32×128→256
            // 1.19×; at 64 rows (11 blocks) the two splits ran alike (0.97–1.09×). (db's row sums are added while A
            // is packed, once per row block, so a product that needs them keeps the row split.)
            parallel.forChunks(panels, Math.max(1, panels / (2 * parallel.threads())), (unused, pFrom, pTo) -> {
                Gemm.Scratch s = Gemm.scratch();
                float[] ab = s.a(blocks * rb * Math.min(k, Gemm.KC));
                for (int k0 = 0; k0 < k; k0 += Gemm.KC) {
                    int kc = Math.min(Gemm.KC, k - k0);
                    for (int blk = 0; blk < blocks; blk++) {
                        packBlock(a, mStride, kStride, interleaved, rb, shortFrom, blk, rows, k0, kc, ab, blk * rb * kc);
                    }
                    Gemm.multiply(ab, interleaved, rb, 0, blocks, shortFrom, kc, k0, k, bp.data, bp.base, n, s, c, 0, n,
                            rows, bias, add || k0 > 0, relu && k0 + kc == k, pFrom, pTo);
                }
            });
            return;
        }
        parallel.forChunks(blocks, balancedChunk(blocks, chunk, parallel.threads()), (unused, from, to) -> {
            Gemm.Scratch s = Gemm.scratch();
            float[] ab = s.a(GROUP * rb * Math.min(k, Gemm.KC));
            // Groups of row blocks keep their rows of C (≤ 96 rows) in L2 across the K-blocks, while each panel's
            // K-block stays in L1 over the group's row blocks.
            for (int g = from; g < to; g += GROUP) {
                int gEnd = Math.min(to, g + GROUP);
                int rowEnd = Math.min(rows, Gemm.blockStart(gEnd, rb, shortFrom));
                for (int k0 = 0; k0 < k; k0 += Gemm.KC) {
                    int kc = Math.min(Gemm.KC, k - k0);
                    for (int blk = g; blk < gEnd; blk++) {
                        int at = (blk - g) * rb * kc;
                        int r = packBlock(a, mStride, kStride, interleaved, rb, shortFrom, blk, rows, k0, kc, ab, at);
                        if (colSums != null) {
                            addRowSums(ab, at, interleaved, rb, kc, r, colSums, Gemm.blockStart(blk, rb, shortFrom));
                        }
                    }
                    Gemm.multiply(ab, interleaved, rb, g, gEnd - g, shortFrom, kc, k0, k, bp.data, bp.base, n, s, c, 0,
                            n, rowEnd, bias, add || k0 > 0, relu && k0 + kc == k);
                }
            }
        });
    }

    /**
     * Copies row block {@code blk} of A's K-block {@code [k0, k0+kc)} into its {@code rb}-row slot at {@code ab[at..]}
     * (blocks from {@code shortFrom} on hold one row less, the last may hold fewer); returns its rows.
     */
    private static int packBlock(MemorySegment a, long mStride, long kStride, boolean interleaved, int rb, int shortFrom,
            int blk, int rows, int k0, int kc, float[] ab, int at) {
        int mb = Gemm.blockStart(blk, rb, shortFrom);
        int r = Math.min(Gemm.blockRows(blk, rb, shortFrom), rows - mb);
        if (interleaved) {
            Gemm.packAInterleaved(a, 0, kStride, mb, r, rb, k0, kc, ab, at);
        } else {
            Gemm.packA(a, 0, mStride, kStride, mb, r, rb, k0, kc, ab, at);
        }
        return r;
    }

    /**
     * {@link #addRowSums} of a block interleaved by k ({@code ab[at + rb·k + r]}, rb 4 or 6): whole vectors of the
     * preferred species over the block, {@code 3·L} floats (a whole number of k for both row counts) at a time in
     * three accumulators, then each lane's sum goes to the row it holds ({@code position mod rb}). The k left over
     * are added after, per row. The order of the sums is fixed by the block, not by the threads. (4-lane vectors
     * did this before, one k per vector; see {@link Gemm#packAInterleaved} for why the kernels use one species.)
     */
    private static void interleavedRowSums(float[] ab, int at, int rb, int kc, int rows, MemorySegment sums, int m0) {
        int chunk = 3 * Gemm.L;
        int whole = rb * kc / chunk * chunk;
        FloatVector s0 = FloatVector.zero(Gemm.S);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        for (int i = 0; i < whole; i += chunk) {
            // scalar math: lane p of the three accumulators sums ab[at + p + chunk·c] over the chunks c
            s0 = s0.add(FloatVector.fromArray(Gemm.S, ab, at + i));
            s1 = s1.add(FloatVector.fromArray(Gemm.S, ab, at + i + Gemm.L));
            s2 = s2.add(FloatVector.fromArray(Gemm.S, ab, at + i + 2 * Gemm.L));
        }
        // The thread's tile scratch (free between micro-kernels): the lanes at [0, chunk), the row sums after them.
        float[] t = Gemm.scratch().tile;
        s0.intoArray(t, 0);
        s1.intoArray(t, Gemm.L);
        s2.intoArray(t, 2 * Gemm.L);
        java.util.Arrays.fill(t, chunk, chunk + rb, 0f);
        for (int p = 0; p < chunk; p++) {
            t[chunk + p % rb] += t[p];
        }
        for (int i = whole; i < rb * kc; i++) {
            t[chunk + i % rb] += ab[at + i];
        }
        for (int r = 0; r < rows; r++) {
            long o = (long) (m0 + r) * Float.BYTES;
            sums.set(F, o, sums.get(F, o) + t[chunk + r]);
        }
    }

    private static void addRowSums(float[] ab, int at, boolean interleaved, int rb, int kc, int rows, MemorySegment sums, int m0) {
        if (interleaved) {
            interleavedRowSums(ab, at, rb, kc, rows, sums, m0);
            return;
        }
        for (int r = 0; r < rows; r++) {
            // scalar math: sums[m0 + r] += Σ_k ab[r·kc + k]
            FloatVector acc = FloatVector.zero(Gemm.S);
            int k = 0;
            int bound = Gemm.S.loopBound(kc);
            for (; k < bound; k += Gemm.L) {
                acc = acc.add(FloatVector.fromArray(Gemm.S, ab, at + r * kc + k));
            }
            float s = Lanes.sum(acc);
            for (; k < kc; k++) {
                s += ab[at + r * kc + k];
            }
            long o = (long) (m0 + r) * Float.BYTES;
            sums.set(F, o, sums.get(F, o) + s);
        }
    }
}
