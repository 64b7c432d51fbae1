package proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static proxy.TestServers.ECHO;
import static proxy.TestServers.connect;

import algorithms.Strategy;
import config.Endpoint;
import config.Timeouts;
import dial.ConnectFailure;
import dial.Dialer;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import config.Engine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Timeout;

/** What happens when endpoints refuse, do not resolve, or are backups. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@ParameterizedClass(name = "{0}")
@EnumSource(Engine.class)
class FailoverTest {
    /** Every test runs on both engines. */
    @Parameter
    Engine engine;


    private static String roundTrip(Server server, String message) throws IOException {
        try (Socket client = connect(server)) {
            client.getOutputStream().write(message.getBytes(StandardCharsets.US_ASCII));
            client.shutdownOutput();
            return new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    @Test
    void aRefusingEndpointIsRetriedOnAnother() throws Exception {
        int refusing = TestServers.closedPort();
        try (var alive = new TestServers.Backend(ECHO);
             var server = TestServers.start(engine, TestServers.route(Strategy.ROUNDROBIN,
                     List.of(new Endpoint("127.0.0.1", refusing, 1, false), alive.endpoint(1))))) {
            for (int i = 0; i < 20; i++) {
                assertEquals("req " + i, roundTrip(server, "req " + i), "every request is served, even those first sent to the refusing endpoint");
            }
            assertEquals(20, alive.accepted.get());
        }
    }

    @Test
    void aNameThatDoesNotResolveIsRetriedOnAnother() throws Exception {
        try (var alive = new TestServers.Backend(ECHO);
             var server = TestServers.start(engine, TestServers.route(Strategy.ROUNDROBIN,
                     List.of(new Endpoint("no-such-host.invalid", 80, 1, false), alive.endpoint(1))))) {
            for (int i = 0; i < 4; i++) assertEquals("x", roundTrip(server, "x"));
        }
    }

    /** The event loop enforces the connect timeout: the hanging endpoint is given up on, the next one serves. */
    @Test
    void aConnectThatHangsTimesOutAndTheNextEndpointServes() throws Exception {
        Timeouts quick = new Timeouts(Duration.ofMillis(300), Duration.ofMinutes(1));
        try (var hanging = new TestServers.Hanging(); var backup = new TestServers.Backend(ECHO);
             var server = TestServers.start(engine, TestServers.route(Strategy.ROUNDROBIN, List.of(
                     new Endpoint("127.0.0.1", hanging.port(), 1, false),
                     new Endpoint("127.0.0.1", backup.port(), 1, true)), quick, 0))) {
            long start = System.nanoTime();
            assertEquals("slow", roundTrip(server, "slow"));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(millis >= 250 && millis < 3000, "after about the connect timeout: " + millis + " ms");
            assertEquals(1, server.pools().getFirst().backend(0).connectFailures(ConnectFailure.TIMEOUT));
            assertEquals(0, server.pools().getFirst().backend(0).active());
        }
    }

    @Test
    void whenEveryEndpointRefusesTheClientIsClosedAndNothingLeaks() throws Exception {
        var route = TestServers.route(Strategy.RANDOM, List.of(
                new Endpoint("127.0.0.1", TestServers.closedPort(), 1, false),
                new Endpoint("127.0.0.1", TestServers.closedPort(), 1, false)));
        try (var server = TestServers.start(engine, route); Socket client = connect(server)) {
            assertEquals(-1, client.getInputStream().read(), "closed without a byte");
            ForwardingTest.waitFor(() -> server.activeConnections() == 0);
            assertEquals(0, server.activeConnections());
            assertEquals(0, server.pools().getFirst().backend(0).active() + server.pools().getFirst().backend(1).active());
        }
    }

    @Test
    void namesAreResolvedAtEveryConnectNotOnceAtStart() throws Exception {
        List<String> dialled = new CopyOnWriteArrayList<>();
        try (var alive = new TestServers.Backend(ECHO)) {
            // the route names a host that a "DNS" maps to the live backend only after start
            Dialer dns = (host, port, timeout) -> {
                dialled.add(host);
                return Dialer.TCP.dial(host.equals("web") ? "127.0.0.1" : host, port, timeout);
            };
            var route = TestServers.route(Strategy.ROUNDROBIN, List.of(new Endpoint("web", alive.port(), 1, false)));
            try (var server = TestServers.start(engine, route, dns)) {
                assertEquals("a", roundTrip(server, "a"));
                assertEquals("b", roundTrip(server, "b"));
            }
            assertEquals(List.of("web", "web"), dialled);
        }
    }

    @Test
    void backupsTakeOverOnlyWhenNoPrimaryIsUsableAndHandBack() throws Exception {
        try (var primary = new TestServers.Backend(ECHO); var backup = new TestServers.Backend(ECHO)) {
            var route = TestServers.route(Strategy.ROUNDROBIN,
                    List.of(primary.endpoint(1), new Endpoint("127.0.0.1", backup.port(), 1, true)));
            try (var server = TestServers.start(engine, route)) {
                for (int i = 0; i < 5; i++) roundTrip(server, "p");
                assertEquals(5, primary.accepted.get());
                assertEquals(0, backup.accepted.get());

                server.pools().getFirst().backend(0).up(false); // what a health check does
                for (int i = 0; i < 5; i++) roundTrip(server, "b");
                assertEquals(5, primary.accepted.get());
                assertEquals(5, backup.accepted.get());

                server.pools().getFirst().backend(0).up(true);
                for (int i = 0; i < 5; i++) roundTrip(server, "p");
                assertEquals(10, primary.accepted.get());
                assertEquals(5, backup.accepted.get());
            }
        }
    }

    @Test
    void aRefusingPrimaryFailsOverToTheBackupWithinOneConnection() throws Exception {
        try (var backup = new TestServers.Backend(ECHO)) {
            var route = TestServers.route(Strategy.LEASTCONN, List.of(
                    new Endpoint("127.0.0.1", TestServers.closedPort(), 1, false),
                    new Endpoint("127.0.0.1", backup.port(), 1, true)));
            try (var server = TestServers.start(engine, route)) {
                assertEquals("z", roundTrip(server, "z"));
                assertTrue(backup.accepted.get() == 1);
            }
        }
    }
}
