package io.din4j.backend.cpu;

import io.din4j.backend.*;
import io.din4j.backend.SeqArgs.Values;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import java.lang.foreign.MemorySegment;

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
        parallel.forRange(n, MIN_ROWS, (w, from, to) -> {
            for (int i = from; i < to; i++) {
                MemorySegment.copy(src, ids.getInt(i) * rowBytes, dst, i * rowBytes, rowBytes);
            }
        });
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
        parallel.forRange(b, Math.max(1, MIN_ROWS / Math.max(1, t)), (w, from, to) -> {
            for (int i = from; i < to; i++) {
                int len = lengths.getInt(i);
                long row = (long) i * t;
                for (int j = 0; j < len; j++) {
                    MemorySegment.copy(src, ids.getInt(row + j) * rowBytes, dst, (row + j) * rowBytes, rowBytes);
                }
                dst.asSlice((row + len) * rowBytes, (t - len) * rowBytes).fill((byte) 0);
            }
        });
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

    private static void addRows(Tensor ids, Tensor lengths, Tensor dOut, RowSparseGrad g) {
        int d = g.width();
        long rowBytes = (long) d * Float.BYTES;
        MemorySegment values = g.values().segment();
        MemorySegment src = dOut.segment();
        g.addRows(ids, lengths, (pos, slot) -> SeqKernels.addInto(values, slot * rowBytes, src, pos * rowBytes, d));
    }
}
