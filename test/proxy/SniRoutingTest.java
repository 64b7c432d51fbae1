package proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static proxy.TestServers.ECHO;

import algorithms.Strategy;
import config.Config;
import config.Endpoint;
import config.Health;
import config.Protocol;
import config.Route;
import config.Sni;
import config.Timeouts;
import dial.Dialer;
import health.Ticker;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import config.Engine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Timeout;
import tls.ClientHello;
import tls.Hellos;
import traffic.ConnectionRecord;
import traffic.Outcome;

/**
 * Routing by TLS server name through a real server, with echo backends: each gets the client's
 * bytes exactly as sent, so what comes back is the hello itself. A hello trickled one byte at a
 * time, the largest accepted and one byte more rejected, bytes that are not TLS, a silent client,
 * no default route, and {@code max_connections} of a route that shares its address.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@ParameterizedClass(name = "{0}")
@EnumSource(Engine.class)
class SniRoutingTest {
    /** Every test runs on both engines. */
    @Parameter
    Engine engine;

    private static Route route(String name, int port, int max, Duration timeout, Endpoint endpoint, String... sni) {
        return new Route(name, "127.0.0.1", port, Strategy.ROUNDROBIN, List.of(endpoint), Timeouts.DEFAULTS, max, Route.DEFAULT_RETRIES,
                Health.DEFAULTS, false, Protocol.TCP, new Sni(List.of(sni), timeout));
    }

    /** A port that was free a moment ago: routes that share an address need a real one (port 0 never shares). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private record Running(Server server, ConcurrentLinkedQueue<ConnectionRecord> records, int port) implements AutoCloseable {
        Socket connect() throws IOException {
            Socket socket = new Socket();
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
            socket.setSoTimeout(10_000);
            socket.setTcpNoDelay(true);
            return socket;
        }

        /** The latest record, once {@code count} connections ended and none is open. */
        ConnectionRecord ended(int count) throws InterruptedException {
            ForwardingTest.waitFor(() -> records.size() >= count && server.activeConnections() == 0);
            return new ArrayList<>(records).getLast();
        }

        Map<String, Long> rejections() {
            return server.rejections().get("tcp 127.0.0.1:" + port);
        }

        @Override
        public void close() {
            server.close();
        }
    }

    private Running start(List<Route> routes) throws IOException {
        var records = new ConcurrentLinkedQueue<ConnectionRecord>();
        Server server = new Server(new Config(Path.of("sni.yaml"), routes, Duration.ofSeconds(1)).withEngine(engine), Dialer.TCP, records::add, Ticker.SYSTEM,
                ConfigStages.INSTANCE);
        server.start();
        return new Running(server, records, routes.getFirst().port());
    }

    /** {@code bytes} through a new connection, then EOF: what came back. */
    private static byte[] roundTrip(Running running, byte[] bytes) throws IOException {
        try (Socket client = running.connect()) {
            client.getOutputStream().write(bytes);
            client.shutdownOutput();
            return client.getInputStream().readAllBytes();
        }
    }

    @Test
    void eachNameReachesItsRouteWithTheHelloExactlyAsSent() throws Exception {
        try (var app = new TestServers.Backend(ECHO); var db = new TestServers.Backend(ECHO); var other = new TestServers.Backend(ECHO)) {
            int port = freePort();
            Duration t = Sni.DEFAULT_TIMEOUT;
            try (Running lb = start(List.of(route("app", port, 0, t, app.endpoint(1), "app.example.com", "*.app.example.com"),
                    route("db", port, 0, t, db.endpoint(1), "db.example.com"), route("tls-default", port, 0, t, other.endpoint(1))))) {
                for (String name : List.of("app.example.com", "x.app.example.com", "APP.example.com.")) {
                    byte[] hello = Hellos.jdk(name.toLowerCase().replaceAll("\\.$", ""), List.of("h2"));
                    assertArrayEquals(hello, roundTrip(lb, hello), name);
                }
                byte[] upper = Hellos.tls("DB.Example.COM.");
                assertArrayEquals(upper, roundTrip(lb, upper));
                byte[] none = Hellos.jdk(null, List.of());
                assertArrayEquals(none, roundTrip(lb, none));
                byte[] unknown = Hellos.tls("y.x.app.example.com");
                assertArrayEquals(unknown, roundTrip(lb, unknown));
                byte[] text = "GET / HTTP/1.1\r\nHost: plain\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
                assertArrayEquals(text, roundTrip(lb, text), "not TLS: the default route, unchanged");
                lb.ended(7);
                assertEquals(List.of("app", "app", "app", "db", "tls-default", "tls-default", "tls-default"),
                        lb.records().stream().map(ConnectionRecord::route).toList());
                assertEquals(java.util.Arrays.asList("app.example.com", "x.app.example.com", "app.example.com", "db.example.com", null,
                        "y.x.app.example.com", null), lb.records().stream().map(ConnectionRecord::sni).toList(), "the records' sni, for the access log");
                assertEquals(3, app.accepted.get());
                assertEquals(1, db.accepted.get());
                assertEquals(Map.of(), lb.rejections());
            }
        }
    }

    @Test
    void aHelloTrickledOneByteAtATimeOverManyRecords() throws Exception {
        try (var app = new TestServers.Backend(ECHO); var other = new TestServers.Backend(ECHO)) {
            int port = freePort();
            try (Running lb = start(List.of(route("app", port, 0, Sni.DEFAULT_TIMEOUT, app.endpoint(1), "app.example.com"),
                    route("tls-default", port, 0, Sni.DEFAULT_TIMEOUT, other.endpoint(1))))) {
                byte[] hello = Hellos.records(Hellos.handshake("app.example.com", 600), 50);
                byte[] after = "and application data after it".getBytes(StandardCharsets.US_ASCII);
                try (Socket client = lb.connect()) {
                    OutputStream out = client.getOutputStream();
                    for (byte b : hello) {
                        out.write(b);
                        out.flush();
                        Thread.sleep(0, 200_000);
                    }
                    out.write(after);
                    client.shutdownOutput();
                    byte[] back = client.getInputStream().readAllBytes();
                    byte[] sent = new byte[hello.length + after.length];
                    System.arraycopy(hello, 0, sent, 0, hello.length);
                    System.arraycopy(after, 0, sent, hello.length, after.length);
                    assertArrayEquals(sent, back);
                }
                assertEquals("app", lb.ended(1).route());
            }
        }
    }

    @Test
    void theLargestHelloIsAcceptedAndOneByteMoreIsRejectedAndCounted() throws Exception {
        try (var app = new TestServers.Backend(ECHO); var other = new TestServers.Backend(ECHO)) {
            int port = freePort();
            try (Running lb = start(List.of(route("app", port, 0, Sni.DEFAULT_TIMEOUT, app.endpoint(1), "app.example.com"),
                    route("tls-default", port, 0, Sni.DEFAULT_TIMEOUT, other.endpoint(1))))) {
                byte[] largest = Hellos.records(Hellos.handshake("app.example.com", ClientHello.MAX_HELLO), 16 * 1024);
                assertArrayEquals(largest, roundTrip(lb, largest));
                assertEquals("app", lb.ended(1).route());
                byte[] over = Hellos.records(Hellos.handshake("app.example.com", ClientHello.MAX_HELLO + 1), 16 * 1024);
                try (Socket client = lb.connect()) {
                    client.getOutputStream().write(over, 0, 100);
                    assertEquals(-1, readOrReset(client));
                }
                ConnectionRecord rejected = lb.ended(2);
                assertEquals(Outcome.REJECTED, rejected.outcome());
                assertNull(rejected.endpoint());
                assertEquals(Map.of("sni_too_large", 1L), lb.rejections());
                assertEquals(1, app.accepted.get());
                assertEquals(0, other.accepted.get());
            }
        }
    }

    @Test
    void aSilentClientIsClosedAtSniTimeoutAndAnUnknownNameWithoutDefaultIsRejected() throws Exception {
        try (var app = new TestServers.Backend(ECHO)) {
            int port = freePort();
            Duration timeout = Duration.ofMillis(300);
            try (Running lb = start(List.of(route("app", port, 0, timeout, app.endpoint(1), "app.example.com", "*.app.example.com")))) {
                try (Socket silent = lb.connect()) {
                    long start = System.nanoTime();
                    assertEquals(-1, readOrReset(silent));
                    long ms = (System.nanoTime() - start) / 1_000_000;
                    assertTrue(ms >= 250 && ms < 5_000, "closed after " + ms + " ms, sni_timeout is 300 ms");
                }
                lb.ended(1);
                for (byte[] bytes : List.of(Hellos.tls("db.example.com"), Hellos.tls(null), "plain".getBytes(StandardCharsets.US_ASCII))) {
                    try (Socket client = lb.connect()) {
                        client.getOutputStream().write(bytes);
                        assertEquals(-1, readOrReset(client));
                    }
                }
                lb.ended(4);
                assertTrue(lb.records().stream().allMatch(r -> r.outcome() == Outcome.REJECTED && r.endpoint() == null));
                assertEquals(Map.of("sni_timeout", 1L, "sni_no_route", 3L), lb.rejections());
                assertEquals(0, app.accepted.get());
            }
        }
    }

    @Test
    void maxConnectionsOfARouteThatSharesItsAddressCountsOnceItsRouteIsKnown() throws Exception {
        try (var app = new TestServers.Backend(ECHO); var db = new TestServers.Backend(ECHO)) {
            int port = freePort();
            try (Running lb = start(List.of(route("app", port, 1, Sni.DEFAULT_TIMEOUT, app.endpoint(1), "app.example.com"),
                    route("db", port, 0, Sni.DEFAULT_TIMEOUT, db.endpoint(1), "db.example.com")))) {
                byte[] hello = Hellos.tls("app.example.com");
                try (Socket held = lb.connect()) {
                    held.getOutputStream().write(hello);
                    held.getInputStream().readNBytes(hello.length); // through: it holds app's one connection
                    try (Socket second = lb.connect()) {
                        second.getOutputStream().write(hello);
                        assertEquals(-1, readOrReset(second), "over app's max_connections: closed");
                    }
                    byte[] other = Hellos.tls("db.example.com");
                    assertArrayEquals(other, roundTrip(lb, other), "the other route of the address is not limited by it");
                }
                lb.ended(3);
                assertEquals(List.of(Outcome.NO_ENDPOINT), lb.records().stream().filter(r -> r.route().equals("app") && r.endpoint() == null)
                        .map(ConnectionRecord::outcome).toList());
                assertArrayEquals(hello, roundTrip(lb, hello), "its permit came back when the first ended");
            }
        }
    }

    @Test
    void aReloadThatAddsARouteByNameToAKeptAddressRoutesByNameAtOnce() throws Exception {
        try (var web = new TestServers.Backend(ECHO); var app = new TestServers.Backend(ECHO)) {
            int port = freePort();
            Route alone = route("web", port, 0, Sni.DEFAULT_TIMEOUT, web.endpoint(1));
            try (Running lb = start(List.of(alone))) {
                byte[] hello = Hellos.tls("app.example.com");
                assertArrayEquals(hello, roundTrip(lb, hello));
                assertEquals("web", lb.ended(1).route());
                assertEquals(null, lb.records().peek().sni(), "a route alone without sni does not look");
                String changes = lb.server().reload(new Config(Path.of("sni.yaml"),
                        List.of(alone, route("app", port, 0, Sni.DEFAULT_TIMEOUT, app.endpoint(1), "app.example.com")), Duration.ofSeconds(1))).summary();
                assertTrue(changes.contains("app"), changes);
                assertArrayEquals(hello, roundTrip(lb, hello));
                assertArrayEquals("plain".getBytes(StandardCharsets.US_ASCII), roundTrip(lb, "plain".getBytes(StandardCharsets.US_ASCII)));
                lb.ended(3);
                assertEquals(List.of("web", "app", "web"), lb.records().stream().map(ConnectionRecord::route).toList());
                assertEquals(1, app.accepted.get());
                assertEquals(2, web.accepted.get(), "the new route carried no backends of the kept one");
            }
        }
    }

    /** The next byte, or -1 at EOF or a reset: either way the connection was closed. */
    private static int readOrReset(Socket socket) throws IOException {
        try {
            return socket.getInputStream().read();
        } catch (java.net.SocketException reset) {
            return -1;
        }
    }
}
