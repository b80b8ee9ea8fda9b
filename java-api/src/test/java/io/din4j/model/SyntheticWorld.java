package io.din4j.model;

import io.din4j.data.Batch;
import io.din4j.data.FeatureSchema;
import io.din4j.data.FieldRole;
import io.din4j.data.SequenceField;
import io.din4j.data.SparseField;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Synthetic datasets generated in the tests, where the true click model is known.
 *
 * <p><b>Interest world</b> (DIN vs BaseModel): 500 items in 50 clusters; an item's category is its cluster. A user
 * has 3 interest clusters; their history (5–25 behaviours) mixes items from those clusters (70%) with random items.
 * A candidate is clicked with probability 0.85 when its category appears among the history's categories, else 0.05:
 * the click depends on whether the candidate matches a subset of the history, the situation DIN's local activation
 * unit was designed for, while a sum of the history's embeddings blurs which categories it holds.
 *
 * <p><b>Two-task world</b> (PLE vs single-task): users and items have latent 4-d vectors and biases; with
 * {@code a = u·v}, clicks follow {@code σ(1.5·b_i + b_u + a − 1)} and purchases {@code σ(2·b_i + 0.5·q_i + a)}:
 * related tasks sharing the item bias and the affinity. Purchases are labelled only on clicked impressions, and in
 * training only for 30% of them, so the purchase task has few labels.
 */
public final class SyntheticWorld {
    /** Train and test batches with the schema and vocabulary sizes. */
    public record Data(FeatureSchema schema, int[] vocab, List<Batch> train, List<Batch> test) {
    }

    private SyntheticWorld() {
    }

    private record Sample(int user, int item, int cate, int[] histItems, int[] histCates, float[] labels, float[] masks) {
    }

    public static Data interests(long seed, int users, int trainPerUser, int testPerUser, int batch) {
        SplittableRandom r = new SplittableRandom(seed);
        int clusters = 50;
        int perCluster = 10;
        int items = clusters * perCluster;
        int cats = clusters;
        int[] clusterOf = new int[items + 1];
        for (int i = 1; i <= items; i++) {
            clusterOf[i] = (i - 1) / perCluster;
        }
        FeatureSchema schema = FeatureSchema.canonical(List.of("click"));
        List<Sample> train = new ArrayList<>();
        List<Sample> test = new ArrayList<>();
        for (int u = 1; u <= users; u++) {
            int[] interest = {r.nextInt(clusters), r.nextInt(clusters), r.nextInt(clusters)};
            int len = 5 + r.nextInt(21);
            int[] hi = new int[len];
            int[] hc = new int[len];
            boolean[] seen = new boolean[clusters];
            for (int t = 0; t < len; t++) {
                int c = r.nextDouble() < 0.7 ? interest[r.nextInt(3)] : r.nextInt(clusters);
                hi[t] = 1 + c * perCluster + r.nextInt(perCluster);
                hc[t] = 1 + c % cats;
                seen[c] = true;
            }
            for (int s = 0; s < trainPerUser + testPerUser; s++) {
                int c;
                if (r.nextDouble() < 0.45) {
                    c = clusterOf[hi[r.nextInt(len)]];
                } else {
                    c = r.nextInt(clusters);
                }
                int item = 1 + c * perCluster + r.nextInt(perCluster);
                float y = r.nextDouble() < (seen[c] ? 0.85 : 0.05) ? 1 : 0;
                Sample x = new Sample(u, item, 1 + c % cats, hi, hc, new float[] {y}, new float[] {1});
                (s < trainPerUser ? train : test).add(x);
            }
        }
        shuffle(train, r);
        int[] vocab = {users + 1, items + 1, cats + 1};
        return new Data(schema, vocab, batches(train, batch, 1), batches(test, batch, 1));
    }

