package health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import algorithms.Strategy;
import config.Endpoint;
import config.HealthCheck;
import config.Route;
import config.Timeouts;
import dial.Dialer;
import health.Ticker;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import pool.Backend;
import pool.BackendPool;
import testing.HttpPeer;
import testing.SilentPeer;

/** One check against real loopback peers: what passes, what fails, and what the log is told. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ProbeTest {
    private static final Dialer DIAL = Dialer.TCP;
    private static final Duration TIMEOUT = Duration.ofSeconds(1); // a loaded CI machine took over 300 ms to answer a passing check

    private static HealthCheck check(HealthCheck.Type type, String path, String send, String expect) {
        return new HealthCheck(type, path, send, expect, Duration.ofSeconds(1), TIMEOUT, 2, 3, 0);
    }

    private static String checkOnce(HealthCheck check, int port) {
        return HealthChecker.check(DIAL, Probe.of(check, "127.0.0.1", port), "127.0.0.1", port, check.timeout());
    }

    private static final HealthCheck TCP = check(HealthCheck.Type.TCP, "/", "", "");
    private static final HealthCheck HTTP = check(HealthCheck.Type.HTTP, "/healthz", "", "");
    private static final HealthCheck PING = check(HealthCheck.Type.SEND_EXPECT, "/", "PING\r\n", "+PONG");

    @Test
    void httpPassesOn2xxAnd3xxAndFailsOnTheRest() throws Exception {
        try (HttpPeer peer = new HttpPeer("a")) {
            assertNull(checkOnce(HTTP, peer.port()));
            peer.health(301);
            assertNull(checkOnce(HTTP, peer.port()), "a redirect is healthy, as in HAProxy");
            peer.health(503);
            assertEquals("http 503", checkOnce(HTTP, peer.port()));
            peer.health(404);
            assertEquals("http 404", checkOnce(HTTP, peer.port()));
            assertEquals(4, peer.checks.get(), "each check is one GET of the configured path");
            assertEquals(0, peer.served.get());
        }
    }

    @Test
    void anEndpointThatAcceptsButNeverAnswersPassesTcpAndFailsTheOthersAtTheTimeout() throws Exception {
        try (SilentPeer peer = new SilentPeer()) {
            assertNull(checkOnce(TCP, peer.port()), "tcp only sees the connect succeed");
            long start = System.nanoTime();
            assertEquals("no reply within 1s", checkOnce(HTTP, peer.port()));
            long took = (System.nanoTime() - start) / 1_000_000;
            assertTrue(took >= 250 && took < 2000, "bounded by the timeout, took " + took + " ms");
            assertEquals("no reply within 1s", checkOnce(PING, peer.port()));
        }
    }

    @Test
    void sendExpectPassesOnTheExpectedPrefixAndFailsAtOnceOnAnotherReply() throws Exception {
        try (var pong = new LinePeer("+PONG\r\n"); var error = new LinePeer("-ERR unknown command 'PING'\r\n")) {
            assertNull(checkOnce(PING, pong.port()));
            assertEquals("PING", pong.lastLine, "send is written as configured");
            long start = System.nanoTime();
            String failure = checkOnce(PING, error.port());
            // as many bytes as came before the mismatch was seen: one read usually has all five
            assertTrue(failure.matches("reply '-(ERR )?' does not start with '\\+PONG'"), failure);
            assertTrue(System.nanoTime() - start < TIMEOUT.toNanos(), "a wrong first byte fails without waiting for the timeout");
        }
    }

    @Test
    void connectFailuresSayWhy() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        assertEquals("connect refused", checkOnce(TCP, closed));
        assertEquals("name does not resolve", HealthChecker.check(DIAL, Probe.CONNECT, "no-such-host.invalid", 80, TIMEOUT));
        try (var early = new LinePeer(null)) { // closes without a word
            assertEquals("closed without a reply", checkOnce(HTTP, early.port()));
        }
    }

    @Test
    void closeEndsACheckThatIsWaitingForAnAnswer() throws Exception {
        try (SilentPeer peer = new SilentPeer()) {
            Endpoint endpoint = new Endpoint("127.0.0.1", peer.port(), 1, false,
                    new HealthCheck(HealthCheck.Type.HTTP, "/", "", "", Duration.ofSeconds(30), Duration.ofSeconds(30), 2, 3, 0));
            Route route = new Route("r", "127.0.0.1", 0, Strategy.ROUNDROBIN, List.of(endpoint), Timeouts.DEFAULTS, 0, 3);
            BackendPool pool = new BackendPool(route, List.of(new Backend(endpoint, route, Ticker.SYSTEM, b -> { })),
                    RandomGenerator.getDefault());
            HealthChecker checker = new HealthChecker(route, pool.checkTargets(), DIAL);
            checker.start();
            while (peer.accepted.get() == 0) Thread.sleep(5);
            long start = System.nanoTime();
            checker.close();
            assertTrue(System.nanoTime() - start < 1_000_000_000L, "close does not wait for the 30s timeout");
            assertTrue(pool.backend(0).up(), "a check cut short says nothing about the endpoint");
            assertFalse(checker.running(), "its thread has ended");
        }
    }

    /** Reads one line, answers with {@code reply} (or nothing) and closes. */
    private static final class LinePeer implements AutoCloseable {
        final ServerSocket server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        volatile String lastLine;

        LinePeer(String reply) throws IOException {
            Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try (Socket s = server.accept()) {
                        if (reply == null) continue;
                        InputStream in = s.getInputStream();
                        StringBuilder line = new StringBuilder();
                        for (int c; (c = in.read()) >= 0 && c != '\n'; ) line.append((char) c);
                        lastLine = line.toString().strip();
                        s.getOutputStream().write(reply.getBytes(StandardCharsets.UTF_8));
                    } catch (IOException e) {
                        // closed by the test, or the check gave up: the assertions say what matters
                    }
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
