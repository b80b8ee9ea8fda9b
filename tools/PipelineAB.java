import io.din4j.backend.Backend;
import io.din4j.backend.Backends;
import io.din4j.data.Batch;
import io.din4j.data.BatchBuilder;
import io.din4j.data.BatchStream;
import io.din4j.data.FeatureSchema;
import io.din4j.data.Row;
import io.din4j.data.Vocabularies;
import io.din4j.data.csv.CsvDataset;
import io.din4j.data.csv.SchemaFiles;
import io.din4j.data.csv.SequenceCsvReader;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.train.OptimizerSpec;
import io.din4j.train.TrainConfig;
import io.din4j.train.Trainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A/B of the training input pipeline in one JVM, so that a loaded machine slows every variant alike: after a
 * warm-up, rounds of (a) the synthetic step (random ids, every history at the data's mean length, as
 * {@code din4j bench --train --data} times it) over as many samples as the file holds, and (b) one pass of the real
 * pipeline per sort window (read, shuffle, batch on the prefetch thread, step) and, when the file fits the shuffle
 * buffer, one pass per window from a stream that holds the encoded rows after its first pass, in turn. Beside each
 * pass: the bytes allocated per sample by the training thread (the step) and by all threads (the reader too). Prints each
 * pass and, per variant, the median samples/s over the rounds and its ratio to the synthetic step of the same round.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx1g \
 *      -cp cli/target/din4j-cli.jar tools/PipelineAB.java FILE.csv [ROUNDS [WINDOW,WINDOW,...]]
 * </pre>
 * The model is din4j train's DIN with its defaults (B = 256, Adam, 100,000-row shuffle buffer, MBA off).
 */
public final class PipelineAB {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();

