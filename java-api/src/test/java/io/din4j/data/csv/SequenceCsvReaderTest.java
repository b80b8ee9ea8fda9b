package io.din4j.data.csv;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.data.DataException;
import io.din4j.data.FeatureSchema;
import io.din4j.data.FieldRole;
import io.din4j.data.Row;
import io.din4j.data.SequenceField;
import io.din4j.data.SparseField;
import io.din4j.data.synth.SyntheticWorld;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SequenceCsvReaderTest {
    @TempDir
    Path dir;

    private static final FeatureSchema ONE_TASK = FeatureSchema.canonical(List.of("label"));

    private Path file(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    private static List<Row> readAll(Path p, FeatureSchema schema, boolean labelsRequired) {
        List<Row> rows = new ArrayList<>();
        try (SequenceCsvReader r = SequenceCsvReader.open(p, schema, labelsRequired)) {
            r.forEachRemaining(rows::add);
        }
        return rows;
    }

    private DataException error(String text) throws IOException {
        Path p = file("train.csv", text);
        return assertThrows(DataException.class, () -> readAll(p, ONE_TASK, true));
    }

    @Test
    void readsBackWhatTheSyntheticWorldWrites() throws IOException {
        SyntheticWorld w = SyntheticWorld.of(SyntheticWorld.Config.defaults().withUsers(40).withTwoTasks(true));
        Path train = dir.resolve("train.csv");
        Path test = dir.resolve("test.csv.gz");
        w.write(train, test);
        for (boolean isTest : new boolean[] {false, true}) {
            List<Row> want = w.rows(isTest);
            List<Row> got = readAll(isTest ? test : train, w.schema(), true);
            assertEquals(want.size(), got.size());
            for (int i = 0; i < want.size(); i++) {
                assertArrayEquals(want.get(i).labels(), got.get(i).labels(), "row " + i);
                assertArrayEquals(want.get(i).sparse(), got.get(i).sparse(), "row " + i);
                for (int s = 0; s < 2; s++) {
                    assertArrayEquals(want.get(i).sequences()[s], got.get(i).sequences()[s], "row " + i);
                }
            }
        }
    }

    @Test
    void columnsMayComeInAnyOrderIdsMayBeStringsAndCellsMayBeQuoted() throws IOException {
        FeatureSchema schema = new FeatureSchema(
                List.of(new SparseField("user_id", FieldRole.USER), new SparseField("item_id", FieldRole.ITEM),
                        new SparseField("cate_id", FieldRole.CATEGORY), new SparseField("shop", FieldRole.CONTEXT)),
                List.of(new SequenceField("hist_item_id", "item_id"), new SequenceField("hist_cate_id", "cate_id")),
                List.of("price"), List.of("click", "conversion"));
        Path p = file("x.csv", "hist_cate_id,price,user_id,click,item_id,cate_id,hist_item_id,shop,conversion\n"
                + "\"Books,old  Toys\",2.5,alice,1,B01,Books,\"A  \"\"q\"\"\",,1\n"
                + ",,bob,0,B02,Toys,,s9,\n");
        List<Row> rows = readAll(p, schema, true);
        Row a = rows.get(0);
        assertArrayEquals(new float[] {1, 1}, a.labels());
        assertArrayEquals(new String[] {"alice", "B01", "Books", null}, a.sparse());
        assertEquals(2, a.historyLength());
        assertArrayEquals(new String[] {"A", "\"q\""}, a.sequences()[0]);
        assertArrayEquals(new String[] {"Books,old", "Toys"}, a.sequences()[1]);
        assertEquals(2.5f, a.dense()[0]);
        Row b = rows.get(1);
        assertFalse(b.hasLabel(1));
        assertEquals(0, b.historyLength());
        assertEquals(0f, b.dense()[0]);
    }

    @Test
    void errorsNameFileLineAndColumn() throws IOException {
        String header = "label,user_id,item_id,cate_id,hist_item_id,hist_cate_id\n";
        String ok = "1,u,i,c,i1 i2,c1 c2\n";
        DataException e = error(header + ok + "0,u,i,c,i1 i2 i3,c1 c2\n");
        assertEquals("train.csv:3: column hist_cate_id has 2 ids but hist_item_id has 3", e.getMessage().replace(dir.toString() + "/", ""));
        assertEquals("hist_cate_id", e.column());
        e = error(header + "x,u,i,c,,\n");
        assertTrue(e.getMessage().endsWith("train.csv:2: column label: 'x' is not a number"), e.getMessage());
        e = error(header + "2,u,i,c,,\n");
        assertTrue(e.getMessage().endsWith("train.csv:2: column label: label '2' is not in [0, 1] (or empty: no label)"), e.getMessage());
        e = error(header + ok + ok + "1,u,i,c\n");
        assertTrue(e.getMessage().endsWith("train.csv:4: 4 fields but the header has 6"), e.getMessage());
        e = error("label,user_id,item_id,hist_item_id,hist_cate_id\n");
        assertTrue(e.getMessage().endsWith("train.csv:1: missing sparse column 'cate_id' (header: label,user_id,item_id,hist_item_id,hist_cate_id)"), e.getMessage());
        e = error("label,user_id,item_id,cate_id,hist_item_id,hist_cate_id,extra\n");
        assertTrue(e.getMessage().contains("train.csv:1: column 'extra' is not in the schema"), e.getMessage());
        e = error("");
        assertTrue(e.getMessage().endsWith("train.csv: empty file: expected a header row"), e.getMessage());
        e = assertThrows(DataException.class, () -> readAll(dir.resolve("nope.csv"), ONE_TASK, true));
        assertTrue(e.getMessage().endsWith("nope.csv: no such file"), e.getMessage());
    }

    @Test
    void labelColumnsMayBeAbsentWhenScoring() throws IOException {
        Path p = file("score.csv", "user_id,item_id,cate_id,hist_item_id,hist_cate_id\nu,i,c,a b,x y\n");
        List<Row> rows = readAll(p, ONE_TASK, false);
        assertFalse(rows.get(0).hasLabel(0));
        assertThrows(DataException.class, () -> readAll(p, ONE_TASK, true));
    }

    @Test
    void scoringIgnoresColumnsTheModelDoesNotRead() throws IOException {
        Path p = file("score.csv", "row_id,user_id,item_id,cate_id,hist_item_id,hist_cate_id,conversion\n7,u,i,c,a,x,1\n");
        assertThrows(DataException.class, () -> readAll(p, ONE_TASK, false));
        List<Row> rows = new ArrayList<>();
        try (SequenceCsvReader r = SequenceCsvReader.openForScoring(p, ONE_TASK, false)) {
            r.forEachRemaining(rows::add);
        }
        assertEquals(1, rows.size());
        assertArrayEquals(new String[] {"u", "i", "c"}, rows.get(0).sparse());
    }

    @Test
    void splitsIdsOnRunsOfBlanks() {
        assertArrayEquals(new String[0], SequenceCsvReader.splitIds(""));
        assertArrayEquals(new String[0], SequenceCsvReader.splitIds("   "));
        assertArrayEquals(new String[] {"a"}, SequenceCsvReader.splitIds("a"));
        assertArrayEquals(new String[] {"a", "bb", "c"}, SequenceCsvReader.splitIds(" a  bb\tc "));
    }
}
