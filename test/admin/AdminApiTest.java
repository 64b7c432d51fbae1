package admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.jr.ob.JSON;
import algorithms.Strategy;
import config.Admin;
import config.Config;
import config.Route;
import config.Timeouts;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import metrics.CountingBackend;
import metrics.Metrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import dial.Dialer;
import proxy.Server;

/** The admin API over real HTTP, steering a real balancer in front of real backends. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminApiTest {
    private static final String ENDPOINTS = "/api/v1/routes/web/endpoints/";

    /** Two echo backends behind route "web" (round robin, weights 1 and 1), and the admin server. */
    static final class Fixture implements AutoCloseable {
        final CountingBackend a = CountingBackend.echo();
        final CountingBackend b = CountingBackend.echo();
        final Server server;
        final AdminServer admin;
        final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

        Fixture(Path tokenFile) throws IOException {
            Route route = new Route("web", "127.0.0.1", 0, Strategy.ROUNDROBIN, List.of(a.endpoint(1), b.endpoint(1)),
                    Timeouts.DEFAULTS, 0, Route.DEFAULT_RETRIES);
            Metrics metrics = new Metrics();
            server = new Server(new Config(Path.of("t.yaml"), List.of(route), Duration.ofSeconds(1)), Dialer.TCP, metrics);
            metrics.watch(server::pools);
            server.start();
            Router api = new Router();
            new RoutesApi(server::pools).register(api);
            admin = new AdminServer(new Admin("127.0.0.1", 0, tokenFile), api, metrics.handler());
            admin.start();
        }

        Fixture() throws IOException {
            this(null);
        }

        HttpResponse<String> call(String method, String path, String body, String... headers) throws Exception {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.address().getPort() + path))
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                    .timeout(Duration.ofSeconds(10));
            if (headers.length > 0) request.headers(headers);
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        }

        /** A connection through the balancer that has reached its backend; echoes what it is sent. */
        Socket connect() throws Exception {
            int before = a.accepted.get() + b.accepted.get();
            Socket socket = new Socket();
            socket.connect(server.addresses().getFirst(), 2000);
            socket.setSoTimeout(10_000);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (a.accepted.get() + b.accepted.get() == before && System.nanoTime() < deadline) Thread.sleep(2);
            return socket;
        }

        /** {@code n} short connections, one after another; returns how many each backend accepted. */
        int[] spread(int n) throws Exception {
            int a0 = a.accepted.get();
            int b0 = b.accepted.get();
            for (int i = 0; i < n; i++) {
                try (Socket s = connect()) {
                    s.shutdownOutput();
                    s.getInputStream().readAllBytes();
                }
            }
            return new int[] {a.accepted.get() - a0, b.accepted.get() - b0};
        }

        @Override
        public void close() throws IOException {
            admin.close();
            server.close();
            a.close();
            b.close();
            http.close();
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(HttpResponse<String> response) throws Exception {
        return (Map<String, Object>) JSON.std.anyFrom(response.body());
    }

    @Test
    void routesListsEachEndpointWithStateWeightAndTotals() throws Exception {
        try (var f = new Fixture()) {
            assertEquals(1, f.spread(2)[0]);
            HttpResponse<String> response = f.call("GET", "/api/v1/routes", null);
            assertEquals(200, response.statusCode());
            assertEquals("application/json; charset=utf-8", response.headers().firstValue("Content-Type").orElseThrow());
            Map<String, Object> route = (Map<String, Object>) ((List<?>) json(response).get("routes")).getFirst();
            assertEquals("web", route.get("name"));
            assertEquals("roundrobin", route.get("strategy"));
            assertEquals(2, ((Number) route.get("connections")).intValue());
            List<?> endpoints = (List<?>) route.get("endpoints");
            Map<?, ?> first = (Map<?, ?>) endpoints.getFirst();
            assertEquals(f.a.address(), first.get("address"));
            assertEquals("up", first.get("state"));
            assertEquals("config", first.get("source"), "listed in the config, not found in DNS");
            assertEquals(1, ((Number) first.get("weight")).intValue());
            assertEquals(1, ((Number) first.get("connections")).intValue());
            assertEquals(0, ((Number) first.get("active")).intValue());
            assertEquals(java.util.Set.of("refused", "timeout", "unresolved", "other", "empty"), ((Map<?, ?>) first.get("connect_failures")).keySet());
            assertEquals(json(f.call("GET", "/api/v1/routes/web", null)).get("endpoints").toString().length() > 0, true);
        }
    }

    @Test
    void drainStopsNewConnectionsWhileOpenOnesFinishAndEnableTakesThemAgain() throws Exception {
        try (var f = new Fixture(); Socket open = f.connect()) {
            assertEquals(1, f.a.accepted.get(), "round robin starts with the first endpoint");
            HttpResponse<String> drained = f.call("POST", ENDPOINTS + f.a.address() + "/drain", null);
            assertEquals(200, drained.statusCode(), drained.body());
            assertEquals("draining", json(drained).get("state"));
            assertEquals(1, ((Number) json(drained).get("active")).intValue());

            assertEquals(0, f.spread(6)[0], "no new connection goes to a draining endpoint");
            OutputStream out = open.getOutputStream();
            out.write("still here".getBytes(StandardCharsets.US_ASCII));
            open.shutdownOutput();
            assertEquals("still here", new String(open.getInputStream().readAllBytes(), StandardCharsets.US_ASCII), "the open one finishes");

            HttpResponse<String> enabled = f.call("POST", ENDPOINTS + f.a.address() + "/enable", null);
            assertEquals("up", json(enabled).get("state"));
            assertEquals(2, f.spread(4)[0]);
        }
    }

    @Test
    void weightChangesTheShareOfNewConnections() throws Exception {
        try (var f = new Fixture()) {
            HttpResponse<String> response = f.call("PUT", ENDPOINTS + f.a.address() + "/weight", "{\"weight\": 3}");
            assertEquals(200, response.statusCode(), response.body());
            assertEquals(3, ((Number) json(response).get("weight")).intValue());
            int[] spread = f.spread(8);
            assertEquals(6, spread[0]);
            assertEquals(2, spread[1]);
        }
    }

    @Test
    void mistakesAnswerWithTheRightStatusAndAMessage() throws Exception {
        try (var f = new Fixture()) {
            String weight = ENDPOINTS + f.a.address() + "/weight";
            List<List<String>> cases = List.of(
                    List.of("POST", "/api/v1/routes/nope/endpoints/x:1/drain", "", "404", "no route 'nope' (routes: web)"),
                    List.of("POST", ENDPOINTS + "127.0.0.1:1/drain", "", "404", "route 'web' has no endpoint '127.0.0.1:1' (endpoints: "
                            + f.a.address() + ", " + f.b.address() + ")"),
                    List.of("PUT", weight, "{\"weight\": }", "400",
                            "the body is not JSON: 1:12: Unexpected character ('}' (code 125)): expected a value (expected an object such as {\"weight\": 3})"),
                    List.of("PUT", weight, "", "400", "the body is not JSON: 1:1: the text ends (expected a value) (expected an object such as {\"weight\": 3})"),
                    List.of("PUT", weight, "[3]", "400", "the body is [3] (expected an object such as {\"weight\": 3})"),
                    List.of("PUT", weight, "{}", "400", "the body has no \"weight\" (expected {\"weight\": 3})"),
                    List.of("PUT", weight, "{\"weight\": \"3\"}", "400", "weight is \"3\" (expected an integer 0..256)"),
                    List.of("PUT", weight, "{\"weight\": 2.5}", "400", "weight 2.5 is not an integer 0..256"),
                    List.of("PUT", weight, "{\"weight\": 257}", "400", "weight 257 is out of range (expected an integer 0..256)"),
                    List.of("PUT", weight, "{\"weight\": 1, \"wieght\": 2}", "400", "unknown key \"wieght\" (expected {\"weight\": 3})"),
                    List.of("GET", weight, "", "405", "GET is not allowed here (allowed: PUT)"),
                    List.of("DELETE", "/api/v1/routes", "", "405", "DELETE is not allowed here (allowed: GET)"),
                    List.of("GET", "/api/v1/nothing", "", "404", "no API call GET /api/v1/nothing (see GET /api/v1/routes)"));
            for (List<String> c : cases) {
                HttpResponse<String> response = f.call(c.get(0), c.get(1), c.get(2).isEmpty() ? null : c.get(2));
                assertEquals(Integer.parseInt(c.get(3)), response.statusCode(), c.get(0) + " " + c.get(1) + " " + c.get(2));
                assertEquals(Map.of("error", c.get(4)), json(response), c.get(0) + " " + c.get(1) + " " + c.get(2));
            }
            assertEquals("PUT", f.call("GET", weight, null).headers().firstValue("Allow").orElseThrow());
            assertTrue(raw(f.admin.address().getPort(), "/api/v1/routes/%zz", "localhost").startsWith("HTTP/1.1 400"), "a bad %-escape");
            assertEquals(1, f.server.pools().getFirst().backend(0).weight(), "no failed call changed anything");
        }
    }

    @Test
    void withATokenFileWriteCallsNeedTheBearerToken(@TempDir Path dir) throws Exception {
        Path token = Files.writeString(dir.resolve("token"), "s3cret\n");
        try (var f = new Fixture(token)) {
            String drain = ENDPOINTS + f.a.address() + "/drain";
            HttpResponse<String> none = f.call("POST", drain, null);
            assertEquals(401, none.statusCode());
            assertEquals("Bearer realm=\"featherlb admin\"", none.headers().firstValue("WWW-Authenticate").orElseThrow());
            assertEquals(403, f.call("POST", drain, null, "Authorization", "Bearer guess").statusCode());
            assertEquals(403, f.call("POST", drain, null, "Authorization", "Bearer s3cret2").statusCode());
            assertTrue(!f.server.pools().getFirst().backend(0).draining());
            assertEquals(200, f.call("POST", drain, null, "Authorization", "Bearer s3cret").statusCode());
            assertTrue(f.server.pools().getFirst().backend(0).draining());
            assertEquals(200, f.call("GET", "/api/v1/routes", null).statusCode(), "reads need no token");
            assertEquals(200, f.call("GET", "/metrics", null).statusCode());
        }
    }

    @Test
    void aWriteFromAPageOfAnotherOriginIsRefused() throws Exception {
        try (var f = new Fixture()) {
            String drain = ENDPOINTS + f.a.address() + "/drain";
            HttpResponse<String> response = f.call("POST", drain, null, "Origin", "http://evil.example");
            assertEquals(403, response.statusCode());
            assertEquals("a write call from a page of another origin (http://evil.example) is refused", json(response).get("error"));
            int port = f.admin.address().getPort();
            assertEquals(200, f.call("POST", drain, null, "Origin", "http://127.0.0.1:" + port).statusCode(), "the dashboard's own origin may");
        }
    }

    @Test
    void onLoopbackOnlyLoopbackHostNamesAreAnswered() throws Exception {
        try (var f = new Fixture()) {
            int port = f.admin.address().getPort();
            assertTrue(raw(port, "/api/v1/routes", "evil.example:" + port).startsWith("HTTP/1.1 403"), "DNS rebinding: another name for 127.0.0.1");
            assertTrue(raw(port, "/api/v1/routes", "localhost:" + port).startsWith("HTTP/1.1 200"));
            assertTrue(raw(port, "/api/v1/routes", "[::1]:" + port).startsWith("HTTP/1.1 200"));
            assertTrue(raw(port, "/", "127.0.0.2").startsWith("HTTP/1.1 200"));
        }
        assertTrue(AdminServer.loopbackHost("app.localhost:80"));
        assertTrue(!AdminServer.loopbackHost("10.0.0.1:9900"));
        assertTrue(!AdminServer.loopbackHost("localhost.evil.example"));
    }

    /** The status line; by hand, because java.net.http sends neither another Host header nor a bad path. */
    private static String raw(int port, String path, String host) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).lines().findFirst().orElse("");
        }
    }

    @Test
    void otherPartsCanRegisterTheirCalls(@TempDir Path dir) throws Exception {
        Path token = Files.writeString(dir.resolve("token"), "t");
        try (var f = new Fixture(token)) {
            f.admin.api().add("POST", "/api/v1/reload", request -> Reply.ok(Map.of("reloaded", true)));
            assertEquals(401, f.call("POST", "/api/v1/reload", null).statusCode(), "a registered write call is guarded too");
            HttpResponse<String> response = f.call("POST", "/api/v1/reload", null, "Authorization", "Bearer t");
            assertEquals(200, response.statusCode());
            assertEquals(Map.of("reloaded", true), json(response));
        }
    }

    @Test
    void theDashboardAndTheMetricsAreServed() throws Exception {
        try (var f = new Fixture()) {
            HttpResponse<String> page = f.call("GET", "/", null);
            assertEquals(200, page.statusCode());
            assertEquals("text/html; charset=utf-8", page.headers().firstValue("Content-Type").orElseThrow());
            assertTrue(page.body().contains("<script src=\"dashboard.js\""), page.body());
            assertTrue(page.headers().firstValue("Content-Security-Policy").orElseThrow().startsWith("default-src 'self'"));
            assertEquals(200, f.call("GET", "/dashboard.js", null).statusCode());
            assertEquals("text/css; charset=utf-8", f.call("GET", "/dashboard.css", null).headers().firstValue("Content-Type").orElseThrow());
            assertEquals(404, f.call("GET", "/../featherlb.java", null).statusCode());
            assertEquals(405, f.call("POST", "/", null).statusCode());
            HttpResponse<String> metrics = f.call("GET", "/metrics", null);
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.body().contains("featherlb_endpoint_up{endpoint=\"" + f.a.address() + "\",route=\"web\"} 1"), metrics.body());
            assertEquals(405, f.call("POST", "/metrics", null).statusCode());
        }
    }

    @Test
    void anAddressInUseIsReportedWithTheAddress() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            AdminServer admin = new AdminServer(new Admin("127.0.0.1", taken.getLocalPort(), null), new Router(), exchange -> { });
            IOException e = assertThrows(IOException.class, admin::start);
            assertTrue(e.getMessage().startsWith("cannot serve the admin API on 127.0.0.1:" + taken.getLocalPort() + ": "), e.getMessage());
            admin.close();
        }
    }

    @Test
    void aTokenFileThatWentAwayStopsTheStart(@TempDir Path dir) {
        IOException e = assertThrows(IOException.class, () -> new AdminServer(new Admin("127.0.0.1", 0, dir.resolve("gone")), new Router(), exchange -> { }));
        assertEquals("cannot read the admin token_file " + dir.resolve("gone") + ": no such file", e.getMessage());
    }
}
