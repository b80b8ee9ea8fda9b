package io.din4j.backend.cpu;

import io.din4j.backend.*;
import io.din4j.backend.SeqArgs.Values;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * EmbeddingOps of the cpu backend. A gather is a bulk row copy (memory-bound), split over rows; the backward is
 * sequential so rows are summed in input order and match the reference bit for bit.
 */
final class CpuEmbeddingOps implements EmbeddingOps {
    private static final Values V = Values.F32_ONLY;
    /** Rows per task below which splitting costs more than it saves. */
    private static final int MIN_ROWS = 256;

    private final Parallel parallel;

    CpuEmbeddingOps(Parallel parallel) {
        this.parallel = parallel;
    }

    @Override
    public SparseGrad newSparseGrad(TensorArena arena, long tableRows, int width, int capacity) {
        return new RowSparseGrad(arena, tableRows, width, capacity);
    }

    @Override
    public void gather(Tensor table, Tensor ids, Tensor out) {
        SeqArgs.valuesRank("table", table, V, 2);
        long d = table.dim(1);
        SeqArgs.ids(ids, table.dim(0));
        int n = ids.dimInt(0);
        SeqArgs.values("out", out, V, n, d);
        long rowBytes = d * Float.BYTES;
        MemorySegment src = table.segment();
        MemorySegment dst = out.segment();
        MemorySegment idSeg = ids.segment();
        parallel.forRange(n, MIN_ROWS, (w, from, to) -> RowCopy.rows(src, rowBytes, idSeg, from, to - from, dst,
                from * rowBytes, rowBytes));
    }

    @Override
    public void gatherSequence(Tensor table, Tensor ids, Tensor lengths, Tensor out) {
        SeqArgs.valuesRank("table", table, V, 2);
        long d = table.dim(1);
        SeqArgs.sequenceIds(ids, lengths, table.dim(0));
        int b = ids.dimInt(0);
        int t = ids.dimInt(1);
        SeqArgs.values("out", out, V, b, t, d);
        long rowBytes = d * Float.BYTES;
        MemorySegment src = table.segment();
        MemorySegment dst = out.segment();
        MemorySegment idSeg = ids.segment();
        parallel.forRange(b, Math.max(1, MIN_ROWS / Math.max(1, t)), (w, from, to) -> {
            for (int i = from; i < to; i++) {
                int len = lengths.getInt(i);
                long row = (long) i * t;
                RowCopy.rows(src, rowBytes, idSeg, row, len, dst, row * rowBytes, rowBytes);
                dst.asSlice((row + len) * rowBytes, (t - len) * rowBytes).fill((byte) 0);
            }
        });
    }

    @Override
    public boolean gathersIntoColumns() {
        return true;
    }

    @Override
    public void gatherInto(Tensor table, Tensor ids, Tensor lengths, Tensor out, long column) {
        long[] r = SeqArgs.gatherInto(table, ids, lengths, out, column, V);
        int rows = Math.toIntExact(r[0]);
        int t = Math.toIntExact(r[1]);
        long rowBytes = r[2] * Float.BYTES;
        long stride = r[3] * Float.BYTES;
        long first = column * Float.BYTES;
        MemorySegment src = table.segment();
        MemorySegment dst = out.segment();
        MemorySegment idSeg = ids.segment();
        if (lengths == null) {
            // one id per row (t = 1): a chunk's rows are one run of ids and of output rows
            parallel.forRange(rows, MIN_ROWS, (w, from, to) -> RowCopy.rows(src, rowBytes, idSeg, from, to - from, dst,
                    from * stride + first, stride));
            return;
        }
        parallel.forRange(rows, Math.max(1, MIN_ROWS / t), (w, from, to) -> {
            for (int i = from; i < to; i++) {
                int len = lengths.getInt(i);
                long pos = (long) i * t;
                RowCopy.rows(src, rowBytes, idSeg, pos, len, dst, pos * stride + first, stride);
                // scalar math: out[b, j, column + c] = 0 at a padding position j ≥ len (a window, not a whole row)
                RowCopy.zeros(dst, (pos + len) * stride + first, t - len, stride, rowBytes);
            }
        });
    }

    @Override
    public void gatherIntoBackward(Tensor ids, Tensor lengths, Tensor dOut, long column, SparseGrad grad) {
        long[] r = SeqArgs.gatherIntoBackward(ids, lengths, dOut, column, grad, V);
        long stride = r[3] * Float.BYTES;
        addRows((RowSparseGrad) grad, ids, lengths, dOut.segment(), column * Float.BYTES, r[1] * stride, stride);
    }

