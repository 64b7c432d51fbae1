package proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static proxy.TestServers.ECHO;

import algorithms.Strategy;
import config.Config;
import config.Engine;
import config.Health;
import config.PerClient;
import config.Protocol;
import config.ProxyProtocol;
import config.Route;
import config.Sni;
import config.Timeouts;
import dial.Dialer;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import metrics.Metrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import proxyproto.HeaderEncoder;
import traffic.ConnectionRecord;
import traffic.Outcome;

/**
 * A route's per_client limits through a real server on loopback, on both engines: a client over
 * max_connections or max_rate is closed at once, counted by route and reason, and the others go on;
 * behind a trusted PROXY sender the header's address is the one counted.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ParameterizedClass(name = "{0}")
@EnumSource(Engine.class)
class PerClientLimitTest {
    @Parameter
    Engine engine;

    private static Route route(TestServers.Backend backend, PerClient perClient, ProxyProtocol proxy) {
        return new Route("web", "127.0.0.1", 0, Strategy.ROUNDROBIN, List.of(backend.endpoint(1)), Timeouts.DEFAULTS, 0,
                Route.DEFAULT_RETRIES, Health.DEFAULTS, false, Protocol.TCP, Sni.NONE, proxy, perClient);
    }

    private Server start(Route route, ConcurrentLinkedQueue<ConnectionRecord> records) throws IOException {
        Server server = new Server(new Config(Path.of("test.yaml"), List.of(route), Duration.ofSeconds(1)).withEngine(engine), Dialer.TCP, records::add);
        server.start();
        return server;
    }

    /** A client that has sent {@code first} and had it echoed: forwarded, so counted open. */
    private static Socket open(Server server, byte[] first) throws IOException {
        Socket client = TestServers.connect(server);
        client.getOutputStream().write(first);
        client.getOutputStream().write('x');
        assertEquals('x', client.getInputStream().read(), "forwarded");
        return client;
    }

    /** Whether the server closed {@code client} without forwarding a byte. */
    private static boolean closedAtOnce(Server server, byte[] first) throws IOException {
        try (Socket client = TestServers.connect(server)) {
            try {
                client.getOutputStream().write(first);
                client.getOutputStream().write('x');
            } catch (java.net.SocketException closedMeanwhile) {
                return true;
            }
            return ProxyProtocolTest.readOrReset(client) == -1;
        }
    }

    private static Map<String, Long> refused(Server server) {
        return server.refusals().getOrDefault("web", Map.of());
    }

    @Test
    void overMaxConnectionsAClientIsClosedAtOnceAndCounted() throws Exception {
        var records = new ConcurrentLinkedQueue<ConnectionRecord>();
        try (var backend = new TestServers.Backend(ECHO);
             Server server = start(route(backend, new PerClient(2, null), ProxyProtocol.OFF), records)) {
            List<Socket> held = new ArrayList<>(List.of(open(server, new byte[0]), open(server, new byte[0])));
            try {
                assertEquals(true, closedAtOnce(server, new byte[0]), "a third at once from 127.0.0.1");
                assertEquals(Map.of("per_client_connections", 1L), refused(server));
                held.removeFirst().close();
                ForwardingTest.waitFor(() -> records.stream().anyMatch(r -> r.outcome() == Outcome.CLIENT_CLOSED));
                held.add(open(server, new byte[0])); // one ended: room for one
                assertEquals(true, closedAtOnce(server, new byte[0]));
                assertEquals(Map.of("per_client_connections", 2L), refused(server));
            } finally {
                for (Socket s : held) s.close();
            }
            ForwardingTest.waitFor(() -> records.size() == 5);
            assertEquals(2, records.stream().filter(r -> r.outcome() == Outcome.NO_ENDPOINT && r.endpoint() == null).count(),
                    "the refused ones are recorded as refused, with no endpoint");
            assertEquals(1.0 * 2, refusedMetric(server, "per_client_connections"));
        }
    }

    @Test
    void overMaxRateAClientIsClosedAtOnceAndCounted() throws Exception {
        var records = new ConcurrentLinkedQueue<ConnectionRecord>();
        try (var backend = new TestServers.Backend(ECHO);
             Server server = start(route(backend, new PerClient(0, PerClient.Rate.parse("3/h")), ProxyProtocol.OFF), records)) {
            for (int i = 0; i < 3; i++) open(server, new byte[0]).close();
            assertEquals(true, closedAtOnce(server, new byte[0]), "the fourth in an hour");
            assertEquals(true, closedAtOnce(server, new byte[0]));
            assertEquals(Map.of("per_client_rate", 2L), refused(server));
            assertEquals(3, backend.accepted.get(), "the refused ones never reached the endpoint");
        }
    }

    /** Behind a trusted PROXY sender every connection comes from 127.0.0.1: the header's address is the client. */
    @Test
    void behindATrustedProxyTheHeadersAddressIsTheOneCounted() throws Exception {
        var records = new ConcurrentLinkedQueue<ConnectionRecord>();
        var accept = new ProxyProtocol.Accept(List.of(ProxyProtocol.Cidr.parse("127.0.0.1")), Duration.ofSeconds(5));
        var to = new InetSocketAddress(InetAddress.ofLiteral("198.51.100.1"), 443);
        byte[] first = HeaderEncoder.v2(new InetSocketAddress(InetAddress.ofLiteral("192.0.2.7"), 1000), to, null, "x");
        byte[] second = HeaderEncoder.v2(new InetSocketAddress(InetAddress.ofLiteral("192.0.2.7"), 1001), to, null, "x");
        byte[] other = HeaderEncoder.v2(new InetSocketAddress(InetAddress.ofLiteral("192.0.2.8"), 1000), to, null, "x");
        try (var backend = new TestServers.Backend(ECHO);
             Server server = start(route(backend, new PerClient(1, null), new ProxyProtocol(ProxyProtocol.Send.OFF, accept)), records);
             Socket a = open(server, first)) {
            assertEquals(true, closedAtOnce(server, second), "192.0.2.7 has one open (another port of it is the same client)");
            try (Socket b = open(server, other)) {
                assertEquals(Map.of("per_client_connections", 1L), refused(server), "192.0.2.8 is another client, though the peer is the same");
            }
        }
    }

    @Test
    void withoutPerClientNothingIsCountedOrRefused() throws Exception {
        var records = new ConcurrentLinkedQueue<ConnectionRecord>();
        try (var backend = new TestServers.Backend(ECHO);
             Server server = start(route(backend, PerClient.NONE, ProxyProtocol.OFF), records)) {
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < 30; i++) held.add(open(server, new byte[0]));
            } finally {
                for (Socket s : held) s.close();
            }
            assertEquals(Map.of(), server.refusals());
        }
    }

    private static double refusedMetric(Server server, String reason) {
        Metrics metrics = new Metrics();
        metrics.refusals(server::refusals);
        Map<String, Double> values = new TreeMap<>();
        for (MetricSnapshot snapshot : metrics.registry().scrape()) {
            if (!snapshot.getMetadata().getName().equals("featherlb_refused")) continue;
            for (CounterSnapshot.CounterDataPointSnapshot point : ((CounterSnapshot) snapshot).getDataPoints()) {
                values.put(point.getLabels().get("route") + "/" + point.getLabels().get("reason"), point.getValue());
            }
        }
        return values.getOrDefault("web/" + reason, -1.0);
    }
}
