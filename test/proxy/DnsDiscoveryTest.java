package proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import config.Config;
import config.ConfigLoader;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import pool.Backend;
import pool.BackendPool;
import testing.Dnsmasq;

/**
 * Endpoints from a real DNS server under load: dnsmasq serves the backends' A records from a
 * folder it re-reads; three backends listen on 127.0.0.11, .12 and .13 at one port; clients open a
 * new connection per request through featherlb the whole time. A third address that appears in DNS
 * takes traffic from the next lookup on, one that disappears takes no new connection once the
 * lookup that saw it go has been applied, and no request fails.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class DnsDiscoveryTest {
    static final String[] ADDRESSES = {"127.0.0.11", "127.0.0.12", "127.0.0.13"};
    static final int INTERVAL_MS = 500;

    /** A backend on one loopback address that answers each request line with its address. */
    static final class Named implements AutoCloseable {
        final ServerSocket server;
        final AtomicInteger accepted = new AtomicInteger();
        private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

        Named(String address, int port) throws IOException {
            server = new ServerSocket(port, 4096, InetAddress.getByName(address));
            Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        accepted.incrementAndGet();
                        threads.execute(() -> {
                            try (s) {
                                InputStream in = s.getInputStream();
                                while (in.read() > '\n') {
                                    // the request line
                                }
                                s.getOutputStream().write(address.getBytes(StandardCharsets.US_ASCII));
                                s.shutdownOutput();
                            } catch (IOException ignored) {
                                // the client went away: its own loop reports it
                            }
                        });
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
        }

        @Override
        public void close() throws IOException {
            server.close();
            threads.shutdownNow();
        }
    }

    /** Three backends on one port, found by binding the first on any port and the others beside it. */
    static List<Named> backends() throws IOException {
        for (int attempt = 0; attempt < 20; attempt++) {
            List<Named> started = new ArrayList<>();
            try {
                started.add(new Named(ADDRESSES[0], 0));
                int port = started.getFirst().server.getLocalPort();
                for (int i = 1; i < ADDRESSES.length; i++) started.add(new Named(ADDRESSES[i], port));
                return started;
            } catch (IOException taken) {
                for (Named n : started) n.close();
            }
        }
        throw new IOException("no port free on all of " + String.join(", ", ADDRESSES));
    }

    static void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20); // generous: a busy machine, not a speed bound
        while (!done.getAsBoolean() && System.nanoTime() < deadline) Thread.sleep(5);
        assertTrue(done.getAsBoolean(), what);
    }

    static List<String> endpoints(Server server) {
        BackendPool pool = server.pools().getFirst();
        return pool.backends().stream().map(Backend::address).sorted().toList();
    }

    static long lookups(Server server) {
        return server.discoveryCounts().lookups().stream().mapToLong(c -> c.value()).sum();
    }

    @Test
    void aThirdAddressTakesTrafficAndARemovedOneNoNewConnectionWithoutAFailedRequest() throws Exception {
        assumeTrue(Dnsmasq.available(), "dnsmasq is not installed (build/peers.sh installs it)");
        List<Named> named = backends();
        int port = named.getFirst().server.getLocalPort();
        try (Dnsmasq dns = new Dnsmasq(List.of())) {
            dns.addresses("backend.test", ADDRESSES[0], ADDRESSES[1]);
            int listen = testing.Ports.closed();
            Config config = ConfigLoader.parse(Path.of("dns.yaml"), """
                    routes:
                      - name: web
                        host: 127.0.0.1
                        port: %d
                        endpoints:
                          - discover: {dns: backend.test, port: %d}
                        discovery:
                          interval: %dms
                          nameserver: %s
                    """.formatted(listen, port, INTERVAL_MS, dns.nameserver()));
            Server server = new Server(config);
            try {
                server.start();
                await("the first answer is applied: " + endpoints(server), () -> endpoints(server).size() == 2);
                assertEquals(List.of(ADDRESSES[0] + ":" + port, ADDRESSES[1] + ":" + port), endpoints(server));
                assertEquals("dns:backend.test", server.pools().getFirst().backends().getFirst().endpoint().source());
                InetSocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(), listen);
                LoadLoop load = new LoadLoop(() -> target, 4, 60);
                try (load) {
                    await("load flows", () -> load.ok.get() >= 100);

                    // a third address appears: in the set by the lookup after the one under way, then it takes traffic
                    long lookupsBefore = lookups(server);
                    long added = System.nanoTime();
                    dns.addresses("backend.test", ADDRESSES);
                    await("the third address joins: " + endpoints(server), () -> endpoints(server).size() == 3);
                    long joinedAfterLookups = lookups(server) - lookupsBefore;
                    await("the third backend takes traffic: " + load.snapshot(), () -> load.perBackend.containsKey(ADDRESSES[2]));
                    double takesTrafficMs = (System.nanoTime() - added) / 1e6;
                    assertTrue(joinedAfterLookups <= 3, "joined at the next lookups (a file change dnsmasq has read), not later: " + joinedAfterLookups);
                    System.out.printf("DnsDiscoveryTest: the third address took traffic %.0f ms after the DNS change (interval %d ms)%n",
                            takesTrafficMs, INTERVAL_MS);

                    // one disappears: once the set without it is in force and every request under way has ended, no new connection reaches it
                    dns.addresses("backend.test", ADDRESSES[1], ADDRESSES[2]);
                    await("the first address leaves: " + endpoints(server), () -> endpoints(server).size() == 2);
                    assertEquals(List.of(ADDRESSES[1] + ":" + port, ADDRESSES[2] + ":" + port), endpoints(server));
                    load.awaitEachClient(2);
                    int acceptedAfterRemoval = named.getFirst().accepted.get();
                    long okBefore = load.ok.get();
                    await("load flows after the removal", () -> load.ok.get() >= okBefore + 300);
                    assertEquals(acceptedAfterRemoval, named.getFirst().accepted.get(), "no new connection to the removed address: " + load.snapshot());
                }
                assertEquals(List.of(), List.copyOf(load.failures), "no request failed");
            } finally {
                server.close();
                for (Named n : named) n.close();
            }
        }
    }
}
