package io.din4j.data.prepare;

import io.din4j.data.FeatureSchema;
import io.din4j.data.Row;
import io.din4j.data.csv.SequenceCsvWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Timestamped (user, item) behaviours held compactly (ids interned to ints, one int/int/long triple per event),
 * turned into canonical rows by the DIN paper's protocol: per user, sorted by time, the first k behaviours predict
 * the (k+1)-th against one sampled negative item; each user's last behaviour goes to the test set.
 */
final class BehaviourLog {
    private final Map<String, Integer> userIndex = new HashMap<>();
    private final List<String> users = new ArrayList<>();
    private final Map<String, Integer> itemIndex = new HashMap<>();
    private final List<String> items = new ArrayList<>();
    private final List<String> itemCategory = new ArrayList<>();
    private int[] eventUser = new int[1024];
    private int[] eventItem = new int[1024];
    private long[] eventTime = new long[1024];
    private int events;

    /** Records a behaviour; the item's category is the first one given for it (null: set it later). */
    void add(String user, String item, String category, long time) {
        if (events == eventUser.length) {
            int n = events * 2;
            eventUser = Arrays.copyOf(eventUser, n);
            eventItem = Arrays.copyOf(eventItem, n);
            eventTime = Arrays.copyOf(eventTime, n);
        }
        eventUser[events] = intern(userIndex, users, user);
        int it = intern(itemIndex, items, item);
        if (it == itemCategory.size()) {
            itemCategory.add(category);
        }
        eventItem[events] = it;
        eventTime[events] = time;
        events++;
    }

    private static int intern(Map<String, Integer> index, List<String> names, String id) {
        Integer i = index.get(id);
        if (i == null) {
            i = names.size();
            index.put(id, i);
            names.add(id);
        }
        return i;
    }

    boolean hasItem(String item) {
        return itemIndex.containsKey(item);
    }

    void setCategory(String item, String category) {
        Integer i = itemIndex.get(item);
        if (i != null) {
            itemCategory.set(i, category);
        }
    }

    int events() {
        return events;
    }

    int users() {
        return users.size();
    }

    int items() {
        return items.size();
    }

    /** Items whose category was never given (they get {@code unknown}). */
    long itemsWithoutCategory() {
        return itemCategory.stream().filter(c -> c == null).count();
    }

    /**
     * Writes the protocol's rows (label 1 for the real next behaviour, 0 for a sampled item the user never
     * touched) in user order of first appearance.
     *
     * @param maxHistory     longest history written (most recent kept), 0 = all
     * @param samplesPerUser only each user's last {@code samplesPerUser} targets (test included), 0 = all
     */
    PrepareSummary write(SequenceCsvWriter train, SequenceCsvWriter test, int maxHistory, int samplesPerUser, long seed) {
        int nu = users.size();
        int[] start = new int[nu + 1];
        for (int e = 0; e < events; e++) {
            start[eventUser[e] + 1]++;
        }
        for (int u = 0; u < nu; u++) {
            start[u + 1] += start[u];
        }
        int[] order = new int[events];
        int[] fill = Arrays.copyOf(start, nu);
        for (int e = 0; e < events; e++) {
            order[fill[eventUser[e]]++] = e;
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        long trainRows = 0;
        long testRows = 0;
        long kept = 0;
        for (int u = 0; u < nu; u++) {
            int n = start[u + 1] - start[u];
            if (n < 2) {
                continue;
            }
            kept++;
            int[] seq = byTime(order, start[u], n);
            Set<Integer> touched = new HashSet<>();
            for (int e : seq) {
                touched.add(eventItem[e]);
            }
            int firstTarget = samplesPerUser > 0 ? Math.max(1, n - samplesPerUser) : 1;
            for (int k = firstTarget; k < n; k++) {
                int from = maxHistory > 0 ? Math.max(0, k - maxHistory) : 0;
                String[] hist = new String[k - from];
                String[] histCat = new String[k - from];
                for (int j = from; j < k; j++) {
                    int it = eventItem[seq[j]];
                    hist[j - from] = clean(items.get(it));
                    histCat[j - from] = category(it);
                }
                int pos = eventItem[seq[k]];
                int neg = negative(touched, rnd);
                SequenceCsvWriter out = k == n - 1 ? test : train;
                String user = clean(users.get(u));
                out.write(row(1, user, pos, hist, histCat));
                out.write(row(0, user, neg, hist, histCat));
                if (k == n - 1) {
                    testRows += 2;
                } else {
                    trainRows += 2;
                }
            }
        }
        return new PrepareSummary(kept, items.size(), trainRows, testRows);
    }

    private Row row(float label, String user, int item, String[] hist, String[] histCat) {
        return new Row(new float[] {label}, new String[] {user, clean(items.get(item)), category(item)},
                new String[][] {hist, histCat}, new float[0]);
    }

    static FeatureSchema schema() {
        return FeatureSchema.canonical(List.of("label"));
    }

    private String category(int item) {
        String c = itemCategory.get(item);
        return c == null ? "unknown" : clean(c);
    }

    /** An item the user never touched, uniformly (the DIN paper's negative sampling). */
    private int negative(Set<Integer> touched, SplittableRandom rnd) {
        int n = items.size();
        for (int tries = 0; tries < 1000; tries++) {
            int c = rnd.nextInt(n);
            if (!touched.contains(c)) {
                return c;
            }
        }
        return rnd.nextInt(n);
    }

    /** A user's events sorted by time, ties in file order. */
    private int[] byTime(int[] order, int from, int n) {
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) {
            idx[i] = order[from + i];
        }
        Arrays.sort(idx, (a, b) -> a.equals(b) ? 0 : eventTime[a] != eventTime[b] ? Long.compare(eventTime[a], eventTime[b]) : Integer.compare(a, b));
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = idx[i];
        }
        return out;
    }

    /** Ids go into space-separated sequences: whitespace inside an id becomes '_'. */
    static String clean(String id) {
        String t = id.strip();
        for (int i = 0; i < t.length(); i++) {
            if (Character.isWhitespace(t.charAt(i))) {
                return t.replaceAll("\\s+", "_");
            }
        }
        return t.isEmpty() ? "_" : t;
    }
}
