package config;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The DNS discovery keys, for {@link ConfigLoader}: an endpoint item {@code - discover: {dns: NAME,
 * port: N}} or {@code - discover: {srv: NAME}}, and the route's {@code discovery:} section.
 */
final class DiscoverySections {
    static final String DISCOVER_EXAMPLE = "{dns: backend, port: 80} or {srv: _http._tcp.web.internal}";
    /** A DNS name as written in a config: labels of letters, digits, '-' and '_' (SRV's _service._proto), an optional final dot. */
    private static final Pattern NAME = Pattern.compile("([A-Za-z0-9_-]{1,63}\\.)*[A-Za-z0-9_-]{1,63}\\.?");
    private static final int MAX_NAME = 254;
    private static final String ON_FAILURE = "keep or empty";

    private DiscoverySections() {
    }

    /** Whether the endpoint item {@code s} is a {@code discover:} item rather than a host and port. */
    static boolean isSource(Section s) {
        return s.has("discover");
    }

    /** The {@code discover:} item {@code s}, or null when it is wrong (reported). */
    static Discovery.Source source(Problems problems, Section s, HealthCheck routeCheck) {
        Section d = s.section("discover", "discover of " + s.what());
        HealthCheck check = HealthSections.endpoint(problems, s, routeCheck);
        if (d == null) {
            // a scalar or a list: section() has said what was expected; read no more of it
            s.finish();
            return null;
        }
        boolean dns = d.has("dns");
        boolean srv = d.has("srv");
        if (dns == srv) {
            problems.at(d.node(), "discover of " + s.what() + (dns ? " has both dns and srv" : " names neither dns nor srv")
                    + " (expected one of " + DISCOVER_EXAMPLE + ")");
            d.finish();
            s.finish();
            return null;
        }
        String key = dns ? "dns" : "srv";
        String name = d.string(key, null, "a DNS name such as " + (dns ? "backend" : "_http._tcp.web.internal"));
        if (name != null && (name.length() > MAX_NAME || !NAME.matcher(name).matches())) {
            problems.at(d.value(key), key + " '" + name + "' is not a DNS name (expected labels of letters, digits, '-' or '_' of at most 63 characters, "
                    + MAX_NAME + " characters in all, such as " + (dns ? "backend.internal" : "_http._tcp.web.internal") + ")");
            name = null;
        }
        int port = 0;
        int weight = Endpoint.DEFAULT_WEIGHT;
        boolean backup = false;
        if (dns) {
            port = d.requiredInteger("port", 1, 65535);
            weight = s.integer("weight", Endpoint.DEFAULT_WEIGHT, 0, Endpoint.MAX_WEIGHT);
            backup = s.bool("backup", false);
        } else {
            if (d.has("port")) {
                problems.at(d.key("port"), "port beside srv (expected none: each SRV record names its port)");
            }
            for (String carried : List.of("weight", "backup")) {
                if (s.has(carried)) {
                    problems.at(s.key(carried), carried + " beside discover: {srv: ...} (expected none: each SRV record carries its "
                            + (carried.equals("weight") ? "weight" : "priority, and every priority after the lowest is the backups") + ")");
                }
            }
        }
        d.finish();
        s.finish();
        if (name == null || port < 0) return null;
        return new Discovery.Source(dns ? Discovery.Kind.DNS : Discovery.Kind.SRV, name, port, weight, backup, check);
    }

    /** The route's {@code discovery:} section with its {@code sources}; {@link Discovery#NONE} when it has neither. */
    static Discovery route(Problems problems, Section route, String label, List<Discovery.Source> sources) {
        Section s = route.section("discovery", "discovery of " + label);
        if (s == null) return sources.isEmpty() ? Discovery.NONE : new Discovery(sources, Discovery.DEFAULT_INTERVAL, null, Discovery.OnFailure.KEEP);
        Duration interval = s.duration("interval", Discovery.DEFAULT_INTERVAL);
        if (interval.compareTo(Discovery.MIN_INTERVAL) < 0) {
            problems.at(s.value("interval"), "interval " + Durations.format(interval) + " is too short (expected at least "
                    + Durations.format(Discovery.MIN_INTERVAL) + ")");
            interval = Discovery.DEFAULT_INTERVAL;
        }
        Discovery.Nameserver nameserver = nameserver(problems, s);
        String onFailureName = s.string("on_failure", Discovery.OnFailure.KEEP.configName(), ON_FAILURE);
        Discovery.OnFailure onFailure = Discovery.OnFailure.KEEP;
        if (onFailureName.equals(Discovery.OnFailure.EMPTY.configName())) onFailure = Discovery.OnFailure.EMPTY;
        else if (!onFailureName.equals(Discovery.OnFailure.KEEP.configName())) {
            problems.at(s.value("on_failure"), "on_failure is '" + onFailureName + "' (expected " + ON_FAILURE + ")");
        }
        s.finish();
        return new Discovery(sources, interval, nameserver, onFailure);
    }

    private static final String NAMESERVER_EXPECTED = "an IP address with an optional port, such as 127.0.0.1:5353, 10.0.0.2 or [::1]:53";

    /** {@code nameserver}: an IP address (a name would need a resolver to find the resolver) and a port, default 53. */
    private static Discovery.Nameserver nameserver(Problems problems, Section s) {
        String text = s.string("nameserver", null, NAMESERVER_EXPECTED);
        if (text == null) return null;
        String address = text.strip();
        int port = Discovery.Nameserver.DEFAULT_PORT;
        String portText = null;
        if (address.startsWith("[")) {
            int close = address.indexOf(']');
            if (close > 0 && close + 1 < address.length() && address.charAt(close + 1) == ':') portText = address.substring(close + 2);
            else if (close != address.length() - 1) close = -1;
            address = close > 0 ? address.substring(1, close) : "";
        } else if (address.indexOf(':') == address.lastIndexOf(':') && address.indexOf(':') >= 0) {
            portText = address.substring(address.indexOf(':') + 1);
            address = address.substring(0, address.indexOf(':'));
        }
        if (portText != null) {
            try {
                port = Integer.parseInt(portText);
            } catch (NumberFormatException e) {
                port = -1;
            }
        }
        if (port < 1 || port > 65535 || !ipLiteral(address)) {
            problems.at(s.value("nameserver"), "nameserver '" + text + "' is not an address and port (expected " + NAMESERVER_EXPECTED + ")");
            return null;
        }
        return new Discovery.Nameserver(address, port);
    }

    /** An IPv4 or IPv6 literal ({@link InetAddress#ofLiteral} never looks a name up). */
    private static boolean ipLiteral(String text) {
        try {
            InetAddress.ofLiteral(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
