package proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static proxy.TestServers.ECHO;

import algorithms.Strategy;
import config.Config;
import config.Engine;
import config.Route;
import config.Timeouts;
import dial.Dialer;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import traffic.ConnectionRecord;
import traffic.Outcome;

/**
 * {@code timeouts.client_first_byte} through a real server, on both engines: a silent client is
 * closed (outcome timeout, counted), many silent ones too while a talking client is served, the
 * timer stops at the first byte, and a server-speaks-first exchange is untouched while it is off.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ParameterizedClass(name = "{0}")
@EnumSource(Engine.class)
class ClientFirstByteTest {
    private static final Duration FIRST_BYTE = Duration.ofMillis(300);
    /** An SMTP-like endpoint: its banner first, then it echoes. */
    private static final TestServers.Behaviour BANNER_THEN_ECHO = socket -> {
        socket.getOutputStream().write("220 ready\r\n".getBytes(StandardCharsets.US_ASCII));
        ECHO.serve(socket);
    };

    @Parameter
    Engine engine;

    private Server start(TestServers.Backend backend, Duration clientFirstByte, ConcurrentLinkedQueue<ConnectionRecord> records) throws IOException {
        Route route = TestServers.route(Strategy.ROUNDROBIN, List.of(backend.endpoint(1)),
                new Timeouts(Duration.ofSeconds(5), Duration.ofMinutes(1), clientFirstByte), 0);
        Server server = new Server(new Config(Path.of("test.yaml"), List.of(route), Duration.ofSeconds(1)).withEngine(engine), Dialer.TCP, records::add);
        server.start();
        return server;
    }

    private static Map<String, Long> timeouts(Server server) {
        return server.timeouts().getOrDefault("test", Map.of());
    }

    @Test
    void aSilentClientIsClosedAndCounted() throws Exception {
        var records = new ConcurrentLinkedQueue<ConnectionRecord>();
        try (var backend = new TestServers.Backend(ECHO); Server server = start(backend, FIRST_BYTE, records);
             Socket silent = TestServers.connect(server)) {
            assertEquals(-1, ProxyProtocolTest.readOrReset(silent), "closed by featherlb (the socket's own timeout is 10 s)");
            ForwardingTest.waitFor(() -> records.size() == 1);
            ConnectionRecord record = records.peek();
            assertEquals(Outcome.IDLE_TIMEOUT, record.outcome());
            assertEquals("timeout", record.outcome().label());
            assertEquals(0, record.bytesUp());
            assertEquals(Map.of("client_first_byte", 1L), timeouts(server));
        }
    }

    /** Slowloris at L4: many connections opened and held without a byte, to fill the server; they are shed, a real client is served. */
    @Test
    void manySilentConnectionsAreShedWhileATalkingClientIsServed() throws Exception {
        var records = new ConcurrentLinkedQueue<ConnectionRecord>();
        try (var backend = new TestServers.Backend(ECHO); Server server = start(backend, FIRST_BYTE, records)) {
            List<Socket> silent = new ArrayList<>();
            try {
                for (int i = 0; i < 50; i++) silent.add(TestServers.connect(server));
                try (Socket talking = TestServers.connect(server)) {
                    talking.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
                    talking.shutdownOutput();
                    assertEquals("hello", new String(talking.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
                }
                for (Socket s : silent) assertEquals(-1, ProxyProtocolTest.readOrReset(s), "every silent one is closed");
            } finally {
                for (Socket s : silent) s.close();
            }
            ForwardingTest.waitFor(() -> records.size() == 51);
            assertEquals(50, records.stream().filter(r -> r.outcome() == Outcome.IDLE_TIMEOUT).count());
            assertEquals(Map.of("client_first_byte", 50L), timeouts(server));
        }
    }

    @Test
    void theTimerStopsAtTheFirstByte() throws Exception {
        var records = new ConcurrentLinkedQueue<ConnectionRecord>();
        try (var backend = new TestServers.Backend(ECHO); Server server = start(backend, FIRST_BYTE, records);
             Socket client = TestServers.connect(server)) {
            client.getOutputStream().write('a');
            assertEquals('a', client.getInputStream().read());
            Thread.sleep(FIRST_BYTE.multipliedBy(4)); // quiet after its first byte: for timeouts.idle (1 minute) to judge
            client.getOutputStream().write('b');
            assertEquals('b', client.getInputStream().read(), "still open");
            assertEquals(Map.of(), timeouts(server));
        }
    }

    /** A client that rightly waits for the endpoint's banner: untouched while client_first_byte is off (the default). */
    @Test
    void aServerSpeaksFirstExchangeIsUnaffectedWhileItIsOff() throws Exception {
        var records = new ConcurrentLinkedQueue<ConnectionRecord>();
        try (var backend = new TestServers.Backend(BANNER_THEN_ECHO); Server server = start(backend, Duration.ZERO, records);
             Socket client = TestServers.connect(server)) {
            assertEquals("220 ready\r\n", readBanner(client.getInputStream()));
            Thread.sleep(FIRST_BYTE.multipliedBy(4)); // the client thinks, longer than the timeout the other tests use
            client.getOutputStream().write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
            client.shutdownOutput();
            assertEquals("QUIT\r\n", new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
            assertEquals(Map.of(), timeouts(server));
        }
    }

    /** The trade-off, shown: the same exchange with the timeout on loses the client that waited for the banner. */
    @Test
    void aServerSpeaksFirstExchangeIsCutWhenItIsOn() throws Exception {
        var records = new ConcurrentLinkedQueue<ConnectionRecord>();
        try (var backend = new TestServers.Backend(BANNER_THEN_ECHO); Server server = start(backend, FIRST_BYTE, records);
             Socket client = TestServers.connect(server)) {
            assertEquals("220 ready\r\n", readBanner(client.getInputStream()));
            assertEquals(-1, ProxyProtocolTest.readOrReset(client), "the banner is not a client byte: closed");
            assertTrue(timeouts(server).get("client_first_byte") == 1L);
        }
    }

    private static String readBanner(InputStream in) throws IOException {
        byte[] banner = in.readNBytes("220 ready\r\n".length());
        return new String(banner, StandardCharsets.US_ASCII);
    }
}
