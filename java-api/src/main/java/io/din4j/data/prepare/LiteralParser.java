package io.din4j.data.prepare;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses one line that is either strict JSON or a Python literal (the public Amazon metadata files are written
 * with Python's {@code repr}: single-quoted strings, {@code True}/{@code None}, tuples). Objects become
 * {@code Map<String, Object>}, arrays and tuples {@code List<Object>}, numbers {@code Double}, and
 * true/false/null their Java counterparts.
 */
final class LiteralParser {
    /**
     * Deepest nesting of objects, lists and tuples accepted. Real metadata nests 3 deep (categories: a list of
     * lists); the bound keeps a hostile line from exhausting the stack of this recursive parser.
     */
    static final int MAX_DEPTH = 64;

    private final String s;
    private int i;

    private LiteralParser(String s) {
        this.s = s;
    }

    /** @throws IllegalArgumentException with the character offset of the problem */
    static Object parse(String line) {
        LiteralParser p = new LiteralParser(line);
        Object v = p.value(0);
        p.skipSpace();
        if (p.i != line.length()) {
            throw p.error("unexpected '" + line.charAt(p.i) + "' after the value");
        }
        return v;
    }

    private Object value(int depth) {
        skipSpace();
        if (i >= s.length()) {
            throw error("unexpected end of line");
        }
        char c = s.charAt(i);
        if ((c == '{' || c == '[' || c == '(') && depth >= MAX_DEPTH) {
            throw error("nested more than " + MAX_DEPTH + " deep");
        }
        return switch (c) {
            case '{' -> object(depth + 1);
            case '[' -> list(']', depth + 1);
            case '(' -> list(')', depth + 1);
            case '"', '\'' -> string();
            default -> c == '-' || c == '+' || c == '.' || Character.isDigit(c) ? number() : word();
        };
    }

    private Map<String, Object> object(int depth) {
        i++;
        Map<String, Object> m = new LinkedHashMap<>();
        skipSpace();
        if (peek('}')) {
            return m;
        }
        while (true) {
            Object key = value(depth);
            skipSpace();
            expect(':');
            m.put(String.valueOf(key), value(depth));
            skipSpace();
            if (peek('}')) {
                return m;
            }
            expect(',');
            skipSpace();
            if (peek('}')) {
                return m;
            }
        }
    }

    private List<Object> list(char close, int depth) {
        i++;
        List<Object> l = new ArrayList<>();
        skipSpace();
        if (peek(close)) {
            return l;
        }
        while (true) {
            l.add(value(depth));
            skipSpace();
            if (peek(close)) {
                return l;
            }
            expect(',');
            skipSpace();
            if (peek(close)) {
                return l;
            }
        }
    }

    private String string() {
        char quote = s.charAt(i++);
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (i >= s.length()) {
                throw error("string is never closed");
            }
            char c = s.charAt(i++);
            if (c == quote) {
                return sb.toString();
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (i >= s.length()) {
                throw error("string is never closed");
            }
            char e = s.charAt(i++);
            switch (e) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'u' -> sb.append((char) hex(4));
                case 'x' -> sb.append((char) hex(2));
                default -> sb.append(e);
            }
        }
    }

    private int hex(int digits) {
        if (i + digits > s.length()) {
            throw error("truncated escape");
        }
        try {
            int v = Integer.parseInt(s.substring(i, i + digits), 16);
            i += digits;
            return v;
        } catch (NumberFormatException e) {
            throw error("bad escape '" + s.substring(i, i + digits) + "'");
        }
    }

    private Double number() {
        int start = i;
        while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
            i++;
        }
        try {
            return Double.parseDouble(s.substring(start, i));
        } catch (NumberFormatException e) {
            i = start;
            throw error("bad number '" + s.substring(start, Math.min(s.length(), start + 20)) + "'");
        }
    }

    private Object word() {
        int start = i;
        while (i < s.length() && Character.isLetter(s.charAt(i))) {
            i++;
        }
        String w = s.substring(start, i);
        return switch (w) {
            case "true", "True" -> Boolean.TRUE;
            case "false", "False" -> Boolean.FALSE;
            case "null", "None" -> null;
            default -> {
                i = start;
                throw error(w.isEmpty() ? "unexpected '" + s.charAt(i) + "'" : "unknown word '" + w + "'");
            }
        };
    }

    private boolean peek(char c) {
        if (i < s.length() && s.charAt(i) == c) {
            i++;
            return true;
        }
        return false;
    }

    private void expect(char c) {
        if (!peek(c)) {
            throw error(i < s.length() ? "expected '" + c + "' but found '" + s.charAt(i) + "'" : "expected '" + c + "' but the line ends");
        }
    }

    private void skipSpace() {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("character " + (i + 1) + ": " + what);
    }
}
