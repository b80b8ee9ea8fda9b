package io.din4j.spark;

import io.din4j.data.Batch;
import io.din4j.data.FeatureSchema;
import java.util.Arrays;
import java.util.List;

/**
 * The embedding rows some batches touch, as a compact local index: per table, the distinct global rows in ascending
 * order (row 0, the out-of-vocabulary row that padded history positions also name, always among them); the local
 * slot of a row is its position in that list. A worker or a scoring task builds a model whose tables have only
 * these slots and runs it on the batches with their ids rewritten to slots ({@link #remap}); the cpu backend's
 * result for a sample depends only on the rows it names, so this gives the values the whole tables would.
 */
final class LocalTables {
    /** Per table (sparse field, schema order): global rows, ascending, distinct. */
    final int[][] rows;
    private final int[] seqTable;

    private LocalTables(int[][] rows, int[] seqTable) {
        this.rows = rows;
        this.seqTable = seqTable;
    }

    /** Index of the table each behaviour sequence reads, schema order. */
    static int[] sequenceTables(FeatureSchema schema) {
        return schema.sequences().stream().mapToInt(s -> schema.sparseIndex(s.table())).toArray();
    }

    /** The rows {@code batches} touch, per table. */
    static LocalTables of(FeatureSchema schema, List<Batch> batches) {
        int[] seqTable = sequenceTables(schema);
        int tables = schema.sparse().size();
        int[] size = new int[tables];
        for (Batch b : batches) {
            for (int f = 0; f < tables; f++) {
                size[f] += b.size();
            }
            for (int s = 0; s < seqTable.length; s++) {
                size[seqTable[s]] += b.sequence(s).length;
            }
        }
        int[][] all = new int[tables][];
        int[] n = new int[tables];
        for (int f = 0; f < tables; f++) {
            all[f] = new int[size[f] + 1];
            all[f][n[f]++] = 0;
        }
        for (Batch b : batches) {
            for (int f = 0; f < tables; f++) {
                int[] ids = b.sparse(f);
                System.arraycopy(ids, 0, all[f], n[f], ids.length);
                n[f] += ids.length;
            }
            for (int s = 0; s < seqTable.length; s++) {
                int[] ids = b.sequence(s);
                System.arraycopy(ids, 0, all[seqTable[s]], n[seqTable[s]], ids.length);
                n[seqTable[s]] += ids.length;
            }
        }
        int[][] rows = new int[tables][];
        for (int f = 0; f < tables; f++) {
            int[] a = all[f];
            Arrays.sort(a, 0, n[f]);
            int m = 0;
            for (int i = 0; i < n[f]; i++) {
                if (m == 0 || a[i] != a[m - 1]) {
                    a[m++] = a[i];
                }
            }
            rows[f] = Arrays.copyOf(a, m);
        }
        return new LocalTables(rows, seqTable);
    }

    /** Distinct rows of every table together. */
    long size() {
        long n = 0;
        for (int[] r : rows) {
            n += r.length;
        }
        return n;
    }

    /** The slot of global {@code row} of {@code table}; fails when the row is not among this index's. */
    int slot(int table, int row) {
        int i = Arrays.binarySearch(rows[table], row);
        if (i < 0) {
            throw new IllegalStateException("row " + row + " of table " + table + " is not among the local rows");
        }
        return i;
    }

    /** {@code b} with every id rewritten to its local slot (a new batch; {@code b} is unchanged). */
    Batch remap(Batch b) {
        int[][] sparse = new int[b.sparseFields()][];
        for (int f = 0; f < sparse.length; f++) {
            sparse[f] = slots(f, b.sparse(f));
        }
        int[][] seq = new int[b.sequenceFields()][];
        for (int s = 0; s < seq.length; s++) {
            seq[s] = slots(seqTable[s], b.sequence(s));
        }
        float[][] dense = new float[b.denseFeatures()][];
        for (int d = 0; d < dense.length; d++) {
            dense[d] = b.dense(d);
        }
        float[][] labels = new float[b.tasks()][];
        float[][] mask = new float[b.tasks()][];
        for (int k = 0; k < labels.length; k++) {
            labels[k] = b.labels(k);
            mask[k] = b.labelMask(k);
        }
        return new Batch(b.size(), b.history(), sparse, seq, b.lengths(), dense, labels, mask, b.groups());
    }

    private int[] slots(int table, int[] ids) {
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = slot(table, ids[i]);
        }
        return out;
    }

    /** The key of a table row in the sharded tables: the table's index in the high bits, the row in the low 40. */
    static long key(int table, int row) {
        return ((long) table << 40) | row;
    }

    static int table(long key) {
        return (int) (key >>> 40);
    }

    static int row(long key) {
        return (int) (key & ((1L << 40) - 1));
    }
}
