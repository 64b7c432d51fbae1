package proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import algorithms.Strategy;
import config.Config;
import config.Endpoint;
import config.Route;
import config.Timeouts;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import config.Engine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Timeout;
import pool.Backend;

/** Server.reload under continuous load: nothing fails, new connections follow the new config at once. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ParameterizedClass(name = "{0}")
@EnumSource(Engine.class)
class ReloadTest {
    /** Every test runs on both engines. */
    @Parameter
    Engine engine;


    private Config config(Route... routes) {
        return new Config(Path.of("reload.yaml"), List.of(routes), Duration.ofSeconds(1)).withEngine(engine);
    }

    private static Route route(String name, int port, Strategy strategy, Endpoint... endpoints) {
        return new Route(name, "127.0.0.1", port, strategy, List.of(endpoints), Timeouts.DEFAULTS, 0, Route.DEFAULT_RETRIES);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Waits until the loop has done {@code more} further requests. */
    private static void progress(LoadLoop load, long more) throws InterruptedException {
        long target = load.ok.get() + more;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (load.ok.get() < target && System.nanoTime() < deadline) Thread.sleep(5);
        assertTrue(load.ok.get() >= target, "the load made progress");
    }

    @Test
    void addRemoveAndRestrategiseEndpointsUnderLoadWithoutAFailedRequest() throws Exception {
        try (var a = new TestServers.Backend(LoadLoop.named("a"));
             var b = new TestServers.Backend(LoadLoop.named("b"));
             var c = new TestServers.Backend(LoadLoop.named("c"))) {
            int port = freePort();
            Server server = new Server(config(route("web", port, Strategy.ROUNDROBIN, a.endpoint(1), b.endpoint(1))));
            server.start();
            InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
            try (LoadLoop load = new LoadLoop(() -> address, 8, 30)) {
                progress(load, 200);

                // add c
                assertEquals("~web", server.reload(config(route("web", port, Strategy.ROUNDROBIN, a.endpoint(1), b.endpoint(1), c.endpoint(1)))).summary());
                long cBefore = c.accepted.get();
                progress(load, 300);
                assertTrue(c.accepted.get() - cBefore >= 50, "the added endpoint takes traffic at once: " + load.snapshot());

                // remove a
                server.reload(config(route("web", port, Strategy.ROUNDROBIN, b.endpoint(1), c.endpoint(1))));
                load.awaitEachClient(2); // a request accepted just before the swap may still reach a
                long aAfterRemoval = a.accepted.get();
                progress(load, 300);
                assertEquals(aAfterRemoval, a.accepted.get(), "the removed endpoint takes no new connections");

                // change the strategy and weights
                server.reload(config(route("web", port, Strategy.LEASTCONN, b.endpoint(3), c.endpoint(1))));
                progress(load, 300);
                load.close();
                assertEquals(List.of(), List.copyOf(load.failures), "zero failed requests across three reloads");
            }
            server.close();
        }
    }

    @Test
    void movingARouteToAnotherPortServesTheNewPortAndDrainsTheOld() throws Exception {
        try (var a = new TestServers.Backend(LoadLoop.named("a"))) {
            int oldPort = freePort(), newPort = freePort();
            Server server = new Server(config(route("web", oldPort, Strategy.ROUNDROBIN, a.endpoint(1))));
            server.start();
            InetSocketAddress oldAddress = new InetSocketAddress(InetAddress.getLoopbackAddress(), oldPort);
            InetSocketAddress newAddress = new InetSocketAddress(InetAddress.getLoopbackAddress(), newPort);
            try (Socket longLived = new Socket(oldAddress.getAddress(), oldPort)) {
                // accepted, not just queued: closing a listener resets what is still in its accept queue
                ForwardingTest.waitFor(() -> server.activeConnections() == 1);
                ConfigDiff changes = server.reload(config(route("web", newPort, Strategy.ROUNDROBIN, a.endpoint(1))));
                assertEquals("~web", changes.summary(), "the same route, on another address");
                assertEquals(List.of("listen: tcp 127.0.0.1:" + oldPort + " -> tcp 127.0.0.1:" + newPort), changes.changed().getFirst().settings());
                try (LoadLoop onNew = new LoadLoop(() -> newAddress, 4, 30)) {
                    progress(onNew, 200);
                    onNew.close();
                    assertEquals(List.of(), List.copyOf(onNew.failures), "every request on the new port is served");
                }
                assertThrows(IOException.class, () -> new Socket(oldAddress.getAddress(), oldPort).close(), "the old port is closed");
                // a connection opened before the reload still works
                longLived.getOutputStream().write("GET\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals("a", new String(longLived.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
            }
            server.close();
        }
    }

    @Test
    void aReloadCannotChangeTheEngine() throws Exception {
        try (var echo = new TestServers.Backend(TestServers.ECHO)) {
            Server server = new Server(config(route("web", 0, Strategy.ROUNDROBIN, echo.endpoint(1))));
            server.start();
            Engine other = engine == Engine.LOOPS ? Engine.VIRTUAL_THREADS : Engine.LOOPS;
            server.reload(config(route("web", 0, Strategy.ROUNDROBIN, echo.endpoint(1))).withEngine(other));
            assertEquals(engine, server.engine(), "the engine chosen at start keeps running");
            try (Socket client = TestServers.connect(server)) {
                client.getOutputStream().write('1');
                assertEquals('1', client.getInputStream().read());
            }
            server.close();
        }
    }

    @Test
    void aLongLivedConnectionKeepsFlowingAfterItsEndpointIsRemoved() throws Exception {
        try (var echo = new TestServers.Backend(TestServers.ECHO); var other = new TestServers.Backend(LoadLoop.named("other"))) {
            Server server = new Server(config(route("web", 0, Strategy.ROUNDROBIN, echo.endpoint(1))));
            server.start();
            try (Socket client = TestServers.connect(server)) {
                client.getOutputStream().write('1');
                assertEquals('1', client.getInputStream().read());
                server.reload(config(route("web", 0, Strategy.ROUNDROBIN, other.endpoint(1))));
                for (int i = 0; i < 50; i++) {
                    client.getOutputStream().write('x');
                    assertEquals('x', client.getInputStream().read(), "still connected to the removed endpoint");
                }
                assertEquals(List.of(other.endpoint(1).address()),
                        server.pools().getFirst().backends().stream().map(Backend::address).toList(), "only the new endpoint is offered");
            }
            ForwardingTest.waitFor(() -> server.activeConnections() == 0);
            server.close();
        }
    }

    @Test
    void endpointsThatStayKeepTheirLiveState() throws Exception {
        try (var a = new TestServers.Backend(TestServers.ECHO); var b = new TestServers.Backend(TestServers.ECHO)) {
            Server server = new Server(config(route("web", 0, Strategy.ROUNDROBIN, a.endpoint(1), b.endpoint(1))));
            server.start();
            Backend kept = server.pools().getFirst().backend(0);
            kept.draining(true);
            try (Socket open = TestServers.connect(server)) {
                ForwardingTest.waitFor(() -> b.accepted.get() == 1);
                server.reload(config(route("web", 0, Strategy.LEASTCONN, a.endpoint(5), b.endpoint(1))));
                Backend after = server.pools().getFirst().backend(0);
                assertTrue(after == kept, "the same live endpoint object");
                assertTrue(after.draining(), "draining carries over");
                assertEquals(5, after.weight(), "the weight is the new config's");
                assertEquals(1, server.pools().getFirst().backend(1).active(), "the open connection is still counted");
            }
            server.close();
        }
    }

    @Test
    void aListenerThatCannotBindChangesNothing() throws Exception {
        try (var a = new TestServers.Backend(TestServers.ECHO);
             ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Config first = config(route("web", 0, Strategy.ROUNDROBIN, a.endpoint(1)));
            Server server = new Server(first);
            server.start();
            var address = server.addresses().getFirst();
            IOException e = assertThrows(IOException.class, () -> server.reload(config(
                    route("web", 0, Strategy.ROUNDROBIN, a.endpoint(1)),
                    route("api", taken.getLocalPort(), Strategy.ROUNDROBIN, a.endpoint(1)))));
            assertTrue(e.getMessage().contains("cannot listen on 127.0.0.1:" + taken.getLocalPort()), e.getMessage());
            assertEquals(first, server.config());
            assertEquals(List.of(address), server.addresses());
            try (Socket s = TestServers.connect(server)) {
                s.getOutputStream().write('k');
                assertEquals('k', s.getInputStream().read());
            }
            server.close();
        }
    }

    /** A reload that raises max_connections lets the client waiting in the backlog in at once. */
    @Test
    void raisingMaxConnectionsLetsAWaitingClientIn() throws Exception {
        try (var backend = new TestServers.Backend(TestServers.ECHO)) {
            int port = freePort();
            Route limited = new Route("web", "127.0.0.1", port, Strategy.ROUNDROBIN, List.of(backend.endpoint(1)), Timeouts.DEFAULTS, 1, Route.DEFAULT_RETRIES);
            Route wider = new Route("web", "127.0.0.1", port, Strategy.ROUNDROBIN, List.of(backend.endpoint(1)), Timeouts.DEFAULTS, 2, Route.DEFAULT_RETRIES);
            try (Server server = new Server(config(limited))) {
                server.start();
                try (Socket first = TestServers.connect(server); Socket second = TestServers.connect(server)) {
                    first.getOutputStream().write('1');
                    assertEquals('1', first.getInputStream().read());
                    second.getOutputStream().write('2');
                    Thread.sleep(200);
                    assertEquals(1, backend.accepted.get(), "the second client waits in the backlog");
                    server.reload(config(wider));
                    assertEquals('2', second.getInputStream().read(), "served once the limit allows it, with the first still open");
                }
            }
        }
    }

    /** A route moved away frees its port by the time the reload returns: it can be bound again at once. */
    @Test
    void aRemovedListenersPortIsFreeWhenTheReloadReturns() throws Exception {
        try (var backend = new TestServers.Backend(TestServers.ECHO)) {
            int before = freePort();
            int after = freePort();
            try (Server server = new Server(config(route("web", before, Strategy.ROUNDROBIN, backend.endpoint(1))))) {
                server.start();
                server.reload(config(route("web", after, Strategy.ROUNDROBIN, backend.endpoint(1))));
                try (ServerSocket again = new ServerSocket(before, 1, InetAddress.getLoopbackAddress())) {
                    assertEquals(before, again.getLocalPort());
                }
            }
        }
    }
}
