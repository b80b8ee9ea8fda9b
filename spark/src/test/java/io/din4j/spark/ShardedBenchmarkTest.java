package io.din4j.spark;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Runs {@link ShardedBenchmark} inside the build's test JVM (so against this checkout's modules), only when asked:
 * {@code -Ddin4j.bench=sharded [-Ddin4j.bench.args="users rowsPerUser syncEvery batch epochs"]}. Skipped otherwise.
 */
class ShardedBenchmarkTest {
    @Test
    @EnabledIfSystemProperty(named = "din4j.bench", matches = "sharded")
    void run() {
        String args = System.getProperty("din4j.bench.args", "").strip();
        ShardedBenchmark.main(args.isEmpty() ? new String[0] : args.split("\\s+"));
    }
}
