package io.din4j.model;

import io.din4j.data.Batch;
import io.din4j.data.FeatureSchema;
import io.din4j.data.FieldRole;
import io.din4j.data.SequenceField;
import io.din4j.data.SparseField;
import java.util.List;
import java.util.SplittableRandom;

/** Small schemas and random batches for model tests. */
public final class TestData {
    private TestData() {
    }

    /**
     * user_id (USER), item_id (ITEM), cate_id (CATEGORY), shop (CONTEXT), hist_item_id and hist_cate_id, two dense
     * features, two tasks (click, buy).
     */
    public static FeatureSchema fullSchema() {
        return new FeatureSchema(
                List.of(new SparseField("user_id", FieldRole.USER), new SparseField("item_id", FieldRole.ITEM),
                        new SparseField("cate_id", FieldRole.CATEGORY), new SparseField("shop", FieldRole.CONTEXT)),
                List.of(new SequenceField("hist_item_id", "item_id"), new SequenceField("hist_cate_id", "cate_id")),
                List.of("price", "hour"), List.of("click", "buy"));
    }

    /**
     * A random batch: ids in {@code [0, vocab[f])}, the given history lengths (T = their max), dense features in
     * [-1, 1], labels 0/1, and for tasks after the first a mask equal to the first task's label (e.g. buy only
     * where clicked), groups "u<user row>".
     */
    public static Batch random(FeatureSchema schema, int[] vocab, int[] lengths, SplittableRandom r) {
        int b = lengths.length;
        int t = 0;
        for (int l : lengths) {
            t = Math.max(t, l);
        }
        int[][] sparse = new int[schema.sparse().size()][b];
        for (int f = 0; f < sparse.length; f++) {
            for (int i = 0; i < b; i++) {
                sparse[f][i] = r.nextInt(vocab[f]);
            }
        }
        int[][] seqs = new int[schema.sequences().size()][b * t];
        for (int s = 0; s < seqs.length; s++) {
            int table = schema.sparseIndex(schema.sequences().get(s).table());
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < lengths[i]; j++) {
                    seqs[s][i * t + j] = r.nextInt(vocab[table]);
                }
            }
        }
        float[][] dense = new float[schema.dense().size()][b];
        for (float[] d : dense) {
            for (int i = 0; i < b; i++) {
                d[i] = (float) (2 * r.nextDouble() - 1);
            }
        }
        int k = schema.tasks().size();
        float[][] labels = new float[k][b];
        float[][] masks = new float[k][b];
        String[] groups = new String[b];
        for (int i = 0; i < b; i++) {
            labels[0][i] = r.nextInt(2);
            masks[0][i] = 1;
            for (int j = 1; j < k; j++) {
                labels[j][i] = r.nextInt(2);
                masks[j][i] = labels[0][i];
            }
            groups[i] = "u" + sparse[0][i];
        }
        return new Batch(b, t, sparse, seqs, lengths.clone(), dense, labels, masks, groups);
    }

    /** Small dimensions for every model type, two tasks. */
    public static ModelConfig small(ModelConfig.Type type) {
        return ModelConfig.builder(type).embeddingDim(3).attentionHidden(5, 4).mlpHidden(6, 4).levels(2)
                .specificExperts(1).sharedExperts(2).expertHidden(4).towerHidden(3).tasks("click", "buy")
                .maxHistory(4).seed(7).build();
    }

    /** Vocabularies of the given sizes (row 0 the OOV row) with counts 1, 2, 3, ... per row. */
    public static java.util.Map<String, io.din4j.data.Vocabulary> vocabularies(FeatureSchema schema, int[] sizes) {
        java.util.Map<String, io.din4j.data.Vocabulary> m = new java.util.LinkedHashMap<>();
        for (int f = 0; f < sizes.length; f++) {
            java.util.List<String> tokens = new java.util.ArrayList<>();
            long[] counts = new long[sizes[f]];
            tokens.add(io.din4j.data.Vocabulary.OOV_TOKEN);
            for (int i = 1; i < sizes[f]; i++) {
                tokens.add(schema.sparse().get(f).name() + "_" + i);
            }
            for (int i = 0; i < counts.length; i++) {
                counts[i] = i + 1;
            }
            m.put(schema.sparse().get(f).name(), io.din4j.data.Vocabulary.of(tokens, counts));
        }
        return m;
    }

    /** Random lengths in [0, maxT], with at least one of maxT. */
    public static int[] lengths(int b, int maxT, SplittableRandom r) {
        int[] l = new int[b];
        for (int i = 0; i < b; i++) {
            l[i] = r.nextInt(maxT + 1);
        }
        l[r.nextInt(b)] = maxT;
        return l;
    }
}
