package io.din4j.bench;

import io.din4j.backend.cpu.CpuBackend;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Reports the vector ISA the cpu backend sees in a JVM started with given flags, and the host's CPU model, so that
 * every benchmark report says which width and which host its figures came from. A report runs its benchmarks in
 * forked JVMs whose flags (e.g. {@code -XX:MaxVectorSize=16}) may differ from its own, so it asks a fresh JVM with
 * the same flags.
 */
public final class VectorIsaProbe {
    private VectorIsaProbe() {
    }

    public static void main(String[] args) {
        System.out.println(CpuBackend.vectorIsa());
    }

    /** The ISA line of a JVM started with {@code jvmArgs}, or a note saying why it could not be found. */
    public static String isaOf(List<String> jvmArgs) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), VectorIsaProbe.class.getName()));
        try {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0 || out.isEmpty()) {
                return "unknown (the probe JVM failed)";
            }
            return out;
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown (interrupted)";
        }
    }

    /** The CPU model name from /proc/cpuinfo, or the architecture where that file does not exist. */
    public static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }
}
