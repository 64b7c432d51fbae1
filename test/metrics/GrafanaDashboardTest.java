package metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import algorithms.Strategy;
import com.fasterxml.jackson.jr.ob.JSON;
import com.sun.net.httpserver.HttpServer;
import config.Config;
import config.Endpoint;
import config.Route;
import config.Timeouts;
import dial.Dialer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import proxy.Server;

/**
 * deploy/grafana/featherlb.json queries only metrics that featherlb exports: every metric name in
 * its queries (panels and variables) is in a scrape of a running {@link Server}'s /metrics, wired
 * as featherlb.java wires it, after traffic that makes every family appear (a forwarded connection,
 * a rejected one).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GrafanaDashboardTest {
    private static final Path DASHBOARD = Path.of("deploy/grafana/featherlb.json");
    /** A metric name in PromQL: a word followed by a selector, a range or the end of an argument. */
    private static final Pattern METRIC = Pattern.compile("\\b((?:featherlb|jvm|process)_[a-z0-9_]+)\\b");

    @Test
    void everyMetricTheDashboardQueriesIsExported() throws Exception {
        Set<String> queried = queried();
        assertTrue(queried.size() >= 10, "the dashboard queries featherlb's metrics: " + queried);

        try (CountingBackend echo = CountingBackend.echo()) {
            var accept = new config.ProxyProtocol.Accept(List.of(config.ProxyProtocol.Cidr.parse("127.0.0.1")), Duration.ofSeconds(3));
            Route route = new Route("web", "127.0.0.1", 0, Strategy.ROUNDROBIN, List.of(echo.endpoint(1)),
                    Timeouts.DEFAULTS, 0, Route.DEFAULT_RETRIES, config.Health.DEFAULTS, false, config.Protocol.TCP,
                    new config.ProxyProtocol(config.ProxyProtocol.Send.OFF, accept));
            Metrics metrics = new Metrics();
            try (Server server = new Server(new Config(Path.of("t.yaml"), List.of(route), Duration.ofSeconds(1)), Dialer.TCP, metrics)) {
                metrics.watch(server::pools);
                metrics.rejections(server::rejections);
                metrics.counter("featherlb_access_log_dropped", "Access log lines dropped because the writer could not keep up", () -> 0);
                server.start();
                InetSocketAddress at = server.addresses().getFirst();
                try (Socket client = new Socket(at.getAddress(), at.getPort())) {
                    client.setSoTimeout(10_000);
                    client.getOutputStream().write("PROXY TCP4 10.0.0.1 10.0.0.2 1234 80\r\nhello".getBytes(StandardCharsets.US_ASCII));
                    assertEquals("hello", new String(client.getInputStream().readNBytes(5), StandardCharsets.US_ASCII));
                }
                try (Socket invalid = new Socket(at.getAddress(), at.getPort())) {
                    invalid.setSoTimeout(10_000);
                    invalid.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    try (InputStream in = invalid.getInputStream()) {
                        assertEquals(-1, in.read());
                    } catch (SocketException reset) {
                        // closed with bytes unread: a reset, closed all the same
                    }
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (server.activeConnections() != 0 && System.nanoTime() < deadline) Thread.sleep(10);

                HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
                http.createContext("/metrics", metrics.handler());
                http.start();
                try {
                    Set<String> exported = exported(http);
                    List<String> missing = new ArrayList<>();
                    for (String name : queried) if (!exported.contains(name)) missing.add(name);
                    assertEquals(List.of(), missing, "queried by " + DASHBOARD + " but not in /metrics");
                } finally {
                    http.stop(0);
                }
            }
        }
    }

    /** Every metric name in the dashboard's expressions and variable queries. */
    private static Set<String> queried() throws IOException {
        Object dashboard = JSON.std.anyFrom(Files.readString(DASHBOARD));
        List<String> queries = new ArrayList<>();
        collect(dashboard, queries);
        Set<String> names = new TreeSet<>();
        for (String q : queries) {
            Matcher m = METRIC.matcher(q);
            while (m.find()) names.add(m.group(1));
        }
        return names;
    }

    private static void collect(Object node, List<String> into) {
        if (node instanceof Map<?, ?> map) {
            map.forEach((k, v) -> {
                if (("expr".equals(k) || "query".equals(k) || "definition".equals(k)) && v instanceof String s) into.add(s);
                else collect(v, into);
            });
        } else if (node instanceof List<?> list) {
            list.forEach(v -> collect(v, into));
        }
    }

    /** The sample names of a scrape (histograms' {@code _bucket}, {@code _sum}, {@code _count} included). */
    private static Set<String> exported(HttpServer http) throws IOException, InterruptedException {
        try (HttpClient client = HttpClient.newHttpClient()) {
            var response = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode());
            Set<String> names = new TreeSet<>();
            for (String line : response.body().lines().toList()) {
                if (line.isBlank() || line.startsWith("#")) continue;
                int end = 0;
                while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') end++;
                names.add(line.substring(0, end));
            }
            return names;
        }
    }
}
