package io.din4j.spark;

import io.din4j.backend.Backend;
import io.din4j.backend.Backends;
import io.din4j.data.Batch;
import io.din4j.data.Vocabulary;
import io.din4j.io.ModelFiles;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.predict.Predictor;
import io.din4j.train.OptimizerSpec;
import io.din4j.train.TrainConfig;
import io.din4j.train.Trainer;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * Scoring throughput in local[1] and local[2] against a single-process {@link Predictor}, and data-parallel
 * training throughput against the single-process {@link Trainer}, on a generated world with a DIN of the paper's
 * sizes (embeddings 32, attention 80-40, MLP 200-80, Dice). Not a unit test: run it as docs/spark.md says.
 *
 * <p>Arguments (all optional): users (2000), rows per user (50), sync-every (20), batch size (256).
 */
public final class SparkBenchmark {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private SparkBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int users = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int perUser = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        int syncEvery = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int batch = args.length > 3 ? Integer.parseInt(args[3]) : 256;
        TestWorld world = new TestWorld(1, users, perUser, 0);
        List<Row> rows = world.train;
        Map<String, Vocabulary> vocab = TestWorld.vocabularies(rows);
        ModelConfig config = ModelConfig.builder(ModelConfig.Type.DIN).tasks("label").seed(1).build();
        Path dir = Files.createTempDirectory("din4j-spark-bench").resolve("model");
        TrainConfig train = TrainConfig.builder().optimizer(OptimizerSpec.adam(1e-3)).build();
        System.out.printf(Locale.ROOT, "world: %d rows, %d users; load average %.1f on %d cores%n", rows.size(), users,
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), Runtime.getRuntime().availableProcessors());

        List<Batch> batches = new ArrayList<>();
        for (int from = 0; from < rows.size(); from += batch) {
            batches.add(SparkScorerTest.referenceBatch(rows.subList(from, Math.min(rows.size(), from + batch)), vocab, 0));
        }
        try (Backend cpu = Backends.create("cpu", 1); Model model = Model.create(config, TestWorld.SCHEMA, vocab, cpu, batch);
             Trainer trainer = new Trainer(model, train)) {
            for (int i = 0; i < Math.min(20, batches.size()); i++) {
                trainer.step(batches.get(i), 0); // warm-up (JIT)
            }
            long t0 = System.nanoTime();
            int n = 0;
            for (Batch b : batches) {
                trainer.step(b, 0);
                n += b.size();
            }
            double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "single-process training (cpu, 1 thread): %.0f samples/s (one epoch, batch %d)%n", n / s, batch);
            ModelFiles.save(model, dir, null);
        }
        try (Backend cpu = Backends.create("cpu", 1); Predictor p = Predictor.load(dir, cpu, 1024)) {
            double best = 0;
            for (int rep = 0; rep < 3; rep++) {
                long t0 = System.nanoTime();
                for (Batch b : batches) {
                    p.predict(b);
                }
                best = Math.max(best, rows.size() / ((System.nanoTime() - t0) / 1e9));
            }
            System.out.printf(Locale.ROOT, "single-process scoring (cpu, 1 thread, batches prebuilt): %.0f rows/s%n", best);
        }
        ModelBytes bytes = ModelBytes.read(dir);
        System.out.printf(Locale.ROOT, "model broadcast: %.2f MB%n", bytes.size() / 1e6);

        for (String master : new String[] {"local[1]", "local[2]"}) {
            SparkSession spark = SparkSession.builder().master(master).appName("din4j-spark-bench")
                    .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
            spark.sparkContext().setLogLevel("WARN");
            try {
                Dataset<Row> df = spark.createDataFrame(rows, TestWorld.FRAME).repartition(4).cache();
                df.count();
                SparkScorer.Options o = SparkScorer.Options.defaults().withKeys("row_id");
                double best = 0;
                double perCpu = 0;
                for (int rep = 0; rep < 4; rep++) {
                    long t0 = System.nanoTime();
                    long c0 = OS.getProcessCpuTime();
                    SparkScorer.score(df, dir.toString(), o).agg(functions.sum("p_label")).collectAsList();
                    double rate = rows.size() / ((System.nanoTime() - t0) / 1e9);
                    if (rep > 0 && rate > best) {
                        best = rate;
                        perCpu = rows.size() / ((OS.getProcessCpuTime() - c0) / 1e9);
                    }
                }
                System.out.printf(Locale.ROOT, "%s scoring: %.0f rows/s wall, %.0f rows per process CPU-second (best of 3 after a"
                        + " warm-up, 4 partitions; load average now %.1f)%n", master, best, perCpu, OS.getSystemLoadAverage());
                if (master.equals("local[2]")) {
                    try (Backend cpu = Backends.create("cpu", 1);
                         Model model = Model.create(config, TestWorld.SCHEMA, vocab, cpu, batch)) {
                        SparkTrainer.Result r = SparkTrainer.fit(spark.createDataFrame(rows, TestWorld.FRAME), model, train,
                                SparkTrainer.Options.defaults().withBatchSize(batch).withSyncEvery(syncEvery).withWorkers(2));
                        double roundSeconds = r.rounds().stream().mapToDouble(SparkTrainer.Round::seconds).sum();
                        double updateBytes = r.rounds().stream().mapToLong(SparkTrainer.Round::updateBytes).average().orElse(0);
                        double rowsMerged = r.rounds().stream().mapToLong(SparkTrainer.Round::rowsMerged).average().orElse(0);
                        System.out.printf(Locale.ROOT, "%s training, 2 workers, sync every %d steps of %d: %.0f samples/s overall,"
                                        + " %.0f samples/s in rounds (%d rounds, %.2f s/round); per round: broadcast %.2f MB,"
                                        + " updates %.2f MB, %.0f embedding rows merged%n", master, syncEvery, batch,
                                r.samplesPerSecond(), r.samples() / roundSeconds, r.rounds().size(),
                                roundSeconds / r.rounds().size(), r.broadcastBytes() / 1e6, updateBytes / 1e6, rowsMerged);
                    }
                }
            } finally {
                spark.stop();
            }
        }
        ModelBytes.deleteTree(dir.getParent());
    }
}
