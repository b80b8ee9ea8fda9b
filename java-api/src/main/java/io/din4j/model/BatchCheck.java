package io.din4j.model;

import io.din4j.data.Batch;
import io.din4j.data.FeatureSchema;
import io.din4j.data.FieldRole;
import io.din4j.data.Vocabulary;

/**
 * Validates a {@link Batch} against a model before anything is uploaded, so a bad input fails with an
 * {@link IllegalArgumentException} naming the field, the row and the value instead of reaching a kernel (whose own
 * checks only know "ids[17]") or silently producing a wrong score. Only the parts a run reads are checked.
 *
 * <ul>
 *   <li>Sparse and sequence ids: table rows in {@code [0, V)}. Raw ids never seen in training map to
 *       {@link Vocabulary#OOV} through {@link Vocabulary#indexOf}; a row number outside the table is a caller bug.</li>
 *   <li>Sequences: every sequence of a row has the row's length, so padding beyond it must be 0; a non-zero id
 *       there means the sequence fields disagree on the history length.</li>
 *   <li>History: T at most {@link ModelConfig#MAX_HISTORY}.</li>
 *   <li>Dense features: finite.</li>
 *   <li>Training labels: in [0, 1] where the mask is 1 (0/1, or soft labels, for which BCE is as well defined);
 *       masks 0 or 1.</li>
 * </ul>
 */
final class BatchCheck {
    private BatchCheck() {
    }

    /** Which parts of a batch a run reads. */
    enum Part {
        /** Every sparse field, the sequences and the dense features (batch scoring and training). */
        ALL,
        /** USER fields and sequences (the user row of candidate scoring). */
        USER,
        /** Non-USER sparse fields and dense features (the candidates). */
        CANDIDATES
    }

    static void check(FeatureSchema schema, int[] vocabSizes, Batch batch, Part part, boolean labels) {
        check(schema, vocabSizes, batch, 0, batch.size(), part, labels);
    }

    /**
     * {@link #check} of the rows {@code [from, to)} of {@code batch} only (a part of a call split over threads).
     * Errors name rows in the batch's own numbering, the caller's, not the part's.
     */
    static void check(FeatureSchema schema, int[] vocabSizes, Batch batch, int from, int to, Part part, boolean labels) {
        if (batch.sparseFields() != schema.sparse().size() || batch.sequenceFields() != schema.sequences().size()
                || batch.denseFeatures() != schema.dense().size()) {
            throw new IllegalArgumentException("batch " + batch + " does not match the schema ("
                    + schema.sparse().size() + " sparse, " + schema.sequences().size() + " sequences, "
                    + schema.dense().size() + " dense)");
        }
        for (int f = 0; f < schema.sparse().size(); f++) {
            boolean user = schema.sparse().get(f).role() == FieldRole.USER;
            if (part == Part.ALL || (part == Part.USER) == user) {
                int[] ids = batch.sparse(f);
                for (int i = from; i < to; i++) {
                    if (ids[i] < 0 || ids[i] >= vocabSizes[f]) {
                        throw badId("sparse field '" + schema.sparse().get(f).name() + "' row " + i, ids[i], vocabSizes[f]);
                    }
                }
            }
        }
        if (part != Part.CANDIDATES) {
            int t = batch.history();
            if (t > ModelConfig.MAX_HISTORY) {
                throw new IllegalArgumentException("history length T = " + t + " exceeds " + ModelConfig.MAX_HISTORY
                        + "; keep each row's most recent behaviours");
            }
            int[] lengths = batch.lengths();
            for (int s = 0; s < schema.sequences().size(); s++) {
                String name = schema.sequences().get(s).name();
                int rows = vocabSizes[schema.sparseIndex(schema.sequences().get(s).table())];
                int[] ids = batch.sequence(s);
                for (int i = from; i < to; i++) {
                    int base = i * t;
                    for (int j = 0; j < lengths[i]; j++) {
                        if (ids[base + j] < 0 || ids[base + j] >= rows) {
                            throw badId("sequence '" + name + "' row " + i + " position " + j, ids[base + j], rows);
                        }
                    }
                    for (int j = lengths[i]; j < t; j++) {
                        if (ids[base + j] != 0) {
                            throw new IllegalArgumentException("sequence '" + name + "' row " + i + " has id " + ids[base + j]
                                    + " at position " + j + ", beyond the row's history length " + lengths[i]
                                    + ": every sequence of a row must have that length, padded with 0");
                        }
                    }
                }
            }
        }
        if (part != Part.USER) {
            for (int d = 0; d < schema.dense().size(); d++) {
                float[] x = batch.dense(d);
                for (int i = from; i < to; i++) {
                    if (!Float.isFinite(x[i])) {
                        throw new IllegalArgumentException("dense feature '" + schema.dense().get(d) + "' row " + i + " is " + x[i]);
                    }
                }
            }
        }
        if (labels) {
            if (batch.tasks() != schema.tasks().size()) {
                throw new IllegalArgumentException("batch has " + batch.tasks() + " label columns, the model " + schema.tasks().size() + " tasks");
            }
            for (int k = 0; k < batch.tasks(); k++) {
                String task = schema.tasks().get(k);
                float[] y = batch.labels(k);
                float[] m = batch.labelMask(k);
                for (int i = from; i < to; i++) {
                    if (m[i] != 0f && m[i] != 1f) {
                        throw new IllegalArgumentException("label mask of task '" + task + "' row " + i + " is " + m[i] + "; masks are 0 or 1");
                    }
                    if (m[i] == 1f && !(y[i] >= 0f && y[i] <= 1f)) {
                        throw new IllegalArgumentException("label of task '" + task + "' row " + i + " is " + y[i]
                                + "; labels are 0 or 1 (or a soft label in between)");
                    }
                }
            }
        }
    }

    /**
     * The error for an id outside its table. The message names the field, row and position, so it is built only
     * here, on failure: built eagerly for every id it cost ~8% of a DIN inference batch (string formatting).
     */
    private static IllegalArgumentException badId(String where, int id, int rows) {
        return new IllegalArgumentException(where + ": id " + id + " is outside the table of " + rows
                + " rows (map unseen raw ids to the out-of-vocabulary row " + Vocabulary.OOV + ")");
    }
}
