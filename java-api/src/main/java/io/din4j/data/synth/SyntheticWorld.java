package io.din4j.data.synth;

import io.din4j.data.FeatureSchema;
import io.din4j.data.Row;
import io.din4j.data.csv.Csv;
import io.din4j.data.csv.SequenceCsvWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A seeded, documented world of users, items and clicks in which a candidate's click depends on the part of the
 * history that matches it: the situation the DIN paper's local activation unit is built for, and in which sum
 * pooling (BaseModel) has to untangle a mixture of interests.
 *
 * <h2>The generative process</h2>
 * <ol>
 *   <li><b>Catalogue.</b> Item {@code i} (1..I) belongs to category {@code 1 + (i-1) mod C}. Inside a category,
 *       item popularity follows Zipf with exponent 1.1 over the item's rank; categories themselves are chosen as
 *       interests with Zipf popularity (exponent 0.7).</li>
 *   <li><b>Users.</b> User {@code u} (1..U) holds {@code interestsPerUser} distinct categories with weights drawn
 *       from a flat Dirichlet; the heaviest is the primary interest. An activity offset {@code a_u ~ N(0, 0.5²)}
 *       makes some users click more than others (so AUC and GAUC differ, as in real logs).</li>
 *   <li><b>Behaviour stream.</b> Each user has {@code maxHistory + samplesPerUser} behaviours: with probability
 *       0.9 an item from one of the user's interests (by weight), otherwise an item of a uniformly random
 *       category (noise). Popular items recur, so a candidate may repeat an item of the history.</li>
 *   <li><b>Impressions.</b> Sample {@code j} of a user sits at stream position {@code p = maxHistory + j}; its
 *       history is the {@code L ~ U[minHistory, maxHistory]} behaviours just before {@code p}, oldest first.
 *       The candidate is drawn from the user's interests with probability 1/2, otherwise from a uniformly random
 *       category.</li>
 *   <li><b>Click.</b> With {@code m_c} the number of history behaviours in the candidate's category and
 *       {@code m_i} the number that are the candidate item itself:
 *       {@code logit = -1.6 + a_u + 2.6·(1 - exp(-m_c/2)) + 1.4·[m_i > 0]}; click ~ Bernoulli(sigmoid(logit)).
 *       Only the matching subset of the history matters; the rest is distraction.</li>
 *   <li><b>Conversion</b> (second task, when enabled). Only a clicked impression can convert, so conversion is
 *       labelled only on clicked rows (an empty cell elsewhere: outside the task's sample space). It depends on a
 *       related but different match: {@code logit = -1.2 + 0.5·a_u + 1.8·[m_i > 0] + 1.0·[candidate category is
 *       the primary interest]}.</li>
 *   <li><b>Split.</b> The last {@code ceil(testFraction · samplesPerUser)} impressions of each user form the test
 *       set (a split in time, as in the DIN paper's protocol); the rest are training data.</li>
 * </ol>
 * Each user draws from its own random stream derived from the seed, so a world is reproducible and users can be
 * generated one at a time: writing a world takes memory for one user, not for the whole data set.
 */
public final class SyntheticWorld {
    private static final double INTEREST_PROBABILITY = 0.9;
    private static final double ITEM_ZIPF = 1.1;
    private static final double CATEGORY_ZIPF = 0.7;

    /**
     * Size and seed of a world.
     *
     * @param users            U
     * @param items            I (at least C)
     * @param categories       C
     * @param interestsPerUser categories each user holds (1..C)
     * @param minHistory       shortest history (0 allowed)
     * @param maxHistory       longest history
     * @param samplesPerUser   impressions per user, train and test together
     * @param testFraction     share of each user's (latest) impressions kept for testing, in [0, 1)
     * @param twoTasks         false: one task {@code label} (click); true: tasks {@code click,conversion}
     * @param seed             seed of every random choice
     */
    public record Config(int users, int items, int categories, int interestsPerUser, int minHistory, int maxHistory,
                         int samplesPerUser, double testFraction, boolean twoTasks, long seed) {
        public Config {
            positive("users", users);
            positive("categories", categories);
            positive("samplesPerUser", samplesPerUser);
            if (items < categories) {
                throw new IllegalArgumentException("items = " + items + " must be >= categories = " + categories);
            }
            if (interestsPerUser < 1 || interestsPerUser > categories) {
                throw new IllegalArgumentException("interestsPerUser = " + interestsPerUser + " must be in [1, categories = " + categories + "]");
            }
            if (minHistory < 0 || maxHistory < minHistory) {
                throw new IllegalArgumentException("history range [" + minHistory + ", " + maxHistory + "] is empty or negative");
            }
            if (!(testFraction >= 0 && testFraction < 1)) {
                throw new IllegalArgumentException("testFraction = " + testFraction + " must be in [0, 1)");
            }
        }

        private static void positive(String name, int v) {
            if (v < 1) {
                throw new IllegalArgumentException(name + " = " + v + " must be >= 1");
            }
        }

        /** 2,000 users, 5,000 items in 100 categories, 3 interests, histories of 0..30, 20 impressions per user. */
        public static Config defaults() {
            return new Config(2000, 5000, 100, 3, 0, 30, 20, 0.2, false, 42);
        }

        public Config withUsers(int u) {
            return new Config(u, items, categories, interestsPerUser, minHistory, maxHistory, samplesPerUser, testFraction, twoTasks, seed);
        }

        public Config withCatalogue(int i, int c) {
            return new Config(users, i, c, interestsPerUser, minHistory, maxHistory, samplesPerUser, testFraction, twoTasks, seed);
        }

        public Config withHistory(int min, int max) {
            return new Config(users, items, categories, interestsPerUser, min, max, samplesPerUser, testFraction, twoTasks, seed);
        }

        public Config withSamplesPerUser(int s) {
            return new Config(users, items, categories, interestsPerUser, minHistory, maxHistory, s, testFraction, twoTasks, seed);
        }

        public Config withTwoTasks(boolean two) {
            return new Config(users, items, categories, interestsPerUser, minHistory, maxHistory, samplesPerUser, testFraction, two, seed);
        }

        public Config withSeed(long s) {
            return new Config(users, items, categories, interestsPerUser, minHistory, maxHistory, samplesPerUser, testFraction, twoTasks, s);
        }

        /** Impressions per user that go to the test set. */
        public int testSamplesPerUser() {
            return (int) Math.ceil(testFraction * samplesPerUser - 1e-9);
        }
    }

    /**
     * One impression with the world's ground truth.
     *
     * @param conversion            meaningful only when {@code click}
     * @param clickProbability      the true P(click) the label was drawn from
     * @param conversionProbability the true P(conversion | click)
     */
    public record Sample(int user, int item, int category, int[] historyItems, int[] historyCategories, boolean click,
                         boolean conversion, double clickProbability, double conversionProbability, boolean test) {
    }

    private final Config config;
    private final double[] itemCdf;
    private final double[] categoryCdf;

    private SyntheticWorld(Config config) {
        this.config = config;
        int maxPerCategory = (config.items() + config.categories() - 1) / config.categories();
        this.itemCdf = zipfCdf(maxPerCategory, ITEM_ZIPF);
        this.categoryCdf = zipfCdf(config.categories(), CATEGORY_ZIPF);
    }

    public static SyntheticWorld of(Config config) {
        return new SyntheticWorld(config);
    }

    public Config config() {
        return config;
    }

    /** {@code label} alone, or {@code click,conversion} with two tasks; the canonical columns. */
    public FeatureSchema schema() {
        return FeatureSchema.canonical(config.twoTasks() ? List.of("click", "conversion") : List.of("label"));
    }

    /** Every impression of user {@code u} (1-based), in time order; test impressions last. */
    public List<Sample> user(int u) {
        if (u < 1 || u > config.users()) {
            throw new IllegalArgumentException("user = " + u + " is outside [1, " + config.users() + "]");
        }
        SplittableRandom rnd = new SplittableRandom(config.seed() * 0x9E3779B97F4A7C15L + u);
        int k = config.interestsPerUser();
        int[] interests = new int[k];
        double[] weights = new double[k];
        for (int j = 0; j < k; j++) {
            int c;
            do {
                c = 1 + sample(categoryCdf, categoryCdf.length, rnd);
            } while (contains(interests, j, c));
            interests[j] = c;
            weights[j] = -Math.log(1 - rnd.nextDouble());
        }
        int primary = 0;
        double sum = 0;
        for (int j = 0; j < k; j++) {
            sum += weights[j];
            if (weights[j] > weights[primary]) {
                primary = j;
            }
        }
        for (int j = 0; j < k; j++) {
            weights[j] /= sum;
        }
        double activity = 0.5 * rnd.nextGaussian();

        int s = config.samplesPerUser();
        int streamLength = config.maxHistory() + s;
        int[] streamItems = new int[streamLength];
        for (int t = 0; t < streamLength; t++) {
            int c = rnd.nextDouble() < INTEREST_PROBABILITY ? interests[pick(weights, rnd)] : 1 + rnd.nextInt(config.categories());
            streamItems[t] = itemOf(c, rnd);
        }

        int testFrom = s - config.testSamplesPerUser();
        List<Sample> out = new ArrayList<>(s);
        for (int j = 0; j < s; j++) {
            int p = config.maxHistory() + j;
            int len = config.minHistory() + rnd.nextInt(config.maxHistory() - config.minHistory() + 1);
            int[] hi = new int[len];
            int[] hc = new int[len];
            int mc = 0;
            int mi = 0;
            int candCat = rnd.nextBoolean() ? interests[pick(weights, rnd)] : 1 + rnd.nextInt(config.categories());
            int cand = itemOf(candCat, rnd);
            for (int t = 0; t < len; t++) {
                hi[t] = streamItems[p - len + t];
                hc[t] = categoryOf(hi[t]);
                mc += hc[t] == candCat ? 1 : 0;
                mi += hi[t] == cand ? 1 : 0;
            }
            double pClick = sigmoid(-1.6 + activity + 2.6 * (1 - Math.exp(-mc / 2.0)) + (mi > 0 ? 1.4 : 0));
            double pConv = sigmoid(-1.2 + 0.5 * activity + (mi > 0 ? 1.8 : 0) + (candCat == interests[primary] ? 1.0 : 0));
            boolean click = rnd.nextDouble() < pClick;
            boolean conv = click && rnd.nextDouble() < pConv;
            out.add(new Sample(u, cand, candCat, hi, hc, click, conv, pClick, pConv, j >= testFrom));
        }
        return out;
    }

    /** Every training ({@code test = false}) or test impression, user by user. */
    public List<Sample> samples(boolean test) {
        List<Sample> out = new ArrayList<>();
        forEach(test, out::add);
        return out;
    }

    /** The impressions of one split as rows of {@link #schema()}, e.g. to train without writing files. */
    public List<Row> rows(boolean test) {
        List<Row> out = new ArrayList<>();
        forEach(test, s -> out.add(toRow(s)));
        return out;
    }

    private void forEach(boolean test, Consumer<Sample> sink) {
        for (int u = 1; u <= config.users(); u++) {
            for (Sample s : user(u)) {
                if (s.test() == test) {
                    sink.accept(s);
                }
            }
        }
    }

    /** A sample as a row of {@link #schema()}. */
    public Row toRow(Sample s) {
        float[] labels = config.twoTasks()
                ? new float[] {s.click() ? 1 : 0, s.click() ? (s.conversion() ? 1 : 0) : Float.NaN}
                : new float[] {s.click() ? 1 : 0};
        return new Row(labels, new String[] {Integer.toString(s.user()), Integer.toString(s.item()), Integer.toString(s.category())},
                new String[][] {ids(s.historyItems()), ids(s.historyCategories())}, new float[0]);
    }

    /** Writes the training and test impressions as canonical sequence CSVs (gzip when a name ends in .gz). */
    public void write(Path train, Path test) throws IOException {
        try (SequenceCsvWriter tr = new SequenceCsvWriter(Csv.create(train), schema());
             SequenceCsvWriter te = new SequenceCsvWriter(Csv.create(test), schema())) {
            for (int u = 1; u <= config.users(); u++) {
                for (Sample s : user(u)) {
                    (s.test() ? te : tr).write(toRow(s));
                }
            }
        }
    }

    private static String[] ids(int[] v) {
        String[] s = new String[v.length];
        for (int i = 0; i < v.length; i++) {
            s[i] = Integer.toString(v[i]);
        }
        return s;
    }

    /** Category of item {@code i}: items are dealt to categories in turn. */
    public int categoryOf(int item) {
        return 1 + (item - 1) % config.categories();
    }

    private int itemOf(int category, SplittableRandom rnd) {
        int inCategory = (config.items() - category) / config.categories() + 1;
        return category + config.categories() * sample(itemCdf, inCategory, rnd);
    }

    private static double[] zipfCdf(int n, double exponent) {
        double[] cdf = new double[n];
        double acc = 0;
        for (int r = 0; r < n; r++) {
            acc += Math.pow(r + 1, -exponent);
            cdf[r] = acc;
        }
        return cdf;
    }

    /** A rank in [0, n) drawn from the first n entries of a cumulative table. */
    private static int sample(double[] cdf, int n, SplittableRandom rnd) {
        double x = rnd.nextDouble() * cdf[n - 1];
        int lo = 0;
        int hi = n - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cdf[mid] < x) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private static int pick(double[] weights, SplittableRandom rnd) {
        double x = rnd.nextDouble();
        for (int j = 0; j < weights.length - 1; j++) {
            x -= weights[j];
            if (x < 0) {
                return j;
            }
        }
        return weights.length - 1;
    }

    private static boolean contains(int[] a, int n, int v) {
        for (int i = 0; i < n; i++) {
            if (a[i] == v) {
                return true;
            }
        }
        return false;
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }
}