    @Override
    public void gatherBackward(Tensor ids, Tensor dOut, SparseGrad grad) {
        SeqArgs.valuesRank("dOut", dOut, V, 2);
        SeqArgs.sparseGrad(grad, dOut.dim(1));
        SeqArgs.ids(ids, grad.tableRows());
        SeqArgs.values("dOut", dOut, V, ids.dim(0), grad.width());
        addRows(ids, null, dOut, (RowSparseGrad) grad);
    }

    @Override
    public void gatherSequenceBackward(Tensor ids, Tensor lengths, Tensor dOut, SparseGrad grad) {
        SeqArgs.valuesRank("dOut", dOut, V, 3);
        SeqArgs.sparseGrad(grad, dOut.dim(2));
        SeqArgs.sequenceIds(ids, lengths, grad.tableRows());
        SeqArgs.values("dOut", dOut, V, ids.dim(0), ids.dim(1), grad.width());
        addRows(ids, lengths, dOut, (RowSparseGrad) grad);
    }

    /**
     * One chunk per distinct gradient, claimed by whichever thread is free; a chunk runs its gradient's passes in list
     * order. A pass is serial (its reserve and adds go through one gradient's row index), so DIN's item and category
     * tables, each its history's and its candidate's passes, run side by side instead of one after the other while
     * the other thread waited. With one gradient, or one thread, the passes run in order on the caller.
     */
    @Override
    public void backward(List<SparseBackward> passes) {
        // A handful of passes a step: one small array and linear scans, no map.
        SparseGrad[] distinct = new SparseGrad[passes.size()];
        int n = 0;
        for (SparseBackward p : passes) {
            if (indexOf(distinct, n, p.grad()) < 0) {
                distinct[n++] = p.grad();
            }
        }
        parallel.forChunks(n, 1, (chunk, from, to) -> {
            for (int g = from; g < to; g++) {
                for (SparseBackward p : passes) {
                    if (p.grad() == distinct[g]) {
                        p.pass().run();
                    }
                }
            }
        });
    }

