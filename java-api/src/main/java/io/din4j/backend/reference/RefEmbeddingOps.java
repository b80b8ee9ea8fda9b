package io.din4j.backend.reference;

import io.din4j.backend.*;
import io.din4j.backend.SeqArgs.Values;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;

/** EmbeddingOps of the reference backend: element-by-element copies and adds. */
final class RefEmbeddingOps implements EmbeddingOps {
    private static final Values V = Values.F32_OR_F64;

    @Override
    public SparseGrad newSparseGrad(TensorArena arena, long tableRows, int width, int capacity) {
        return new RowSparseGrad(arena, tableRows, width, capacity);
    }

    @Override
    public void gather(Tensor table, Tensor ids, Tensor out) {
        SeqArgs.valuesRank("table", table, V, 2);
        long rows = table.dim(0);
        long d = table.dim(1);
        SeqArgs.ids(ids, rows);
        long n = ids.dim(0);
        SeqArgs.values("out", out, V, n, d);
        for (long i = 0; i < n; i++) {
            long src = ids.getInt(i) * d;
            for (long c = 0; c < d; c++) {
                out.set(i * d + c, table.get(src + c));
            }
        }
    }

    @Override
    public void gatherSequence(Tensor table, Tensor ids, Tensor lengths, Tensor out) {
        SeqArgs.valuesRank("table", table, V, 2);
        long rows = table.dim(0);
        long d = table.dim(1);
        SeqArgs.sequenceIds(ids, lengths, rows);
        long b = ids.dim(0);
        long t = ids.dim(1);
        SeqArgs.values("out", out, V, b, t, d);
        for (long i = 0; i < b; i++) {
            int len = lengths.getInt(i);
            for (long j = 0; j < t; j++) {
                long dst = (i * t + j) * d;
                long src = j < len ? ids.getInt(i * t + j) * d : -1;
                for (long c = 0; c < d; c++) {
                    out.set(dst + c, src < 0 ? 0.0 : table.get(src + c));
                }
            }
        }
    }

    @Override
    public boolean gathersIntoColumns() {
        return true;
    }

    @Override
    public void gatherInto(Tensor table, Tensor ids, Tensor lengths, Tensor out, long column) {
        long[] r = SeqArgs.gatherInto(table, ids, lengths, out, column, V);
        long rows = r[0], t = r[1], d = r[2], w = r[3];
        for (long i = 0; i < rows; i++) {
            int len = lengths == null ? 1 : lengths.getInt(i);
            for (long j = 0; j < t; j++) {
                long dst = (i * t + j) * w + column;
                long src = j < len ? ids.getInt(i * t + j) * d : -1;
                for (long c = 0; c < d; c++) {
                    out.set(dst + c, src < 0 ? 0.0 : table.get(src + c));
                }
            }
        }
    }

    @Override
    public void gatherIntoBackward(Tensor ids, Tensor lengths, Tensor dOut, long column, SparseGrad grad) {
        long w = SeqArgs.gatherIntoBackward(ids, lengths, dOut, column, grad, V)[3];
        RowSparseGrad g = (RowSparseGrad) grad;
        long d = g.width();
        Tensor values = g.values();
        g.addRows(ids, lengths, (pos, slot) -> {
            for (long c = 0; c < d; c++) {
                long dst = slot * d + c;
                values.set(dst, (float) (values.getFloat(dst) + (float) dOut.get(pos * w + column + c)));
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

    @Override
    public boolean fusesGatherSumPool() {
        return true;
    }

    @Override
    public void gatherSumPool(Tensor table, Tensor ids, Tensor lengths, Tensor out) {
        int[] btd = SeqArgs.gatherSumPool(table, ids, lengths, out, V);
        long b = btd[0], t = btd[1], d = btd[2];
        for (long i = 0; i < b; i++) {
            int len = lengths.getInt(i);
            for (long c = 0; c < d; c++) {
                double sum = 0;
                for (long j = 0; j < len; j++) {
                    sum += table.get(ids.getInt(i * t + j) * d + c);
                }
                out.set(i * d + c, sum);
            }
        }
    }

    @Override
    public void gatherSumPoolBackward(Tensor ids, Tensor lengths, Tensor dOut, SparseGrad grad) {
        SeqArgs.gatherSumPoolBackward(ids, lengths, dOut, grad, V);
        long t = ids.dim(1);
        long d = grad.width();
        RowSparseGrad g = (RowSparseGrad) grad;
        Tensor values = g.values();
        g.addRows(ids, lengths, (pos, slot) -> {
            long row = pos / t;
            for (long c = 0; c < d; c++) {
                long dst = slot * d + c;
                values.set(dst, (float) (values.getFloat(dst) + (float) dOut.get(row * d + c)));
            }
        });
    }

    /** Adds each valid position's dOut row into its id's gradient row, in input order. */
    private static void addRows(Tensor ids, Tensor lengths, Tensor dOut, RowSparseGrad g) {
        long d = g.width();
        Tensor values = g.values();
        g.addRows(ids, lengths, (pos, slot) -> {
            for (long c = 0; c < d; c++) {
                // Rounded to f32 after every add, exactly as the cpu backend sums, so both agree bit for bit.
                long dst = slot * d + c;
                values.set(dst, (float) (values.getFloat(dst) + (float) dOut.get(pos * d + c)));
            }
        });
    }
}
