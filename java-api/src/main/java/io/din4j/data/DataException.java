package io.din4j.data;

import io.din4j.Din4jException;

/**
 * A problem with input data that the user must fix, located by file, line and (when known) column. The message
 * reads {@code train.csv:1234: column hist_cate_id has 7 ids but hist_item_id has 8}, so a command-line tool can
 * print it as one line.
 */
public final class DataException extends Din4jException {
    private final String file;
    private final long line;
    private final String column;

    /**
     * @param file   the file as the user named it
     * @param line   1-based line number, or 0 when the problem is not on one line
     * @param column the column concerned, or null
     * @param detail what is wrong, phrased for the user
     */
    public DataException(String file, long line, String column, String detail) {
        super(format(file, line, detail));
        this.file = file;
        this.line = line;
        this.column = column;
    }

    public DataException(String file, long line, String column, String detail, Throwable cause) {
        super(format(file, line, detail), cause);
        this.file = file;
        this.line = line;
        this.column = column;
    }

    private static String format(String file, long line, String detail) {
        return line > 0 ? file + ":" + line + ": " + detail : file + ": " + detail;
    }

    public String file() {
        return file;
    }

    public long line() {
        return line;
    }

    public String column() {
        return column;
    }
}
