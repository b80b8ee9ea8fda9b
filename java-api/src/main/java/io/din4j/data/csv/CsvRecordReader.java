package io.din4j.data.csv;

import io.din4j.data.DataException;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads CSV records one at a time (RFC 4180: fields may be quoted, quotes inside are doubled, a quoted field may
 * span lines). Remembers the line each record starts on for error messages. Blank lines are skipped, a UTF-8 byte
 * order mark and Windows line ends are accepted.
 */
public final class CsvRecordReader implements Closeable {
    private final BufferedReader in;
    private final String file;
    private final List<String> fields = new ArrayList<>();
    private final StringBuilder field = new StringBuilder();
    private long physicalLine;
    private long recordLine;

    /** @param file the file's name as the user gave it, for messages */
    public CsvRecordReader(BufferedReader in, String file) {
        this.in = in;
        this.file = file;
    }

    /** The next record's fields, or null at the end of the file. */
    public String[] next() {
        String line = readLine();
        while (line != null && line.isEmpty()) {
            line = readLine();
        }
        if (line == null) {
            return null;
        }
        recordLine = physicalLine;
        if (recordLine == 1 && line.charAt(0) == '\uFEFF') {
            line = line.substring(1);
        }
        fields.clear();
        if (line.indexOf('"') < 0) {
            splitPlain(line);
        } else {
            splitQuoted(line);
        }
        return fields.toArray(new String[0]);
    }

    /** 1-based line on which the last record returned by {@link #next()} starts. */
    public long line() {
        return recordLine;
    }

    public String file() {
        return file;
    }

    private String readLine() {
        try {
            String line = in.readLine();
            if (line != null) {
                physicalLine++;
                if (!line.isEmpty() && line.charAt(line.length() - 1) == '\r') {
                    line = line.substring(0, line.length() - 1);
                }
            }
            return line;
        } catch (IOException e) {
            throw new DataException(file, physicalLine + 1, null, "cannot read: " + e.getMessage(), e);
        }
    }

    private void splitPlain(String line) {
        int start = 0;
        for (int i = 0; i < line.length(); i++) {
            if (line.charAt(i) == ',') {
                fields.add(line.substring(start, i));
                start = i + 1;
            }
        }
        fields.add(line.substring(start));
    }

    private void splitQuoted(String first) {
        String line = first;
        int i = 0;
        field.setLength(0);
        boolean quoted = false;
        boolean wasQuoted = false;
        while (true) {
            if (i == line.length()) {
                if (!quoted) {
                    fields.add(field.toString());
                    return;
                }
                String more = readLine();
                if (more == null) {
                    throw new DataException(file, recordLine, null, "quoted field " + (fields.size() + 1) + " is never closed");
                }
                field.append('\n');
                line = more;
                i = 0;
                continue;
            }
            char c = line.charAt(i++);
            if (quoted) {
                if (c != '"') {
                    field.append(c);
                } else if (i < line.length() && line.charAt(i) == '"') {
                    field.append('"');
                    i++;
                } else {
                    quoted = false;
                }
            } else if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
                wasQuoted = false;
            } else if (c == '"' && field.isEmpty() && !wasQuoted) {
                quoted = true;
                wasQuoted = true;
            } else if (wasQuoted) {
                throw new DataException(file, recordLine, null, "field " + (fields.size() + 1) + ": unexpected '" + c + "' after a closing quote");
            } else {
                field.append(c);
            }
        }
    }

    @Override
    public void close() {
        try {
            in.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
