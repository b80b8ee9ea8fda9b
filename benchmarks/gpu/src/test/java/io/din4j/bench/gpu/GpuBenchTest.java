package io.din4j.bench.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.din4j.backend.cuda.EmulatedDevice;
import io.din4j.json.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The device check's benchmarks lose nothing to a fault: a crashing benchmark's child JVM costs only its own rows. */
class GpuBenchTest {
    @TempDir
    Path out;

    @Test
    @SuppressWarnings("unchecked")
    void aCrashingBenchmarkLeavesTheOthersResults() throws Exception {
        assumeTrue(EmulatedDevice.available(), "the kernel emulator is not built here");
        // attention-dice's process halts after its first result, as on a CUDA fault or a JVM crash
        GpuBench.main(new String[] {"--device", "cuda-emu", "--quick", "--out", out.toString(),
                "--only", "gather-pool,attention-dice,loss-reduce", "--fail", "attention-dice"});
        Map<String, Object> doc = Json.parseObject(Files.readString(out.resolve("gpu-bench.json")));
        List<Map<String, Object>> kernels = (List<Map<String, Object>>) doc.get("kernels");
        Set<String> units = kernels.stream().map(k -> (String) k.get("unit")).collect(Collectors.toSet());
        // the benchmark after the crash ran, and the crashed one's first result was kept
        assertEquals(Set.of("gather-pool", "attention-dice", "loss-reduce"), units, kernels.toString());
        assertEquals(1, kernels.stream().filter(k -> k.get("unit").equals("attention-dice")).count());
        assertTrue(kernels.stream().anyMatch(k -> k.get("op").equals("sumSquares")), kernels.toString());
        List<Map<String, Object>> failures = (List<Map<String, Object>>) doc.get("failures");
        assertEquals(1, failures.size(), failures.toString());
        assertEquals("attention-dice", failures.get(0).get("unit"));
        assertTrue(((String) failures.get(0).get("error")).contains("exit status 3"), failures.toString());
        String md = Files.readString(out.resolve("gpu-bench.md"));
        assertTrue(md.contains("| sumSquares |") && md.contains("- attention-dice: exit status 3"), md);
    }
}
