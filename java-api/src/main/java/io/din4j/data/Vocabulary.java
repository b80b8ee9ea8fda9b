package io.din4j.data;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Maps the raw ids of one embedding table (strings or integers, kept as strings) to rows. Row 0 is the
 * out-of-vocabulary row: every id not seen at training time maps to it, so scoring never fails on a new id.
 * Rows also carry how often each id occurred in the training data (n_j of the DIN paper's mini-batch aware
 * regularization).
 */
public final class Vocabulary {
    /** The row every unseen id maps to. */
    public static final int OOV = 0;
    /** How the out-of-vocabulary row is named in files. */
    public static final String OOV_TOKEN = "<oov>";

    private final Map<String, Integer> index = new HashMap<>();
    private final List<String> tokens = new ArrayList<>();
    private long[] counts = new long[16];
    private boolean frozen;

    public Vocabulary() {
        tokens.add(OOV_TOKEN);
    }

    /** A frozen vocabulary with the given tokens (row 0 must be {@link #OOV_TOKEN}) and counts. */
    public static Vocabulary of(List<String> tokens, long[] counts) {
        if (tokens.isEmpty() || !OOV_TOKEN.equals(tokens.get(0))) {
            throw new IllegalArgumentException("vocabulary row 0 must be " + OOV_TOKEN);
        }
        if (counts.length != tokens.size()) {
            throw new IllegalArgumentException("vocabulary has " + tokens.size() + " tokens but " + counts.length + " counts");
        }
        Vocabulary v = new Vocabulary();
        for (int i = 1; i < tokens.size(); i++) {
            if (v.index.putIfAbsent(tokens.get(i), i) != null) {
                throw new IllegalArgumentException("vocabulary token '" + tokens.get(i) + "' appears twice");
            }
            v.tokens.add(tokens.get(i));
        }
        v.counts = counts.clone();
        v.frozen = true;
        return v;
    }

    /** Row of {@code raw}, adding it (and counting the occurrence) unless frozen; unseen ids map to {@link #OOV}. */
    public int add(String raw) {
        Integer i = index.get(raw);
        if (i == null) {
            if (frozen) {
                return OOV;
            }
            i = tokens.size();
            index.put(raw, i);
            tokens.add(raw);
            if (i >= counts.length) {
                counts = java.util.Arrays.copyOf(counts, counts.length * 2);
            }
        }
        if (!frozen) {
            counts[i]++;
        }
        return i;
    }

    /** Row of {@code raw}, or {@link #OOV} when unseen. Never adds. */
    public int indexOf(String raw) {
        Integer i = index.get(raw);
        return i == null ? OOV : i;
    }

    /** The raw id of a row ({@link #OOV_TOKEN} for row 0). */
    public String token(int row) {
        return tokens.get(row);
    }

    /** Rows, including the out-of-vocabulary row. */
    public int size() {
        return tokens.size();
    }

    /** Occurrences of a row's id in the data the vocabulary was built from. */
    public long count(int row) {
        return counts[row];
    }

    /** All tokens in row order (row 0 first). */
    public List<String> tokens() {
        return List.copyOf(tokens);
    }

    /** Occurrence counts in row order. */
    public long[] counts() {
        return java.util.Arrays.copyOf(counts, tokens.size());
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
