package config;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * A route's part in TLS routing by server name: the names of the ClientHello it serves, and how long
 * the ClientHello may take to arrive. Routes that share a listening address form a route table; the
 * one without names is the address's default (no server name, an unknown one, or not TLS).
 *
 * @param names   exact host names or {@code *.}-wildcards, lower case without a trailing dot, in
 *                config order; empty: not routed by name ({@code sni}, absent by default)
 * @param timeout the whole ClientHello must arrive within this ({@code sni_timeout}, default 5s);
 *                one value for every route of an address (the loader gives each the address's)
 */
public record Sni(List<String> names, Duration timeout) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    /** No names, the default timeout: a route of today. */
    public static final Sni NONE = new Sni(List.of(), DEFAULT_TIMEOUT);
    /** RFC 1035's bounds on a name and a label. */
    static final int MAX_NAME = 253;
    static final int MAX_LABEL = 63;

    public Sni {
        names = List.copyOf(names);
    }

    /** Whether the route is chosen by server name. */
    public boolean routed() {
        return !names.isEmpty();
    }

    /** {@code name} as matched: lower case, one trailing dot removed. */
    public static String normalize(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }

    /**
     * Why {@code name} (normalized) is not a host name or a {@code *.}-wildcard of one, or null
     * when it is: labels of letters, digits, {@code -} and {@code _}, each 1 to 63 characters, at
     * most 253 in all; a {@code *} only as the whole first label, before at least one more.
     */
    public static String malformed(String name) {
        String rest = name.startsWith("*.") ? name.substring(2) : name;
        if (rest.isEmpty()) return "it has no name after the wildcard";
        if (name.length() > MAX_NAME) return "it is " + name.length() + " characters long";
        for (String label : rest.split("\\.", -1)) {
            if (label.isEmpty()) return "it has an empty label";
            if (label.length() > MAX_LABEL) return "a label is " + label.length() + " characters long";
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                boolean ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_';
                if (!ok) return c == '*' ? "a '*' is allowed only as the whole first label" : "it contains '" + c + "'";
            }
        }
        return null;
    }
}