    private static int indexOf(SparseGrad[] grads, int n, SparseGrad g) {
        for (int i = 0; i < n; i++) {
            if (grads[i] == g) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public boolean fusesGatherSumPool() {
        return true;
    }

    /**
     * The sum of each sample's table rows, t in order (the order sum pooling adds them in), in registers: a row is cut
     * into chunks of up to four vectors, and each chunk's accumulators take the rows of every valid position before
     * they are stored once. The table rows are read once and nothing but the output is written. Unfused, the gather
     * wrote B·T·D floats that the pooling read back: in PLE inference at B = 1024, T = 50 the gather, the
     * concatenation of the two sequences and the pooling took 62% of the batch at 256 bits (JFR,
     * {@code din4j bench --model ple --batch 1024 --vector-check}). A first version that accumulated in the output
     * row (in L1, a load and a store per vector and position) ran slower than the unfused ops.
     */
    @Override
    public void gatherSumPool(Tensor table, Tensor ids, Tensor lengths, Tensor out) {
        int[] btd = SeqArgs.gatherSumPool(table, ids, lengths, out, V);
        int b = btd[0], t = btd[1], d = btd[2];
        MemorySegment src = table.segment();
        MemorySegment dst = out.segment();
        MemorySegment idSeg = ids.segment();
        parallel.forRange(b, Math.max(1, MIN_ROWS / Math.max(1, t)), (w, from, to) -> {
            for (int i = from; i < to; i++) {
                int len = lengths.getInt(i);
                long first = (long) i * t;
                for (int c = 0; c < d; c += 4 * Lanes.L) {
                    poolChunk(src, idSeg, first, len, d, c, Math.min(4 * Lanes.L, d - c), dst, (long) i * d);
                }
            }
        });
    }

    /**
     * Columns {@code [c, c + width)} (width ≤ 4·L) of one output row: Σ over the {@code len} ids from {@code first} of
     * their table rows. Whole vectors with plain loads; a partial last vector through {@link Lanes}' masked path.
     */
    private static void poolChunk(MemorySegment table, MemorySegment ids, long first, int len, int d, int c, int width,
                                  MemorySegment out, long outRow) {
        int vectors = (width + Lanes.L - 1) / Lanes.L;
        VectorMask<Float> last = Lanes.tail((vectors - 1) * Lanes.L, width);
        boolean whole = width % Lanes.L == 0;
        FloatVector a0 = FloatVector.zero(Lanes.S), a1 = a0, a2 = a0, a3 = a0;
        for (int j = 0; j < len; j++) {
            // scalar math: out[b, c + k] += table[ids[b, t], c + k]
            long e = (long) ids.getAtIndex(ValueLayout.JAVA_INT, first + j) * d + c;
            if (whole && vectors == 4) {
                a0 = a0.add(Lanes.load(table, e));
                a1 = a1.add(Lanes.load(table, e + Lanes.L));
                a2 = a2.add(Lanes.load(table, e + 2L * Lanes.L));
                a3 = a3.add(Lanes.load(table, e + 3L * Lanes.L));
            } else {
                a0 = a0.add(vectorAt(table, e, 0, vectors, last));
                if (vectors > 1) {
                    a1 = a1.add(vectorAt(table, e, 1, vectors, last));
                }
                if (vectors > 2) {
                    a2 = a2.add(vectorAt(table, e, 2, vectors, last));
                }
                if (vectors > 3) {
                    a3 = a3.add(vectorAt(table, e, 3, vectors, last));
                }
            }
        }
        long o = outRow + c;
        storeVector(a0, out, o, 0, vectors, last);
        if (vectors > 1) {
            storeVector(a1, out, o, 1, vectors, last);
        }
        if (vectors > 2) {
            storeVector(a2, out, o, 2, vectors, last);
        }
        if (vectors > 3) {
            storeVector(a3, out, o, 3, vectors, last);
        }
    }

    /** Vector {@code k} of a chunk at element {@code e}: whole unless it is the chunk's last, then masked. */
    private static FloatVector vectorAt(MemorySegment s, long e, int k, int vectors, VectorMask<Float> last) {
        long at = e + (long) k * Lanes.L;
        return k == vectors - 1 ? Lanes.load(s, at, last) : Lanes.load(s, at);
    }

    private static void storeVector(FloatVector v, MemorySegment s, long e, int k, int vectors, VectorMask<Float> last) {
        Lanes.store(v, s, e + (long) k * Lanes.L, k == vectors - 1 ? last : Lanes.prefix(Lanes.L));
    }

    @Override
    public void gatherSumPoolBackward(Tensor ids, Tensor lengths, Tensor dOut, SparseGrad grad) {
        SeqArgs.gatherSumPoolBackward(ids, lengths, dOut, grad, V);
        RowSparseGrad g = (RowSparseGrad) grad;
        int d = g.width();
        long rowBytes = (long) d * Float.BYTES;
        addRows(g, ids, lengths, dOut.segment(), 0, rowBytes, 0);
    }

    private static void addRows(Tensor ids, Tensor lengths, Tensor dOut, RowSparseGrad g) {
        long rowBytes = (long) g.width() * Float.BYTES;
        long t = lengths == null ? ids.dim(0) : ids.dim(1);
        addRows(g, ids, lengths, dOut.segment(), 0, t * rowBytes, rowBytes);
    }

    /**
     * Reserves the gradient rows of every valid id ({@link RowSparseGrad#reserveSlotsUnzeroed}) and adds, in input order,
     * the dOut row of position (b, t) into its id's row: the row at byte {@code first + b·sampleStride +
     * t·positionStride} of {@code src} (flat ids read as one sample). The loop is here, one per backend, calling
     * {@link SeqKernels#addInto} directly. Through {@link RowSparseGrad#addRows}' callback, one call site served
     * the lambdas of every gather (a DIN step's item table has the history's and the candidate's), C2 compiled it
     * as a virtual call, and the add was not inlined ({@code -XX:+PrintInlining}: "callee uses too much stack").
     */
    private static void addRows(RowSparseGrad g, Tensor ids, Tensor lengths, MemorySegment src, long first, long sampleStride,
                                long positionStride) {
        int[] slots = g.reserveSlotsUnzeroed(ids, lengths);
        MemorySegment values = g.values().segment();
        int d = g.width();
        long rowBytes = (long) d * Float.BYTES;
        long samples = lengths == null ? 1 : ids.dim(0);
        int t = Math.toIntExact(lengths == null ? ids.dim(0) : ids.dim(1));
        for (long b = 0; b < samples; b++) {
            long at = first + b * sampleStride;
            int pos = (int) (b * t);
            for (int j = 0; j < t; j++, at += positionStride) {
                int slot = slots[pos + j];
                if (slot >= 0) {
                    SeqKernels.addInto(values, slot * rowBytes, src, at, d);
                } else if (slot < -1) {
                    // a new row's first occurrence: written, not added to a zeroed row (the same bits)
                    SeqKernels.addZeroInto(values, (-2L - slot) * rowBytes, src, at, d);
                }
            }
        }
    }
}
