package io.din4j.spark;

import io.din4j.backend.Backend;
import io.din4j.backend.Backends;
import io.din4j.data.Vocabulary;
import io.din4j.graph.Param;
import io.din4j.model.Model;
import io.din4j.model.ModelConfig;
import io.din4j.train.OptimizerSpec;
import io.din4j.train.TrainConfig;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Replicated against sharded training on the same generated world, model and settings, in one run (docs/spark.md,
 * "Measured: replicated and sharded in local mode"): bytes per round as counted by the trainer (what each design
 * sends: broadcasts, updates, row requests, pulled and pushed rows) and as Spark's task metrics saw them (shuffle
 * bytes written, task results), and samples per second. Not a unit test; run it as docs/spark.md says.
 *
 * <p>Arguments (all optional): users (20000), rows per user (5), sync-every (20), batch size (256), epochs (1).
 */
public final class ShardedBenchmark {
    private ShardedBenchmark() {
    }

    /** Spark's own count of what tasks moved: shuffle bytes written and serialized task results. */
    private static final class Metered extends SparkListener {
        final AtomicLong shuffle = new AtomicLong();
        final AtomicLong results = new AtomicLong();

        @Override
        public void onTaskEnd(SparkListenerTaskEnd e) {
            if (e.taskMetrics() != null) {
                shuffle.addAndGet(e.taskMetrics().shuffleWriteMetrics().bytesWritten());
                results.addAndGet(e.taskMetrics().resultSize());
            }
        }
    }

    public static void main(String[] args) {
        int users = args.length > 0 ? Integer.parseInt(args[0]) : 20000;
        int perUser = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int syncEvery = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int batch = args.length > 3 ? Integer.parseInt(args[3]) : 256;
        int epochs = args.length > 4 ? Integer.parseInt(args[4]) : 1;
        TestWorld world = new TestWorld(1, users, perUser, 0);
        List<Row> rows = world.train;
        Map<String, Vocabulary> vocab = TestWorld.vocabularies(rows);
        ModelConfig config = ModelConfig.builder(ModelConfig.Type.DIN).tasks("label").seed(1).build();
        TrainConfig train = TrainConfig.builder().epochs(epochs).optimizer(OptimizerSpec.adam(1e-3)).build();
        SparkSession spark = SparkSession.builder().master("local[2]").appName("din4j-sharded-bench")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        Metered meter = new Metered();
        spark.sparkContext().addSparkListener(meter);
        System.out.printf(Locale.ROOT, "world: %d rows, %d users; local[2]; load average %.1f on %d cores%n", rows.size(), users,
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), Runtime.getRuntime().availableProcessors());
        try {
            for (String design : new String[] {"replicated", "sharded"}) {
                try (Backend cpu = Backends.create("cpu", 1);
                     Model model = Model.create(config, TestWorld.SCHEMA, vocab, cpu, batch)) {
                    long tables = 0;
                    long dense = 0;
                    for (Param p : model.parameters()) {
                        if (p.kind() == Param.Kind.EMBEDDING) {
                            tables += 4L * p.value().size();
                        } else {
                            dense += 4L * p.value().size();
                        }
                    }
                    SparkTrainer.Options o = SparkTrainer.Options.defaults().withBatchSize(batch).withSyncEvery(syncEvery).withWorkers(2);
                    if (design.equals("sharded")) {
                        o = o.withEmbeddingCap(tables); // below tables + Adam's moments: forces sharding
                    }
                    Dataset<Row> df = spark.createDataFrame(rows, TestWorld.FRAME);
                    long s0 = meter.shuffle.get();
                    long r0 = meter.results.get();
                    SparkTrainer.Result r = SparkTrainer.fit(df, model, train, o);
                    int n = r.rounds().size();
                    double roundSeconds = r.rounds().stream().mapToDouble(SparkTrainer.Round::seconds).sum();
                    double wire = r.rounds().stream().mapToLong(SparkTrainer.Round::wireBytes).average().orElse(0);
                    double pulled = r.rounds().stream().mapToLong(SparkTrainer.Round::rowsPulled).average().orElse(0);
                    double merged = r.rounds().stream().mapToLong(SparkTrainer.Round::rowsMerged).average().orElse(0);
                    System.out.printf(Locale.ROOT, "%s: tables %.2f MB (+ Adam moments x2), dense %.2f MB; per worker %.2f MB of"
                                    + " embedding rows with state; %d rounds of %d steps of %d on 2 workers; %.2f s/round;"
                                    + " %.0f samples/s in rounds, %.0f overall; per round: %.2f MB counted on the wire,"
                                    + " %.0f rows pulled, %.0f rows merged; Spark task metrics per round: shuffle written %.2f MB,"
                                    + " task results %.2f MB (load average now %.1f)%n",
                            design, tables / 1e6, dense / 1e6, r.embeddingBytesPerWorker() / 1e6, n, syncEvery, batch,
                            roundSeconds / n, r.samples() / roundSeconds, r.samplesPerSecond(), wire / 1e6, pulled, merged,
                            (meter.shuffle.get() - s0) / 1e6 / n, (meter.results.get() - r0) / 1e6 / n,
                            ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
                }
            }
        } finally {
            spark.stop();
        }
    }
}
