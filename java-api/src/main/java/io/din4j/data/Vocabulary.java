package io.din4j.data;

import java.util.Arrays;
import java.util.List;

/**
 * Maps the raw ids of one embedding table (strings or integers, kept as strings) to rows. Row 0 is the
 * out-of-vocabulary row: every id not seen at training time maps to it, so scoring never fails on a new id.
 * Rows also carry how often each id occurred in the training data (n_j of the DIN paper's mini-batch aware
 * regularization).
 *
 * <p>Stored as a token array and an open-addressing index of rows (no boxed integers, no map entries): about 30
 * bytes per id besides the id's String, so a vocabulary of tens of millions of ids fits a serving heap. A frozen
 * vocabulary is read-only and safe to share between threads.
 */
public final class Vocabulary {
    /** The row every unseen id maps to. */
    public static final int OOV = 0;
    /** How the out-of-vocabulary row is named in files. */
    public static final String OOV_TOKEN = "<oov>";

    private String[] tokens;
    private int size;
    private long[] counts;
    /** Open addressing, linear probing: {@code row + 1} of the token hashing there, 0 for a free slot. Row 0 is never indexed. */
    private int[] index;
    private boolean frozen;

    public Vocabulary() {
        this(16);
    }

    private Vocabulary(int capacity) {
        tokens = new String[Math.max(2, capacity)];
        counts = new long[tokens.length];
        index = new int[tableSize(tokens.length)];
        tokens[0] = OOV_TOKEN;
        size = 1;
    }

    /** A power of two at least twice {@code rows}: the index stays at most half full. */
    private static int tableSize(int rows) {
        long n = Long.highestOneBit(Math.max(4L, (long) rows * 2 - 1)) << 1;
        if (n > 1 << 30) {
            throw new IllegalArgumentException("vocabulary of " + rows + " rows is too large to index");
        }
        return (int) n;
    }

    /** A frozen vocabulary with the given tokens (row 0 must be {@link #OOV_TOKEN}) and counts. */
    public static Vocabulary of(List<String> tokens, long[] counts) {
        if (tokens.isEmpty() || !OOV_TOKEN.equals(tokens.get(0))) {
            throw new IllegalArgumentException("vocabulary row 0 must be " + OOV_TOKEN);
        }
        if (counts.length != tokens.size()) {
            throw new IllegalArgumentException("vocabulary has " + tokens.size() + " tokens but " + counts.length + " counts");
        }
        Vocabulary v = new Vocabulary(tokens.size());
        for (int i = 1; i < tokens.size(); i++) {
            String t = tokens.get(i);
            if (t == null) {
                throw new IllegalArgumentException("vocabulary token at row " + i + " is null");
            }
            if (v.find(t) != OOV) {
                throw new IllegalArgumentException("vocabulary token '" + t + "' appears twice");
            }
            v.append(t);
        }
        v.counts = counts.clone();
        v.frozen = true;
        return v;
    }

    private static int slot(String raw, int mask) {
        int h = raw.hashCode() * 0x9E3779B9;
        return (h ^ (h >>> 16)) & mask;
    }

    /** Row of {@code raw}, or {@link #OOV} when absent. */
    private int find(String raw) {
        int mask = index.length - 1;
        for (int i = slot(raw, mask); ; i = (i + 1) & mask) {
            int r = index[i];
            if (r == 0) {
                return OOV;
            }
            if (tokens[r - 1].equals(raw)) {
                return r - 1;
            }
        }
    }

    /** Adds {@code raw} as the next row (it must be absent) and returns that row. */
    private int append(String raw) {
        if (size == tokens.length) {
            int n = (int) Math.min(Integer.MAX_VALUE - 8, (long) size * 2);
            tokens = Arrays.copyOf(tokens, n);
            counts = Arrays.copyOf(counts, n);
        }
        int row = size++;
        tokens[row] = raw;
        if ((long) size * 2 > index.length) {
            rehash(tableSize(size));
        } else {
            insert(row);
        }
        return row;
    }

    private void insert(int row) {
        int mask = index.length - 1;
        int i = slot(tokens[row], mask);
        while (index[i] != 0) {
            i = (i + 1) & mask;
        }
        index[i] = row + 1;
    }

    private void rehash(int length) {
        index = new int[length];
        for (int r = 1; r < size; r++) {
            insert(r);
        }
    }

    /** Row of {@code raw}, adding it (and counting the occurrence) unless frozen; unseen ids map to {@link #OOV}. */
    public int add(String raw) {
        int i = find(raw);
        if (i == OOV) {
            if (frozen) {
                return OOV;
            }
            i = append(raw);
        }
        if (!frozen) {
            counts[i]++;
        }
        return i;
    }

    /** Row of {@code raw}, or {@link #OOV} when unseen. Never adds. */
    public int indexOf(String raw) {
        return raw == null ? OOV : find(raw);
    }

    /** The raw id of a row ({@link #OOV_TOKEN} for row 0). */
    public String token(int row) {
        if (row < 0 || row >= size) {
            throw new IndexOutOfBoundsException("row " + row + " is outside [0, " + size + ")");
        }
        return tokens[row];
    }

    /** Rows, including the out-of-vocabulary row. */
    public int size() {
        return size;
    }

    /** Occurrences of a row's id in the data the vocabulary was built from. */
    public long count(int row) {
        if (row < 0 || row >= size) {
            throw new IndexOutOfBoundsException("row " + row + " is outside [0, " + size + ")");
        }
        return counts[row];
    }

    /** All tokens in row order (row 0 first). */
    public List<String> tokens() {
        return List.of(Arrays.copyOf(tokens, size));
    }

    /** Occurrence counts in row order. */
    public long[] counts() {
        return Arrays.copyOf(counts, size);
    }

    /** Stops growing: later unseen ids map to {@link #OOV}. */
    public Vocabulary freeze() {
        frozen = true;
        return this;
    }

    public boolean frozen() {
        return frozen;
    }
}
