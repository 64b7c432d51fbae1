package config;

import algorithms.Strategy;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.reader.ReaderException;

/**
 * Reads {@code featherlb.yaml} into a {@link Config}, or fails with every problem in the file.
 *
 * <p>Works on snakeyaml's node tree rather than on Java maps because the nodes keep their marks:
 * every message can then point at the line and column to fix. The original format (routes with
 * host, port, strategy and endpoints of host/port) is a subset of what is accepted here; every
 * newer field is optional with the default documented on the record component.
 */
public final class ConfigLoader {
    private static final String STRATEGIES = Arrays.stream(Strategy.values())
            .map(Strategy::configName).collect(Collectors.joining(", "));

    /** The largest config read, in bytes: some 60,000 routes (40,000 in flow style took 2.6 MB and 3 s to parse), far below the heap. */
    public static final int MAX_BYTES = 4 * 1024 * 1024;
    /**
     * The longest line: snakeyaml's time for one token on one line grows faster than its length
     * (measured: 256 KiB 0.13 s, 512 KiB 0.2 s, 1 MB 0.8-1.7 s, 10 MB no answer in 60 s), while
     * a 4 MB string over lines of 80 took 0.15 s. The check is one pass over the text.
     */
    public static final int MAX_LINE = 64 * 1024;
    /** The longest value (a string over several lines is not slow, but nothing needs more). */
    public static final int MAX_SCALAR = 64 * 1024;
    /** snakeyaml's defaults, written out because the docs state them. */
    public static final int MAX_NESTING = 50;
    public static final int MAX_ALIASES = 50;
    private static final String WHAT = "a featherlb YAML config file";

    private ConfigLoader() {
    }

    public static Config load(Path file) throws ConfigException {
        byte[] bytes;
        try {
            bytes = SmallFile.read(file, MAX_BYTES, WHAT);
        } catch (NoSuchFileException e) {
            throw single(file, "no such file (expected a featherlb YAML config; see featherlb.yaml in the repository)");
        } catch (SmallFile.Refused e) {
            throw single(file, e.getMessage());
        } catch (IOException e) {
            throw single(file, "cannot be read: " + e.getMessage());
        }
        return parse(file, decode(file, bytes));
    }

