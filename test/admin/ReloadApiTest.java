package admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.jr.ob.JSON;
import config.Admin;
import config.ConfigLoader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import proxy.Server;
import reload.Reloader;

/** {@code POST /api/v1/reload} over real HTTP against a real file and server. */
class ReloadApiTest {

    @Test
    @SuppressWarnings("unchecked")
    void reloadAnswers200WithTheChangesOr400WithEveryProblem(@TempDir Path dir) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String good = """
                routes:
                  - name: web
                    host: 127.0.0.1
                    port: %d
                    endpoints:
                      - host: 127.0.0.1
                        port: 9
                """.formatted(port);
        Path file = Files.writeString(dir.resolve("featherlb.yaml"), good);
        Server server = new Server(ConfigLoader.load(file));
        server.start();
        Reloader reloader = new Reloader(file, server);
        Router api = new Router();
        new ReloadApi(() -> reloader.reload("admin API"), reloader::dryRun).register(api);
        try (AdminServer admin = new AdminServer(new Admin("127.0.0.1", 0, null), api, exchange -> exchange.close());
             HttpClient http = HttpClient.newHttpClient()) {
            admin.start();
            HttpRequest post = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.address().getPort() + "/api/v1/reload"))
                    .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build();

            Files.writeString(file, good.replace("port: 9", "port: 10").replace("    endpoints:", "    strategy: leastcon\n    endpoints:"));
            HttpResponse<String> rejected = http.send(post, HttpResponse.BodyHandlers.ofString());
            assertEquals(400, rejected.statusCode(), rejected.body());
            Map<String, Object> body = (Map<String, Object>) JSON.std.anyFrom(rejected.body());
            assertEquals(false, body.get("applied"));
            Map<String, Object> error = ((List<Map<String, Object>>) body.get("errors")).getFirst();
            assertEquals(List.of(5L, 15L, "unknown strategy 'leastcon' (expected one of: roundrobin, random, leastconn, p2c, iphash)"),
                    List.of(((Number) error.get("line")).longValue(), ((Number) error.get("column")).longValue(), error.get("message")));
            assertEquals(9, server.config().routes().getFirst().endpoints().getFirst().port(), "still the old config");

            Files.writeString(file, good.replace("port: 9", "port: 10"));
            HttpResponse<String> applied = http.send(post, HttpResponse.BodyHandlers.ofString());
            assertEquals(200, applied.statusCode(), applied.body());
            Map<String, Object> answer = (Map<String, Object>) JSON.std.anyFrom(applied.body());
            assertEquals(true, answer.get("applied"));
            assertEquals("~web", answer.get("changes"));
            assertEquals(List.of(Map.of("route", "web", "settings", List.of(),
                    "endpoints", Map.of("added", List.of("127.0.0.1:10"), "removed", List.of("127.0.0.1:9"), "reweighted", List.of(),
                            "changed", List.of(), "kept", List.of()))), answer.get("changed"));
            assertEquals(10, server.config().routes().getFirst().endpoints().getFirst().port());
        } finally {
            server.close();
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void aDryRunSaysWhatAReloadWouldChangeAndAppliesNothing(@TempDir Path dir) throws Exception {
        int web, db;
        try (ServerSocket a = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ServerSocket b = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            web = a.getLocalPort();
            db = b.getLocalPort();
        }
        String running = """
                routes:
                  - name: web
                    host: 127.0.0.1
                    port: %d
                    endpoints:
                      - {host: 127.0.0.1, port: 9}
                      - {host: 127.0.0.1, port: 10}
                      - {host: 127.0.0.1, port: 11}
                  - name: db
                    host: 127.0.0.1
                    port: %d
                    endpoints:
                      - {host: 127.0.0.1, port: 12}
                """.formatted(web, db);
        Path file = Files.writeString(dir.resolve("featherlb.yaml"), running);
        Server server = new Server(ConfigLoader.load(file));
        server.start();
        Reloader reloader = new Reloader(file, server);
        Router api = new Router();
        new ReloadApi(() -> reloader.reload("admin API"), reloader::dryRun).register(api);
        try (AdminServer admin = new AdminServer(new Admin("127.0.0.1", 0, null), api, exchange -> exchange.close());
             HttpClient http = HttpClient.newHttpClient()) {
            admin.start();
            URI dryRun = URI.create("http://127.0.0.1:" + admin.address().getPort() + "/api/v1/reload?dry_run=true");
            String next = """
                    routes:
                      - name: web
                        host: 127.0.0.1
                        port: %d
                        strategy: leastconn
                        endpoints:
                          - {host: 127.0.0.1, port: 9}
                          - {host: 127.0.0.1, port: 10, weight: 3}
                          - {host: 127.0.0.1, port: 13}
                      - name: api
                        host: 127.0.0.1
                        port: %d
                        endpoints:
                          - {host: 127.0.0.1, port: 14}
                    shutdown_grace: 30s
                    """.formatted(web, db + 1 == web ? db + 2 : db + 1);
            HttpResponse<String> diff = http.send(HttpRequest.newBuilder(dryRun).POST(HttpRequest.BodyPublishers.ofString(next))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, diff.statusCode(), diff.body());
            Map<String, Object> body = (Map<String, Object>) JSON.std.anyFrom(diff.body());
            assertEquals(true, body.get("dry_run"));
            assertEquals(List.of("api"), body.get("added"));
            assertEquals(List.of("db"), body.get("removed"));
            assertEquals(List.of(), body.get("kept"));
            assertEquals(List.of("shutdown_grace: 10s -> 30s"), body.get("settings"));
            assertEquals(List.of(Map.of("route", "web", "settings", List.of("strategy: roundrobin -> leastconn"),
                    "endpoints", Map.of("added", List.of("127.0.0.1:13"), "removed", List.of("127.0.0.1:11"),
                            "reweighted", List.of(Map.of("address", "127.0.0.1:10", "from", 1, "to", 3)),
                            "changed", List.of(), "kept", List.of("127.0.0.1:9")))), body.get("changed"));
            assertEquals("+api -db ~web", body.get("changes"));
            assertEquals(ConfigLoader.load(file), server.config(), "nothing applied");
            assertEquals(List.of(web, db), server.addresses().stream().map(a -> a.getPort()).toList(), "no listener opened or closed");

            HttpResponse<String> invalid = http.send(HttpRequest.newBuilder(dryRun)
                    .POST(HttpRequest.BodyPublishers.ofString(next.replace("leastconn", "leastcon").replace("port: 14", "port: 0")))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(400, invalid.statusCode(), invalid.body());
            Map<String, Object> rejected = (Map<String, Object>) JSON.std.anyFrom(invalid.body());
            assertEquals(true, rejected.get("dry_run"));
            List<Map<String, Object>> errors = (List<Map<String, Object>>) rejected.get("errors");
            assertEquals(2, errors.size(), "every problem: " + errors);
            assertEquals(List.of(5L, 15L), List.of(((Number) errors.getFirst().get("line")).longValue(), ((Number) errors.getFirst().get("column")).longValue()));

            // without a body: the instance's own file as it is on disk now
            Files.writeString(file, running.replace("port: 12", "port: 15"));
            HttpResponse<String> own = http.send(HttpRequest.newBuilder(dryRun).POST(HttpRequest.BodyPublishers.noBody())
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, own.statusCode(), own.body());
            Map<String, Object> ownBody = (Map<String, Object>) JSON.std.anyFrom(own.body());
            assertEquals(List.of("web"), ownBody.get("kept"));
            assertEquals("~db", ownBody.get("changes"));
            assertEquals(12, server.config().routes().get(1).endpoints().getFirst().port(), "still the running config");

            HttpResponse<String> bad = http.send(HttpRequest.newBuilder(URI.create(dryRun.toString().replace("=true", "=perhaps")))
                    .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(400, bad.statusCode(), bad.body());
            assertEquals(12, server.config().routes().get(1).endpoints().getFirst().port(), "a bad flag reloads nothing");
        } finally {
            server.close();
        }
    }
}
