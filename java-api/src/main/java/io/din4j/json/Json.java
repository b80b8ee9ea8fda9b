package io.din4j.json;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small JSON reader and writer for model files (no dependency). Objects read as {@link LinkedHashMap} (key order
 * kept), arrays as {@link List}, numbers as {@link Long} when integral and written without a fraction or exponent,
 * else {@link Double}; strings, booleans and {@code null} as themselves. Doubles are written with
 * {@link Double#toString}, which round-trips exactly.
 */
public final class Json {
    /**
     * Deepest nesting the reader accepts: model files nest a few levels, and the bound keeps a hostile file from
     * exhausting the parsing thread's stack (each level is one recursive call).
     */
    public static final int MAX_DEPTH = 64;

    private final String s;
    private int pos;

    private Json(String s) {
        this.s = s;
    }

    /** Parses one JSON value; trailing non-space text is an error. */
    public static Object parse(String text) {
        Json p = new Json(text);
        p.skipSpace();
        Object v = p.value(0);
        p.skipSpace();
        if (p.pos != text.length()) {
            throw p.error("unexpected text after the value");
        }
        return v;
    }

    /** Parses a JSON object. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text) {
        Object v = parse(text);
        if (!(v instanceof Map)) {
            throw new IllegalArgumentException("expected a JSON object, got " + typeName(v));
        }
        return (Map<String, Object>) v;
    }

    private IllegalArgumentException error(String what) {
        int line = 1;
        int col = 1;
        for (int i = 0; i < Math.min(pos, s.length()); i++) {
            if (s.charAt(i) == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return new IllegalArgumentException("JSON " + what + " at line " + line + ", column " + col);
    }

    private void skipSpace() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                pos++;
            } else {
                break;
            }
        }
    }

    private Object value(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH);
        }
        if (pos >= s.length()) {
            throw error("unexpected end of input");
        }
        char c = s.charAt(pos);
        switch (c) {
            case '{' -> {
                pos++;
                Map<String, Object> m = new LinkedHashMap<>();
                skipSpace();
                if (peek('}')) {
                    pos++;
                    return m;
                }
                while (true) {
                    skipSpace();
                    if (!peek('"')) {
                        throw error("expected a string key");
                    }
                    String k = string();
                    skipSpace();
                    expect(':');
                    skipSpace();
                    if (m.put(k, value(depth + 1)) != null) {
                        throw error("duplicate key '" + k + "'");
                    }
                    skipSpace();
                    if (peek(',')) {
                        pos++;
                    } else {
                        expect('}');
                        return m;
                    }
                }
            }
            case '[' -> {
                pos++;
                List<Object> l = new ArrayList<>();
                skipSpace();
                if (peek(']')) {
                    pos++;
                    return l;
                }
                while (true) {
                    skipSpace();
                    l.add(value(depth + 1));
                    skipSpace();
                    if (peek(',')) {
                        pos++;
                    } else {
                        expect(']');
                        return l;
                    }
                }
            }
            case '"' -> {
                return string();
            }
            case 't' -> {
                word("true");
                return Boolean.TRUE;
            }
            case 'f' -> {
                word("false");
                return Boolean.FALSE;
            }
            case 'n' -> {
                word("null");
                return null;
            }
            default -> {
                return number();
            }
        }
    }

    private boolean peek(char c) {
        return pos < s.length() && s.charAt(pos) == c;
    }

    private void expect(char c) {
        if (!peek(c)) {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    private void word(String w) {
        if (!s.startsWith(w, pos)) {
            throw error("unexpected token");
        }
        pos += w.length();
    }

    private String string() {
        expect('"');
        StringBuilder b = new StringBuilder();
        while (true) {
            if (pos >= s.length()) {
                throw error("unterminated string");
            }
            char c = s.charAt(pos++);
            if (c == '"') {
                return b.toString();
            }
            if (c == '\\') {
                if (pos >= s.length()) {
                    throw error("unterminated escape");
                }
                char e = s.charAt(pos++);
                switch (e) {
                    case '"', '\\', '/' -> b.append(e);
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'u' -> {
                        if (pos + 4 > s.length()) {
                            throw error("short \\u escape");
                        }
                        try {
                            b.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
                        } catch (NumberFormatException ex) {
                            throw error("bad \\u escape");
                        }
                        pos += 4;
                    }
                    default -> throw error("bad escape \\" + e);
                }
            } else if (c < 0x20) {
                throw error("control character in string");
            } else {
                b.append(c);
            }
        }
    }

    private Object number() {
        int start = pos;
        boolean integral = true;
        if (peek('-')) {
            pos++;
        }
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c >= '0' && c <= '9') {
                pos++;
            } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
                integral = false;
                pos++;
            } else {
                break;
            }
        }
        String t = s.substring(start, pos);
        if (t.isEmpty() || t.equals("-")) {
            throw error("unexpected character '" + (pos < s.length() ? s.charAt(pos) : ' ') + "'");
        }
        try {
            if (integral) {
                try {
                    return Long.parseLong(t);
                } catch (NumberFormatException big) {
                    return Double.parseDouble(t);
                }
            }
            return Double.parseDouble(t);
        } catch (NumberFormatException ex) {
            throw error("bad number '" + t + "'");
        }
    }

    // ---------------------------------------------------------------- writing

    /** Writes {@code v} as indented JSON (2 spaces); short arrays of numbers stay on one line. */
    public static String write(Object v) {
        StringBuilder b = new StringBuilder();
        write(b, v, 0);
        return b.append('\n').toString();
    }

    private static void write(StringBuilder b, Object v, int indent) {
        switch (v) {
            case null -> b.append("null");
            case String str -> quote(b, str);
            case Boolean bo -> b.append(bo);
            case Integer i -> b.append(i);
            case Long l -> b.append(l);
            case Float f -> number(b, f.doubleValue());
            case Double d -> number(b, d);
            case Map<?, ?> m -> {
                if (m.isEmpty()) {
                    b.append("{}");
                    return;
                }
                b.append("{\n");
                Iterator<? extends Map.Entry<?, ?>> it = m.entrySet().iterator();
                while (it.hasNext()) {
                    Map.Entry<?, ?> e = it.next();
                    pad(b, indent + 1);
                    quote(b, String.valueOf(e.getKey()));
                    b.append(": ");
                    write(b, e.getValue(), indent + 1);
                    b.append(it.hasNext() ? ",\n" : "\n");
                }
                pad(b, indent);
                b.append('}');
            }
            case List<?> l -> writeList(b, l, indent);
            case int[] a -> writeList(b, java.util.Arrays.stream(a).boxed().toList(), indent);
            case long[] a -> writeList(b, java.util.Arrays.stream(a).boxed().toList(), indent);
            case double[] a -> writeList(b, java.util.Arrays.stream(a).boxed().toList(), indent);
            default -> throw new IllegalArgumentException("cannot write " + v.getClass().getName() + " as JSON");
        }
    }

    private static void writeList(StringBuilder b, List<?> l, int indent) {
        if (l.isEmpty()) {
            b.append("[]");
            return;
        }
        boolean flat = l.stream().allMatch(x -> x == null || x instanceof Number || x instanceof Boolean
                || (x instanceof String str && str.length() < 40));
        if (flat) {
            b.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    b.append(", ");
                }
                write(b, l.get(i), indent);
            }
            b.append(']');
            return;
        }
        b.append("[\n");
        for (int i = 0; i < l.size(); i++) {
            pad(b, indent + 1);
            write(b, l.get(i), indent + 1);
            b.append(i + 1 < l.size() ? ",\n" : "\n");
        }
        pad(b, indent);
        b.append(']');
    }

    private static void number(StringBuilder b, double d) {
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException("JSON cannot hold " + d);
        }
        b.append(d);
    }

    private static void pad(StringBuilder b, int indent) {
        b.append("  ".repeat(indent));
    }

    private static void quote(StringBuilder b, String str) {
        b.append('"');
        for (int i = 0; i < str.length(); i++) {
            char c = str.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    // ---------------------------------------------------------------- typed access

    static String typeName(Object v) {
        return v == null ? "null" : v instanceof Map ? "object" : v instanceof List ? "array"
                : v instanceof String ? "string" : v instanceof Boolean ? "boolean" : "number";
    }

    /** Typed reads from a parsed object with messages naming the key. */
    public record Obj(Map<String, Object> map, String where) {
        public boolean has(String key) {
            return map.containsKey(key);
        }

        private Object need(String key) {
            if (!map.containsKey(key)) {
                throw new IllegalArgumentException(where + ": missing key '" + key + "'");
            }
            return map.get(key);
        }

        private IllegalArgumentException wrong(String key, String want) {
            return new IllegalArgumentException(where + ": '" + key + "' must be " + want + ", got " + typeName(map.get(key)));
        }

        public String str(String key) {
            if (need(key) instanceof String v) {
                return v;
            }
            throw wrong(key, "a string");
        }

        public String str(String key, String dflt) {
            return has(key) ? str(key) : dflt;
        }

        public long lng(String key) {
            if (need(key) instanceof Long v) {
                return v;
            }
            throw wrong(key, "an integer");
        }

        public int integer(String key) {
            long v = lng(key);
            if (v != (int) v) {
                throw new IllegalArgumentException(where + ": '" + key + "' = " + v + " does not fit a 32-bit integer");
            }
            return (int) v;
        }

        public int integer(String key, int dflt) {
            return has(key) ? integer(key) : dflt;
        }

        public double dbl(String key) {
            if (need(key) instanceof Number v) {
                return v.doubleValue();
            }
            throw wrong(key, "a number");
        }

        public double dbl(String key, double dflt) {
            return has(key) ? dbl(key) : dflt;
        }

        public boolean bool(String key, boolean dflt) {
            if (!has(key)) {
                return dflt;
            }
            if (map.get(key) instanceof Boolean v) {
                return v;
            }
            throw wrong(key, "a boolean");
        }

        @SuppressWarnings("unchecked")
        public Obj obj(String key) {
            if (need(key) instanceof Map<?, ?> m) {
                return new Obj((Map<String, Object>) m, where + "." + key);
            }
            throw wrong(key, "an object");
        }

        @SuppressWarnings("unchecked")
        public List<Object> list(String key) {
            if (need(key) instanceof List<?> l) {
                return (List<Object>) l;
            }
            throw wrong(key, "an array");
        }

        public int[] ints(String key) {
            List<Object> l = list(key);
            int[] a = new int[l.size()];
            for (int i = 0; i < a.length; i++) {
                if (!(l.get(i) instanceof Long v)) {
                    throw wrong(key, "an array of integers");
                }
                if (v != v.intValue()) {
                    throw new IllegalArgumentException(where + ": '" + key + "[" + i + "]' = " + v + " does not fit a 32-bit integer");
                }
                a[i] = v.intValue();
            }
            return a;
        }

        public int[] ints(String key, int[] dflt) {
            return has(key) ? ints(key) : dflt.clone();
        }

        public long[] longs(String key) {
            List<Object> l = list(key);
            long[] a = new long[l.size()];
            for (int i = 0; i < a.length; i++) {
                if (!(l.get(i) instanceof Long v)) {
                    throw wrong(key, "an array of integers");
                }
                a[i] = v;
            }
            return a;
        }

        public List<String> strings(String key) {
            List<Object> l = list(key);
            List<String> out = new ArrayList<>(l.size());
            for (Object o : l) {
                if (!(o instanceof String str)) {
                    throw wrong(key, "an array of strings");
                }
                out.add(str);
            }
            return out;
        }

        @SuppressWarnings("unchecked")
        public List<Obj> objects(String key) {
            List<Object> l = list(key);
            List<Obj> out = new ArrayList<>(l.size());
            for (int i = 0; i < l.size(); i++) {
                if (!(l.get(i) instanceof Map<?, ?> m)) {
                    throw wrong(key, "an array of objects");
                }
                out.add(new Obj((Map<String, Object>) m, where + "." + key + "[" + i + "]"));
            }
            return out;
        }
    }
}
