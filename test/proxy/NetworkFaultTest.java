package proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static proxy.TestServers.ECHO;

import algorithms.Strategy;
import config.Config;
import config.Endpoint;
import config.Engine;
import config.Health;
import config.Passive;
import config.Route;
import config.Timeouts;
import dial.ConnectFailure;
import dial.Dialer;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import testing.NetNs;

/**
 * Faults on a real network: endpoints in a network namespace of the test's own ({@link NetNs}),
 * across a veth pair where nft drops packets at random or drops every SYN, and {@code tbf} shapes the
 * rate. Skipped, saying why, where namespaces cannot be created (CI runs as root).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@ParameterizedClass(name = "{0}")
@EnumSource(Engine.class)
class NetworkFaultTest {
    private static final int ECHO_PORT = 9000;
    private static final int HOLE_PORT = 9001;
    /** 4 MiB each way: a few seconds over a shaped, lossy link, enough to lose hundreds of segments. */
    private static final int BYTES = 4 << 20;

    @Parameter
    Engine engine;

    private Server start(Route route) throws IOException {
        Server server = new Server(new Config(Path.of("test.yaml"), List.of(route), Duration.ofSeconds(1)).withEngine(engine), Dialer.TCP);
        server.start();
        return server;
    }

    /** Sends {@code BYTES} of random bytes through the server to the echo, half-closes, and returns what came back and what was sent. */
    private static byte[][] echoThrough(Server server, long seed) throws Exception {
        byte[] sent = new byte[BYTES];
        new SplittableRandom(seed).nextBytes(sent);
        try (Socket client = TestServers.connect(server)) {
            client.setSoTimeout(120_000);
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    client.getOutputStream().write(sent);
                    client.shutdownOutput();
                } catch (IOException e) {
                    // the read below sees the connection end short
                }
            });
            byte[] back = client.getInputStream().readAllBytes();
            writer.join();
            return new byte[][] {sent, back};
        }
    }

    private static byte[] sha256(byte[] bytes) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(bytes);
    }

    @Test
    void transfersAreByteExactUnderLossAndShaping() throws Exception {
        try (NetNs ns = NetNs.create()) {
            ns.echo(ECHO_PORT);
            ns.lose(5);
            ns.shape("40mbit");
            Route route = TestServers.route(Strategy.ROUNDROBIN, List.of(new Endpoint(ns.address(), ECHO_PORT, 1, false)),
                    new Timeouts(Duration.ofSeconds(10), Duration.ofMinutes(2)), 0);
            try (Server server = start(route)) {
                for (long seed = 1; seed <= 2; seed++) {
                    long started = System.nanoTime();
                    byte[][] result = echoThrough(server, seed);
                    assertEquals(BYTES, result[1].length, "every byte came back");
                    assertArrayEquals(sha256(result[0]), sha256(result[1]), "byte-exact: the same SHA-256 both ways");
                    System.out.printf("network faults (%s): %d MiB each way through 5%% loss at 40mbit in %d ms%n",
                            engine, BYTES >> 20, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
                }
                var backend = server.pools().getFirst().backend(0);
                assertEquals(2L * BYTES, backend.bytesUp());
                assertEquals(2L * BYTES, backend.bytesDown());
            }
        }
    }

    /**
     * An endpoint whose host stopped answering (every SYN dropped): only the first {@code failures}
     * clients wait for the connect timeout before the next endpoint serves them; then it is ejected
     * and nobody waits. No client fails.
     */
    @Test
    void aBlackHoleEndpointIsEjectedAndNoClientFails() throws Exception {
        try (NetNs ns = NetNs.create(); var alive = new TestServers.Backend(ECHO)) {
            ns.blackHole(HOLE_PORT);
            Route route = new Route("test", "127.0.0.1", 0, Strategy.ROUNDROBIN,
                    List.of(new Endpoint(ns.address(), HOLE_PORT, 1, false), alive.endpoint(1)),
                    new Timeouts(Duration.ofMillis(500), Duration.ofMinutes(1)), 0, Route.DEFAULT_RETRIES,
                    new Health(null, new Passive(2, Duration.ofMinutes(10)), Duration.ZERO, false));
            try (Server server = start(route)) {
                var hole = server.pools().getFirst().backend(0);
                List<Long> waits = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    long started = System.nanoTime();
                    try (Socket client = TestServers.connect(server)) {
                        client.getOutputStream().write(("client " + i).getBytes(StandardCharsets.US_ASCII));
                        client.shutdownOutput();
                        assertEquals("client " + i, new String(readAll(client.getInputStream()), StandardCharsets.US_ASCII), "served");
                    }
                    waits.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
                }
                assertEquals(2, hole.connectFailures(ConnectFailure.TIMEOUT), "two connects timed out, then it was out: nobody else waited");
                assertFalse(hole.up(), "ejected");
                assertEquals(20, alive.accepted.get(), "every client served by the endpoint that is up");
                System.out.printf("network faults (%s): black-hole endpoint, client waits in ms: %s%n", engine, waits);
            }
        }
    }

    private static byte[] readAll(InputStream in) throws IOException {
        return in.readAllBytes();
    }
}
