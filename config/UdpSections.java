package config;

import java.time.Duration;
import java.util.Locale;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * The keys of a UDP route, for {@link ConfigLoader}: the {@code udp:} section, the rules that say
 * which route keys make no sense over UDP, and the hex payloads of a {@code send_expect} check
 * ({@code send_hex}/{@code expect_hex}, read for TCP routes too: binary protocols exist there as well).
 */
final class UdpSections {
    private UdpSections() {
    }

    /** Route keys of TCP alone, and what a UDP route uses instead. */
    private static final String[][] TCP_ONLY = {
            {"max_connections", "udp.max_sessions"},
            {"retries", "nothing: a datagram is not retried, the client's own retry gets a new pick"},
            {"retry_on", "nothing: a datagram is not retried, the client's own retry gets a new pick"},
            {"timeouts", "udp.idle"},
            {"sni", "nothing: a ClientHello comes over TCP"},
            {"sni_timeout", "nothing: a ClientHello comes over TCP"},
            {"per_client", "udp.max_sessions: per-client limits count TCP connections"},
    };

    /**
     * {@code udp:} of a route: defaults when absent; on a TCP route it is a mistake (reported), and
     * so is every key of {@link #TCP_ONLY} on a UDP route.
     */
    static Udp read(Problems problems, Section route, Protocol protocol, String label) {
        if (protocol == Protocol.UDP) {
            for (String[] key : TCP_ONLY) {
                if (written(route, key[0]) && !key[0].equals("sni")) { // sni has its own message in the loader
                    problems.at(route.key(key[0]), key[0] + " is set on a udp route (expected " + key[1] + ")");
                }
            }
        }
        Section s = route.section("udp", "udp of " + label);
        if (s == null) return Udp.DEFAULTS;
        if (protocol != Protocol.UDP && written(route, "udp")) {
            problems.at(route.key("udp"), "udp is set on a " + (protocol == null ? "non-udp" : protocol.configName())
                    + " route (expected protocol: udp beside it, or no udp section)");
        }
        Duration idle = s.duration("idle", Udp.DEFAULTS.idle());
        int responses = s.integer("responses", Udp.UNLIMITED, 0, 1_000_000);
        int maxSessions = s.integer("max_sessions", Udp.DEFAULT_MAX_SESSIONS, 1, Udp.MAX_SESSIONS);
        boolean reuse = s.bool("reuse_sockets", Udp.DEFAULTS.reuseSockets());
        s.finish();
        return new Udp(idle, responses, maxSessions, reuse);
    }

    /** Whether {@code key} says something: present, and not an empty mapping ({@code udp: {}} says nothing). */
    private static boolean written(Section s, String key) {
        Node value = s.value(key);
        return value != null && !(value instanceof MappingNode mapping && mapping.getValue().isEmpty());
    }

    /**
     * A UDP route's {@code send_proxy} and {@code accept_proxy}. Over UDP the header comes whole in
     * each datagram, so accept_proxy's {@code timeout} (how long TCP waits for the header) has
     * nothing to bound: written on a UDP route, it is a mistake rather than a setting silently unused.
     */
    static void proxy(Problems problems, Section s, ProxyProtocol proxy, Protocol protocol) {
        sendProxy(problems, s, proxy.send(), protocol);
        if (protocol == Protocol.UDP && proxy.accept() != null && s.value("accept_proxy") instanceof MappingNode accept) {
            for (NodeTuple tuple : accept.getValue()) {
                if (tuple.getKeyNode() instanceof ScalarNode key && key.getValue().equals("timeout")) {
                    problems.at(key, "timeout is set in accept_proxy of a udp route (expected only from: each datagram"
                            + " carries its whole PROXY header, there is nothing to wait for)");
                }
            }
        }
    }

    /** {@code send_proxy} v1 has no UDP form: a UDP route sends v2 or nothing. */
    static void sendProxy(Problems problems, Section s, ProxyProtocol.Send send, Protocol protocol) {
        if (protocol == Protocol.UDP && send == ProxyProtocol.Send.V1) {
            problems.at(s.value("send_proxy"), "send_proxy v1 on a udp route (expected v2 or off: v1 has no UDP form)");
        }
    }

    /**
     * The check rules of a UDP route: send_expect only (a connect proves nothing over UDP, and an HTTP
     * GET is not a datagram), with something to send (a UDP server does not speak first).
     */
    static void check(Problems problems, Section s, HealthCheck.Type type, boolean nothingToSend, Protocol protocol) {
        if (protocol != Protocol.UDP) return;
        if (type != HealthCheck.Type.SEND_EXPECT) {
            problems.at(s.has("type") ? s.value("type") : s.node(), s.what() + " is type " + type.configName()
                    + " on a udp route (expected type: send_expect, with send or send_hex: over UDP there is no connect to check)");
        } else if (nothingToSend) {
            problems.at(s.node(), s.what() + " is type send_expect on a udp route but has no 'send' or 'send_hex'"
                    + " (expected the datagram to send: a UDP server does not speak first)");
        }
    }

    /** {@code key} written beside {@code other}: one says what the other says, so both is a mistake. */
    static void eitherOr(Problems problems, Section s, String key, String other) {
        if (s.has(key) && s.has(other)) {
            problems.at(s.value(other), other + " is set beside " + key + " (expected one of them)");
        }
    }

    /**
     * A hex string ({@code 00ff…}, spaces between bytes allowed), as lower-case hex without spaces;
     * {@code fallback} when absent or wrong (reported).
     */
    static String hex(Problems problems, Section s, String key, String fallback) {
        Node value = s.value(key);
        if (value == null) return fallback;
        String text = value instanceof ScalarNode scalar && !scalar.getTag().equals(Tag.NULL) ? scalar.getValue() : null;
        String digits = text == null ? "" : text.replaceAll("\\s+", "").toLowerCase(Locale.ROOT);
        String why = text == null ? "is " + Section.describe(value)
                : digits.isEmpty() ? "is empty"
                : !digits.chars().allMatch(c -> Character.digit(c, 16) >= 0) ? "'" + text + "' has a character that is not a hex digit"
                : digits.length() % 2 != 0 ? "'" + text + "' has an odd number of hex digits"
                : null;
        if (why != null) {
            problems.at(value, key + " " + why + " (expected bytes as hex digits, two per byte, such as \"0001 0100\")");
            return fallback;
        }
        return digits;
    }
}
