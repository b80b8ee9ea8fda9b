package io.din4j.data;

import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Turns rows into {@link Batch}es: raw ids to vocabulary rows (unseen or missing ids to the out-of-vocabulary row
 * 0), histories padded to the longest in the batch and, when longer than {@code maxHistory}, cut to their most
 * recent {@code maxHistory} behaviours.
 */
public final class BatchBuilder {
    private final FeatureSchema schema;
    private final Vocabularies vocabularies;
    private final int maxHistory;
    private final int[] seqTable;
    private final int userField;

    /** @param maxHistory longest history kept (the most recent behaviours), or 0 for no limit */
    public BatchBuilder(Vocabularies vocabularies, int maxHistory) {
        if (maxHistory < 0) {
            throw new IllegalArgumentException("maxHistory = " + maxHistory + " must be >= 0 (0: no limit)");
        }
        this.schema = vocabularies.schema();
        this.vocabularies = vocabularies;
        this.maxHistory = maxHistory;
        this.seqTable = Vocabularies.sequenceTables(schema);
        this.userField = schema.firstWithRole(FieldRole.USER);
    }

    public FeatureSchema schema() {
        return schema;
    }

    /** The batch of {@code rows}, in order. */
    public Batch build(List<Row> rows) {
        int b = rows.size();
        int t = 0;
        for (Row r : rows) {
            t = Math.max(t, kept(r.historyLength()));
        }
        int nf = schema.sparse().size();
        int[][] sparse = new int[nf][b];
        int[][] seqs = new int[seqTable.length][b * t];
        int[] lengths = new int[b];
        float[][] dense = new float[schema.dense().size()][b];
        int nk = schema.tasks().size();
        float[][] labels = new float[nk][b];
        float[][] mask = new float[nk][b];
        String[] groups = userField >= 0 ? new String[b] : null;
        for (int i = 0; i < b; i++) {
            Row r = rows.get(i);
            for (int f = 0; f < nf; f++) {
                String id = r.sparse()[f];
                sparse[f][i] = id == null ? Vocabulary.OOV : vocabularies.get(f).indexOf(id);
            }
            int len = r.historyLength();
            int keep = kept(len);
            lengths[i] = keep;
            for (int s = 0; s < seqTable.length; s++) {
                Vocabulary v = vocabularies.get(seqTable[s]);
                String[] ids = r.sequences()[s];
                for (int j = 0; j < keep; j++) {
                    seqs[s][i * t + j] = v.indexOf(ids[len - keep + j]);
                }
            }
            for (int d = 0; d < dense.length; d++) {
                dense[d][i] = r.dense()[d];
            }
            for (int k = 0; k < nk; k++) {
                boolean has = r.hasLabel(k);
                labels[k][i] = has ? r.labels()[k] : 0f;
                mask[k][i] = has ? 1f : 0f;
            }
            if (groups != null) {
                String u = r.sparse()[userField];
                groups[i] = u == null ? "" : u;
            }
        }
        return new Batch(b, t, sparse, seqs, lengths, dense, labels, mask, groups);
    }

    private int kept(int length) {
        return maxHistory > 0 ? Math.min(length, maxHistory) : length;
    }

    /** Batches of {@code batchSize} rows (the last may be smaller) from a stream of rows. */
    public Iterator<Batch> batches(Iterator<Row> rows, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize = " + batchSize + " must be >= 1");
        }
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public Batch next() {
                if (!rows.hasNext()) {
                    throw new NoSuchElementException();
                }
                List<Row> chunk = new java.util.ArrayList<>(batchSize);
                while (chunk.size() < batchSize && rows.hasNext()) {
                    chunk.add(rows.next());
                }
                return build(chunk);
            }
        };
    }
}
