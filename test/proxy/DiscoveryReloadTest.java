package proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import config.Config;
import config.ConfigLoader;
import config.Discovery;
import dial.Dialer;
import discovery.Resolver;
import health.Ticker;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import pool.Backend;

/**
 * Discovery inside the server, with an injected resolver: listeners do not wait for a first answer,
 * a reload keeps the discovered endpoints with their state, one that drops a discover item drops its
 * endpoints, and the discovery threads end with the server.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DiscoveryReloadTest {
    /** Answers per name what the test set; {@code gate} holds every lookup until opened. */
    static final class Answers implements Resolver {
        final Map<String, List<Found>> byName = new ConcurrentHashMap<>();
        final CountDownLatch gate = new CountDownLatch(1);

        @Override
        public List<Found> lookup(Discovery.Source source, Discovery.Nameserver nameserver, Duration timeout) throws InterruptedException {
            gate.await();
            return byName.getOrDefault(source.name(), List.of());
        }
    }

    final int port = portFree();

    static int portFree() {
        try {
            return testing.Ports.closed();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    Config config(String endpoints) throws Exception {
        return ConfigLoader.parse(Path.of("discovery.yaml"), """
                routes:
                  - name: web
                    host: 127.0.0.1
                    port: %d
                    endpoints:
                %s
                    discovery: {interval: 100ms}
                """.formatted(port, endpoints.indent(6).stripTrailing()));
    }

    static void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!done.getAsBoolean() && System.nanoTime() < deadline) Thread.sleep(5);
        assertTrue(done.getAsBoolean(), what);
    }

    static List<String> addresses(Server server) {
        return server.pools().getFirst().backends().stream().map(b -> b.address() + " " + b.endpoint().source()).toList();
    }

    static Backend backend(Server server, String address) {
        return server.pools().getFirst().backends().stream().filter(b -> b.address().equals(address)).findFirst().orElseThrow();
    }

    @Test
    void aReloadKeepsDiscoveredEndpointsWithTheirStateAndDropsThoseOfARemovedItem() throws Exception {
        Answers dns = new Answers();
        dns.byName.put("backend", List.of(Resolver.Found.address("10.0.0.7"), Resolver.Found.address("10.0.0.8")));
        String both = """
                - {host: 127.0.0.1, port: 9}
                - discover: {dns: backend, port: 80}
                """;
        Server server = new Server(config(both), Dialer.TCP, record -> { }, Ticker.SYSTEM, ConfigStages.INSTANCE, dns);
        try {
            server.start();
            // bound and serving the listed endpoint while the resolver has not answered yet
            InetSocketAddress bound = server.addresses().getFirst();
            assertEquals(port, bound.getPort());
            assertEquals(List.of("127.0.0.1:9 config"), addresses(server));
            dns.gate.countDown();
            await("discovered: " + addresses(server), () -> addresses(server).size() == 3);
            assertEquals(List.of("127.0.0.1:9 config", "10.0.0.7:80 dns:backend", "10.0.0.8:80 dns:backend"), addresses(server));

            Backend drained = backend(server, "10.0.0.7:80");
            drained.draining(true);
            assertEquals("~web", server.reload(config(both)));
            assertEquals(List.of("127.0.0.1:9 config", "10.0.0.7:80 dns:backend", "10.0.0.8:80 dns:backend"), addresses(server),
                    "in force at once after the reload, not after the next answer");
            assertSame(drained, backend(server, "10.0.0.7:80"), "the same backend, its state kept");
            assertTrue(drained.draining());

            // the discovery the reload started goes on looking: a new address joins
            dns.byName.put("backend", List.of(Resolver.Found.address("10.0.0.7"), Resolver.Found.address("10.0.0.8"), Resolver.Found.address("10.0.0.9")));
            await("a new answer after the reload: " + addresses(server), () -> addresses(server).size() == 4);
            assertSame(drained, backend(server, "10.0.0.7:80"));

            server.reload(config("- {host: 127.0.0.1, port: 9}"));
            assertEquals(List.of("127.0.0.1:9 config"), addresses(server), "the discover item is gone, and its endpoints with it");
            Thread.sleep(300); // three intervals: a discovery the reload ended would have put them back by now
            assertEquals(List.of("127.0.0.1:9 config"), addresses(server));
        } finally {
            server.close();
        }
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().startsWith("featherlb-discovery-")),
                "the discovery threads ended with the server");
    }
}
