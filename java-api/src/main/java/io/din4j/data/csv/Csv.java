package io.din4j.data.csv;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/** Opening text files (gzip when the name ends in {@code .gz}) and quoting CSV fields. */
public final class Csv {
    private static final int BUFFER = 1 << 16;

    private Csv() {
    }

    /** A UTF-8 reader, decompressing when {@code path} ends in {@code .gz}. */
    public static BufferedReader open(Path path) throws IOException {
        InputStream in = Files.newInputStream(path);
        if (isGzip(path)) {
            in = new GZIPInputStream(in, BUFFER);
        }
        return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), BUFFER);
    }

    /** A UTF-8 writer, compressing when {@code path} ends in {@code .gz}. Creates or truncates the file. */
    public static BufferedWriter create(Path path) throws IOException {
        OutputStream out = Files.newOutputStream(path);
        if (isGzip(path)) {
            out = new GZIPOutputStream(out, BUFFER);
        }
        return new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), BUFFER);
    }

    static boolean isGzip(Path path) {
        return path.getFileName().toString().endsWith(".gz");
    }

    /** Appends {@code field}, quoting it (RFC 4180: doubled quotes) when it holds a comma, quote or line break. */
    public static void appendField(StringBuilder sb, String field) {
        boolean quote = false;
        for (int i = 0; i < field.length() && !quote; i++) {
            char c = field.charAt(i);
            quote = c == ',' || c == '"' || c == '\n' || c == '\r';
        }
        if (!quote) {
            sb.append(field);
            return;
        }
        sb.append('"');
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '"') {
                sb.append('"');
            }
            sb.append(c);
        }
        sb.append('"');
    }

    /** A label or dense value as written in files: integers without a decimal point, NaN as an empty cell. */
    public static String formatNumber(float v) {
        if (Float.isNaN(v)) {
            return "";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e9f) {
            return Long.toString((long) v);
        }
        return Float.toString(v);
    }
}
