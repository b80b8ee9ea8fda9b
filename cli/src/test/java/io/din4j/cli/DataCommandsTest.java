package io.din4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataCommandsTest {
    @TempDir
    Path dir;

    private static void assertOnlyFiles(Path dir, String... names) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(names), s.map(p -> p.getFileName().toString()).sorted().toList(), "no temporary files left behind");
        }
    }

    @Test
    void generateWritesBothSplits() throws IOException {
        Cli r = Cli.run("generate", "--out", dir.toString(), "--users", "30", "--tasks", "2", "--gzip");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("test.csv.gz (120 rows)"), r.out());
        assertOnlyFiles(dir, "test.csv.gz", "train.csv.gz");
    }

    @Test
    void badFlagsGiveOneLineAndExitTwo() {
        Cli r = Cli.run("generate", "--out", dir.toString(), "--users", "0");
        assertEquals(2, r.code());
        assertEquals("din4j generate: --users: '0' is not valid (expected an integer >= 1) (see din4j generate --help)", r.errorLine());
        r = Cli.run("generate", "--out", dir.toString(), "--users", "many");
        assertEquals(2, r.code());
        assertTrue(r.errorLine().contains("--users"), r.errorLine());
        r = Cli.run("generate", "--out", dir.toString(), "--test-fraction", "1.5");
        assertEquals(2, r.code());
        assertTrue(r.errorLine().contains("--test-fraction: '1.5' is not valid"), r.errorLine());
        r = Cli.run("generate", "--out", dir.toString(), "--categories", "10", "--interests", "11");
        assertEquals(2, r.code());
        assertTrue(r.errorLine().contains("--interests: '11' is not valid (expected at most --categories = 10)"), r.errorLine());
        r = Cli.run("frobnicate");
        assertEquals(2, r.code());
        assertEquals("din4j: 'frobnicate' is not a command (see din4j --help)", r.errorLine());
        r = Cli.run();
        assertEquals(2, r.code());
        assertEquals("din4j: name a command (see din4j --help)", r.errorLine());
        r = Cli.run("--frobnicate");
        assertEquals(2, r.code());
        assertTrue(r.errorLine().contains("'--frobnicate'"), r.errorLine());
        r = Cli.run("prepare", "taobao", "--input", "x.csv", "--out", dir.toString(), "--behaviors", "look");
        assertEquals(2, r.code());
        assertTrue(r.errorLine().contains("--behaviors: 'look'"), r.errorLine());
    }

    @Test
    void prepareErrorsNameFileAndLineAndLeaveNothingBehind() throws IOException {
        Path in = dir.resolve("UserBehavior.csv");
        Files.writeString(in, "1,10,100,pv,5\n1,11,101,pv,x\n");
        Path out = dir.resolve("out");
        Cli r = Cli.run("prepare", "taobao", "--input", in.toString(), "--out", out.toString());
        assertEquals(1, r.code());
        assertEquals("din4j: " + in + ":2: column timestamp: 'x' is not an integer", r.errorLine());
        assertOnlyFiles(out);
        r = Cli.run("prepare", "taobao", "--input", dir.resolve("missing.csv").toString(), "--out", out.toString());
        assertEquals(1, r.code());
        assertEquals("din4j: " + dir.resolve("missing.csv") + ": no such file", r.errorLine());
    }

    @Test
    void prepareTaobaoAndAliccpWriteTheirFiles() throws IOException {
        Path in = dir.resolve("UserBehavior.csv");
        Files.writeString(in, "1,10,100,pv,5\n1,11,101,pv,6\n1,12,101,pv,7\n2,10,100,pv,1\n2,12,101,buy,2\n");
        Path out = dir.resolve("tb");
        Cli r = Cli.run("prepare", "taobao", "--input", in.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.toString());
        assertOnlyFiles(out, "test.csv", "train.csv");
        Path ali = dir.resolve("ali.csv");
        Files.writeString(ali, "id,user,numerical_1,click,conversion\n1,a,0.5,1,1\n2,b,1,0,0\n");
        Path aout = dir.resolve("ali");
        r = Cli.run("prepare", "aliccp", "--input", ali.toString(), "--drop", "id", "--user", "user", "--out", aout.toString());
        assertEquals(0, r.code(), r.toString());
        assertOnlyFiles(aout, "schema.txt", "test.csv", "train.csv");
    }

    @Test
    void everyCommandHasHelpWithExamples() {
        for (String[] cmd : new String[][] {{"generate"}, {"prepare"}, {"prepare", "amazon"}, {"prepare", "taobao"}, {"prepare", "aliccp"}}) {
            String[] args = Stream.concat(Stream.of(cmd), Stream.of("--help")).toArray(String[]::new);
            Cli r = Cli.run(args);
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains("Example"), String.join(" ", cmd) + " --help has no example:\n" + r.out());
        }
    }
}
