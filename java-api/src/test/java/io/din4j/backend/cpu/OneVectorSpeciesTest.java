package io.din4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The cpu backend makes vectors of one species only, {@link VectorIsa#SPECIES}: a second float species in the
 * process enters the type profiles of the Vector API's shared methods, and C2 then boxes the micro-kernels'
 * accumulators on every k (docs/architecture.md, "One vector species"). What C2 does with a profile cannot be
 * tested; naming a species anywhere but in {@code VectorIsa}, which picks the one, can.
 */
class OneVectorSpeciesTest {
    private static final Path SOURCES = Path.of("src/main/java/io/din4j/backend/cpu");
    /** The one file that picks the species. */
    private static final String PICKER = "VectorIsa.java";
    /** A species named (the preferred one included), or a shape change that makes one. */
    private static final Pattern OTHER_SPECIES = Pattern.compile(
            "\\bSPECIES_\\w+|\\b(withShape|castShape|convertShape|reinterpretShape|withLanes)\\b|\\bVectorShape\\b");
    private static final Pattern COMMENTS = Pattern.compile("/\\*.*?\\*/|//[^\\n]*", Pattern.DOTALL);

    @Test
    void noCpuBackendSourceButVectorIsaNamesASpecies() throws IOException {
        assertTrue(Files.isDirectory(SOURCES), "run from the java-api module: no " + SOURCES.toAbsolutePath());
        List<String> found = new ArrayList<>();
        int files = 0;
        try (Stream<Path> paths = Files.list(SOURCES)) {
            for (Path p : paths.filter(f -> f.toString().endsWith(".java") && !f.getFileName().toString().equals(PICKER))
                    .sorted().toList()) {
                files++;
                String code = COMMENTS.matcher(Files.readString(p)).replaceAll(" ");
                Matcher m = OTHER_SPECIES.matcher(code);
                while (m.find()) {
                    found.add(p.getFileName() + ": " + m.group());
                }
            }
        }
        assertTrue(files > 10, "expected the cpu backend's sources in " + SOURCES + ", found " + files + " files");
        assertEquals(List.of(), found, "vector species named outside " + PICKER + " in the cpu backend");
    }

    @Test
    void thePatternFindsAnotherSpeciesOutsideComments() {
        String code = "var a = VectorIsa.SPECIES; // SPECIES_128 in a comment\n"
                + "/* FloatVector.SPECIES_256 */ var b = FloatVector.SPECIES_128; var c = v.castShape(s, 0);";
        Matcher m = OTHER_SPECIES.matcher(COMMENTS.matcher(code).replaceAll(" "));
        List<String> hits = new ArrayList<>();
        while (m.find()) {
            hits.add(m.group());
        }
        assertEquals(List.of("SPECIES_128", "castShape"), hits);
        Matcher preferred = OTHER_SPECIES.matcher("var s = FloatVector.SPECIES_PREFERRED;");
        assertTrue(preferred.find(), "the preferred species named outside VectorIsa is a second source of truth");
    }
}
