package io.din4j.bench.gpu;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs the cuda backend's tests (package io.din4j.backend.cuda, shaded into din4j-gpu.jar from din4j-cuda's test
 * jar) inside the device-check bundle, where there is no Maven: one line per test, a summary, and a JSON file of
 * the counts (the first argument). Exit status 1 when any test failed.
 */
public final class RunGpuTests {
    public static void main(String[] args) throws Exception {
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectPackage("io.din4j.backend.cuda")).build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        TestExecutionListener lines = new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (id.isTest()) {
                    String why = result.getThrowable().map(t -> " — " + t).orElse("");
                    System.out.println(result.getStatus() + " " + id.getLegacyReportingName() + why);
                }
            }

            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                System.out.println("SKIPPED " + id.getLegacyReportingName() + " — " + reason);
            }
        };
        launcher.execute(request, summary, lines);
        TestExecutionSummary s = summary.getSummary();
        PrintWriter out = new PrintWriter(System.out);
        s.printTo(out);
        s.printFailuresTo(out, 30);
        out.flush();
        if (args.length > 0) {
            Files.writeString(Path.of(args[0]), String.format(java.util.Locale.ROOT,
                    "{\"tests\": %d, \"succeeded\": %d, \"failed\": %d, \"aborted\": %d, \"skipped\": %d, \"seconds\": %.1f}%n",
                    s.getTestsFoundCount(), s.getTestsSucceededCount(), s.getTotalFailureCount(), s.getTestsAbortedCount(),
                    s.getTestsSkippedCount(), (s.getTimeFinished() - s.getTimeStarted()) / 1000.0));
        }
        System.exit(s.getTotalFailureCount() > 0 ? 1 : 0);
    }
}
