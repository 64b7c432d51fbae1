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
        new ReloadApi(() -> reloader.reload("admin API")).register(api);
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
            assertEquals(Map.of("applied", true, "changes", "~web"), JSON.std.anyFrom(applied.body()));
            assertEquals(10, server.config().routes().getFirst().endpoints().getFirst().port());
        } finally {
            server.close();
        }
    }
}