    public static void main(String[] args) {
        Path file = Path.of(args[0]);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int[] windows = args.length > 2 ? Arrays.stream(args[2].split(",")).mapToInt(Integer::parseInt).toArray() : new int[] {0, 32};
        int batch = 256;
        FeatureSchema schema = SchemaFiles.infer(file.toString(), SequenceCsvReader.header(file), null, List.of(), List.of(), List.of());
        try (CsvDataset rows = new CsvDataset(file, schema, true); Backend backend = Backends.create("cpu", 0)) {
            long n = 0;
            long behaviours = 0;
            for (Row r : rows) {
                n++;
                behaviours += r.historyLength();
            }
            int meanT = (int) Math.round(behaviours / (double) n);
            Vocabularies v = Vocabularies.build(schema, rows.iterator(), 1);
            BatchBuilder builder = new BatchBuilder(v, 0);
            ModelConfig config = ModelConfig.builder(ModelConfig.Type.DIN).tasks(schema.tasks().toArray(String[]::new)).seed(1).maxHistory(64).build();
            try (Model model = Model.create(config, schema, v.asMap(), backend, batch);
                 Trainer trainer = new Trainer(model, TrainConfig.builder().epochs(1).optimizer(OptimizerSpec.adam(1e-3)).mbaLambda(0).build())) {
                Batch[] synthetic = new Batch[8];
                for (int i = 0; i < synthetic.length; i++) {
                    synthetic[i] = randomBatch(batch, meanT, v.sizes(), Vocabularies.sequenceTables(schema), schema.tasks().size(), 7 + i);
                }
                System.out.printf(Locale.ROOT, "%s: %,d rows, mean history %.2f; warming up%n", file, n, behaviours / (double) n);
                long stepsPerPass = (n + batch - 1) / batch;
                for (int i = 0; i < 2 * stepsPerPass; i++) {
                    trainer.step(synthetic[i % synthetic.length], 0);
                }
                // Variants: each window read from the file every pass (a file larger than the shuffle buffer), and
                // each window from a stream that holds the file in memory after its first pass (what train does
                // from its second epoch on when the file fits the shuffle buffer).
                List<String> names = new ArrayList<>();
                List<java.util.function.IntFunction<Iterator<Batch>>> variants = new ArrayList<>();
                List<BatchStream> open = new ArrayList<>();
                for (int w : windows) {
                    names.add("read, sort-window " + w);
                    variants.add(round -> new BatchStream(rows, builder, batch, 100_000, 128L << 20, w, 1 + round, 4).iterator());
                }
                for (int w : windows) {
                    BatchStream held = new BatchStream(rows, builder, batch, 100_000, 128L << 20, w, 1, 4);
                    open.add(held);
                    held.forEach(b -> trainer.step(b, 0));
                    if (!held.cached()) {
                        continue;
                    }
                    names.add("in memory, sort-window " + w);
                    variants.add(round -> held.iterator());
                }
                double[][] rate = new double[variants.size() + 1][rounds];
                for (int round = 0; round < rounds; round++) {
                    long synth0 = THREADS.getCurrentThreadAllocatedBytes();
                    long t0 = System.nanoTime();
                    for (long i = 0; i < stepsPerPass; i++) {
                        trainer.step(synthetic[(int) (i % synthetic.length)], 0);
                    }
                    double s = (System.nanoTime() - t0) / 1e9;
                    System.out.printf(Locale.ROOT, "round %d synthetic: allocated %.1f bytes per sample by the training thread%n", round + 1,
                            (THREADS.getCurrentThreadAllocatedBytes() - synth0) / (double) (stepsPerPass * batch));
                    rate[0][round] = stepsPerPass * batch / s;
                    System.out.printf(Locale.ROOT, "round %d synthetic T=%d: %.2f s, %,.0f samples/s  (load %.1f)%n", round + 1, meanT, s,
                            rate[0][round], java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
                    for (int w = 0; w < variants.size(); w++) {
                        long samples = 0;
                        long padded = 0;
                        long mine0 = THREADS.getCurrentThreadAllocatedBytes();
                        long all0 = THREADS.getTotalThreadAllocatedBytes();
                        t0 = System.nanoTime();
                        Iterator<Batch> it = variants.get(w).apply(round);
                        while (it.hasNext()) {
                            Batch b = it.next();
                            trainer.step(b, 0);
                            samples += b.size();
                            padded += (long) b.size() * b.history();
                        }
                        s = (System.nanoTime() - t0) / 1e9;
                        long mine = THREADS.getCurrentThreadAllocatedBytes() - mine0;
                        long all = THREADS.getTotalThreadAllocatedBytes() - all0;
                        rate[w + 1][round] = samples / s;
                        System.out.printf(Locale.ROOT, "round %d pipeline %s: %.2f s, %,.0f samples/s, %.0f%% of synthetic, padded T %.1f; "
                                        + "allocated per sample: %.0f bytes by the training thread, %.0f by all threads%n",
                                round + 1, names.get(w), s, rate[w + 1][round], 100 * rate[w + 1][round] / rate[0][round], padded / (double) samples,
                                mine / (double) samples, all / (double) samples);
                    }
                }
                open.forEach(BatchStream::close);
                System.out.printf(Locale.ROOT, "median synthetic: %,.0f samples/s%n", median(rate[0]));
                for (int w = 0; w < variants.size(); w++) {
                    double[] ratio = new double[rounds];
                    for (int r = 0; r < rounds; r++) {
                        ratio[r] = rate[w + 1][r] / rate[0][r];
                    }
                    double[] sorted = ratio.clone();
                    Arrays.sort(sorted);
                    System.out.printf(Locale.ROOT, "median pipeline %s: %,.0f samples/s, %.0f%% of synthetic (per round %.0f–%.0f%%)%n",
                            names.get(w), median(rate[w + 1]), 100 * median(ratio), 100 * sorted[0], 100 * sorted[rounds - 1]);
                }
            }
        }
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** Random ids (row 0 excluded), every history of length t, labels 0/1: what bench's synthetic step feeds. */
    private static Batch randomBatch(int b, int t, int[] sizes, int[] seqTables, int tasks, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[][] sparse = new int[sizes.length][b];
        for (int f = 0; f < sizes.length; f++) {
            for (int i = 0; i < b; i++) {
                sparse[f][i] = 1 + r.nextInt(Math.max(1, sizes[f] - 1));
            }
        }
        int[][] seqs = new int[seqTables.length][b * t];
        for (int s = 0; s < seqTables.length; s++) {
            for (int i = 0; i < b * t; i++) {
                seqs[s][i] = 1 + r.nextInt(Math.max(1, sizes[seqTables[s]] - 1));
            }
        }
        int[] lengths = new int[b];
        Arrays.fill(lengths, t);
        float[][] labels = new float[tasks][b];
        float[][] mask = new float[tasks][b];
        for (int k = 0; k < tasks; k++) {
            for (int i = 0; i < b; i++) {
                labels[k][i] = r.nextBoolean() ? 1 : 0;
                mask[k][i] = 1;
            }
        }
        return new Batch(b, t, sparse, seqs, lengths, new float[0][], labels, mask, null);
    }
}
