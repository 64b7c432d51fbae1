package json;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The little JSON featherlb speaks: the admin API's answers and request bodies, and the access
 * log's JSON lines. Small enough to own rather than to add a library for two calls.
 *
 * <p>Writing takes {@link Map} (keys in iteration order), {@link List}, {@link String},
 * {@link Number}, {@link Boolean} and null. Parsing is strict RFC 8259 and returns the same kinds,
 * numbers as {@link BigDecimal} so that {@code 3} and {@code 3.5} stay distinguishable; a mistake
 * is a {@link JsonException} with the line and column where the parser stopped.
 */
public final class Json {
    private static final int MAX_DEPTH = 64;

    private final String text;
    private int at;
    private int depth;

    private Json(String text) {
        this.text = text;
    }

    /** {@code value} as JSON text. */
    public static String write(Object value) {
        StringBuilder out = new StringBuilder(256);
        write(out, value);
        return out.toString();
    }

    /** Appends {@code value} as JSON to {@code out}. */
    public static void write(StringBuilder out, Object value) {
        switch (value) {
            case null -> out.append("null");
            case String s -> quote(out, s);
            case Boolean b -> out.append(b.booleanValue());
            case Double d when d.isNaN() || d.isInfinite() -> out.append("null"); // JSON has no such numbers
            case Number n -> out.append(n);
            case Map<?, ?> map -> {
                out.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    if (!first) out.append(',');
                    first = false;
                    quote(out, String.valueOf(e.getKey()));
                    out.append(':');
                    write(out, e.getValue());
                }
                out.append('}');
            }
            case List<?> list -> {
                out.append('[');
                for (int i = 0; i < list.size(); i++) {
                    if (i > 0) out.append(',');
                    write(out, list.get(i));
                }
                out.append(']');
            }
            default -> throw new IllegalArgumentException("not a JSON value: " + value.getClass().getName());
        }
    }

    /** Appends {@code s} as a JSON string, quotes included. */
    public static void quote(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) { // the last two break JavaScript parsers
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** Parses one JSON value that fills the whole text (white space around it aside). */
    public static Object parse(String text) throws JsonException {
        Json parser = new Json(text);
        parser.space();
        Object value = parser.value();
        parser.space();
        if (parser.at < text.length()) throw parser.error("unexpected '" + text.charAt(parser.at) + "' after the value (expected the end)");
        return value;
    }

    private Object value() throws JsonException {
        if (at >= text.length()) throw error("the text ends (expected a value)");
        char c = text.charAt(at);
        return switch (c) {
            case '{' -> object();
            case '[' -> array();
            case '"' -> string();
            case 't' -> word("true", Boolean.TRUE);
            case 'f' -> word("false", Boolean.FALSE);
            case 'n' -> word("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) yield number();
                throw error("unexpected '" + c + "' (expected a value: an object, array, string, number, true, false or null)");
            }
        };
    }

    private Map<String, Object> object() throws JsonException {
        nest();
        at++; // {
        Map<String, Object> map = new LinkedHashMap<>();
        space();
        if (peek('}')) {
            at++;
            depth--;
            return map;
        }
        while (true) {
            space();
            if (!peek('"')) throw error("expected a quoted key");
            String key = string();
            space();
            expect(':');
            space();
            if (map.containsKey(key)) throw error("duplicate key \"" + key + "\" (expected each key once)");
            map.put(key, value());
            space();
            if (peek(',')) {
                at++;
                continue;
            }
            expect('}');
            depth--;
            return map;
        }
    }

    private List<Object> array() throws JsonException {
        nest();
        at++; // [
        List<Object> list = new ArrayList<>();
        space();
        if (peek(']')) {
            at++;
            depth--;
            return list;
        }
        while (true) {
            space();
            list.add(value());
            space();
            if (peek(',')) {
                at++;
                continue;
            }
            expect(']');
            depth--;
            return list;
        }
    }

    private String string() throws JsonException {
        at++; // "
        StringBuilder out = new StringBuilder();
        while (true) {
            if (at >= text.length()) throw error("the text ends inside a string (expected a closing \")");
            char c = text.charAt(at++);
            if (c == '"') return out.toString();
            if (c < 0x20) {
                at--;
                throw error("a control character inside a string (expected it escaped, such as \\n)");
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (at >= text.length()) throw error("the text ends inside a string (expected an escape)");
            char e = text.charAt(at++);
            switch (e) {
                case '"', '\\', '/' -> out.append(e);
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    if (at + 4 > text.length()) throw error("a short \\u escape (expected four hex digits)");
                    try {
                        out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                    } catch (NumberFormatException bad) {
                        throw error("a bad \\u escape (expected four hex digits)");
                    }
                    at += 4;
                }
                default -> {
                    at--;
                    throw error("an unknown escape \\" + e + " (expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
                }
            }
        }
    }

    private BigDecimal number() throws JsonException {
        int start = at;
        if (peek('-')) at++;
        if (peek('0')) {
            at++;
        } else if (!digits()) {
            throw error("expected a digit");
        }
        if (peek('.')) {
            at++;
            if (!digits()) throw error("expected a digit after the decimal point");
        }
        if (peek('e') || peek('E')) {
            at++;
            if (peek('+') || peek('-')) at++;
            if (!digits()) throw error("expected a digit in the exponent");
        }
        return new BigDecimal(text.substring(start, at));
    }

    private boolean digits() {
        int start = at;
        while (at < text.length() && text.charAt(at) >= '0' && text.charAt(at) <= '9') at++;
        return at > start;
    }

    private Object word(String word, Object value) throws JsonException {
        if (!text.startsWith(word, at)) throw error("unexpected '" + text.charAt(at) + "' (expected a value)");
        at += word.length();
        return value;
    }

    private void nest() throws JsonException {
        if (++depth > MAX_DEPTH) throw error("nested more than " + MAX_DEPTH + " deep");
    }

    private boolean peek(char c) {
        return at < text.length() && text.charAt(at) == c;
    }

    private void expect(char c) throws JsonException {
        if (!peek(c)) {
            throw error(at < text.length() ? "unexpected '" + text.charAt(at) + "' (expected '" + c + "')" : "the text ends (expected '" + c + "')");
        }
        at++;
    }

    private void space() {
        while (at < text.length()) {
            char c = text.charAt(at);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
            at++;
        }
    }

    /** An error at the current position, counted in lines and columns from 1. */
    private JsonException error(String message) {
        int line = 1;
        int column = 1;
        for (int i = 0; i < Math.min(at, text.length()); i++) {
            if (text.charAt(i) == '\n') {
                line++;
                column = 1;
            } else {
                column++;
            }
        }
        return new JsonException(line, column, message);
    }
}
