package metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import admin.AdminServer;
import admin.Router;
import admin.RoutesApi;
import algorithms.Strategy;
import com.fasterxml.jackson.jr.ob.JSON;
import com.sun.net.httpserver.HttpServer;
import config.Admin;
import config.Config;
import config.Engine;
import config.Endpoint;
import config.Route;
import config.Timeouts;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import dial.Dialer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import proxy.Server;

/**
 * {@code featherlb_connect_seconds} and {@code featherlb_first_byte_seconds}, scraped over HTTP, and
 * the admin API's {@code connect_ms} and {@code first_byte_ms}, against real backends: one that
 * answers at once, one that waits {@link #DELAY_MS} before its first byte. The counts are exact;
 * the slow one's time is only held to its lower bound, which no busy machine can undercut.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ParameterizedClass(name = "{0}")
@EnumSource(Engine.class)
class TimingMetricsTest {
    private static final int DELAY_MS = 60;

    @Parameter
    Engine engine;

    @Test
    @SuppressWarnings("unchecked")
    void everyConnectAndFirstByteIsTimedPerEndpoint() throws Exception {
        try (Answering fast = new Answering(0); Answering slow = new Answering(DELAY_MS)) {
            Route route = new Route("web", "127.0.0.1", 0, Strategy.ROUNDROBIN,
                    List.of(new Endpoint("127.0.0.1", fast.port(), 1, false), new Endpoint("127.0.0.1", slow.port(), 1, false)),
                    Timeouts.DEFAULTS, 0, Route.DEFAULT_RETRIES);
            Metrics metrics = new Metrics();
            Server server = new Server(new Config(Path.of("t.yaml"), List.of(route), Duration.ofSeconds(1)).withEngine(engine), Dialer.TCP, metrics);
            metrics.watch(server::pools);
            server.start();
            HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
            http.createContext("/metrics", metrics.handler());
            http.start();
            Router api = new Router();
            new RoutesApi(server::pools).register(api);
            try (AdminServer admin = new AdminServer(new Admin("127.0.0.1", 0, null), api, exchange -> exchange.close());
                 HttpClient client = HttpClient.newHttpClient()) {
                admin.start();
                int connections = 20;
                for (int i = 0; i < connections; i++) {
                    try (Socket s = new Socket()) {
                        s.connect(server.addresses().getFirst(), 5000);
                        s.setSoTimeout(10_000);
                        assertEquals('x', s.getInputStream().read());
                    }
                }
                // a connection its endpoint never answers: its connect is timed, its first byte is not
                try (Socket s = new Socket()) {
                    s.connect(server.addresses().getFirst(), 5000);
                    s.setSoTimeout(10_000);
                    s.getOutputStream().write("quiet".getBytes());
                    s.shutdownOutput();
                    assertEquals(-1, s.getInputStream().read());
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (server.activeConnections() != 0 && System.nanoTime() < deadline) Thread.sleep(10);
                Map<String, Double> m = MetricsTest.scrape(http);
                for (Answering backend : List.of(fast, slow)) {
                    String at = "endpoint=127.0.0.1:" + backend.port() + ",route=web";
                    double connects = m.get("featherlb_connect_seconds_count{" + at + "}");
                    assertEquals(backend.accepted.get(), (int) connects, "every connect is timed, once");
                    assertEquals(backend.answered.get(), m.get("featherlb_first_byte_seconds_count{" + at + "}").intValue(),
                            "every first byte is timed, once");
                    assertEquals(connects, m.get("featherlb_connect_seconds_bucket{endpoint=127.0.0.1:" + backend.port() + ",le=+Inf,route=web}"));
                    assertTrue(m.get("featherlb_connect_seconds_sum{" + at + "}") > 0);
                }
                assertEquals(connections + 1, fast.accepted.get() + slow.accepted.get());
                assertEquals(connections, fast.answered.get() + slow.answered.get());
                assertEquals(0.0, m.get("featherlb_first_byte_seconds_bucket{endpoint=127.0.0.1:" + slow.port() + ",le=0.05,route=web}"),
                        "the slow endpoint's first bytes all came after its " + DELAY_MS + " ms");

                HttpResponse<String> routes = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + admin.address().getPort() + "/api/v1/routes")).build(), HttpResponse.BodyHandlers.ofString());
                Map<String, Object> body = (Map<String, Object>) JSON.std.anyFrom(routes.body());
                List<Map<String, Object>> endpoints = (List<Map<String, Object>>) ((List<Map<String, Object>>) body.get("routes")).getFirst().get("endpoints");
                Map<String, Object> slowEndpoint = endpoints.stream().filter(e -> e.get("address").equals("127.0.0.1:" + slow.port())).findFirst().orElseThrow();
                Map<String, Object> firstByte = (Map<String, Object>) slowEndpoint.get("first_byte_ms");
                assertTrue(((Number) firstByte.get("p50")).doubleValue() >= 50, "estimated within its bucket, (50, 100] ms: " + firstByte);
                assertTrue(((Number) firstByte.get("p99")).doubleValue() >= ((Number) firstByte.get("p50")).doubleValue(), firstByte.toString());
                Map<String, Object> connect = (Map<String, Object>) slowEndpoint.get("connect_ms");
                assertTrue(((Number) connect.get("p50")).doubleValue() > 0, connect.toString());
            } finally {
                http.stop(0);
                server.close();
            }
        }
    }

    /** Answers "x" after {@code delayMs} unless the client sends "quiet" first; counts what it did. */
    private static final class Answering implements AutoCloseable {
        final AtomicInteger accepted = new AtomicInteger();
        final AtomicInteger answered = new AtomicInteger();
        private final ServerSocket server = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
        private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

        Answering(int delayMs) throws IOException {
            threads.execute(() -> {
                while (!server.isClosed()) {
                    Socket s;
                    try {
                        s = server.accept();
                    } catch (IOException closed) {
                        return;
                    }
                    accepted.incrementAndGet();
                    threads.execute(() -> serve(s, delayMs));
                }
            });
        }

        private void serve(Socket s, int delayMs) {
            try (s) {
                s.setSoTimeout(delayMs + 50);
                try {
                    byte[] head = s.getInputStream().readNBytes(5);
                    if (new String(head).equals("quiet")) return;
                } catch (java.net.SocketTimeoutException nothingSent) {
                    // a client that waits for us: answer
                }
                Thread.sleep(delayMs);
                OutputStream out = s.getOutputStream();
                answered.incrementAndGet();
                out.write('x');
            } catch (IOException | InterruptedException e) {
                // the test sees it as a missing answer
            }
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
            threads.shutdownNow();
        }
    }
}
