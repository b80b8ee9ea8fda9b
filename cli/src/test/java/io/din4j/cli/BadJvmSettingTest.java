package io.din4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A bad value in one of the cpu backend's start-up properties ({@code din4j.cpu.vectorBits}, {@code
 * din4j.cpu.vectorRegisters}, given through {@code DIN4J_JAVA_OPTS}) is one line naming the property and exit code 2,
 * not a stack trace. In a child JVM: the properties are read once, when the backend's classes initialise.
 */
class BadJvmSettingTest {
    private static String[] run(String property) throws IOException, InterruptedException {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--add-modules",
                "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", property, "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "bench", "--model", "din", "--batch", "4", "--hist", "3", "--embedding-dim", "4",
                "--threads", "1");
        Process p = new ProcessBuilder(cmd).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM did not finish: " + err);
        return new String[] {String.valueOf(p.exitValue()), out, err};
    }

    @Test
    void aBadVectorWidthOrRegisterCountIsOneLine() throws IOException, InterruptedException {
        for (String[] c : new String[][] {{"-Ddin4j.cpu.vectorBits=300", "din4j.cpu.vectorBits must be 128, 256 or 512, got 300"},
                {"-Ddin4j.cpu.vectorRegisters=20", "din4j.cpu.vectorRegisters must be 16 or 32, got 20"}}) {
            String[] r = run(c[0]);
            // the JDK's incubator warning and the backend choice ("din4j: backend auto: chose cpu ...") come first
            List<String> lines = r[2].lines()
                    .filter(l -> !l.startsWith("WARNING: Using incubator modules") && !l.startsWith("din4j: backend "))
                    .toList();
            assertEquals(List.of("din4j: " + c[1] + " (a JVM setting: check DIN4J_JAVA_OPTS)"), lines, c[0] + ": " + r[2]);
            assertEquals(String.valueOf(Main.USAGE_ERROR), r[0], c[0]);
            assertEquals("", r[1], c[0]);
        }
    }
}
