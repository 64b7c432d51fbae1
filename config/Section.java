package config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Typed reads from one YAML mapping, each problem reported with the line and column of the node
 * that has it. A reader asks for every key it knows; {@link #finish()} then reports the keys
 * nobody asked for, so a misspelt key is an error rather than a silently ignored default.
 * Reads never throw: a bad value is reported and the default is returned, so that one pass finds
 * every problem in the file.
 */
final class Section {
    private static final Pattern DECIMAL = Pattern.compile("[-+]?[0-9]+");
    private final Problems problems;
    private final String what;
    private final Node node;
    private final Map<String, NodeTuple> entries = new LinkedHashMap<>();
    private final Set<String> known = new LinkedHashSet<>();

    /**
     * Told of every key a reader asks for, with the mapping it is asked of; unset (null) outside
     * tests. Every read goes through {@link #ask}, so what it sees is the set of keys the loader
     * accepts, which test/config/SchemaTest compares with featherlb.schema.json: a key added to a
     * reader and not to the schema fails that test. Per thread, so tests running at once do not mix.
     */
    static final ThreadLocal<BiConsumer<Node, String>> ASKED = new ThreadLocal<>();

    /** {@code what} names the mapping in messages ("route 'web'"). */
    Section(Problems problems, String what, MappingNode node) {
        this.problems = problems;
        this.what = what;
        this.node = node;
        for (NodeTuple tuple : node.getValue()) {
            Node key = tuple.getKeyNode();
            if (!(key instanceof ScalarNode scalar)) {
                problems.at(key, "a key of " + what + " is not a plain name (expected a key such as 'port')");
                continue;
            }
            if (entries.putIfAbsent(scalar.getValue(), tuple) != null) {
                problems.at(key, "duplicate key '" + scalar.getValue() + "' in " + what + " (expected each key once)");
            }
        }
    }

    /** The mapping itself, for positions of whole-section problems. */
    Node node() {
        return node;
    }

    String what() {
        return what;
    }

    boolean has(String key) {
        ask(key);
        return entries.containsKey(key);
    }

    /** The value node of {@code key}, or null when absent. */
    Node value(String key) {
        ask(key);
        NodeTuple tuple = entries.get(key);
        return tuple == null ? null : tuple.getValueNode();
    }

    /** The key node of {@code key}, or null when absent: where a problem with the whole entry points. */
    Node key(String key) {
        ask(key);
        NodeTuple tuple = entries.get(key);
        return tuple == null ? null : tuple.getKeyNode();
    }

    String string(String key, String fallback, String expected) {
        Node value = value(key);
        if (value == null) return fallback;
        if (value instanceof ScalarNode scalar && !scalar.getTag().equals(Tag.NULL) && !scalar.getValue().isBlank()) {
            return scalar.getValue();
        }
        problems.at(value, key + " is " + describe(value) + " (expected " + expected + ")");
        return fallback;
    }

    /**
     * {@code text}, the string value of {@code key}, as a path; null when the file system cannot
     * name it (reported). A NUL is the usual cause: YAML writes it as "\0", no path can hold it.
     */
    Path path(String key, String text, String expected) {
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            String why = text.indexOf('\0') >= 0 ? "it contains a NUL character" : e.getReason();
            problems.at(value(key), key + " is not a usable path: " + why + " (expected " + expected + ")");
            return null;
        }
    }

    /** A required string: reports a missing key at the mapping. */
    String requiredString(String key, String expected) {
        if (!has(key)) {
            problems.at(node, what + " has no '" + key + "' (expected " + expected + ")");
            return null;
        }
        return string(key, null, expected);
    }

    int integer(String key, int fallback, int min, int max) {
        Node value = value(key);
        if (value == null) return fallback;
        String expected = "an integer " + min + ".." + max;
        if (!(value instanceof ScalarNode scalar) || !scalar.getTag().equals(Tag.INT)) {
            problems.at(value, key + " is " + describe(value) + " (expected " + expected + ")");
            return fallback;
        }
        String digits = scalar.getValue().replace("_", "");
        if (!DECIMAL.matcher(digits).matches()) {
            // YAML 1.1 also reads 0x5460, 0b101 and 1:30 as integers: not what anyone means by a port or a count
            problems.at(value, key + " " + scalar.getValue() + " is not a decimal number (expected " + expected + " in decimal digits)");
            return fallback;
        }
        try {
            long parsed = Long.parseLong(digits);
            if (parsed >= min && parsed <= max) return (int) parsed;
        } catch (NumberFormatException tooLong) {
            // falls through to the range message: a number, just not one that fits
        }
        problems.at(value, key + " " + scalar.getValue() + " is out of range (expected " + expected + ")");
        return fallback;
    }

    int requiredInteger(String key, int min, int max) {
        if (!has(key)) {
            problems.at(node, what + " has no '" + key + "' (expected an integer " + min + ".." + max + ")");
            return -1;
        }
        return integer(key, -1, min, max);
    }

    boolean bool(String key, boolean fallback) {
        Node value = value(key);
        if (value == null) return fallback;
        if (value instanceof ScalarNode scalar && scalar.getTag().equals(Tag.BOOL)) {
            return Boolean.parseBoolean(scalar.getValue().toLowerCase(java.util.Locale.ROOT));
        }
        problems.at(value, key + " is " + describe(value) + " (expected true or false)");
        return fallback;
    }

    /** A duration written as {@code 500ms}, {@code 3s}, {@code 5m} or {@code 1h}, at most {@link Durations#MAX}. */
    Duration duration(String key, Duration fallback) {
        return duration(key, fallback, false);
    }

    /** A duration where zero means off ({@code shutdown_delay: 0s}), bounded as every other. */
    Duration durationOrZero(String key, Duration fallback) {
        return duration(key, fallback, true);
    }

    private Duration duration(String key, Duration fallback, boolean zeroAllowed) {
        Node value = value(key);
        if (value == null) return fallback;
        Duration parsed = value instanceof ScalarNode scalar ? Durations.parse(scalar.getValue()) : null;
        if (parsed == null || (parsed.isZero() && !zeroAllowed)) {
            problems.at(value, key + " is " + describe(value) + " (expected " + (zeroAllowed ? Durations.EXPECTED_OR_ZERO : Durations.EXPECTED) + ")");
            return fallback;
        }
        if (parsed.compareTo(Durations.MAX) > 0) {
            problems.at(value, key + " " + ((ScalarNode) value).getValue().strip() + " is too long (expected " + Durations.EXPECTED_MAX + ")");
            return fallback;
        }
        return parsed;
    }

    /** A nested mapping, or null when absent or of the wrong kind (reported). */
    Section section(String key, String childWhat) {
        Node value = value(key);
        if (value == null) return null;
        if (value instanceof MappingNode mapping) return new Section(problems, childWhat, mapping);
        problems.at(value, key + " is " + describe(value) + " (expected a mapping of keys to values)");
        return null;
    }

    /** The items of a list (empty when absent or empty), or null when of the wrong kind (reported). */
    List<Node> list(String key) {
        Node value = value(key);
        if (value == null) return List.of();
        if (value instanceof SequenceNode sequence) return sequence.getValue();
        if (value instanceof ScalarNode scalar && scalar.getTag().equals(Tag.NULL)) return List.of();
        problems.at(value, key + " is " + describe(value) + " (expected a list of '- ' items)");
        return null;
    }

    private void ask(String key) {
        known.add(key);
        BiConsumer<Node, String> asked = ASKED.get();
        if (asked != null) asked.accept(node, key);
    }

    /** Reports every key that no read asked for. */
    void finish() {
        for (Map.Entry<String, NodeTuple> entry : entries.entrySet()) {
            if (!known.contains(entry.getKey())) {
                String near = closest(entry.getKey(), known);
                problems.at(entry.getValue().getKeyNode(), "unknown key '" + entry.getKey() + "' in " + what
                        + (near != null ? " (did you mean '" + near + "'?)" : " (expected one of: " + String.join(", ", known) + ")"));
            }
        }
    }

    /** The known key within two edits of {@code key} (a typo), or null. */
    static String closest(String key, Set<String> known) {
        String best = null;
        int bestDistance = 3;
        for (String candidate : known) {
            int d = distance(key, candidate);
            if (d < bestDistance) {
                bestDistance = d;
                best = candidate;
            }
        }
        return best;
    }

    /** Levenshtein distance. */
    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) previous[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    /** How a value node reads in a message: its text for scalars, its kind otherwise. */
    static String describe(Node value) {
        return switch (value) {
            case ScalarNode s when s.getTag().equals(Tag.NULL) -> "empty";
            case ScalarNode s -> "'" + s.getValue() + "'";
            case SequenceNode ignored -> "a list";
            case MappingNode ignored -> "a mapping";
            default -> "'" + value + "'";
        };
    }
}