    public static Data twoTasks(long seed, int users, int items, int trainPerUser, int testPerUser, int batch) {
        SplittableRandom r = new SplittableRandom(seed);
        int dim = 4;
        double[][] uv = new double[users + 1][dim];
        double[][] iv = new double[items + 1][dim];
        double[] quality = new double[items + 1];
        double[] itemBias = new double[items + 1];
        double[] userBias = new double[users + 1];
        for (int u = 0; u <= users; u++) {
            userBias[u] = r.nextGaussian();
        }
        for (double[] x : uv) {
            for (int j = 0; j < dim; j++) {
                x[j] = r.nextGaussian() * 0.7;
            }
        }
        for (int i = 0; i <= items; i++) {
            for (int j = 0; j < dim; j++) {
                iv[i][j] = r.nextGaussian() * 0.7;
            }
            quality[i] = r.nextGaussian();
            itemBias[i] = r.nextGaussian();
        }
        int cats = 20;
        FeatureSchema schema = new FeatureSchema(
                List.of(new SparseField("user_id", FieldRole.USER), new SparseField("item_id", FieldRole.ITEM),
                        new SparseField("cate_id", FieldRole.CATEGORY)),
                List.of(), List.of(), List.of("click", "buy"));
        List<Sample> train = new ArrayList<>();
        List<Sample> test = new ArrayList<>();
        for (int u = 1; u <= users; u++) {
            for (int s = 0; s < trainPerUser + testPerUser; s++) {
                int item = 1 + r.nextInt(items);
                double a = 0;
                for (int j = 0; j < dim; j++) {
                    a += uv[u][j] * iv[item][j];
                }
                float click = r.nextDouble() < sigmoid(1.5 * itemBias[item] + userBias[u] + a - 1.0) ? 1 : 0;
                float buy = click == 1 && r.nextDouble() < sigmoid(2.0 * itemBias[item] + 0.5 * quality[item] + a) ? 1 : 0;
                // In training, conversions are followed up for a 30% subset of the clicks only: the buy task has few
                // labels. The test set observes every click, so the buy metric rests on enough samples.
                boolean inTrain = s < trainPerUser;
                float observed = click == 1 && (!inTrain || r.nextDouble() < 0.3) ? 1 : 0;
                Sample x = new Sample(u, item, 1 + item % cats, new int[0], new int[0], new float[] {click, buy},
                        new float[] {1, observed});
                (s < trainPerUser ? train : test).add(x);
            }
        }
        shuffle(train, r);
        int[] vocab = {users + 1, items + 1, cats + 1};
        return new Data(schema, vocab, batches(train, batch, 2), batches(test, batch, 2));
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    private static void shuffle(List<Sample> l, SplittableRandom r) {
        for (int i = l.size() - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            Sample t = l.get(i);
            l.set(i, l.get(j));
            l.set(j, t);
        }
    }

    private static List<Batch> batches(List<Sample> samples, int size, int tasks) {
        List<Batch> out = new ArrayList<>();
        for (int from = 0; from < samples.size(); from += size) {
            List<Sample> part = samples.subList(from, Math.min(samples.size(), from + size));
            int b = part.size();
            int t = 0;
            for (Sample s : part) {
                t = Math.max(t, s.histItems.length);
            }
            int[][] sparse = new int[3][b];
            boolean seqs = part.get(0).histItems.length > 0 || t > 0;
            int[][] sequences = seqs ? new int[2][b * t] : new int[0][];
            int[] lengths = new int[b];
            float[][] labels = new float[tasks][b];
            float[][] masks = new float[tasks][b];
            String[] groups = new String[b];
            for (int i = 0; i < b; i++) {
                Sample s = part.get(i);
                sparse[0][i] = s.user;
                sparse[1][i] = s.item;
                sparse[2][i] = s.cate;
                if (seqs) {
                    System.arraycopy(s.histItems, 0, sequences[0], i * t, s.histItems.length);
                    System.arraycopy(s.histCates, 0, sequences[1], i * t, s.histCates.length);
                    lengths[i] = s.histItems.length;
                }
                for (int k = 0; k < tasks; k++) {
                    labels[k][i] = s.labels[k];
                    masks[k][i] = s.masks[k];
                }
                groups[i] = "u" + s.user;
            }
            out.add(new Batch(b, seqs ? t : 0, sparse, sequences, lengths, new float[0][], labels, masks, groups));
        }
        return out;
    }
}
