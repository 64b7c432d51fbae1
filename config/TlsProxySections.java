package config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * The keys of a route (and an endpoint) that say what featherlb reads or writes before the bytes
 * flow: {@code send_proxy}, {@code accept_proxy} and {@code sni}, for {@link ConfigLoader}, as
 * {@link HealthSections} reads the health keys.
 */
final class TlsProxySections {
    private TlsProxySections() {
    }

    private static final String SEND_PROXY = "off, v1, v2";

    /** {@code send_proxy}: off, v1 or v2; {@code fallback} when absent or wrong (reported). */
    static ProxyProtocol.Send sendProxy(Problems problems, Section s, ProxyProtocol.Send fallback) {
        Node value = s.value("send_proxy");
        if (value == null) return fallback;
        // YAML 1.1 reads a bare off as false: the text is what was written
        String text = value instanceof ScalarNode scalar && !scalar.getTag().equals(Tag.NULL) ? scalar.getValue() : null;
        ProxyProtocol.Send send = text == null ? null : ProxyProtocol.Send.byName(text);
        if (send == null) {
            problems.at(value, "send_proxy " + (text == null ? "is " + Section.describe(value) : "'" + text + "' is unknown")
                    + " (expected one of: " + SEND_PROXY + ")");
            return fallback;
        }
        return send;
    }

    /** {@code accept_proxy}: {@code from} (required, addresses or CIDRs) and {@code timeout}; null when absent. */
    static ProxyProtocol.Accept acceptProxy(Problems problems, Section route, String label) {
        Section s = route.section("accept_proxy", "accept_proxy of " + label);
        if (s == null) return null;
        List<ProxyProtocol.Cidr> from = new ArrayList<>();
        if (!s.has("from")) {
            problems.at(s.node(), "accept_proxy of " + label + " has no 'from' (expected a list of the addresses or CIDRs that may send a PROXY header)");
        } else {
            List<Node> items = s.list("from");
            if (items != null && items.isEmpty()) {
                problems.at(s.value("from"), "from is empty (expected at least one address or CIDR, such as 10.0.0.0/8)");
            }
            for (Node item : items == null ? List.<Node>of() : items) {
                String text = item instanceof ScalarNode scalar && !scalar.getTag().equals(Tag.NULL) ? scalar.getValue() : null;
                ProxyProtocol.Cidr cidr = text == null ? null : ProxyProtocol.Cidr.parse(text);
                if (cidr == null) {
                    problems.at(item, "from " + (text == null ? "has " + Section.describe(item) : "'" + text + "' is not an address or CIDR")
                            + " (expected an IP address such as 127.0.0.1 or a CIDR such as 10.0.0.0/8 or 2001:db8::/32; host names are not trusted)");
                } else {
                    from.add(cidr);
                }
            }
        }
        Duration timeout = s.duration("timeout", ProxyProtocol.DEFAULT_TIMEOUT);
        s.finish();
        return new ProxyProtocol.Accept(from, timeout);
    }

    /**
     * {@code sni}: a list of host names or {@code *.}-wildcards (one name alone is a list of one),
     * normalized (lower case, no trailing dot), in config order, each with its node.
     */
    static Map<String, Node> serverNames(Problems problems, Section s, String label) {
        Node value = s.value("sni");
        Map<String, Node> names = new LinkedHashMap<>();
        if (value == null) return names;
        List<Node> items = value instanceof SequenceNode sequence ? sequence.getValue() : List.of(value);
        if (items.isEmpty()) problems.at(value, "sni of " + label + " is an empty list (expected server names, or no sni for the default route)");
        for (Node item : items) {
            if (!(item instanceof ScalarNode scalar) || scalar.getTag().equals(Tag.NULL) || scalar.getValue().isBlank()) {
                problems.at(item, "sni " + Section.describe(item) + " is not a server name (expected a host name such as app.example.com or *.app.example.com)");
                continue;
            }
            String name = Sni.normalize(scalar.getValue());
            String why = Sni.malformed(name);
            if (why != null) {
                problems.at(item, "sni '" + scalar.getValue() + "' is not a server name: " + why
                        + " (expected a host name such as app.example.com or *.app.example.com)");
            } else if (names.putIfAbsent(name, item) != null) {
                problems.at(item, "sni '" + scalar.getValue() + "' is twice in " + label + " (expected each server name once)");
            }
        }
        return names;
    }
}
