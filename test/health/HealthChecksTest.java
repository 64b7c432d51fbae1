package health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import algorithms.Strategy;
import config.Config;
import config.Endpoint;
import config.Health;
import config.HealthCheck;
import config.Passive;
import config.Route;
import config.Timeouts;
import dial.ConnectFailure;
import dial.Dialer;
import health.HealthState;
import health.Ticker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeAll;
import config.Engine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Timeout;
import pool.Backend;
import proxy.Server;
import testing.HttpPeer;
import testing.LogLines;
import testing.SilentPeer;

/**
 * Health checks in the running balancer, against real HTTP peers on loopback: endpoints go down and
 * come back on exact counts, clients never see an endpoint that is down, and the route's answers
 * to an outage (backups, refusals, on_down) are what the config says.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ParameterizedClass(name = "{0}")
@EnumSource(Engine.class)
class HealthChecksTest {
    /** Every test runs on both engines. */
    @Parameter
    Engine engine;

    private static final Duration QUICK = Duration.ofMillis(100);

    /**
     * The first check of an endpoint decides (HAProxy's default, init-state up), and the first HTTP
     * exchange in a fresh JVM is slowed by class loading: one exchange before the tests keeps that
     * out of their first checks.
     */
    @BeforeAll
    static void warmUp() throws IOException {
        try (HttpPeer peer = new HttpPeer("warm-up")) {
            HealthChecker.check(Dialer.TCP::dial, Probe.of(check(HealthCheck.Type.HTTP, 1, 1), "127.0.0.1", peer.port()),
                    "127.0.0.1", peer.port(), Duration.ofSeconds(5));
            HttpPeer.get(new InetSocketAddress("127.0.0.1", peer.port()));
        }
    }

    /** A clock for cool-downs and slow start that moves only when told. */
    static final class ManualTicker implements Ticker {
        volatile long now = 1_000_000_000_000L;

        @Override
        public long nanos() {
            return now;
        }

        void advance(Duration d) {
            now += d.toNanos();
        }
    }

    /** A quick check; tests whose counts must be exact use fall >= 2, so that one check slowed past
     * the 100ms timeout by a busy machine does not take an endpoint down. */
    static HealthCheck check(HealthCheck.Type type, int rise, int fall) {
        return new HealthCheck(type, "/healthz", "", "", QUICK, QUICK, rise, fall, 0);
    }

    static Endpoint endpoint(HttpPeer peer) {
        return new Endpoint("127.0.0.1", peer.port(), 1, false);
    }

    static Route route(List<Endpoint> endpoints, Health health) {
        return new Route("web", "127.0.0.1", 0, Strategy.ROUNDROBIN, endpoints, new Timeouts(Duration.ofSeconds(1), Duration.ofMinutes(1)), 0, 3, health);
    }

    Server start(Route route, Dialer dialer, Ticker ticker) {
        return start(engine, route, dialer, ticker);
    }

    Server start(Route route) {
        return start(engine, route, Dialer.TCP, Ticker.SYSTEM);
    }

    static Server start(Engine engine, Route route, Dialer dialer, Ticker ticker) {
        Server server = new Server(new Config(Path.of("test.yaml"), List.of(route), Duration.ofSeconds(1)).withEngine(engine), dialer, r -> { }, ticker);
        try {
            server.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return server;
    }

    /** A started server forwarding with the loops (for the tests of other checks). */
    static Server startOnLoops(Route route) {
        return start(Engine.LOOPS, route, Dialer.TCP, Ticker.SYSTEM);
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting until " + what);
            Thread.sleep(5);
        }
    }

    /** {@code n} requests one after another; how many each peer served, by name. */
    static Map<String, Integer> spread(Server server, int n) throws IOException {
        Map<String, Integer> counts = new TreeMap<>();
        for (int i = 0; i < n; i++) counts.merge(HttpPeer.get(server.addresses().getFirst()), 1, Integer::sum);
        return counts;
    }

    static Backend backend(Server server, int index) {
        return server.pools().getFirst().backend(index);
    }

    @Test
    void fallFailedChecksTakeAnEndpointOutAndRisePassedOnesBringItBackExactly() throws Exception {
        try (HttpPeer a = new HttpPeer("a"); HttpPeer b = new HttpPeer("b");
             LogLines log = LogLines.of(HealthState.class)) {
            // 200ms rather than 50ms: one check slowed past its timeout by a busy machine would shift the exact sequences
            Duration patient = Duration.ofMillis(200);
            Health health = new Health(new HealthCheck(HealthCheck.Type.HTTP, "/healthz", "", "", patient, patient, 2, 3, 0),
                    Passive.DEFAULTS, Duration.ZERO, false);
            try (Server server = start(route(List.of(endpoint(a), endpoint(b)), health))) {
                // what the balancer thought of a when each check reached a: the results of all checks before it
                List<String> seen = new CopyOnWriteArrayList<>();
                a.beforeCheckAnswer(status -> seen.add(status + (backend(server, 0).up() ? " up" : " down")));
                await("a few checks passed", () -> a.checks.get() >= 2);

                a.health(503);
                await("a is down", () -> !backend(server, 0).up());
                assertEquals(Map.of("b", 6), spread(server, 6), "no client is sent to an endpoint that is down");
                await("a fifth failed check", () -> seen.stream().filter(s -> s.startsWith("503")).count() >= 5);
                assertEquals(List.of("503 up", "503 up", "503 up", "503 down", "503 down"),
                        seen.stream().filter(s -> s.startsWith("503")).limit(5).toList(), "down after exactly fall = 3 failed checks");

                seen.clear();
                a.health(200);
                await("a is up", () -> backend(server, 0).up());
                await("a third passed check", () -> seen.size() >= 3);
                assertEquals(List.of("200 down", "200 down", "200 up"), seen.subList(0, 3), "up after exactly rise = 2 passed checks");
                Map<String, Integer> after = spread(server, 10);
                assertTrue(after.getOrDefault("a", 0) >= 4, "a takes its share again: " + after);
            }
            String a1 = "endpoint web/127.0.0.1:" + a.port();
            assertEquals(List.of("INFO " + a1 + " down: 3 checks failed (http 503)", "INFO " + a1 + " up: 2 checks passed"), log.lines());
        }
    }

    @Test
    void anEndpointThatAcceptsButNeverAnswersIsFoundByHttpChecksNotByTcpChecks() throws Exception {
        try (SilentPeer hung = new SilentPeer(); HttpPeer a = new HttpPeer("a")) {
            List<Endpoint> endpoints = List.of(new Endpoint("127.0.0.1", hung.port(), 1, false), endpoint(a));
            Health tcp = new Health(check(HealthCheck.Type.TCP, 2, 3), Passive.DEFAULTS, Duration.ZERO, false);
            try (Server server = start(route(endpoints, tcp))) {
                await("five tcp checks", () -> hung.accepted.get() >= 5);
                assertTrue(backend(server, 0).up(), "the connect succeeds, so tcp sees nothing wrong");
            }
            Health http = new Health(check(HealthCheck.Type.HTTP, 2, 3), Passive.DEFAULTS, Duration.ZERO, false);
            try (Server server = start(route(endpoints, http))) {
                await("the hung endpoint is down", () -> !backend(server, 0).up());
                assertEquals("first check failed (no reply within 100ms)", backend(server, 0).health().reason());
                assertEquals(Map.of("a", 6), spread(server, 6), "no client waits on the hung endpoint");
            }
        }
    }

    @Test
    void aKilledEndpointUnderContinuousTrafficFailsNoRequestAndTakesTrafficWhenItReturns() throws Exception {
        List<HttpPeer> peers = new ArrayList<>(List.of(new HttpPeer("a"), new HttpPeer("b"), new HttpPeer("c")));
        int bPort = peers.get(1).port();
        Health health = new Health(new HealthCheck(HealthCheck.Type.TCP, "/", "", "", Duration.ofMillis(100), Duration.ofMillis(100), 2, 2, 0),
                Passive.DEFAULTS, Duration.ZERO, false);
        try (LogLines log = LogLines.of(HealthState.class);
             Server server = start(route(peers.stream().map(HealthChecksTest::endpoint).toList(), health));
             Traffic traffic = new Traffic(server.addresses().getFirst(), 4)) {
            await("traffic flows", () -> traffic.ok() >= 200);

            long killed = traffic.pauseAnd(() -> peers.get(1).close());
            await("b is down", () -> !backend(server, 1).up());
            long down = System.nanoTime();
            long atDown = traffic.ok();
            await("traffic goes on without b", () -> traffic.ok() >= atDown + 300);

            HttpPeer back = new HttpPeer("b", bPort);
            peers.set(1, back);
            long restarted = System.nanoTime();
            await("b takes traffic again", () -> back.served.get() >= 50);
            long serving = System.nanoTime();
            traffic.close();

            assertEquals(0, traffic.failed(), "no client request failed: " + traffic.firstFailure());
            long refused = backend(server, 1).connectFailures(dial.ConnectFailure.REFUSED);
            System.out.printf("killed endpoint: %d requests, 0 failed; %d connects to the dead endpoint refused and retried;"
                    + " down %d ms after the kill; serving %d ms after it came back%n", traffic.ok(), refused,
                    (down - killed) / 1_000_000, (serving - restarted) / 1_000_000);
            List<String> bLines = log.lines().stream().filter(l -> l.contains(":" + bPort + " ")).toList();
            assertEquals(2, bLines.size(), "one line down, one line up: " + bLines);
            assertTrue(bLines.get(0).matches("INFO endpoint web/127.0.0.1:\\d+ down: (connect refused x3 \\(trying again in 10s\\)|2 checks failed \\(connect refused\\))"), bLines.get(0));
            assertEquals("INFO endpoint web/127.0.0.1:" + bPort + " up: 2 checks passed", bLines.get(1));
        } finally {
            peers.forEach(HttpPeer::close);
        }
    }

    @Test
    void withoutActiveChecksFailedConnectsEjectAnEndpointForTheCooldownThenOneTryDecides() throws Exception {
        ManualTicker ticker = new ManualTicker();
        HttpPeer a = new HttpPeer("a");
        HttpPeer b = new HttpPeer("b");
        int bPort = b.port();
        Health passiveOnly = new Health(null, new Passive(3, Duration.ofSeconds(10)), Duration.ZERO, false);
        try (Server server = start(route(List.of(endpoint(a), endpoint(b)), passiveOnly), Dialer.TCP, ticker)) {
            b.close();
            assertEquals(Map.of("a", 30), spread(server, 30), "every request served: the refused connects were retried on a");
            assertEquals(3, backend(server, 1).connectFailures(dial.ConnectFailure.REFUSED), "3 refused connects, then no more tries");
            assertFalse(backend(server, 1).up());

            ticker.advance(Duration.ofSeconds(10));
            assertEquals(Map.of("a", 4), spread(server, 4));
            assertEquals(4, backend(server, 1).connectFailures(dial.ConnectFailure.REFUSED), "after the cool-down, one try, which fails");
            assertFalse(backend(server, 1).up(), "and another cool-down");

            b = new HttpPeer("b", bPort);
            ticker.advance(Duration.ofSeconds(10));
            assertEquals(Map.of("a", 2, "b", 2), spread(server, 4), "one connect that works brings it back");
            assertTrue(backend(server, 1).up());
        } finally {
            a.close();
            b.close();
        }
    }

    @Test
    void slowStartRampsARecoveredEndpointsShareInStepsWithExactCounts() throws Exception {
        ManualTicker ticker = new ManualTicker(); // frozen: the test moves it from step to step
        HttpPeer a = new HttpPeer("a");
        HttpPeer b = new HttpPeer("b");
        int bPort = b.port();
        Health health = new Health(check(HealthCheck.Type.TCP, 1, 3), Passive.DEFAULTS, Duration.ofSeconds(10), false);
        try (Server server = start(route(List.of(endpoint(a), endpoint(b)), health), Dialer.TCP, ticker)) {
            b.close();
            await("b is down", () -> !backend(server, 1).up());
            b = new HttpPeer("b", bPort);
            await("b is back", () -> backend(server, 1).up());

            // smooth round robin over weights 10 (a, in tenths) and the ramp's tenths for b: each
            // phase is one whole round of the total weight, so the counts are exact
            assertEquals(Map.of("a", 10, "b", 1), spread(server, 11), "just back: a tenth of its weight");
            ticker.advance(Duration.ofSeconds(5));
            assertEquals(Map.of("a", 10, "b", 5), spread(server, 15), "half way: half");
            ticker.advance(Duration.ofSeconds(4));
            assertEquals(Map.of("a", 10, "b", 9), spread(server, 19), "9s of 10s: nine tenths");
            ticker.advance(Duration.ofSeconds(1));
            assertEquals(Map.of("a", 10, "b", 10), spread(server, 20), "slow_start over: all of it");
        } finally {
            a.close();
            b.close();
        }
    }

    @Test
    void backupsTakeOverOnlyWhenEveryPrimaryIsDownAndHandBack() throws Exception {
        try (HttpPeer p1 = new HttpPeer("p1"); HttpPeer p2 = new HttpPeer("p2"); HttpPeer spare = new HttpPeer("spare");
             LogLines log = LogLines.of(HealthState.class)) {
            Health health = new Health(check(HealthCheck.Type.HTTP, 1, 2), Passive.DEFAULTS, Duration.ZERO, false);
            List<Endpoint> endpoints = List.of(endpoint(p1), endpoint(p2), new Endpoint("127.0.0.1", spare.port(), 1, true));
            try (Server server = start(route(endpoints, health))) {
                await("first checks", () -> p1.checks.get() > 0 && p2.checks.get() > 0 && spare.checks.get() > 0);
                assertEquals(Map.of("p1", 3, "p2", 3), spread(server, 6));

                p1.health(503);
                await("p1 is down", () -> !backend(server, 0).up());
                assertEquals(Map.of("p2", 6), spread(server, 6), "one primary left: the backup waits");

                p2.health(503);
                await("p2 is down", () -> !backend(server, 1).up());
                assertEquals(Map.of("spare", 6), spread(server, 6), "every primary down: the backup takes over");

                p1.health(200);
                await("p1 is up", () -> backend(server, 0).up());
                assertEquals(Map.of("p1", 6), spread(server, 6), "a primary is back: the backup hands back");
            }
            assertEquals(3, log.lines().size(), "p1 down, p2 down, p1 up: " + log.lines());
        }
    }

    @Test
    void whenEveryEndpointIsDownClientsAreRefusedAtOnceAndTheLogSaysSoOnceASecond() throws Exception {
        try (HttpPeer a = new HttpPeer("a"); HttpPeer b = new HttpPeer("b"); LogLines log = LogLines.of("tcp.Refusals")) {
            a.health(503);
            b.health(503);
            Health health = new Health(check(HealthCheck.Type.HTTP, 2, 3), Passive.DEFAULTS, Duration.ZERO, false);
            try (Server server = start(route(List.of(endpoint(a), endpoint(b)), health))) {
                await("both down", () -> !backend(server, 0).up() && !backend(server, 1).up());
                long slowest = 0;
                for (int i = 0; i < 20; i++) {
                    long start = System.nanoTime();
                    try (Socket client = new Socket()) {
                        client.connect(server.addresses().getFirst(), 2000);
                        client.setSoTimeout(2000);
                        assertEquals(-1, client.getInputStream().read(), "closed without a byte");
                    }
                    slowest = Math.max(slowest, System.nanoTime() - start);
                }
                assertTrue(slowest < TimeUnit.MILLISECONDS.toNanos(500), "refused at once, slowest " + slowest / 1_000_000 + " ms");
                System.out.printf("all endpoints down: 20 clients refused, slowest in %.1f ms%n", slowest / 1e6);
                assertEquals(0, a.served.get() + b.served.get());
                await("the count of the others is logged", () -> log.lines().size() >= 2);
                Thread.sleep(300); // nothing more comes
                List<String> lines = log.lines();
                String why = "every endpoint is down: 127.0.0.1:" + a.port() + " first check failed \\(http 503\\); 127.0.0.1:"
                        + b.port() + " first check failed \\(http 503\\)";
                assertEquals(2, lines.size(), lines.toString());
                assertTrue(lines.get(0).matches("WARNING web: 127\\.0\\.0\\.1:\\d+: refused, no endpoint could take it: " + why), lines.get(0));
                assertTrue(lines.get(1).matches("WARNING web: refused 19 more client\\(s\\) in the last \\d+(ms|s): " + why), lines.get(1));
            }
        }
    }

    @Test
    void onDownCloseClosesTheOpenConnectionsOfAnEndpointThatWentDownAndLeaveKeepsThem() throws Exception {
        for (boolean close : new boolean[] {true, false}) {
            try (HttpPeer a = new HttpPeer("a")) {
                Health health = new Health(check(HealthCheck.Type.HTTP, 2, 2), Passive.DEFAULTS, Duration.ZERO, close);
                try (Server server = start(route(List.of(endpoint(a)), health)); Socket client = new Socket()) {
                    await("first check", () -> a.checks.get() > 0);
                    client.connect(server.addresses().getFirst(), 2000);
                    client.setSoTimeout(3000);
                    await("connected through", () -> backend(server, 0).connections() == 1);
                    a.health(503);
                    await("a is down", () -> !backend(server, 0).up());
                    if (close) {
                        int read;
                        try {
                            read = client.getInputStream().read();
                        } catch (IOException reset) {
                            read = -1;
                        }
                        assertEquals(-1, read, "on_down: close ends the connection");
                        await("nothing open", () -> server.activeConnections() == 0);
                    } else {
                        client.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                        String response = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                        assertTrue(response.endsWith("\r\n\r\na"), "on_down: leave lets it finish: " + response);
                    }
                }
            }
        }
    }

    @Test
    void checksDialThroughTheServersDialerSoNamesAreResolvedAtEveryCheck() throws Exception {
        try (HttpPeer a = new HttpPeer("a")) {
            List<String> dialled = new CopyOnWriteArrayList<>();
            Dialer dns = (host, port, timeout) -> {
                dialled.add(host);
                return Dialer.TCP.dial(host.equals("web-1") ? "127.0.0.1" : host, port, timeout);
            };
            Health health = new Health(check(HealthCheck.Type.HTTP, 2, 3), Passive.DEFAULTS, Duration.ZERO, false);
            try (Server server = start(route(List.of(new Endpoint("web-1", a.port(), 1, false)), health), dns, Ticker.SYSTEM)) {
                await("three checks", () -> a.checks.get() >= 3);
                assertTrue(backend(server, 0).up());
            }
            assertTrue(dialled.size() >= 3 && dialled.stream().allMatch("web-1"::equals), dialled.toString());
        }
    }

    @Test
    void aReloadRestartsTheChecksWithTheNewConfigAndEndpointsKeepTheirState() throws Exception {
        try (HttpPeer a = new HttpPeer("a"); HttpPeer b = new HttpPeer("b"); HttpPeer c = new HttpPeer("c")) {
            a.health(503);
            c.health(503);
            // which check thread dialled which port, and when: virtual threads are seen where they act
            record Dial(String thread, long id, int port, long at) {
            }
            List<Dial> dials = new CopyOnWriteArrayList<>();
            Dialer recording = (host, port, timeout) -> {
                Thread t = Thread.currentThread();
                if (t.getName().startsWith("featherlb-check-")) dials.add(new Dial(t.getName(), t.threadId(), port, System.nanoTime()));
                return Dialer.TCP.dial(host, port, timeout);
            };
            Health http = new Health(check(HealthCheck.Type.HTTP, 2, 2), Passive.DEFAULTS, Duration.ZERO, false);
            try (Server server = start(route(List.of(endpoint(a), endpoint(b)), http), recording, Ticker.SYSTEM)) {
                await("a is down", () -> !backend(server, 0).up());
                Backend aBefore = backend(server, 0);

                server.reload(new Config(Path.of("test.yaml"), List.of(route(List.of(endpoint(a), endpoint(b), endpoint(c)), http)), Duration.ofSeconds(1)).withEngine(engine));
                long reloaded = System.nanoTime();
                assertTrue(aBefore == backend(server, 0) && !backend(server, 0).up(), "a is the same endpoint, still down");
                await("c, new, is checked and found down", () -> !backend(server, 2).up());
                assertTrue(backend(server, 1).up());
                Thread.sleep(300);
                for (HttpPeer peer : List.of(a, b, c)) {
                    long threads = dials.stream().filter(d -> d.at() > reloaded && d.port() == peer.port()).map(Dial::id).distinct().count();
                    assertEquals(1, threads, peer.name + " is checked by one thread after the reload, not by the old one too");
                }

                server.reload(new Config(Path.of("test.yaml"), List.of(route(List.of(endpoint(a), endpoint(b)), Health.DEFAULTS)), Duration.ofSeconds(1)).withEngine(engine));
                long unchecked = System.nanoTime();
                assertTrue(backend(server, 0).up(), "with its check gone, nothing would bring a back: the check's verdict goes too");
                assertEquals(Map.of("a", 2, "b", 2), spread(server, 4));
                Thread.sleep(300);
                assertEquals(List.of(), dials.stream().filter(d -> d.at() > unchecked).toList(), "no health_check: no checks");
            }
        }
    }

    /** Clients sending requests one after another until closed, counting what worked and what failed. */
    static final class Traffic implements AutoCloseable {
        private final java.util.concurrent.locks.ReentrantReadWriteLock lock = new java.util.concurrent.locks.ReentrantReadWriteLock();
        private final java.util.concurrent.atomic.AtomicLong ok = new java.util.concurrent.atomic.AtomicLong();
        private final java.util.concurrent.atomic.AtomicLong failed = new java.util.concurrent.atomic.AtomicLong();
        private final List<String> failures = new CopyOnWriteArrayList<>();
        private final List<Thread> clients = new ArrayList<>();
        private volatile boolean running = true;

        Traffic(InetSocketAddress address, int clients) {
            for (int i = 0; i < clients; i++) {
                this.clients.add(Thread.ofVirtual().start(() -> {
                    while (running) {
                        lock.readLock().lock();
                        try {
                            HttpPeer.get(address);
                            ok.incrementAndGet();
                        } catch (IOException e) {
                            failed.incrementAndGet();
                            failures.add(e.toString());
                        } finally {
                            lock.readLock().unlock();
                        }
                    }
                }));
            }
        }

        /**
         * Runs {@code kill} while no request is in flight and returns when it ran. A process that dies
         * also resets the requests it was serving, which no balancer can save; what is tested here is
         * that no request fails because of where it was sent after that.
         */
        long pauseAnd(Runnable kill) {
            lock.writeLock().lock();
            try {
                kill.run();
                return System.nanoTime();
            } finally {
                lock.writeLock().unlock();
            }
        }

        long ok() {
            return ok.get();
        }

        long failed() {
            return failed.get();
        }

        String firstFailure() {
            return failures.isEmpty() ? "none" : failures.getFirst();
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            for (Thread t : clients) t.join();
        }
    }
}
