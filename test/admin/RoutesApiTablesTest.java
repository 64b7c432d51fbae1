package admin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.jr.ob.JSON;
import config.Admin;
import config.ConfigLoader;
import dial.Dialer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import metrics.CountingBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import proxy.Server;
import tls.Hellos;

/**
 * {@code protocol}, {@code sni} and {@code rejected} of {@code GET /api/v1/routes}, from a real
 * config: two routes chosen by server name on one address (no default, so an unknown name and
 * bytes that are not TLS are rejected there), and a route alone on its own address that accepts
 * PROXY headers only from 10.0.0.0/8, so that a loopback client is rejected as untrusted.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RoutesApiTablesTest {
    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Sends {@code bytes} and waits until the balancer closes the connection (a rejection, or the echo's EOF). */
    private static byte[] roundTrip(int port, byte[] bytes) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(bytes);
            socket.shutdownOutput();
            return socket.getInputStream().readAllBytes();
        } catch (java.net.SocketException reset) {
            return new byte[0]; // a rejection may close with unread bytes: a reset is a close too
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> routesByName(HttpClient http, int adminPort, String path) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        Map<String, Object> answer = (Map<String, Object>) JSON.std.anyFrom(response.body());
        Map<String, Map<String, Object>> byName = new HashMap<>();
        if (answer.containsKey("routes")) {
            for (Object route : (List<Object>) answer.get("routes")) byName.put((String) ((Map<String, Object>) route).get("name"), (Map<String, Object>) route);
        } else {
            byName.put((String) answer.get("name"), answer);
        }
        return byName;
    }

    /** Polls until the route's {@code rejected} equals {@code expected}: a rejection is counted as its connection closes. */
    private static Map<String, Object> rejectedOnce(HttpClient http, int adminPort, String route, Map<String, Object> expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        Map<String, Object> seen;
        do {
            seen = routesByName(http, adminPort, "/api/v1/routes").get(route);
            if (expected.equals(seen.get("rejected"))) return seen;
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        return seen;
    }

    @Test
    void eachRouteShowsItsProtocolItsNamesAndTheRejectionsOfItsAddress() throws Exception {
        try (var app = CountingBackend.echo(); var db = CountingBackend.echo(); var alone = CountingBackend.echo();
             HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            int shared = freePort();
            int own = freePort();
            String yaml = """
                    routes:
                      - name: app
                        host: 127.0.0.1
                        port: %d
                        sni: [app.example.com, "*.app.example.com"]
                        endpoints: [{host: 127.0.0.1, port: %d}]
                      - name: db
                        host: 127.0.0.1
                        port: %d
                        sni: [db.example.com]
                        endpoints: [{host: 127.0.0.1, port: %d}]
                      - name: behind-haproxy
                        host: 127.0.0.1
                        port: %d
                        accept_proxy: {from: [10.0.0.0/8]}
                        endpoints: [{host: 127.0.0.1, port: %d}]
                    """.formatted(shared, app.port(), shared, db.port(), own, alone.port());
            Server server = new Server(ConfigLoader.parse(Path.of("tables.yaml"), yaml), Dialer.TCP);
            server.start();
            Router api = new Router();
            new RoutesApi(server::pools, server::rejections).register(api);
            try (server; AdminServer admin = new AdminServer(new Admin("127.0.0.1", 0, null), api, exchange -> exchange.close())) {
                admin.start();
                int adminPort = admin.address().getPort();

                byte[] hello = Hellos.tls("x.app.example.com");
                assertArrayEquals(hello, roundTrip(shared, hello), "a known name is served, not counted");
                roundTrip(shared, Hellos.tls("www.example.org"));
                roundTrip(shared, Hellos.tls("other.example.net"));
                roundTrip(shared, "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                roundTrip(own, "PROXY TCP4 203.0.113.9 10.0.0.1 5555 80\r\nhello".getBytes(StandardCharsets.US_ASCII));

                Map<String, Object> threeNoRoute = Map.of("sni_no_route", 3);
                Map<String, Object> appRoute = rejectedOnce(http, adminPort, "app", threeNoRoute);
                assertEquals(threeNoRoute, appRoute.get("rejected"));
                assertEquals("tcp", appRoute.get("protocol"));
                assertEquals(List.of("app.example.com", "*.app.example.com"), appRoute.get("sni"));
                assertEquals("127.0.0.1:" + shared, appRoute.get("listen"));

                Map<String, Object> oneUntrusted = Map.of("proxy_untrusted", 1);
                Map<String, Object> aloneRoute = rejectedOnce(http, adminPort, "behind-haproxy", oneUntrusted);
                assertEquals(oneUntrusted, aloneRoute.get("rejected"), "the address's own counts, not the other address's");
                assertEquals(List.of(), aloneRoute.get("sni"));

                Map<String, Object> dbRoute = routesByName(http, adminPort, "/api/v1/routes/db").get("db");
                assertEquals(threeNoRoute, dbRoute.get("rejected"), "routes that share an address share its counts");
                assertEquals(List.of("db.example.com"), dbRoute.get("sni"));
                assertEquals(0, alone.accepted.get(), "the untrusted peer never reached the endpoint");
            }
        }
    }
}
