package proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static proxy.TestServers.ECHO;
import static proxy.TestServers.connect;

import algorithms.Strategy;
import config.Config;
import config.Endpoint;
import config.Timeouts;
import com.sun.management.HotSpotDiagnosticMXBean;
import dial.Dialer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import java.net.ConnectException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import config.Engine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Timeout;
import traffic.ConnectionRecord;
import traffic.Outcome;

/** Limits, timeouts and the two-phase shutdown. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@ParameterizedClass(name = "{0}")
@EnumSource(Engine.class)
class LifecycleTest {
    /** Every test runs on both engines. */
    @Parameter
    Engine engine;


    @Test
    void maxConnectionsHoldsFurtherClientsUntilOneEnds() throws Exception {
        try (var backend = new TestServers.Backend(ECHO);
             var server = TestServers.start(engine, TestServers.route(Strategy.ROUNDROBIN, List.of(backend.endpoint(1)), Timeouts.DEFAULTS, 2));
             Socket first = connect(server); Socket second = connect(server); Socket third = connect(server)) {
            ForwardingTest.waitFor(() -> backend.accepted.get() == 2);
            Thread.sleep(200);
            assertEquals(2, backend.accepted.get(), "the third client waits in the backlog, not forwarded");
            third.setSoTimeout(300);
            third.getOutputStream().write('3');
            assertThrows(SocketTimeoutException.class, () -> third.getInputStream().read());

            first.close();
            third.setSoTimeout(5000);
            assertEquals('3', third.getInputStream().read(), "served once a slot is free");
            assertEquals(3, backend.accepted.get());
        }
    }

    @Test
    void anIdleConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        Timeouts quick = new Timeouts(Duration.ofSeconds(1), Duration.ofMillis(400));
        try (var backend = new TestServers.Backend(ECHO);
             var server = TestServers.start(engine, TestServers.route(Strategy.ROUNDROBIN, List.of(backend.endpoint(1)), quick, 0));
             Socket client = connect(server)) {
            // activity keeps it open past the timeout...
            for (int i = 0; i < 5; i++) {
                client.getOutputStream().write('a');
                assertEquals('a', client.getInputStream().read());
                Thread.sleep(200);
            }
            // ...silence closes it
            long start = System.nanoTime();
            assertEquals(-1, client.getInputStream().read());
            long waitedMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(waitedMs >= 300, "closed after " + waitedMs + " ms of silence, not before the timeout");
        }
    }

    @Test
    void shutdownStopsAcceptingAndLetsOpenConnectionsFinish() throws Exception {
        try (var backend = new TestServers.Backend(ECHO)) {
            Server server = TestServers.start(engine, TestServers.route(Strategy.ROUNDROBIN, List.of(backend.endpoint(1))));
            var address = server.addresses().getFirst();
            Socket open = connect(server);
            open.getOutputStream().write("before".getBytes(StandardCharsets.US_ASCII));
            ForwardingTest.waitFor(() -> backend.accepted.get() == 1);

            CompletableFuture<Integer> closed = CompletableFuture.supplyAsync(() -> server.shutdown(Duration.ofSeconds(10)));
            ForwardingTest.waitFor(() -> {
                try (Socket probe = new Socket(address.getAddress(), address.getPort())) {
                    return false;
                } catch (IOException refused) {
                    return true;
                }
            });
            assertThrows(ConnectException.class, () -> new Socket(address.getAddress(), address.getPort()).close(),
                    "no new connections once shutdown began");

            // the open connection still works both ways during the grace period
            open.getOutputStream().write(" and after".getBytes(StandardCharsets.US_ASCII));
            open.shutdownOutput();
            assertEquals("before and after", new String(open.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
            open.close();
            assertEquals(0, closed.get(10, TimeUnit.SECONDS), "nothing had to be cut off");
        }
    }

    /** The virtual threads' engine names its two threads and ends them with the connection; the loops start none. */
    @Test
    void forwardingThreadsAreNamedAndEndWithTheServer(@TempDir Path dir) throws Exception {
        try (var backend = new TestServers.Backend(ECHO)) {
            Server server = TestServers.start(engine, TestServers.route(Strategy.ROUNDROBIN, List.of(backend.endpoint(1))));
            List<String> names;
            try (Socket open = connect(server)) {
                open.getOutputStream().write('x');
                assertEquals('x', open.getInputStream().read());
                names = forwardingThreads(dir.resolve("open.json"));
                if (engine == Engine.LOOPS) {
                    assertEquals(List.of(), names);
                } else {
                    assertEquals(2, names.size(), names.toString());
                    assertTrue(names.stream().anyMatch(n -> n.endsWith("-up")) && names.stream().anyMatch(n -> n.endsWith("-down")), names.toString());
                }
                server.shutdown(Duration.ZERO); // closes the idle connection: both threads are blocked in a read
            }
            List<String> left = forwardingThreads(dir.resolve("closed.json"));
            assertTrue(names.stream().noneMatch(left::contains), "still running after the shutdown: " + left);
        }
    }

    /** The names of the featherlb-vt threads running now, from a thread dump (which lists virtual threads). */
    private static List<String> forwardingThreads(Path file) throws IOException {
        ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                .dumpThreads(file.toString(), HotSpotDiagnosticMXBean.ThreadDumpFormat.JSON);
        Matcher m = Pattern.compile("\"name\":\\s*\"(featherlb-vt-[^\"]*)\"").matcher(Files.readString(file));
        List<String> names = new ArrayList<>();
        while (m.find()) names.add(m.group(1));
        return names;
    }

    @Test
    void connectionsStillOpenWhenTheGracePeriodEndsAreClosed() throws Exception {
        try (var backend = new TestServers.Backend(ECHO)) {
            Server server = TestServers.start(engine, TestServers.route(Strategy.ROUNDROBIN, List.of(backend.endpoint(1))));
            try (Socket open = connect(server)) {
                open.getOutputStream().write('x');
                assertEquals('x', open.getInputStream().read());
                long start = System.nanoTime();
                assertEquals(1, server.shutdown(Duration.ofMillis(300)));
                assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(300));
                assertEquals(-1, open.getInputStream().read());
            }
        }
    }

    /** A connection whose connect is still pending on its loop is closed by the shutdown, and ends exactly once. */
    @Test
    void aConnectionStillConnectingIsClosedByTheShutdownAndEndsOnce() throws Exception {
        var records = new LinkedBlockingQueue<ConnectionRecord>();
        Timeouts patient = new Timeouts(Duration.ofSeconds(20), Duration.ofMinutes(1));
        try (var hanging = new TestServers.Hanging()) {
            var route = TestServers.route(Strategy.ROUNDROBIN, List.of(new Endpoint("127.0.0.1", hanging.port(), 1, false)), patient, 0);
            Server server = new Server(new Config(Path.of("t.yaml"), List.of(route), Duration.ofSeconds(1)).withEngine(engine), Dialer.TCP, records::add);
            server.start();
            try (Socket client = connect(server)) {
                ForwardingTest.waitFor(() -> server.pools().getFirst().backend(0).active() == 1);
                assertEquals(1, server.shutdown(Duration.ofMillis(100)));
                assertEquals(-1, client.getInputStream().read());
            }
            assertEquals(Outcome.SHUTDOWN, records.poll(5, TimeUnit.SECONDS).outcome());
            assertNull(records.poll(300, TimeUnit.MILLISECONDS), "one record: finished once");
            assertEquals(0, server.pools().getFirst().backend(0).active());
            assertEquals(0, server.activeConnections());
        }
    }

    /** The same while a virtual thread dials a host name: the shutdown waits for that dial, then it ends once. */
    @Test
    void aConnectionDiallingAHostNameIsClosedByTheShutdownAndEndsOnce() throws Exception {
        var records = new LinkedBlockingQueue<ConnectionRecord>();
        var dialling = new CountDownLatch(1);
        Dialer slowDns = (host, port, timeout) -> {
            dialling.countDown();
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                throw new java.io.InterruptedIOException();
            }
            return Dialer.TCP.dial("127.0.0.1", port, timeout);
        };
        try (var backend = new TestServers.Backend(ECHO)) {
            var route = TestServers.route(Strategy.ROUNDROBIN, List.of(new Endpoint("web", backend.port(), 1, false)));
            Server server = new Server(new Config(Path.of("t.yaml"), List.of(route), Duration.ofSeconds(1)).withEngine(engine), slowDns, records::add);
            server.start();
            try (Socket client = connect(server)) {
                assertTrue(dialling.await(5, TimeUnit.SECONDS));
                assertEquals(1, server.shutdown(Duration.ZERO));
                assertEquals(-1, client.getInputStream().read());
            }
            assertEquals(Outcome.SHUTDOWN, records.poll(5, TimeUnit.SECONDS).outcome());
            assertNull(records.poll(300, TimeUnit.MILLISECONDS), "one record: finished once");
            assertEquals(0, server.pools().getFirst().backend(0).active());
            assertEquals(0, server.activeConnections());
        }
    }

    /**
     * A loop whose selector breaks cannot forward or accept any more: the server says so, so that
     * featherlb.java stops with status 1 rather than half working. Closing the selector from outside
     * is the nearest a test gets to epoll failing.
     */
    @Test
    void aLoopWhoseSelectorBreaksIsReportedAsAFailure() throws Exception {
        try (var backend = new TestServers.Backend(ECHO);
             var server = TestServers.start(engine, TestServers.route(Strategy.ROUNDROBIN, List.of(backend.endpoint(1))))) {
            try (Socket client = connect(server)) { // it serves before
                client.getOutputStream().write('x');
                client.shutdownOutput();
                assertEquals('x', client.getInputStream().read());
            }
            assertTrue(!server.failure().isDone());
            server.loops().getFirst().selector().close();
            Throwable cause = server.failure().get(10, TimeUnit.SECONDS);
            assertTrue(cause instanceof java.nio.channels.ClosedSelectorException, cause.toString());
        }
    }
}
