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
        Duration delay = top.durationOrZero("shutdown_delay", Duration.ZERO);
        boolean reusePort = top.bool("reuse_port", false);
        int maxConnections = top.has("max_connections") ? top.integer("max_connections", 0, 0, 10_000_000) : Config.DERIVED;
        Optional<Admin> admin = Admin.read(problems, top);
        AccessLog accessLog = AccessLog.read(problems, top);
        String engineName = top.string("engine", Engine.LOOPS.configName(), Engine.EXPECTED);
        Engine engine = Engine.byName(engineName);
        if (engine == null) problems.at(top.value("engine"), "unknown engine '" + engineName + "' (expected " + Engine.EXPECTED + ")");
        top.finish();
        if (problems.any()) throw new ConfigException(problems.sorted());
        return new Config(file, routes, grace, reusePort, admin, accessLog, maxConnections, engine, delay);
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
        List<ListenAddresses.Read> read = new ArrayList<>();
        Map<String, Node> names = new HashMap<>();
        for (int i = 0; i < items.size(); i++) {
            Node item = items.get(i);
            if (!(item instanceof MappingNode mapping)) {
                problems.at(item, "route " + (i + 1) + " is " + Section.describe(item) + " (expected a mapping with host, port, strategy, endpoints)");
                continue;
            }
            ListenAddresses.Read route = route(problems, new Section(problems, "route " + (i + 1), mapping), i + 1);
            if (route == null) continue;
            Node previousName = names.putIfAbsent(route.route().name(), mapping);
            if (previousName != null) {
                problems.at(mapping, "duplicate route name '" + route.route().name() + "' (expected a name not already used at line "
                        + (previousName.getStartMark().getLine() + 1) + ")");
            }
            read.add(route);
        }
        return ListenAddresses.check(problems, read);
    }

    /** One route, or null when a required part is missing (already reported). */
    private static ListenAddresses.Read route(Problems problems, Section s, int number) {
        boolean named = s.has("name");
        String host = s.requiredString("host", "an address to listen on, such as 0.0.0.0");
        int port = s.requiredInteger("port", 1, 65535);
        String protocolName = s.string("protocol", Protocol.TCP.configName(), "tcp or udp");
        Protocol protocol = Protocol.byName(protocolName);
        if (protocol == null) {
            problems.at(s.value("protocol"), "unknown protocol '" + protocolName + "' (expected tcp or udp)");
        }
        String name = s.string("name", host == null || port < 0 ? null : host + ":" + port + (protocol == Protocol.UDP ? "/udp" : ""), "a route name");
        String label = name == null ? "route " + number : "route '" + name + "'";
        String strategyName = s.string("strategy", Strategy.ROUNDROBIN.configName(), "one of: " + STRATEGIES);
        Strategy strategy = Strategy.byName(strategyName);
        if (strategy == null) {
            problems.at(s.value("strategy"), "unknown strategy '" + strategyName + "' (expected one of: " + STRATEGIES + ")");
        }
        Health health = HealthSections.route(problems, s, label, protocol);
        List<Discovery.Source> sources = new ArrayList<>();
        List<Endpoint> endpoints = endpoints(problems, s, label, health.check(), protocol, sources);
        Udp udp = UdpSections.read(problems, s, protocol, label);
        Discovery discovery = DiscoverySections.route(problems, s, label, sources);
        Timeouts timeouts = timeouts(s.section("timeouts", "timeouts of " + label));
        int maxConnections = s.integer("max_connections", 0, 0, 1_000_000);
        int retries = s.integer("retries", Route.DEFAULT_RETRIES, 0, 100);
        boolean retryEmpty = retryOn(problems, s);
        Map<String, Node> sniNodes = TlsProxySections.serverNames(problems, s, label);
        if (!sniNodes.isEmpty() && protocol != null && protocol != Protocol.TCP) {
            problems.at(s.value("sni"), "sni on a " + protocol.configName() + " route (expected sni only on tcp routes: a ClientHello comes over TCP)");
        }
        Duration sniTimeout = s.duration("sni_timeout", Sni.DEFAULT_TIMEOUT);
        Node sniTimeoutNode = s.value("sni_timeout");
        Node acceptProxyNode = s.key("accept_proxy");
        ProxyProtocol proxy = new ProxyProtocol(TlsProxySections.sendProxy(problems, s, ProxyProtocol.Send.OFF), TlsProxySections.acceptProxy(problems, s, label));
        PerClient perClient = LimitSections.perClient(problems, s, label);
        UdpSections.proxy(problems, s, proxy, protocol);
        s.finish();
        if (name == null || strategy == null || endpoints == null || protocol == null) return null;
        Sni sni = new Sni(List.copyOf(sniNodes.keySet()), sniTimeout);
        return new ListenAddresses.Read(new Route(name, host, port, strategy, endpoints, timeouts, maxConnections, retries, health, retryEmpty, protocol, sni, proxy, perClient, udp, discovery),
                (MappingNode) s.node(), named, sniNodes, sniTimeoutNode, acceptProxyNode);
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

    /** The listed endpoints; the {@code discover:} items go to {@code sources}. */
    private static List<Endpoint> endpoints(Problems problems, Section route, String routeLabel, HealthCheck routeCheck,
                                            Protocol protocol, List<Discovery.Source> sources) {
        if (!route.has("endpoints")) {
            problems.at(route.node(), routeLabel + " has no 'endpoints' (expected a list of endpoints with host and port)");
            return null;
        }
        List<Node> items = route.list("endpoints");
        if (items == null) return null;
        if (items.isEmpty()) {
            problems.at(route.value("endpoints"), routeLabel + " has an empty endpoint list (expected at least one endpoint with host and port, or a discover item such as "
                    + DiscoverySections.DISCOVER_EXAMPLE + ")");
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
            if (DiscoverySections.isSource(s)) {
                Discovery.Source source = DiscoverySections.source(problems, s, routeCheck);
                if (source != null) sources.add(source);
                continue;
            }
            String host = s.requiredString("host", "a host name or address");
            int port = s.requiredInteger("port", 1, 65535);
            int weight = s.integer("weight", Endpoint.DEFAULT_WEIGHT, 0, Endpoint.MAX_WEIGHT);
            boolean backup = s.bool("backup", false);
            HealthCheck check = HealthSections.endpoint(problems, s, routeCheck, protocol);
            ProxyProtocol.Send sendProxy = TlsProxySections.sendProxy(problems, s, null);
            UdpSections.sendProxy(problems, s, sendProxy, protocol);
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
        Duration clientFirstByte = LimitSections.clientFirstByte(s);
        s.finish();
        return new Timeouts(connect, idle, clientFirstByte);
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
