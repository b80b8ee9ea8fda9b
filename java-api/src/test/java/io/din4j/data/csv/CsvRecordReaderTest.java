package io.din4j.data.csv;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.data.DataException;
import java.io.BufferedReader;
import java.io.StringReader;
import org.junit.jupiter.api.Test;

class CsvRecordReaderTest {
    private static CsvRecordReader reader(String text) {
        return new CsvRecordReader(new BufferedReader(new StringReader(text)), "t.csv");
    }

    @Test
    void splitsPlainAndQuotedFieldsAndCountsLines() {
        CsvRecordReader r = reader("\uFEFFa,b,c\r\n1,,3\n\n\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\"\n\"\",z,\n");
        assertArrayEquals(new String[] {"a", "b", "c"}, r.next());
        assertEquals(1, r.line());
        assertArrayEquals(new String[] {"1", "", "3"}, r.next());
        assertEquals(2, r.line());
        assertArrayEquals(new String[] {"x,y", "say \"hi\"", "two\nlines"}, r.next());
        assertEquals(4, r.line());
        assertArrayEquals(new String[] {"", "z", ""}, r.next());
        assertEquals(6, r.line());
        assertNull(r.next());
    }

    @Test
    void unclosedQuoteNamesTheLineWhereTheRecordStarts() {
        CsvRecordReader r = reader("a,b\n1,\"open\n2,3\n");
        r.next();
        DataException e = assertThrows(DataException.class, r::next);
        assertEquals("t.csv:2: quoted field 2 is never closed", e.getMessage());
    }

    @Test
    void textAfterAClosingQuoteIsAnError() {
        CsvRecordReader r = reader("\"ab\"c,d\n");
        DataException e = assertThrows(DataException.class, r::next);
        assertEquals("t.csv:1: field 1: unexpected 'c' after a closing quote", e.getMessage());
    }
}