    /** The bytes as UTF-8, or the position of the first byte that is not. */
    private static String decode(Path file, byte[] bytes) throws ConfigException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (result.isError()) {
            int at = in.position();
            String before = out.flip().toString();
            int line = 1 + (int) before.chars().filter(c -> c == '\n').count();
            int column = before.length() - before.lastIndexOf('\n');
            throw new ConfigException(List.of(new ConfigError(file.toString(), line, column,
                    "the byte 0x%02X is not UTF-8 (expected a file in UTF-8)".formatted(bytes[at] & 0xff))));
        }
        return out.flip().toString();
    }

    /** Parses {@code text} as if it were the content of {@code file}. */
    public static Config parse(Path file, String text) throws ConfigException {
        Problems problems = new Problems(file.toString());
        if (text.length() > MAX_BYTES) {
            throw single(file, "is " + text.length() + " characters (expected " + WHAT + " of at most " + MAX_BYTES + " characters)");
        }
        longLine(problems, text);
        if (problems.any()) throw new ConfigException(problems.sorted());
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(true); // reported by Section with a position instead
        options.setCodePointLimit(MAX_BYTES);
        options.setNestingDepthLimit(MAX_NESTING);
        options.setMaxAliasesForCollections(MAX_ALIASES);
        Node root;
        try {
            root = new Yaml(new SafeConstructor(options)).compose(new StringReader(text));
        } catch (MarkedYAMLException e) {
            problems.at(e.getProblemMark(), e.getProblem() + " (expected valid YAML)");
            throw new ConfigException(problems.sorted());
        } catch (ReaderException e) {
            int[] at = position(text, e.getPosition());
            String hex = Integer.toHexString(e.getCodePoint());
            throw new ConfigException(List.of(new ConfigError(file.toString(), at[0], at[1],
                    "control character U+%04X is not allowed (expected printable text; in a double-quoted string write it as \\x%s)"
                            .formatted(e.getCodePoint(), hex.length() < 2 ? "0" + hex : hex))));
        } catch (YAMLException e) {
            YamlLimits.Exceeded exceeded = YamlLimits.find(text, options);
            if (exceeded == null) throw single(file, e.getMessage() + " (expected valid YAML)");
            problems.at(exceeded.mark(), exceeded.message());
            throw new ConfigException(problems.sorted());
        }
        if (root == null) {
            problems.atStart("the file is empty (expected a 'routes:' list)");
            throw new ConfigException(problems.sorted());
        }
        if (!(root instanceof MappingNode mapping)) {
            problems.at(root, "the file is " + Section.describe(root) + " (expected a mapping with a 'routes:' list)");
            throw new ConfigException(problems.sorted());
        }
        longScalars(problems, root, Collections.newSetFromMap(new IdentityHashMap<>()));
        if (problems.any()) throw new ConfigException(problems.sorted());
        Section top = new Section(problems, "the config", mapping);
        List<Route> routes = routes(problems, top);
        Duration grace = top.duration("shutdown_grace", Config.DEFAULT_SHUTDOWN_GRACE);
        boolean reusePort = top.bool("reuse_port", false);
        int maxConnections = top.has("max_connections") ? top.integer("max_connections", 0, 0, 10_000_000) : Config.DERIVED;
        Optional<Admin> admin = Admin.read(problems, top);
        AccessLog accessLog = AccessLog.read(problems, top);
        String engineName = top.string("engine", Engine.LOOPS.configName(), Engine.EXPECTED);
        Engine engine = Engine.byName(engineName);
        if (engine == null) problems.at(top.value("engine"), "unknown engine '" + engineName + "' (expected " + Engine.EXPECTED + ")");
        top.finish();
        if (problems.any()) throw new ConfigException(problems.sorted());
        return new Config(file, routes, grace, reusePort, admin, accessLog, maxConnections, engine);
    }

    private static List<Route> routes(Problems problems, Section top) {
        if (!top.has("routes")) {
            problems.at(top.node(), "the config has no 'routes' (expected a list of routes)");
            return List.of();
        }
        List<Node> items = top.list("routes");
        if (items == null) return List.of();
        if (items.isEmpty()) {
            problems.at(top.value("routes"), "routes is empty (expected at least one route)");
        }
        List<Read> read = new ArrayList<>();
        Map<String, Node> names = new HashMap<>();
        for (int i = 0; i < items.size(); i++) {
            Node item = items.get(i);
            if (!(item instanceof MappingNode mapping)) {
                problems.at(item, "route " + (i + 1) + " is " + Section.describe(item) + " (expected a mapping with host, port, strategy, endpoints)");
                continue;
            }
            Read route = route(problems, new Section(problems, "route " + (i + 1), mapping), i + 1);
            if (route == null) continue;
            Node previousName = names.putIfAbsent(route.route.name(), mapping);
            if (previousName != null) {
                problems.at(mapping, "duplicate route name '" + route.route.name() + "' (expected a name not already used at line "
                        + (previousName.getStartMark().getLine() + 1) + ")");
            }
            read.add(route);
        }
        return listenAddresses(problems, read);
    }

    /** A route as read, with the nodes the checks across the routes of an address point at. */
    private record Read(Route route, MappingNode node, boolean named, Map<String, Node> sniNodes, Node sniTimeout, Node acceptProxy) {
        int line() {
            return node.getStartMark().getLine() + 1;
        }
    }

    /**
     * The rules across routes: routes on one listening address ({@code protocol host:port}, the
     * host as written) form a route table when some of them are chosen by server name ({@code
     * sni}); any other pair on one port collides where a host is the same or a wildcard. Each route
     * of a table gets the address's {@code sni_timeout}. Returns the routes in config order.
     */
    private static List<Route> listenAddresses(Problems problems, List<Read> read) {
        Map<String, List<Read>> byAddress = new java.util.LinkedHashMap<>();
        for (Read r : read) byAddress.computeIfAbsent(r.route.listenKey(), k -> new ArrayList<>()).add(r);
        Map<Read, Route> tabled = new HashMap<>();
        Map<String, List<Read>> byPort = new HashMap<>(); // the first route of each address, by protocol and port
        for (List<Read> address : byAddress.values()) {
            Read first = address.getFirst();
            List<Read> samePort = byPort.computeIfAbsent(first.route.protocol().configName() + " " + first.route.port(), p -> new ArrayList<>());
            for (Read other : samePort) {
                if (isWildcard(other.route.host()) || isWildcard(first.route.host())) {
                    for (Read r : address) duplicateListen(problems, r, other);
                    break;
                }
            }
            samePort.add(first);
            if (address.size() == 1 && !first.route.sni().routed()) continue;
            if (address.stream().noneMatch(r -> r.route.sni().routed())) {
                for (Read r : address.subList(1, address.size())) duplicateListen(problems, r, first);
                continue;
            }
            Sni shared = table(problems, address);
            for (Read r : address) tabled.put(r, r.route.withSni(new Sni(r.route.sni().names(), shared.timeout())));
        }
        return read.stream().map(r -> tabled.getOrDefault(r, r.route)).toList();
    }

    private static void duplicateListen(Problems problems, Read route, Read other) {
        problems.at(route.node, "duplicate listen address " + route.route.listenAddress() + " (expected an address and port not already used by route '"
                + other.route.name() + "' at line " + other.line() + ")");
    }

    /**
     * The checks of a route table (routes of one address, some with {@code sni}): each its own
     * name, at most one default, each server name on one route, one {@code sni_timeout}, one
     * {@code accept_proxy} (the first route's: the server reads it from there). Returns the
     * address's {@code sni_timeout}.
     */
    private static Sni table(Problems problems, List<Read> address) {
        String listen = address.getFirst().route.listenKey();
        boolean shared = address.size() > 1;
        Read fallback = null;
        Map<String, Read> owners = new HashMap<>();
        Read timed = null;
        Read first = address.getFirst();
        for (Read r : address) {
            if (shared && !r.named) {
                problems.at(r.node, "route '" + r.route.name() + "' shares " + listen + " with other routes and has no 'name'"
                        + " (expected a name of its own: the default host:port is the same for every route of the address)");
            }
            if (!r.route.sni().routed()) {
                if (fallback != null) {
                    problems.at(r.node, "route '" + r.route.name() + "' is a second route without sni on " + listen
                            + " (expected one default route per address; route '" + fallback.route.name() + "' at line " + fallback.line() + " is one)");
                } else {
                    fallback = r;
                }
            }
            for (var name : r.sniNodes.entrySet()) {
                Read owner = owners.putIfAbsent(name.getKey(), r);
                if (owner != null && owner != r) {
                    problems.at(name.getValue(), "server name '" + name.getKey() + "' is already routed to '" + owner.route.name() + "' at line "
                            + owner.line() + " (expected each server name on one route of " + listen + ")");
                }
            }
            if (r.sniTimeout != null) {
                if (timed != null && !timed.route.sni().timeout().equals(r.route.sni().timeout())) {
                    problems.at(r.sniTimeout, "sni_timeout " + Durations.format(r.route.sni().timeout()) + " differs from route '" + timed.route.name()
                            + "' at line " + timed.line() + " (expected one sni_timeout for " + listen + ": the ClientHello is read before the route is known)");
                } else if (timed == null) {
                    timed = r;
                }
            }
            if (r != first && !sameAccept(first.route.proxy().accept(), r.route.proxy().accept())) {
                String where = "route '" + first.route.name() + "' at line " + first.line();
                String expected = " (expected one accept_proxy for " + listen + ", the same from and timeout on each route: the PROXY header is read before the route is known)";
                if (r.acceptProxy != null) {
                    problems.at(r.acceptProxy, "accept_proxy of route '" + r.route.name() + "' differs from "
                            + (first.route.proxy().accept() == null ? where + ", which has none" : where) + expected);
                } else {
                    problems.at(r.node, "route '" + r.route.name() + "' has no accept_proxy and " + where + " has one" + expected);
                }
            }
        }
        return timed == null ? Sni.NONE : timed.route.sni();
    }


    /** The same PROXY header reading: both absent, or the same sources (in any order) and timeout. */
    private static boolean sameAccept(ProxyProtocol.Accept a, ProxyProtocol.Accept b) {
        if (a == null || b == null) return a == b;
        return java.util.Set.copyOf(a.from()).equals(java.util.Set.copyOf(b.from())) && a.timeout().equals(b.timeout());
    }

    private static boolean isWildcard(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") || host.equals("*");
    }

    /** One route, or null when a required part is missing (already reported). */
    private static Read route(Problems problems, Section s, int number) {
        boolean named = s.has("name");
        String host = s.requiredString("host", "an address to listen on, such as 0.0.0.0");
        int port = s.requiredInteger("port", 1, 65535);
        String name = s.string("name", host == null || port < 0 ? null : host + ":" + port, "a route name");
        String label = name == null ? "route " + number : "route '" + name + "'";
        String protocolName = s.string("protocol", Protocol.TCP.configName(), "tcp");
        Protocol protocol = Protocol.byName(protocolName);
        if (protocol == null) {
            problems.at(s.value("protocol"), "unknown protocol '" + protocolName + "' (expected tcp)");
        }
        String strategyName = s.string("strategy", Strategy.ROUNDROBIN.configName(), "one of: " + STRATEGIES);
        Strategy strategy = Strategy.byName(strategyName);
        if (strategy == null) {
            problems.at(s.value("strategy"), "unknown strategy '" + strategyName + "' (expected one of: " + STRATEGIES + ")");
        }
        Health health = HealthSections.route(problems, s, label);
        List<Endpoint> endpoints = endpoints(problems, s, label, health.check());
        Timeouts timeouts = timeouts(s.section("timeouts", "timeouts of " + label));
        int maxConnections = s.integer("max_connections", 0, 0, 1_000_000);
        int retries = s.integer("retries", Route.DEFAULT_RETRIES, 0, 100);
        boolean retryEmpty = retryOn(problems, s);
        Map<String, Node> sniNodes = serverNames(problems, s, label);
        if (!sniNodes.isEmpty() && protocol != null && protocol != Protocol.TCP) {
            problems.at(s.value("sni"), "sni on a " + protocol.configName() + " route (expected sni only on tcp routes: a ClientHello comes over TCP)");
        }
        Duration sniTimeout = s.duration("sni_timeout", Sni.DEFAULT_TIMEOUT);
        Node sniTimeoutNode = s.value("sni_timeout");
        Node acceptProxyNode = s.key("accept_proxy");
        ProxyProtocol proxy = new ProxyProtocol(sendProxy(problems, s, ProxyProtocol.Send.OFF), acceptProxy(problems, s, label));
        s.finish();
        if (name == null || strategy == null || endpoints == null || protocol == null) return null;
        Sni sni = new Sni(List.copyOf(sniNodes.keySet()), sniTimeout);
        return new Read(new Route(name, host, port, strategy, endpoints, timeouts, maxConnections, retries, health, retryEmpty, protocol, sni, proxy),
                (MappingNode) s.node(), named, sniNodes, sniTimeoutNode, acceptProxyNode);
    }

    private static final String SEND_PROXY = "off, v1, v2";

    /** {@code send_proxy}: off, v1 or v2; {@code fallback} when absent or wrong (reported). */
    private static ProxyProtocol.Send sendProxy(Problems problems, Section s, ProxyProtocol.Send fallback) {
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
    private static ProxyProtocol.Accept acceptProxy(Problems problems, Section route, String label) {
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
    private static Map<String, Node> serverNames(Problems problems, Section s, String label) {
        Node value = s.value("sni");
        Map<String, Node> names = new java.util.LinkedHashMap<>();
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

    private static final String RETRY_ON = "connect-failure, empty-response";

    /**
     * {@code retry_on}: one keyword or a list. Connect failures are always retried (within
     * {@code retries}), so {@code connect-failure} is accepted for clarity only; whether
     * {@code empty-response} is among them is the result.
     */
    private static boolean retryOn(Problems problems, Section s) {
        Node value = s.value("retry_on");
        if (value == null) return false;
        List<Node> items = value instanceof SequenceNode sequence ? sequence.getValue() : List.of(value);
        boolean empty = false;
        for (Node item : items) {
            String keyword = item instanceof ScalarNode scalar && !scalar.getTag().equals(Tag.NULL) ? scalar.getValue() : null;
            if ("empty-response".equals(keyword)) empty = true;
            else if (!"connect-failure".equals(keyword)) {
                problems.at(item, "retry_on " + (keyword == null ? "is " + Section.describe(item) : "'" + keyword + "' is unknown")
                        + " (expected one or a list of: " + RETRY_ON + ")");
            }
        }
        return empty;
    }

    private static List<Endpoint> endpoints(Problems problems, Section route, String routeLabel, HealthCheck routeCheck) {
        if (!route.has("endpoints")) {
            problems.at(route.node(), routeLabel + " has no 'endpoints' (expected a list of endpoints with host and port)");
            return null;
        }
        List<Node> items = route.list("endpoints");
        if (items == null) return null;
        if (items.isEmpty()) {
            problems.at(route.value("endpoints"), routeLabel + " has an empty endpoint list (expected at least one endpoint with host and port)");
            return null;
        }
        List<Endpoint> endpoints = new ArrayList<>();
        Map<String, Node> seen = new HashMap<>();
        for (int i = 0; i < items.size(); i++) {
            Node item = items.get(i);
            if (!(item instanceof MappingNode mapping)) {
                problems.at(item, "endpoint " + (i + 1) + " of " + routeLabel + " is " + Section.describe(item) + " (expected a mapping with host and port)");
                continue;
            }
            Section s = new Section(problems, "endpoint " + (i + 1) + " of " + routeLabel, mapping);
            String host = s.requiredString("host", "a host name or address");
            int port = s.requiredInteger("port", 1, 65535);
            int weight = s.integer("weight", Endpoint.DEFAULT_WEIGHT, 0, Endpoint.MAX_WEIGHT);
            boolean backup = s.bool("backup", false);
            HealthCheck check = HealthSections.endpoint(problems, s, routeCheck);
            ProxyProtocol.Send sendProxy = sendProxy(problems, s, null);
            s.finish();
            if (host == null || port < 0) continue;
            Endpoint endpoint = new Endpoint(host, port, weight, backup, check, sendProxy);
            Node previous = seen.putIfAbsent(endpoint.address(), mapping);
            if (previous != null) {
                problems.at(mapping, "duplicate endpoint " + endpoint.address() + " in " + routeLabel
                        + " (expected each endpoint once; raise its weight instead)");
                continue;
            }
            endpoints.add(endpoint);
        }
        return endpoints;
    }

    private static Timeouts timeouts(Section s) {
        if (s == null) return Timeouts.DEFAULTS;
        Duration connect = s.duration("connect", Timeouts.DEFAULTS.connect());
        Duration idle = s.duration("idle", Timeouts.DEFAULTS.idle());
        s.finish();
        return new Timeouts(connect, idle);
    }

    /** The first line over {@link #MAX_LINE}, reported where it goes over. */
    private static void longLine(Problems problems, String text) {
        int line = 1;
        int start = 0;
        while (start <= text.length()) {
            int end = text.indexOf('\n', start);
            if (end < 0) end = text.length();
            if (end - start > MAX_LINE) {
                problems.at(line, MAX_LINE + 1, "line " + line + " is " + (end - start) + " characters long (expected lines of at most " + MAX_LINE
                                + " characters; a long string can be split over lines with | or >)");
                return;
            }
            line++;
            start = end + 1;
        }
    }

    /** Every key and value over {@link #MAX_SCALAR}; {@code seen} visits a node shared by aliases once. */
    private static void longScalars(Problems problems, Node node, Set<Node> seen) {
        if (!seen.add(node)) return;
        switch (node) {
            case ScalarNode scalar when scalar.getValue().length() > MAX_SCALAR -> problems.at(scalar,
                    "a string of " + scalar.getValue().length() + " characters (expected at most " + MAX_SCALAR + " characters in one value)");
            case SequenceNode sequence -> sequence.getValue().forEach(item -> longScalars(problems, item, seen));
            case MappingNode mapping -> mapping.getValue().forEach(tuple -> {
                longScalars(problems, tuple.getKeyNode(), seen);
                longScalars(problems, tuple.getValueNode(), seen);
            });
            default -> {
            }
        }
    }

    /** The 1-based line and column of the code point at {@code index}. */
    private static int[] position(String text, int index) {
        int line = 1;
        int column = 1;
        for (int i = 0, n = 0; i < text.length() && n < index; i += Character.charCount(text.codePointAt(i)), n++) {
            if (text.charAt(i) == '\n') {
                line++;
                column = 1;
            } else {
                column++;
            }
        }
        return new int[] {line, column};
    }

    private static ConfigException single(Path file, String message) {
        return new ConfigException(List.of(new ConfigError(file.toString(), 0, 0, message)));
    }
}
