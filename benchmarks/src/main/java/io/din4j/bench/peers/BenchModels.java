package io.din4j.bench.peers;

import io.din4j.backend.cpu.CpuBackend;
import io.din4j.data.Batch;
import io.din4j.data.FeatureSchema;
import io.din4j.data.FieldRole;
import io.din4j.data.SequenceField;
import io.din4j.data.SparseField;
import io.din4j.io.ModelFiles;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The models of the side-by-side comparison (issue: PyTorch and ONNX Runtime), at the papers' shapes:
 * <ul>
 *   <li>{@code din}: user_id (USER), item_id, cate_id, the item and category behaviour sequences; D = 32 per
 *       table (a behaviour is item ⊕ category, 64 wide), attention unit 80/40 and output MLP 200/80, both Dice;</li>
 *   <li>{@code ple}: eight 32-wide sparse fields (a 256-wide input), 2 levels, 2 tasks, 2 specific + 2 shared
 *       experts of 128 per level (ReLU), towers of 32.</li>
 * </ul>
 */
public final class BenchModels {
    static final int USERS = 100_000;
    static final int ITEMS = 100_000;
    static final int CATEGORIES = 1_000;
    static final int PLE_FIELD_ROWS = 10_000;

    private BenchModels() {
    }

    static FeatureSchema dinSchema() {
        return new FeatureSchema(
                List.of(new SparseField("user_id", FieldRole.USER), new SparseField("item_id", FieldRole.ITEM),
                        new SparseField("cate_id", FieldRole.CATEGORY)),
                List.of(new SequenceField("hist_item_id", "item_id"), new SequenceField("hist_cate_id", "cate_id")),
                List.of(), List.of("click"));
    }

    static FeatureSchema pleSchema() {
        List<SparseField> f = new ArrayList<>();
        f.add(new SparseField("user_id", FieldRole.USER));
        for (int i = 1; i < 8; i++) {
            f.add(new SparseField("f" + i, FieldRole.CONTEXT));
        }
        return new FeatureSchema(f, List.of(), List.of(), List.of("ctr", "cvr"));
    }

    /** Writes {@code dir/din} and {@code dir/ple}. */
    public static void create(Path dir) {
        try (CpuBackend cpu = new CpuBackend(1)) {
            ModelConfig din = ModelConfig.builder(ModelConfig.Type.DIN).embeddingDim(32).attentionHidden(80, 40)
                    .mlpHidden(200, 80).maxHistory(200).build();
            try (Model m = new Model(din, dinSchema(), new int[] {USERS, ITEMS, CATEGORIES}, cpu, 1)) {
                ModelFiles.save(m, dir.resolve("din"), null);
            }
            ModelConfig ple = ModelConfig.builder(ModelConfig.Type.PLE).embeddingDim(32).levels(2).specificExperts(2)
                    .sharedExperts(2).expertHidden(128).towerHidden(32).tasks("ctr", "cvr").build();
            int[] rows = new int[8];
            java.util.Arrays.fill(rows, PLE_FIELD_ROWS);
            try (Model m = new Model(ple, pleSchema(), rows, cpu, 1)) {
                ModelFiles.save(m, dir.resolve("ple"), null);
            }
        }
    }

    /**
     * A random batch for {@code schema}: ids uniform in each table, every history of length {@code hist}, labels
     * 0/1, masks 1. With {@code oneUser}, USER fields and histories repeat the first row's.
     */
    static Batch random(FeatureSchema schema, int[] vocab, int rows, int hist, boolean oneUser, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[][] sparse = new int[schema.sparse().size()][rows];
        for (int f = 0; f < sparse.length; f++) {
            boolean user = oneUser && schema.sparse().get(f).role() == FieldRole.USER;
            for (int i = 0; i < rows; i++) {
                sparse[f][i] = user && i > 0 ? sparse[f][0] : r.nextInt(vocab[f]);
            }
        }
        int t = schema.sequences().isEmpty() ? 0 : hist;
        int[][] seqs = new int[schema.sequences().size()][rows * t];
        for (int s = 0; s < seqs.length; s++) {
            int table = schema.sparseIndex(schema.sequences().get(s).table());
            for (int i = 0; i < rows * t; i++) {
                seqs[s][i] = oneUser && i >= t ? seqs[s][i % t] : r.nextInt(vocab[table]);
            }
        }
        int[] lengths = new int[rows];
        java.util.Arrays.fill(lengths, t);
        float[][] dense = new float[schema.dense().size()][rows];
        int k = schema.tasks().size();
        float[][] labels = new float[k][rows];
        float[][] masks = new float[k][rows];
        for (int j = 0; j < k; j++) {
            for (int i = 0; i < rows; i++) {
                labels[j][i] = r.nextInt(2);
                masks[j][i] = 1;
            }
        }
        return new Batch(rows, t, sparse, seqs, lengths, dense, labels, masks, null);
    }
}
