package launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The wiring in featherlb.java: the admin server and the access log start with the balancer and stop with it. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ObservabilityCommandLineTest {

    @Test
    void adminAndAccessLogRunWithTheBalancerAndTheLogIsCompleteAfterSigterm(@TempDir Path dir) throws Exception {
        try (ServerSocket backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> answer(backend));
            int port = freePort();
            int adminPort = freePort();
            Path log = dir.resolve("access.log");
            Path config = Files.writeString(dir.resolve("featherlb.yaml"), """
                    routes:
                      - {name: web, host: 127.0.0.1, port: %d, endpoints: [{host: 127.0.0.1, port: %d}]}
                    admin:
                      address: 127.0.0.1:%d
                    access_log: %s
                    access_log_format: json
                    """.formatted(port, backend.getLocalPort(), adminPort, log));
            Process p = Featherlb.command("--config", config.toString()).redirectErrorStream(true).start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                waitForLine(out, "admin: dashboard at http://127.0.0.1:" + adminPort + "/");
                for (int i = 0; i < 5; i++) {
                    try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
                        client.getOutputStream().write(new byte[100 + i]);
                        client.shutdownOutput();
                        assertEquals(42, client.getInputStream().readAllBytes().length);
                    }
                }
                try (HttpClient http = HttpClient.newHttpClient()) {
                    String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics")).build(),
                            HttpResponse.BodyHandlers.ofString()).body();
                    assertTrue(metrics.contains("featherlb_connections_total{endpoint=\"127.0.0.1:" + backend.getLocalPort() + "\",route=\"web\"} 5"), metrics);
                    assertTrue(metrics.contains("featherlb_access_log_dropped_total 0"), metrics);
                }
                p.toHandle().destroy(); // SIGTERM
                assertTrue(p.waitFor(20, TimeUnit.SECONDS), "exits after SIGTERM");
                assertEquals(0, p.exitValue());
            } finally {
                p.destroyForcibly();
            }
            List<String> lines = Files.readAllLines(log);
            assertEquals(5, lines.size(), "every connection is in the log, flushed at shutdown");
            Set<Integer> sizes = new TreeSet<>();
            for (int i = 0; i < 5; i++) {
                Map<?, ?> line = (Map<?, ?>) JSON.std.anyFrom(lines.get(i));
                assertEquals("web", line.get("route"));
                sizes.add(((Number) line.get("bytes_up")).intValue()); // in the order they ended, which may differ
                assertEquals(42, ((Number) line.get("bytes_down")).intValue());
                assertEquals("client closed", line.get("outcome")); // the client sent EOF first
            }
            assertEquals(Set.of(100, 101, 102, 103, 104), sizes);
        }
    }

    @Test
    void anAdminAddressInUseIsExitOneWithAMessage(@TempDir Path dir) throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path config = Files.writeString(dir.resolve("featherlb.yaml"), """
                    routes:
                      - {host: 127.0.0.1, port: %d, endpoints: [{host: 127.0.0.1, port: 9}]}
                    admin: {address: "127.0.0.1:%d"}
                    """.formatted(freePort(), taken.getLocalPort()));
            var r = Featherlb.run("--config", config.toString());
            assertEquals(1, r.exit(), r.err());
            assertTrue(r.err().contains("featherlb: cannot serve the admin API on 127.0.0.1:" + taken.getLocalPort() + ": "), r.err());
            assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
        }
    }

    /** Reads each request to EOF and answers 42 bytes. */
    private static void answer(ServerSocket backend) {
        while (!backend.isClosed()) {
            try (Socket s = backend.accept()) {
                s.getInputStream().readAllBytes();
                s.getOutputStream().write(new byte[42]);
            } catch (IOException closed) {
                return;
            }
        }
    }

    private static void waitForLine(BufferedReader out, String text) throws IOException {
        String line;
        while ((line = out.readLine()) != null && !line.contains(text)) {
            // earlier lines
        }
        assertTrue(line != null, "no line with '" + text + "'");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
