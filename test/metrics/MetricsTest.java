package metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import algorithms.Strategy;
import com.sun.net.httpserver.HttpServer;
import config.Config;
import config.Endpoint;
import config.Route;
import config.Timeouts;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import config.Engine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Timeout;
import pool.Backend;
import dial.ConnectFailure;
import dial.Dialer;
import proxy.Server;

/**
 * What {@code GET /metrics} says, scraped over HTTP, held against what real backends counted on
 * their side of the sockets: the numbers must agree exactly, not roughly.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ParameterizedClass(name = "{0}")
@EnumSource(Engine.class)
class MetricsTest {
    /** Every test runs on both engines. */
    @Parameter
    Engine engine;

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})? (\\S+)$");
    private static final Pattern LABEL = Pattern.compile("(\\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    @Test
    void everyCounterAgreesExactlyWithWhatTheBackendsSaw() throws Exception {
        int dead = closedPort();
        try (var a = CountingBackend.answering(n -> 2 * n + 13);
             var b = CountingBackend.answering(n -> 2 * n + 13);
             var c = CountingBackend.answering(n -> 2 * n + 13)) {
            List<CountingBackend> live = List.of(a, b, c);
            Route route = new Route("web", "127.0.0.1", 0, Strategy.ROUNDROBIN,
                    List.of(a.endpoint(1), b.endpoint(2), c.endpoint(3), new Endpoint("127.0.0.1", dead, 1, false)),
                    Timeouts.DEFAULTS, 0, Route.DEFAULT_RETRIES);
            Metrics metrics = new Metrics();
            Server server = new Server(new Config(Path.of("t.yaml"), List.of(route), Duration.ofSeconds(1)).withEngine(engine), Dialer.TCP, metrics);
            metrics.watch(server::pools);
            server.start();
            HttpServer http = serve(metrics);
            try {
                // phase 1: 60 request/response connections of different sizes, 6 at a time
                int clients = 60;
                try (ExecutorService pool = Executors.newFixedThreadPool(6)) {
                    List<Future<?>> done = new ArrayList<>();
                    for (int i = 0; i < clients; i++) {
                        int size = (i * 997) % 50_000 + 1;
                        done.add(pool.submit(() -> exchange(server, size)));
                    }
                    for (Future<?> f : done) f.get();
                }
                await(() -> server.activeConnections() == 0);
                await(() -> scrape(http).get("featherlb_connection_duration_seconds_count{route=web}") == clients);
                Map<String, Double> m = scrape(http);
                long total = 0;
                for (CountingBackend backend : live) {
                    String at = "endpoint=" + backend.address() + ",route=web";
                    assertEquals(backend.accepted.get(), m.get("featherlb_connections_total{" + at + "}").longValue(), backend.address());
                    assertEquals(backend.received.get(), m.get("featherlb_bytes_total{direction=upstream," + at + "}").longValue());
                    assertEquals(backend.sent.get(), m.get("featherlb_bytes_total{direction=downstream," + at + "}").longValue());
                    assertEquals(0, m.get("featherlb_active_connections{" + at + "}"));
                    assertEquals(1, m.get("featherlb_endpoint_up{" + at + "}"));
                    assertEquals(0, m.get("featherlb_connect_failures_total{endpoint=" + backend.address() + ",reason=refused,route=web}"));
                    total += backend.accepted.get();
                }
                assertEquals(clients, total);
                // the dead endpoint: no connection, and every refusal the balancer met is counted
                String deadEndpoint = "endpoint=127.0.0.1:" + dead;
                String deadAt = deadEndpoint + ",route=web";
                Backend deadBackend = server.pools().getFirst().backend(3);
                assertEquals(0, m.get("featherlb_connections_total{" + deadAt + "}"));
                assertTrue(deadBackend.connectFailures(ConnectFailure.REFUSED) > 0);
                assertEquals(deadBackend.connectFailures(ConnectFailure.REFUSED), m.get("featherlb_connect_failures_total{" + deadEndpoint + ",reason=refused,route=web}").longValue());
                assertEquals(0, m.get("featherlb_connect_failures_total{" + deadEndpoint + ",reason=timeout,route=web}"));
                assertTrue(m.get("featherlb_connection_duration_seconds_sum{route=web}") > 0);
                assertTrue(m.containsKey("jvm_threads_current{}"), "JVM metrics are exported too");
                assertEquals(0, m.get("featherlb_endpoint_draining{" + deadAt + "}"));
                assertEquals(3, m.get("featherlb_endpoint_weight{endpoint=" + c.address() + ",route=web}"));

                // phase 2: connections held open show up as active, where the backends hold them
                List<Socket> held = new ArrayList<>();
                try {
                    for (int i = 0; i < 7; i++) held.add(connect(server));
                    await(() -> live.stream().mapToInt(x -> x.open.get()).sum() == 7);
                    Map<String, Double> during = scrape(http);
                    for (CountingBackend backend : live) {
                        assertEquals(backend.open.get(), during.get("featherlb_active_connections{endpoint=" + backend.address() + ",route=web}").intValue());
                    }
                } finally {
                    for (Socket s : held) s.close();
                }
            } finally {
                http.stop(0);
                server.close();
            }
        }
    }

    private static void exchange(Server server, int size) {
        try (Socket socket = connect(server)) {
            OutputStream out = socket.getOutputStream();
            out.write(new byte[size]);
            socket.shutdownOutput();
            assertEquals(2L * size + 13, socket.getInputStream().readAllBytes().length);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static Socket connect(Server server) throws IOException {
        Socket socket = new Socket();
        socket.connect(server.addresses().getFirst(), 2000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    /** The metrics handler on a real HTTP server, as the admin server mounts it. */
    static HttpServer serve(Metrics metrics) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        http.createContext("/metrics", metrics.handler());
        http.start();
        return http;
    }

    @Test
    void rejectionsAreCountedByListeningAddressAndReason() throws IOException {
        Metrics metrics = new Metrics();
        metrics.rejections(() -> Map.of("tcp 0.0.0.0:8443", Map.of("sni_no_route", 3L, "sni_timeout", 1L)));
        HttpServer http = serve(metrics);
        try {
            Map<String, Double> m = scrape(http);
            assertEquals(3.0, m.get("featherlb_rejected_total{listen=tcp 0.0.0.0:8443,reason=sni_no_route}"));
            assertEquals(1.0, m.get("featherlb_rejected_total{listen=tcp 0.0.0.0:8443,reason=sni_timeout}"));
        } finally {
            http.stop(0);
        }
    }

    /**
     * Scrapes over HTTP and parses the text format into {@code name{label=value,...}} (labels sorted,
     * unquoted) to value.
     */
    /** Where each endpoint came from, and what discovery did, with the labels docs/names.md gives them. */
    @Test
    void endpointsSayTheirSourceAndDiscoveryCountsItsLookupsAndChanges() throws Exception {
        config.Discovery.Source backend = new config.Discovery.Source(config.Discovery.Kind.DNS, "backend", 80, 1, false, null);
        Route route = new Route("web", "127.0.0.1", 0, Strategy.ROUNDROBIN, List.of(new Endpoint("127.0.0.1", closedPort(), 1, false)),
                Timeouts.DEFAULTS, 0, Route.DEFAULT_RETRIES)
                .withDiscovery(new config.Discovery(List.of(backend), Duration.ofMillis(100), null, config.Discovery.OnFailure.KEEP));
        discovery.Resolver dns = (source, nameserver, timeout) -> List.of(discovery.Resolver.Found.address("10.0.0.7"));
        Metrics metrics = new Metrics();
        Server server = new Server(new Config(Path.of("t.yaml"), List.of(route), Duration.ofSeconds(1)).withEngine(engine), Dialer.TCP, metrics,
                health.Ticker.SYSTEM, proxy.ConfigStages.INSTANCE, dns);
        metrics.watch(server::pools);
        metrics.discovery(server.discoveryCounts());
        server.start();
        HttpServer http = serve(metrics);
        try {
            await(() -> scrape(http).getOrDefault("featherlb_discovery_lookups_total{result=ok,route=web,source=dns:backend}", 0.0) >= 2);
            Map<String, Double> m = scrape(http);
            assertEquals(1, m.get("featherlb_endpoint_info{endpoint=10.0.0.7:80,route=web,source=dns:backend}"));
            assertEquals(1, m.get("featherlb_endpoint_info{endpoint=" + server.pools().getFirst().backend(0).address() + ",route=web,source=config}"));
            assertEquals(1, m.get("featherlb_discovery_changes_total{change=added,route=web,source=dns:backend}"), "added once, however often it answers the same");
        } finally {
            http.stop(0);
            server.close();
        }
    }

    static Map<String, Double> scrape(HttpServer http) {
        try (HttpClient client = HttpClient.newHttpClient()) {
            var response = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode());
            return parse(response.body());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    static Map<String, Double> parse(String text) {
        Map<String, Double> samples = new HashMap<>();
        for (String line : text.lines().toList()) {
            if (line.startsWith("#") || line.isBlank()) continue;
            Matcher sample = SAMPLE.matcher(line);
            assertTrue(sample.matches(), line);
            Map<String, String> labels = new TreeMap<>();
            if (sample.group(3) != null) {
                Matcher label = LABEL.matcher(sample.group(3));
                while (label.find()) labels.put(label.group(1), label.group(2));
            }
            StringBuilder key = new StringBuilder(sample.group(1)).append('{');
            labels.forEach((k, v) -> key.append(key.charAt(key.length() - 1) == '{' ? "" : ",").append(k).append('=').append(v));
            samples.put(key.append('}').toString(), Double.parseDouble(sample.group(4)));
        }
        return samples;
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("condition not met within 10 s");
            Thread.sleep(10);
        }
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void rejectedConnectionsAreCountedByListeningAddressAndReason() throws Exception {
        var accept = new config.ProxyProtocol.Accept(List.of(config.ProxyProtocol.Cidr.parse("127.0.0.1")), Duration.ofSeconds(3));
        Route route = new Route("pp", "127.0.0.1", 0, Strategy.ROUNDROBIN, List.of(new Endpoint("127.0.0.1", 9, 1, false)),
                Timeouts.DEFAULTS, 0, Route.DEFAULT_RETRIES, config.Health.DEFAULTS, false, config.Protocol.TCP,
                new config.ProxyProtocol(config.ProxyProtocol.Send.OFF, accept));
        Metrics metrics = new Metrics();
        try (Server server = new Server(new Config(Path.of("t.yaml"), List.of(route), Duration.ofSeconds(1)), Dialer.TCP, metrics)) {
            metrics.rejections(server::rejections);
            server.start();
            HttpServer http = serve(metrics);
            try {
                for (int i = 0; i < 2; i++) {
                    try (java.net.Socket untrusted = new java.net.Socket()) {
                        untrusted.bind(new java.net.InetSocketAddress(java.net.InetAddress.ofLiteral("127.0.0.5"), 0));
                        untrusted.connect(server.addresses().getFirst(), 2000);
                        untrusted.setSoTimeout(5000);
                        assertEquals(-1, untrusted.getInputStream().read());
                    }
                }
                try (java.net.Socket invalid = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), server.addresses().getFirst().getPort())) {
                    invalid.setSoTimeout(5000);
                    invalid.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    try {
                        assertEquals(-1, invalid.getInputStream().read());
                    } catch (java.net.SocketException reset) {
                        // closed with bytes unread: a reset, closed all the same
                    }
                }
                await(() -> server.activeConnections() == 0);
                Map<String, Double> m = scrape(http);
                assertEquals(2.0, m.get("featherlb_rejected_total{listen=tcp 127.0.0.1:0 pp,reason=proxy_untrusted}"), m.toString());
                assertEquals(1.0, m.get("featherlb_rejected_total{listen=tcp 127.0.0.1:0 pp,reason=proxy_invalid}"), m.toString());
            } finally {
                http.stop(0);
            }
        }
    }

}
