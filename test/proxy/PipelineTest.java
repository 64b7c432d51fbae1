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
import config.Route;
import config.Timeouts;
import dial.Dialer;
import health.Ticker;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import config.Engine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Timeout;
import routing.Learned;
import routing.RouteTable;
import tcp.Greeting;
import tcp.Preamble;
import tcp.Stages;
import traffic.ConnectionRecord;
import traffic.Outcome;

/**
 * The seams the protocol features build on, through real loopback sockets: a preamble read before
 * the dial (need more, done with what it learned, fail, its deadline and its byte bound), a greeting
 * written after the connect and again after a redial, and endpoint sets replaced while running.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@ParameterizedClass(name = "{0}")
@EnumSource(Engine.class)
class PipelineTest {
    /** Every test runs on both engines. */
    @Parameter
    Engine engine;

    /** A preamble of the test's own: a line "HELLO <ip> <port>\n" that names the real client; "NO\n" fails. */
    private static final class HelloLine implements Preamble {
        final AtomicInteger calls;

        HelloLine(AtomicInteger calls) {
            this.calls = calls;
        }

        @Override
        public Verdict read(ByteBuffer seen) {
            calls.incrementAndGet();
            for (int i = 0; i < seen.limit(); i++) {
                if (seen.get(i) != '\n') continue;
                String line = StandardCharsets.US_ASCII.decode(seen.slice(0, i)).toString();
                if (!line.startsWith("HELLO ")) return new Fail("not a hello: " + line);
                String[] parts = line.split(" ");
                return new Done(i + 1, new Learned(new InetSocketAddress(InetAddress.ofLiteral(parts[1]), Integer.parseInt(parts[2])), "named.test"));
            }
            return NeedMore.INSTANCE;
        }

        @Override
        public int limit() {
            return 64;
        }

        @Override
        public Duration timeout() {
            return Duration.ofMillis(300);
        }
    }

    /** Stages with the hello preamble and a greeting "G <endpoint port> <client> <server name>\n". */
    private static Stages stages(AtomicInteger calls, boolean greet) {
        return new Stages() {
            @Override
            public Preamble preamble(RouteTable table) {
                return calls == null ? null : new HelloLine(calls);
            }

            @Override
            public Greeting greeting(Route route) {
                if (!greet) return null;
                return (context, endpoint) -> ("G " + endpoint.port() + " " + ConnectionRecord.text(context.client()) + " "
                        + context.serverName() + "\n").getBytes(StandardCharsets.US_ASCII);
            }
        };
    }

    private Server start(Route route, Stages stages, ConcurrentLinkedQueue<ConnectionRecord> records) throws IOException {
        Server server = new Server(new Config(Path.of("test.yaml"), List.of(route), Duration.ofSeconds(1)).withEngine(engine), Dialer.TCP,
                records::add, Ticker.SYSTEM, stages);
        server.start();
        return server;
    }

    private static Route route(List<Endpoint> endpoints, boolean retryEmpty) {
        return new Route("test", "127.0.0.1", 0, Strategy.ROUNDROBIN, endpoints, Timeouts.DEFAULTS, 0, Route.DEFAULT_RETRIES,
                Health.DEFAULTS, retryEmpty);
    }

    @Test
    void aPreambleSplitOneByteAtATimeIsConsumedAndWhatFollowsReachesTheEndpointExactly() throws Exception {
        var records = new ConcurrentLinkedQueue<ConnectionRecord>();
        AtomicInteger calls = new AtomicInteger();
        try (var backend = new TestServers.Backend(ECHO); Server server = start(route(List.of(backend.endpoint(1)), false), stages(calls, false), records)) {
            byte[] hello = "HELLO 192.0.2.7 4321\n".getBytes(StandardCharsets.US_ASCII);
            byte[] payload = "and then the client's own bytes".getBytes(StandardCharsets.US_ASCII);
            try (Socket client = TestServers.connect(server)) {
                client.setTcpNoDelay(true);
                OutputStream out = client.getOutputStream();
                for (byte b : hello) {
                    out.write(b);
                    out.flush();
                    Thread.sleep(2);
                }
                out.write(payload);
                client.shutdownOutput();
                assertArrayEquals(payload, client.getInputStream().readAllBytes(), "the header never reaches the endpoint; the rest does");
            }
            ForwardingTest.waitFor(() -> server.activeConnections() == 0);
            ConnectionRecord record = records.peek();
            assertEquals("192.0.2.7:4321", record.client(), "the learned address is the client's in the record");
            assertEquals(payload.length, record.bytesUp());
            assertTrue(calls.get() > 1, "asked again as bytes came: " + calls.get());
        }
    }

    @Test
    void bytesThatCameWithThePreambleInOneSegmentGoFirst() throws Exception {
        var records = new ConcurrentLinkedQueue<ConnectionRecord>();
        try (var backend = new TestServers.Backend(ECHO);
             Server server = start(route(List.of(backend.endpoint(1)), false), stages(new AtomicInteger(), false), records);
             Socket client = TestServers.connect(server)) {
            client.getOutputStream().write("HELLO 2001:db8::7 80\nping".getBytes(StandardCharsets.US_ASCII));
            client.shutdownOutput();
            assertEquals("ping", new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void aFailedPreambleClosesTheClientBeforeAnyDialAndIsCountedRejected() throws Exception {
        var records = new ConcurrentLinkedQueue<ConnectionRecord>();
        try (var backend = new TestServers.Backend(ECHO);
             Server server = start(route(List.of(backend.endpoint(1)), false), stages(new AtomicInteger(), false), records)) {
            try (Socket client = TestServers.connect(server)) {
                client.getOutputStream().write("NO\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals(-1, client.getInputStream().read(), "closed");
            }
            ForwardingTest.waitFor(() -> records.size() == 1);
            assertEquals(Outcome.REJECTED, records.peek().outcome());
            assertNull(records.peek().endpoint());
            assertEquals(0, backend.accepted.get(), "no endpoint was dialled");
        }
    }

    @Test
    void aSilentClientIsClosedAtThePreamblesDeadlineAndOneThatSendsTooMuchAtItsBound() throws Exception {
        var records = new ConcurrentLinkedQueue<ConnectionRecord>();
        try (var backend = new TestServers.Backend(ECHO);
             Server server = start(route(List.of(backend.endpoint(1)), false), stages(new AtomicInteger(), false), records)) {
            try (Socket silent = TestServers.connect(server)) {
                long start = System.nanoTime();
                assertEquals(-1, silent.getInputStream().read(), "closed at the deadline");
                long ms = (System.nanoTime() - start) / 1_000_000;
                assertTrue(ms >= 250 && ms < 5_000, "closed after " + ms + " ms, the deadline is 300 ms");
            }
            try (Socket talker = TestServers.connect(server)) {
                talker.getOutputStream().write(new byte[65]); // no newline within the 64 bytes it may read
                assertEquals(-1, readOrReset(talker), "closed at the bound (a reset: one byte was left unread)");
            }
            ForwardingTest.waitFor(() -> records.size() == 2);
            assertTrue(records.stream().allMatch(r -> r.outcome() == Outcome.REJECTED));
            assertEquals(0, backend.accepted.get());
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

    @Test
    void theGreetingGoesFirstInTheEndpointsFirstSegmentAndAgainAfterARedial() throws Exception {
        var records = new ConcurrentLinkedQueue<ConnectionRecord>();
        var firstSegments = new ConcurrentLinkedQueue<String>();
        // the primary records what its first read returned, then closes without answering
        TestServers.Behaviour recordsAndCloses = socket -> {
            byte[] buffer = new byte[4096];
            InputStream in = socket.getInputStream();
            int n = in.read(buffer);
            firstSegments.add(new String(buffer, 0, Math.max(0, n), StandardCharsets.US_ASCII));
        };
        try (var closing = new TestServers.Backend(recordsAndCloses); var answering = new TestServers.Backend(ECHO)) {
            Route route = route(List.of(new Endpoint("127.0.0.1", closing.port(), 1, false), new Endpoint("127.0.0.1", answering.port(), 1, true)), true);
            try (Server server = start(route, stages(new AtomicInteger(), true), records); Socket client = TestServers.connect(server)) {
                client.getOutputStream().write("HELLO 192.0.2.9 5555\nGET /\n".getBytes(StandardCharsets.US_ASCII));
                // no EOF from the client: the primary's close is then a failure to answer, which is redialled
                String expected = "G " + answering.port() + " 192.0.2.9:5555 named.test\nGET /\n";
                String answer = new String(client.getInputStream().readNBytes(expected.length()), StandardCharsets.US_ASCII);
                assertEquals(expected, answer, "after the redial: the greeting for the new endpoint, then the kept bytes");
                assertEquals("G " + closing.port() + " 192.0.2.9:5555 named.test\nGET /\n", firstSegments.peek(),
                        "the greeting and the client's first bytes in the endpoint's first read");
            }
        }
    }

    @Test
    void endpointsReplacedWhileRunningServeTheNextConnectionAndKeptOnesKeepTheirState() throws Exception {
        try (var a = new TestServers.Backend(ECHO); var b = new TestServers.Backend(ECHO)) {
            Server server = start(route(List.of(a.endpoint(1)), false), Stages.NONE, new ConcurrentLinkedQueue<>());
            try (server) {
                pool.Backend kept = server.pools().getFirst().backend(0);
                kept.draining(true);
                assertTrue(server.replaceEndpoints("test", List.of(a.endpoint(1), b.endpoint(1))));
                assertTrue(server.pools().getFirst().backend(0) == kept, "the same live state");
                assertTrue(kept.draining(), "an override lasts until the source changes that value");
                for (int i = 0; i < 3; i++) {
                    try (Socket client = TestServers.connect(server)) {
                        client.getOutputStream().write('x');
                        client.shutdownOutput();
                        client.getInputStream().readAllBytes();
                    }
                }
                assertEquals(0, a.accepted.get(), "a drains");
                assertEquals(3, b.accepted.get(), "the new endpoint takes the connections at once");
                assertTrue(!server.replaceEndpoints("nope", List.of(b.endpoint(1))), "no such route");
            }
        }
    }

    @Test
    void anApiWeightLastsUntilTheConfigChangesThatWeight() throws Exception {
        try (var a = new TestServers.Backend(ECHO); var b = new TestServers.Backend(ECHO)) {
            Server server = start(route(List.of(a.endpoint(1), b.endpoint(1)), false), Stages.NONE, new ConcurrentLinkedQueue<>());
            try (server) {
                server.pools().getFirst().backend(0).weight(7);
                server.reload(new Config(Path.of("test.yaml"), List.of(route(List.of(a.endpoint(1), b.endpoint(2)), false)), Duration.ofSeconds(1)).withEngine(engine));
                assertEquals(7, server.pools().getFirst().backend(0).weight(), "the config kept a's weight: the override stays");
                assertEquals(2, server.pools().getFirst().backend(1).weight());
                server.reload(new Config(Path.of("test.yaml"), List.of(route(List.of(a.endpoint(3), b.endpoint(2)), false)), Duration.ofSeconds(1)).withEngine(engine));
                assertEquals(3, server.pools().getFirst().backend(0).weight(), "the config changed a's weight: it wins");
            }
        }
    }

    /** Bytes a client sent after its EOF-less preamble in many writes, read back in order: nothing lost, nothing doubled. */
    @Test
    void manyConnectionsThroughAPreambleEachGetTheirOwnBytesBack() throws Exception {
        try (var backend = new TestServers.Backend(ECHO);
             Server server = start(route(List.of(backend.endpoint(1)), false), stages(new AtomicInteger(), false), new ConcurrentLinkedQueue<>())) {
            for (int i = 0; i < 50; i++) {
                try (Socket client = TestServers.connect(server)) {
                    String mine = "connection " + i + " ".repeat(i * 37);
                    client.getOutputStream().write(("HELLO 127.0.0." + (i % 250 + 1) + " " + (1000 + i) + "\n" + mine).getBytes(StandardCharsets.US_ASCII));
                    client.shutdownOutput();
                    ByteArrayOutputStream back = new ByteArrayOutputStream();
                    client.getInputStream().transferTo(back);
                    assertEquals(mine, back.toString(StandardCharsets.US_ASCII));
                }
            }
        }
    }

    /** featherlb's own exhaustion (a socket it cannot open) is never the endpoint's failed connect. */
    @Test
    void aSocketFeatherlbCannotOpenIsNotCountedAgainstTheEndpoint() throws Exception {
        try (var backend = new TestServers.Backend(ECHO)) {
            Dialer exhausted = new Dialer() {
                @Override
                public java.nio.channels.SocketChannel dial(String host, int port, Duration timeout) throws IOException {
                    throw new dial.LocalFailure(new IOException("Too many open files"));
                }

                @Override
                public java.nio.channels.SocketChannel start(String host, int port) throws IOException {
                    throw new dial.LocalFailure(new IOException("Too many open files"));
                }
            };
            var records = new ConcurrentLinkedQueue<ConnectionRecord>();
            Server server = new Server(new Config(Path.of("test.yaml"), List.of(route(List.of(backend.endpoint(1)), false)), Duration.ofSeconds(1)).withEngine(engine),
                    exhausted, records::add, Ticker.SYSTEM, Stages.NONE);
            server.start();
            try (server) {
                for (int i = 0; i < 5; i++) { // more than passive.failures (3)
                    try (Socket client = TestServers.connect(server)) {
                        assertEquals(-1, readOrReset(client), "refused");
                    }
                }
                ForwardingTest.waitFor(() -> records.size() == 5);
                pool.Backend b = server.pools().getFirst().backend(0);
                assertTrue(b.up(), "still up");
                for (dial.ConnectFailure why : dial.ConnectFailure.values()) assertEquals(0, b.connectFailures(why), why.label());
                assertEquals(0, b.active());
                assertTrue(records.stream().allMatch(r -> r.outcome() == Outcome.NO_ENDPOINT));
            }
        }
    }
}
