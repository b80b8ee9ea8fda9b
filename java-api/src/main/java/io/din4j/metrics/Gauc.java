package io.din4j.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Group AUC (DIN paper eq. 1): {@code Σ_u w_u·AUC_u / Σ_u w_u} with {@code w_u} the user's impression count, over
 * the users whose samples hold both classes (a user with one class has no AUC and is skipped, with its weight).
 */
public final class Gauc {
    private Gauc() {
    }

    /** Why GAUC is undefined when every user's samples hold one class only (DIN eq. 1 then has no term). */
    public static final String NO_USER_WITH_BOTH_LABELS = "no user has both labels";

    /** GAUC; NaN when no user has both classes ({@link #NO_USER_WITH_BOTH_LABELS}). */
    public static double of(float[] scores, float[] labels, String[] groups) {
        return compute(scores, labels, groups).gauc();
    }

    /** GAUC with how many users and impressions it covered. */
    public record Result(double gauc, int users, long impressions, int skippedUsers) {
    }

    public static Result compute(float[] scores, float[] labels, String[] groups) {
        if (scores.length != labels.length || groups.length != scores.length) {
            throw new IllegalArgumentException(scores.length + " scores, " + labels.length + " labels and "
                    + groups.length + " groups must agree");
        }
        Map<String, List<Integer>> byUser = new LinkedHashMap<>();
        for (int i = 0; i < scores.length; i++) {
            if (groups[i] == null) {
                throw new IllegalArgumentException("groups[" + i + "] is null");
            }
            byUser.computeIfAbsent(groups[i], k -> new ArrayList<>()).add(i);
        }
        double num = 0;
        long den = 0;
        int users = 0;
        int skipped = 0;
        for (List<Integer> rows : byUser.values()) {
            double auc = Auc.ofIndices(scores, labels, rows.toArray(new Integer[0]));
            if (Double.isNaN(auc)) {
                skipped++;
                continue;
            }
            num += rows.size() * auc;
            den += rows.size();
            users++;
        }
        return new Result(den == 0 ? Double.NaN : num / den, users, den, skipped);
    }
}
