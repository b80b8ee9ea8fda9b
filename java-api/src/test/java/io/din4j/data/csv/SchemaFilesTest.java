package io.din4j.data.csv;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.data.DataException;
import io.din4j.data.FeatureSchema;
import io.din4j.data.FieldRole;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchemaFilesTest {
    @Test
    void infersCanonicalColumnsAndDeclaredExtras() {
        FeatureSchema s = SchemaFiles.infer("f.csv", List.of("click", "conversion", "user_id", "shop", "item_id", "cate_id",
                "hist_item_id", "hist_cate_id", "price"), null, Set.of("shop"), Set.of("price"), Set.of());
        assertEquals(List.of("click", "conversion"), s.tasks());
        assertEquals(FieldRole.CONTEXT, s.sparse().get(s.sparseIndex("shop")).role());
        assertEquals(FieldRole.ITEM, s.sparse().get(s.sparseIndex("item_id")).role());
        assertEquals("item_id", s.sequences().get(0).table());
        assertEquals(List.of("price"), s.dense());
    }

    @Test
    void undeclaredOrMissingColumnsAreNamed() {
        DataException e = assertThrows(DataException.class, () -> SchemaFiles.infer("f.csv",
                List.of("label", "user_id", "price"), null, Set.of(), Set.of(), Set.of()));
        assertEquals("price", e.column());
        e = assertThrows(DataException.class, () -> SchemaFiles.infer("f.csv",
                List.of("label", "user_id"), null, Set.of(), Set.of("price"), Set.of()));
        assertEquals("price", e.column());
        e = assertThrows(DataException.class, () -> SchemaFiles.infer("f.csv", List.of("y", "user_id"), null, Set.of(), Set.of(), Set.of()));
        FeatureSchema ignoring = SchemaFiles.infer("f.csv", List.of("click", "conversion", "user_id", "row"), List.of("click"),
                Set.of(), Set.of(), Set.of("conversion", "row"));
        assertEquals(List.of("click"), ignoring.tasks());
        assertEquals(1, ignoring.sparse().size());
        assertTrue(e.getMessage().startsWith("f.csv:1: no label column"), e.getMessage());
    }

    @Test
    void writesAndReadsBack(@TempDir Path dir) throws Exception {
        FeatureSchema s = SchemaFiles.infer("f.csv", List.of("click", "conversion", "user_id", "shop", "item_id", "cate_id",
                "hist_item_id", "hist_cate_id", "price"), null, Set.of("shop"), Set.of("price"), Set.of());
        StringWriter w = new StringWriter();
        SchemaFiles.write(s, w);
        Path p = dir.resolve("schema.txt");
        Files.writeString(p, w.toString());
        assertEquals(s, SchemaFiles.read(p));
        Files.writeString(p, "task label\nsparse user_id person\n");
        DataException e = assertThrows(DataException.class, () -> SchemaFiles.read(p));
        assertTrue(e.getMessage().endsWith("schema.txt:2: unknown role 'person' (expected user, item, category or context)"), e.getMessage());
    }
}
