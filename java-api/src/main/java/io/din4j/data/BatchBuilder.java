package io.din4j.data;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;

/**
 * Turns rows into {@link Batch}es: raw ids to vocabulary rows (unseen or missing ids to the out-of-vocabulary row
 * 0), histories padded to the longest in the batch and, when longer than {@code maxHistory}, cut to their most
 * recent {@code maxHistory} behaviours.
 *
 * <p>Mapping happens in {@link #encode}, once per row, into an {@link Encoded} row of ints: what a shuffle buffer
 * holds. An encoded row takes about a tenth of the memory of the strings it came from, so a training shuffle
 * buffer of 100,000 rows stays in the tens of megabytes.
 */
public final class BatchBuilder {
    /**
     * A row with its ids mapped to table rows and its history already cut to {@code maxHistory}.
     *
     * @param group the raw user id (for GAUC), or null when the schema has no user field
     */
    public record Encoded(float[] labels, int[] sparse, int[][] sequences, float[] dense, String group) {
        public int historyLength() {
            return sequences.length == 0 ? 0 : sequences[0].length;
        }

        /**
         * Estimated heap held by this row (64-bit JVM, compressed references: 16-byte array headers, sizes rounded
         * to 8): what a shuffle buffer bounded in bytes counts. The group string is counted as a Latin-1 string of
         * its own (each row parses its own copy).
         */
        public long bytes() {
            long b = 32 + array(4L * labels.length) + array(4L * sparse.length) + array(4L * dense.length)
                    + array(4L * sequences.length);
            for (int[] s : sequences) {
                b += array(4L * s.length);
            }
            if (group != null) {
                b += 24 + array(group.length());
            }
            return b;
        }

        private static long array(long payload) {
            return (16 + payload + 7) & ~7L;
        }
    }

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

    /** Maps a row's ids and cuts its history. */
    public Encoded encode(Row r) {
        int nf = schema.sparse().size();
        int[] sparse = new int[nf];
        for (int f = 0; f < nf; f++) {
            String id = r.sparse()[f];
            sparse[f] = id == null ? Vocabulary.OOV : vocabularies.get(f).indexOf(id);
        }
        int len = r.historyLength();
        int keep = maxHistory > 0 ? Math.min(len, maxHistory) : len;
        int[][] seqs = new int[seqTable.length][keep];
        for (int s = 0; s < seqTable.length; s++) {
            Vocabulary v = vocabularies.get(seqTable[s]);
            String[] ids = r.sequences()[s];
            for (int j = 0; j < keep; j++) {
                seqs[s][j] = v.indexOf(ids[len - keep + j]);
            }
        }
        String group = userField < 0 ? null : r.sparse()[userField] == null ? "" : r.sparse()[userField];
        return new Encoded(r.labels(), sparse, seqs, r.dense(), group);
    }

    /** The batch of {@code rows}, in order. */
    public Batch build(List<Row> rows) {
        List<Encoded> e = new ArrayList<>(rows.size());
        for (Row r : rows) {
            e.add(encode(r));
        }
        return buildEncoded(e);
    }

    /** The batch of already encoded rows, in order. */
    public Batch buildEncoded(List<Encoded> rows) {
        int b = rows.size();
        int t = 0;
        for (Encoded r : rows) {
            t = Math.max(t, r.historyLength());
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
            Encoded r = rows.get(i);
            for (int f = 0; f < nf; f++) {
                sparse[f][i] = r.sparse()[f];
            }
            int len = r.historyLength();
            lengths[i] = len;
            for (int s = 0; s < seqTable.length; s++) {
                System.arraycopy(r.sequences()[s], 0, seqs[s], i * t, len);
            }
            for (int d = 0; d < dense.length; d++) {
                dense[d][i] = r.dense()[d];
            }
            for (int k = 0; k < nk; k++) {
                float l = r.labels()[k];
                boolean has = !Float.isNaN(l);
                labels[k][i] = has ? l : 0f;
                mask[k][i] = has ? 1f : 0f;
            }
            if (groups != null) {
                groups[i] = r.group();
            }
        }
        return new Batch(b, t, sparse, seqs, lengths, dense, labels, mask, groups);
    }

    /** Batches of {@code batchSize} rows (the last may be smaller) from a stream of rows. */
    public Iterator<Batch> batches(Iterator<Row> rows, int batchSize) {
        return encodedBatches(encoded(rows), batchSize);
    }

    /** {@code rows}, encoded one at a time as they are consumed. */
    public Iterator<Encoded> encoded(Iterator<Row> rows) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public Encoded next() {
                return encode(rows.next());
            }
        };
    }

    /**
     * Batches of {@code batchSize} encoded rows whose histories are close in length: the stream is read
     * {@code window} batches' worth of rows at a time, each window sorted by history length (stably, so rows of one
     * length keep the order they came in), cut into batches, and the window's batches emitted in an order drawn
     * from {@code seed}. A batch is padded to its longest history (T), and the step's attention costs grow with
     * B·T: in a batch mixed at random T is close to the longest history in the data, here close to each row's own.
     * Rows should come shuffled (a {@link ShuffleBuffer}): the window only regroups them. Only the stream's last
     * window may hold a batch smaller than {@code batchSize}. {@code window} ≤ 1 gives {@link #encodedBatches}.
     */
    public Iterator<Batch> lengthSortedBatches(Iterator<Encoded> rows, int batchSize, int window, long seed) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize = " + batchSize + " must be >= 1");
        }
        if (window <= 1) {
            return encodedBatches(rows, batchSize);
        }
        SplittableRandom random = new SplittableRandom(seed);
        long capacity = (long) window * batchSize;
        if (capacity > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("window = " + window + " batches of " + batchSize + " rows is too large");
        }
        return new Iterator<>() {
            private final List<Encoded> held = new ArrayList<>((int) capacity);
            private final List<int[]> ranges = new ArrayList<>(window);
            private int next;

            @Override
            public boolean hasNext() {
                if (next == ranges.size()) {
                    refill();
                }
                return next < ranges.size();
            }

            private void refill() {
                held.clear();
                ranges.clear();
                next = 0;
                while (held.size() < capacity && rows.hasNext()) {
                    held.add(rows.next());
                }
                held.sort(Comparator.comparingInt(Encoded::historyLength));
                for (int from = 0; from < held.size(); from += batchSize) {
                    ranges.add(new int[] {from, Math.min(held.size(), from + batchSize)});
                }
                // Fisher–Yates over the window's batches: short and long batches alternate in time instead of the
                // model seeing a run of ever longer histories.
                for (int i = ranges.size() - 1; i > 0; i--) {
                    int j = random.nextInt(i + 1);
                    int[] t = ranges.get(i);
                    ranges.set(i, ranges.get(j));
                    ranges.set(j, t);
                }
            }

            @Override
            public Batch next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                int[] r = ranges.get(next++);
                return buildEncoded(held.subList(r[0], r[1]));
            }
        };
    }

    /** Batches of {@code batchSize} encoded rows (the last may be smaller). */
    public Iterator<Batch> encodedBatches(Iterator<Encoded> rows, int batchSize) {
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
                List<Encoded> chunk = new ArrayList<>(batchSize);
                while (chunk.size() < batchSize && rows.hasNext()) {
                    chunk.add(rows.next());
                }
                return buildEncoded(chunk);
            }
        };
    }
}
