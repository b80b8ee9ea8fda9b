package io.din4j.spark.examples;

import io.din4j.spark.ShardedModel;
import io.din4j.spark.ShardedModelFiles;
import io.din4j.spark.SparkScorer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * An example batch-scoring job for {@code spark-submit}: reads a canonical CSV (with a header) or Parquet data set,
 * scores it with a din4j model directory and writes the key columns with one {@code p_<task>} column per task.
 *
 * <pre>
 * spark-submit --class io.din4j.spark.examples.ScoreJob \
 *   --conf "spark.driver.extraJavaOptions=--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED" \
 *   --conf "spark.executor.extraJavaOptions=--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED" \
 *   --jars din4j-api.jar,din4j-cuda.jar,din4j-native.jar,din4j-kernels.jar din4j-spark.jar \
 *   --model /models/din --input hdfs:///data/impressions.csv --output hdfs:///scores --keys user_id,item_id
 * </pre>
 *
 * Flags: {@code --model DIR} (read on the driver, broadcast to executors), {@code --input PATH},
 * {@code --output PATH} (replaced), {@code --keys a,b} (default: every input column), {@code --format csv|parquet}
 * for both input and output (default csv), {@code --batch-size N} (1024), {@code --threads N} (1 per task),
 * {@code --backend cpu|auto|cuda} (cpu). A sharded model directory (docs/model-format.md) is loaded into
 * {@code --shard-partitions N} partitions (default: Spark's default parallelism) by the executors and scored with
 * its tables sharded (docs/spark.md, "Scoring a sharded model"); it must be on a file system every executor sees.
 */
public final class ScoreJob {
    private ScoreJob() {
    }

    public static void main(String[] args) {
        SparkSession spark = SparkSession.builder().appName("din4j-score").getOrCreate();
        try {
            run(spark, args);
        } finally {
            spark.stop();
        }
    }

    /** The job on an existing session (which it leaves running). */
    public static void run(SparkSession spark, String[] args) {
        Map<String, String> flags = parse(args);
        String model = require(flags, "model");
        String input = require(flags, "input");
        String output = require(flags, "output");
        String format = flags.getOrDefault("format", "csv");
        if (!format.equals("csv") && !format.equals("parquet")) {
            throw new IllegalArgumentException("--format must be csv or parquet, got '" + format + "'");
        }
        SparkScorer.Options options = SparkScorer.Options.defaults()
                .withBatchSize(Integer.parseInt(flags.getOrDefault("batch-size", "1024")))
                .withThreads(Integer.parseInt(flags.getOrDefault("threads", "1")))
                .withBackend(flags.getOrDefault("backend", "cpu"));
        if (flags.containsKey("keys")) {
            options = options.withKeys(flags.get("keys").split(","));
        }
        Dataset<Row> data = format.equals("csv")
                ? spark.read().option("header", "true").csv(input)
                : spark.read().parquet(input);
        Dataset<Row> scores;
        ShardedModel sharded = null;
        if (ShardedModelFiles.isSharded(Path.of(model))) {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            int parts = Integer.parseInt(flags.getOrDefault("shard-partitions", String.valueOf(sc.defaultParallelism())));
            sharded = ShardedModelFiles.load(sc, Path.of(model), parts);
            scores = SparkScorer.score(data, sharded, options);
        } else {
            scores = SparkScorer.score(data, model, options);
        }
        if (format.equals("csv")) {
            scores.write().mode(SaveMode.Overwrite).option("header", "true").csv(output);
        } else {
            scores.write().mode(SaveMode.Overwrite).parquet(output);
        }
        if (sharded != null) {
            sharded.release();
        }
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --flag value pairs, got " + Arrays.toString(args));
            }
            m.put(args[i].substring(2), args[++i]);
        }
        return m;
    }

    private static String require(Map<String, String> flags, String name) {
        String v = flags.get(name);
        if (v == null) {
            throw new IllegalArgumentException("--" + name + " is required (flags: --model DIR --input PATH --output PATH"
                    + " [--keys a,b] [--format csv|parquet] [--batch-size N] [--threads N] [--backend cpu|auto|cuda] [--shard-partitions N])");
        }
        return v;
    }
}
