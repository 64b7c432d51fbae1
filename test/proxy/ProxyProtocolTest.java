package proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static proxy.TestServers.ECHO;

import algorithms.Strategy;
import config.Config;
import config.Endpoint;
import config.Health;
import config.Protocol;
import config.ProxyProtocol;
import config.Route;
import config.Timeouts;
import dial.Dialer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import proxyproto.HeaderEncoder;
import proxyproto.ProxyHeader;
import traffic.ConnectionRecord;
import traffic.Outcome;

/**
 * accept_proxy and send_proxy through a real server on loopback, with the config's own stages
 * (the server's default): the header's address is the client's in the record and in the header
 * sent on, an untrusted peer is closed unread, a late or invalid header is rejected and counted,
 * and an endpoint sees the header in its first read.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ProxyProtocolTest {
    static final InetSocketAddress REAL = new InetSocketAddress(InetAddress.ofLiteral("192.0.2.7"), 51234);
    static final byte[] V1 = "PROXY TCP4 192.0.2.7 198.51.100.1 51234 443\r\n".getBytes(StandardCharsets.US_ASCII);

    static ProxyProtocol.Accept trusting(String cidr, Duration timeout) {
        return new ProxyProtocol.Accept(List.of(ProxyProtocol.Cidr.parse(cidr)), timeout);
    }

    static Route route(List<Endpoint> endpoints, ProxyProtocol proxy) {
        return new Route("pp", "127.0.0.1", 0, Strategy.ROUNDROBIN, endpoints, Timeouts.DEFAULTS, 0, Route.DEFAULT_RETRIES,
                Health.DEFAULTS, false, Protocol.TCP, proxy);
    }

    static Server start(Route route, ConcurrentLinkedQueue<ConnectionRecord> records) throws IOException {
        return start(route, records, config.Engine.LOOPS);
    }

    static Server start(Route route, ConcurrentLinkedQueue<ConnectionRecord> records, config.Engine engine) throws IOException {
        Server server = new Server(new Config(Path.of("test.yaml"), List.of(route), Duration.ofSeconds(1)).withEngine(engine), Dialer.TCP, records::add);
        server.start();
        return server;
    }

    static byte[] join(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static String ascii(byte[] bytes) {
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    /** The next byte, or -1 at EOF or a reset: either way the connection was closed. */
    static int readOrReset(Socket socket) throws IOException {
        try {
            return socket.getInputStream().read();
        } catch (java.net.SocketException reset) {
            return -1;
        }
    }

    static Map<String, Long> rejections(Server server) {
        return server.rejections().values().iterator().next(); // the one listening address
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(config.Engine.class)
    void aTrustedSendersHeaderNamesTheClientAndWhatFollowsItInOneSegmentReachesTheEndpointExactly(config.Engine engine) throws Exception {
        var records = new ConcurrentLinkedQueue<ConnectionRecord>();
        try (var backend = new TestServers.Backend(ECHO);
             Server server = start(route(List.of(backend.endpoint(1)), new ProxyProtocol(ProxyProtocol.Send.OFF, trusting("127.0.0.1", Duration.ofSeconds(3)))), records, engine)) {
            for (byte[] header : List.of(V1, HeaderEncoder.v2(REAL, new InetSocketAddress(InetAddress.ofLiteral("198.51.100.1"), 443), null, "x"))) {
                try (Socket client = TestServers.connect(server)) {
                    client.getOutputStream().write(join(header, "ping".getBytes(StandardCharsets.US_ASCII)));
                    client.shutdownOutput();
                    assertEquals("ping", ascii(client.getInputStream().readAllBytes()), "the header never reaches the endpoint");
                }
            }
            ForwardingTest.waitFor(() -> records.size() == 2);
            for (ConnectionRecord record : records) {
                assertEquals("192.0.2.7:51234", record.client(), "the header's address is the client's");
                assertEquals(4, record.bytesUp());
                assertEquals(Outcome.CLIENT_CLOSED, record.outcome());
                assertTrue(record.id() > 0);
            }
            assertEquals(Map.of(), rejections(server));
        }
    }

    @Test
    void aLocalHeaderKeepsThePeersAddress() throws Exception {
        var records = new ConcurrentLinkedQueue<ConnectionRecord>();
        try (var backend = new TestServers.Backend(ECHO);
             Server server = start(route(List.of(backend.endpoint(1)), new ProxyProtocol(ProxyProtocol.Send.OFF, trusting("127.0.0.0/8", Duration.ofSeconds(3)))), records);
             Socket client = TestServers.connect(server)) {
            client.getOutputStream().write(join(HeaderEncoder.V2_LOCAL, "ok".getBytes(StandardCharsets.US_ASCII)));
            client.shutdownOutput();
            assertEquals("ok", ascii(client.getInputStream().readAllBytes()));
            ForwardingTest.waitFor(() -> records.size() == 1);
            assertEquals("127.0.0.1:" + client.getLocalPort(), records.peek().client());
        }
    }

    @Test
    void aPeerOutsideFromIsClosedUnreadAndItsForgedAddressAppearsNowhere() throws Exception {
        var records = new ConcurrentLinkedQueue<ConnectionRecord>();
        try (var backend = new TestServers.Backend(ECHO);
             Server server = start(route(List.of(backend.endpoint(1)), new ProxyProtocol(ProxyProtocol.Send.OFF, trusting("127.0.0.1", Duration.ofSeconds(3)))), records)) {
            int port;
            try (Socket client = new Socket()) {
                client.bind(new InetSocketAddress(InetAddress.ofLiteral("127.0.0.5"), 0)); // another loopback source address
                client.connect(server.addresses().getFirst(), 2000);
                client.setSoTimeout(10_000);
                port = client.getLocalPort();
                try {
                    client.getOutputStream().write("PROXY TCP4 203.0.113.66 198.51.100.1 4444 443\r\nGET /".getBytes(StandardCharsets.US_ASCII));
                } catch (java.net.SocketException alreadyClosed) {
                    // closed at once, maybe before the write
                }
                assertEquals(-1, readOrReset(client), "closed");
            }
            ForwardingTest.waitFor(() -> records.size() == 1);
            ConnectionRecord record = records.peek();
            assertEquals(Outcome.REJECTED, record.outcome());
            assertEquals("127.0.0.5:" + port, record.client(), "the peer's own address");
            assertFalse(record.toString().contains("203.0.113.66"));
            assertEquals(0, backend.accepted.get(), "no endpoint was dialled");
            assertEquals(Map.of("proxy_untrusted", 1L), rejections(server));
        }
    }

    @Test
    void aMissingLateOrInvalidHeaderIsRejectedAndCountedByReason() throws Exception {
        var records = new ConcurrentLinkedQueue<ConnectionRecord>();
        try (var backend = new TestServers.Backend(ECHO);
             Server server = start(route(List.of(backend.endpoint(1)), new ProxyProtocol(ProxyProtocol.Send.OFF, trusting("127.0.0.1", Duration.ofMillis(300)))), records)) {
            try (Socket silent = TestServers.connect(server)) {
                long start = System.nanoTime();
                assertEquals(-1, readOrReset(silent), "closed at the timeout");
                long ms = (System.nanoTime() - start) / 1_000_000;
                assertTrue(ms >= 250 && ms < 5_000, "closed after " + ms + " ms, the timeout is 300 ms");
            }
            try (Socket http = TestServers.connect(server)) {
                http.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals(-1, readOrReset(http), "no guessing: a connection without a header is closed");
            }
            byte[] crc = HeaderEncoder.v2(REAL, REAL, null, null);
            byte[] withCrc = ByteBuffer.allocate(crc.length + 7).put(crc).put(new byte[] {0x03, 0, 4, 1, 2, 3, 4}).array();
            ByteBuffer.wrap(withCrc).putShort(14, (short) (withCrc.length - 16));
            try (Socket badCrc = TestServers.connect(server)) {
                badCrc.getOutputStream().write(withCrc);
                assertEquals(-1, readOrReset(badCrc));
            }
            ForwardingTest.waitFor(() -> records.size() == 3);
            assertTrue(records.stream().allMatch(r -> r.outcome() == Outcome.REJECTED));
            assertEquals(0, backend.accepted.get());
            assertEquals(Map.of("proxy_timeout", 1L, "proxy_invalid", 1L, "proxy_crc", 1L), rejections(server));
        }
    }

    @Test
    void theTimeoutEndsOnceTheHeaderIsRead() throws Exception {
        var records = new ConcurrentLinkedQueue<ConnectionRecord>();
        try (var backend = new TestServers.Backend(ECHO);
             Server server = start(route(List.of(backend.endpoint(1)), new ProxyProtocol(ProxyProtocol.Send.OFF, trusting("127.0.0.1", Duration.ofMillis(200)))), records);
             Socket client = TestServers.connect(server)) {
            client.getOutputStream().write(V1);
            Thread.sleep(600); // three timeouts long, after the header
            client.getOutputStream().write("late".getBytes(StandardCharsets.US_ASCII));
            client.shutdownOutput();
            assertEquals("late", ascii(client.getInputStream().readAllBytes()));
            assertEquals(Map.of(), rejections(server));
        }
    }

    /** A backend that keeps its first read for the test, then echoes the rest. */
    static TestServers.Behaviour recordingFirstRead(ConcurrentLinkedQueue<byte[]> firsts) {
        return socket -> {
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[4096];
            int n = in.read(buffer);
            firsts.add(Arrays.copyOf(buffer, Math.max(0, n)));
            in.transferTo(socket.getOutputStream());
            socket.shutdownOutput();
        };
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(config.Engine.class)
    void anEndpointSeesTheHeaderInItsFirstReadV1OrV2AsItsOwnSendProxySays(config.Engine engine) throws Exception {
        var records = new ConcurrentLinkedQueue<ConnectionRecord>();
        var firsts = new ConcurrentLinkedQueue<byte[]>();
        try (var backend = new TestServers.Backend(recordingFirstRead(firsts))) {
            for (ProxyProtocol.Send send : List.of(ProxyProtocol.Send.V1, ProxyProtocol.Send.V2)) {
                firsts.clear();
                records.clear();
                Endpoint endpoint = new Endpoint("127.0.0.1", backend.port(), 1, false, null, send);
                try (Server server = start(route(List.of(endpoint), new ProxyProtocol(ProxyProtocol.Send.OFF, null)), records, engine);
                     Socket client = TestServers.connect(server)) {
                    client.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
                    ForwardingTest.waitFor(() -> !firsts.isEmpty());
                    client.shutdownOutput();
                    String echoed = ascii(client.getInputStream().readAllBytes());
                    byte[] first = firsts.peek();
                    ProxyHeader header = assertInstanceOf(ProxyHeader.Parsed.class, ProxyHeader.parse(ByteBuffer.wrap(first))).header();
                    assertEquals(send == ProxyProtocol.Send.V1 ? 1 : 2, header.version());
                    assertEquals(new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), client.getLocalPort()), header.source());
                    assertEquals(server.addresses().getFirst(), header.destination());
                    // without a preamble the dial starts at accept: the client's bytes follow the whole header, in its write or a later one
                    assertEquals("hello", ascii(Arrays.copyOfRange(first, header.length(), first.length)) + echoed);
                    ForwardingTest.waitFor(() -> records.size() == 1);
                    if (send == ProxyProtocol.Send.V2) {
                        assertArrayEquals(Long.toString(records.peek().id()).getBytes(StandardCharsets.US_ASCII), header.uniqueId(),
                                "UNIQUE_ID is the access log's id");
                    }
                }
            }
        }
    }

    @Test
    void theHeaderSentOnNamesTheClientTheHeaderReceivedNamed() throws Exception {
        var records = new ConcurrentLinkedQueue<ConnectionRecord>();
        var firsts = new ConcurrentLinkedQueue<byte[]>();
        try (var backend = new TestServers.Backend(recordingFirstRead(firsts));
             Server server = start(route(List.of(backend.endpoint(1)), new ProxyProtocol(ProxyProtocol.Send.V2, trusting("127.0.0.1", Duration.ofSeconds(3)))), records);
             Socket client = TestServers.connect(server)) {
            client.getOutputStream().write(join(V1, "data".getBytes(StandardCharsets.US_ASCII)));
            ForwardingTest.waitFor(() -> !firsts.isEmpty());
            ProxyHeader header = assertInstanceOf(ProxyHeader.Parsed.class, ProxyHeader.parse(ByteBuffer.wrap(firsts.peek()))).header();
            assertEquals(REAL, header.source());
            assertEquals("data", ascii(Arrays.copyOfRange(firsts.peek(), header.length(), firsts.peek().length)));
        }
    }

    @Test
    void iphashHashesTheAddressTheHeaderNamed() throws Exception {
        var records = new ConcurrentLinkedQueue<ConnectionRecord>();
        try (var a = new TestServers.Backend(ECHO); var b = new TestServers.Backend(ECHO); var c = new TestServers.Backend(ECHO)) {
            Route route = new Route("pp", "127.0.0.1", 0, Strategy.IPHASH, List.of(a.endpoint(1), b.endpoint(1), c.endpoint(1)), Timeouts.DEFAULTS, 0,
                    Route.DEFAULT_RETRIES, Health.DEFAULTS, false, Protocol.TCP, new ProxyProtocol(ProxyProtocol.Send.OFF, trusting("127.0.0.1", Duration.ofSeconds(3))));
            try (Server server = start(route, records)) {
                for (int i = 0; i < 40; i++) { // one client behind the balancer in front, from 40 different peer ports
                    try (Socket client = TestServers.connect(server)) {
                        client.getOutputStream().write(join(V1, new byte[] {'x'}));
                        client.shutdownOutput();
                        client.getInputStream().readAllBytes();
                    }
                }
                ForwardingTest.waitFor(() -> records.size() == 40);
                assertEquals(1, records.stream().map(ConnectionRecord::endpoint).distinct().count(), "one client, one endpoint");
                records.clear();
                for (int i = 0; i < 60; i++) { // 60 clients, all from the same peer: spread as 60 clients are
                    byte[] header = ("PROXY TCP4 198.18.0." + (i + 1) + " 198.51.100.1 1234 443\r\n").getBytes(StandardCharsets.US_ASCII);
                    try (Socket client = TestServers.connect(server)) {
                        client.getOutputStream().write(join(header, new byte[] {'x'}));
                        client.shutdownOutput();
                        client.getInputStream().readAllBytes();
                    }
                }
                ForwardingTest.waitFor(() -> records.size() == 60);
                assertEquals(3, records.stream().map(ConnectionRecord::endpoint).distinct().count(), "the named clients spread over every endpoint");
            }
        }
    }


    @Test
    void aProxyHeaderAndAClientHelloInOneSegmentRouteByNameAndTheNameIsSentOnAsAuthority() throws Exception {
        var records = new ConcurrentLinkedQueue<ConnectionRecord>();
        var firsts = new ConcurrentLinkedQueue<byte[]>();
        try (var app = new TestServers.Backend(recordingFirstRead(firsts)); var fallback = new TestServers.Backend(ECHO)) {
            int port = SniRoutingTest.freePort();
            ProxyProtocol proxy = new ProxyProtocol(ProxyProtocol.Send.V2, trusting("127.0.0.1", Duration.ofSeconds(3)));
            Route named = new Route("app", "127.0.0.1", port, Strategy.ROUNDROBIN, List.of(app.endpoint(1)), Timeouts.DEFAULTS, 0,
                    Route.DEFAULT_RETRIES, Health.DEFAULTS, false, Protocol.TCP, new config.Sni(List.of("app.example.com"), Duration.ofSeconds(5)), proxy);
            Route other = new Route("default", "127.0.0.1", port, Strategy.ROUNDROBIN, List.of(fallback.endpoint(1)), Timeouts.DEFAULTS, 0,
                    Route.DEFAULT_RETRIES, Health.DEFAULTS, false, Protocol.TCP, new config.Sni(List.of(), Duration.ofSeconds(5)), proxy);
            Server server = new Server(new Config(Path.of("test.yaml"), List.of(named, other), Duration.ofSeconds(1)), Dialer.TCP, records::add);
            server.start();
            try (server; Socket client = new Socket()) {
                client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
                client.setSoTimeout(10_000);
                byte[] hello = tls.Hellos.tls("app.example.com");
                client.getOutputStream().write(join(V1, hello)); // one write: the header, then the hello
                ForwardingTest.waitFor(() -> !firsts.isEmpty());
                byte[] first = firsts.peek();
                ProxyHeader header = assertInstanceOf(ProxyHeader.Parsed.class, ProxyHeader.parse(ByteBuffer.wrap(first))).header();
                assertEquals(REAL, header.source(), "the client the received header named");
                assertEquals("app.example.com", header.authority(), "the server name the route was chosen by");
                assertArrayEquals(hello, Arrays.copyOfRange(first, header.length(), first.length), "the hello exactly, without the received header");
            }
            ForwardingTest.waitFor(() -> records.size() == 1);
            assertEquals("192.0.2.7:51234", records.peek().client());
            assertEquals("app.example.com", records.peek().sni());
        }
    }

}
