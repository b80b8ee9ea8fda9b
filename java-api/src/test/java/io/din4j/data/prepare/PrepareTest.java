package io.din4j.data.prepare;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.data.DataException;
import io.din4j.data.FeatureSchema;
import io.din4j.data.Row;
import io.din4j.data.csv.SchemaFiles;
import io.din4j.data.csv.SequenceCsvReader;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrepareTest {
    @TempDir
    Path dir;

    private Path file(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        if (name.endsWith(".gz")) {
            try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(p))) {
                out.write(text.getBytes(StandardCharsets.UTF_8));
            }
        } else {
            Files.writeString(p, text);
        }
        return p;
    }

    private static List<Row> read(Path p, FeatureSchema schema) {
        List<Row> rows = new ArrayList<>();
        try (SequenceCsvReader r = SequenceCsvReader.open(p, schema, true)) {
            r.forEachRemaining(rows::add);
        }
        return rows;
    }

    private static String review(String user, String item, long time) {
        return "{\"reviewerID\": \"" + user + "\", \"asin\": \"" + item + "\", \"overall\": 5.0, \"unixReviewTime\": " + time + "}\n";
    }

    @Test
    void amazonFollowsThePaperProtocol() throws IOException {
        // u1 reviews out of time order; u2 has two reviews (test only); u3 one review (no sample).
        Path reviews = file("reviews.json.gz", review("u1", "B3", 30) + review("u1", "B1", 10) + review("u1", "B2", 20)
                + review("u1", "B4", 40) + review("u2", "B1", 5) + review("u2", "B5", 6) + review("u3", "B2", 1));
        Path meta = file("meta.json", "{'asin': 'B1', 'title': 'It\\'s a book', 'categories': [['Books', 'Science Fiction'], ['Books', 'Space Opera']]}\n"
                + "{\"asin\": \"B2\", \"categories\": [[\"Books\"]]}\n"
                + "{'asin': 'B3', 'categories': [['Toys']], 'salesRank': {'Toys': 3}, 'related': None, 'ok': True}\n"
                + "{'asin': 'B9', 'categories': [['Unused']]}\n");
        Path train = dir.resolve("train.csv");
        Path test = dir.resolve("test.csv");
        PrepareSummary s = Prepare.amazon(reviews, meta, train, test, 0, 1);
        assertEquals(2, s.users());
        assertEquals(5, s.items());
        FeatureSchema schema = FeatureSchema.canonical(List.of("label"));
        List<Row> tr = read(train, schema);
        List<Row> te = read(test, schema);
        // u1 has 4 behaviours: k = 1, 2 train (pos + neg each), k = 3 test; u2: k = 1 test.
        assertEquals(4, tr.size());
        assertEquals(4, te.size());
        assertEquals(s.trainRows(), tr.size());
        Row pos = tr.get(2);
        assertEquals(1f, pos.labels()[0]);
        assertArrayEquals(new String[] {"B1", "B2"}, pos.sequences()[0], "history sorted by time");
        assertArrayEquals(new String[] {"Space_Opera", "Books"}, pos.sequences()[1]);
        assertEquals("B3", pos.sparse()[1]);
        assertEquals("Toys", pos.sparse()[2]);
        Row neg = tr.get(3);
        assertEquals(0f, neg.labels()[0]);
        assertArrayEquals(pos.sequences()[0], neg.sequences()[0]);
        assertEquals("B5", neg.sparse()[1], "the only item u1 never reviewed");
        assertEquals("unknown", neg.sparse()[2], "B5 has no metadata");
        assertArrayEquals(new String[] {"B1", "B2", "B3"}, te.get(0).sequences()[0]);
        assertEquals("B4", te.get(0).sparse()[1]);
        assertEquals("u2", te.get(2).sparse()[0]);
    }

    @Test
    void amazonErrorsNameTheLine() throws IOException {
        Path reviews = file("reviews.json", review("u1", "B1", 1) + "{\"reviewerID\": \"u1\", \"asin\": \"B2\"}\n");
        DataException e = assertThrows(DataException.class,
                () -> Prepare.amazon(reviews, null, dir.resolve("a.csv"), dir.resolve("b.csv"), 0, 1));
        assertTrue(e.getMessage().endsWith("reviews.json:2: missing field 'unixReviewTime'"), e.getMessage());
        Path bad = file("bad.json", "{\"reviewerID\": \"u1\", \"asin\": }\n");
        e = assertThrows(DataException.class, () -> Prepare.amazon(bad, null, dir.resolve("a.csv"), dir.resolve("b.csv"), 0, 1));
        assertTrue(e.getMessage().endsWith("bad.json:1: neither JSON nor a Python literal: character 30: unexpected '}'"), e.getMessage());
    }

    @Test
    void literalParserRefusesDeepNestingInsteadOfOverflowingTheStack() throws IOException {
        // The deepest accepted nesting parses; one level more is refused with the position of the offending bracket.
        String deepest = "[".repeat(LiteralParser.MAX_DEPTH) + "]".repeat(LiteralParser.MAX_DEPTH);
        Object v = LiteralParser.parse(deepest);
        for (int d = 1; d < LiteralParser.MAX_DEPTH; d++) {
            v = ((List<?>) v).getFirst();
        }
        assertEquals(List.of(), v);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LiteralParser.parse("{'a': " + "(".repeat(LiteralParser.MAX_DEPTH) + ")".repeat(LiteralParser.MAX_DEPTH) + "}"));
        assertEquals("character " + (7 + LiteralParser.MAX_DEPTH - 1) + ": nested more than " + LiteralParser.MAX_DEPTH + " deep", e.getMessage());

        // A hostile metadata line a million brackets deep: one clean error naming file and line, not a StackOverflowError.
        Path reviews = file("reviews.json", review("u1", "B1", 1) + review("u1", "B2", 2));
        Path meta = file("meta.json", "{'asin': 'B1', 'categories': []}\n{'asin': 'B2', 'x': " + "[".repeat(1_000_000) + "}\n");
        DataException d = assertThrows(DataException.class,
                () -> Prepare.amazon(reviews, meta, dir.resolve("a.csv"), dir.resolve("b.csv"), 0, 1));
        assertTrue(d.getMessage().endsWith("meta.json:2: neither JSON nor a Python literal: character "
                + (20 + LiteralParser.MAX_DEPTH) + ": nested more than " + LiteralParser.MAX_DEPTH + " deep"), d.getMessage());
    }

    @Test
    void literalParserReadsJsonAndPythonLiterals() {
        assertEquals(Map.of("a", List.of(1.0, "x'y", List.of()), "b", false),
                LiteralParser.parse("{'a': (1, \"x'y\", []), \"b\": False,}"));
        assertEquals("é\n", LiteralParser.parse("\"\\u00e9\\n\""));
        assertThrows(IllegalArgumentException.class, () -> LiteralParser.parse("{'a': nope}"));
        assertThrows(IllegalArgumentException.class, () -> LiteralParser.parse("'open"));
    }

    @Test
    void taobaoKeepsChosenBehavioursAndTruncatesHistories() throws IOException {
        Path in = file("UserBehavior.csv", "1,10,100,pv,5\n1,11,101,pv,3\n1,12,100,buy,4\n1,13,102,pv,9\n1,14,100,fav,1\n2,10,100,pv,1\n2,13,102,pv,2\n");
        Path train = dir.resolve("train.csv.gz");
        Path test = dir.resolve("test.csv.gz");
        PrepareSummary s = Prepare.taobao(in, train, test, Set.of("pv", "buy"), 2, 0, 3);
        assertEquals(2, s.users());
        FeatureSchema schema = FeatureSchema.canonical(List.of("label"));
        List<Row> tr = read(train, schema);
        List<Row> te = read(test, schema);
        // user 1 keeps 11@3, 12@4, 10@5, 13@9: two training targets, one test target.
        assertEquals(4, tr.size());
        assertArrayEquals(new String[] {"12", "10"}, te.get(0).sequences()[0], "most recent two kept");
        assertArrayEquals(new String[] {"100", "100"}, te.get(0).sequences()[1]);
        assertEquals("13", te.get(0).sparse()[1]);
        assertEquals("102", te.get(0).sparse()[2]);
        assertEquals(4, te.size());

        Path withHeader = file("h.csv", "user_id,item_id,category_id,behavior_type,timestamp\n1,2,3,pv,4\n");
        DataException e = assertThrows(DataException.class, () -> Prepare.taobao(withHeader, train, test, Set.of(), 0, 0, 1));
        assertTrue(e.getMessage().endsWith("h.csv:1: column timestamp: 'timestamp' is not an integer (the file must not have a header)"), e.getMessage());
    }

    @Test
    void aliccpWritesTwoTasksWithASchema() throws IOException {
        Path in = file("ali.csv", "id,user,item,shop,numerical_1,click,conversion\n1,a,i1,s1,0.5,1,1\n2,a,i2,s2,1.5,0,0\n3,b,i1,,2,1,0\n");
        Path testIn = file("ali_test.csv", "id,user,item,shop,numerical_1,click,conversion\n4,b,i3,s1,3,0,0\n");
        Path train = dir.resolve("train.csv");
        Path test = dir.resolve("test.csv");
        Path schemaFile = dir.resolve("schema.txt");
        Prepare.AliCcpOptions o = new Prepare.AliCcpOptions("click", "conversion", "user", "item", null, Set.of(), Set.of("id"), true, 0.2, 1);
        PrepareSummary s = Prepare.aliccp(in, testIn, train, test, schemaFile, o);
        assertEquals(3, s.trainRows());
        assertEquals(1, s.testRows());
        FeatureSchema schema = SchemaFiles.read(schemaFile);
        assertEquals(List.of("click", "conversion"), schema.tasks());
        assertEquals(List.of("user_id", "item_id", "shop"), schema.sparse().stream().map(f -> f.name()).toList());
        assertEquals(List.of("numerical_1"), schema.dense());
        List<Row> tr = read(train, schema);
        assertFalse(tr.get(1).hasLabel(1), "conversion is outside its sample space on an unclicked row");
        assertEquals(1f, tr.get(0).labels()[1]);
        assertNull(tr.get(2).sparse()[2]);
        assertEquals(1.5f, tr.get(1).dense()[0]);
        assertEquals("i3", read(test, schema).get(0).sparse()[1]);

        Path bad = file("bad.csv", "id,user,item,shop,numerical_1,click,conversion\n1,a,i1,s1,0.5,yes,1\n");
        DataException e = assertThrows(DataException.class, () -> Prepare.aliccp(bad, null, train, test, schemaFile, o));
        assertTrue(e.getMessage().endsWith("bad.csv:2: column click: 'yes' is not a number"), e.getMessage());
    }
}
