package launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command and the admin server against what an operator's mistake or an attacker sends: paths
 * with NUL, a FIFO as the config, huge durations, a slow or huge request header.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class HostileInputTest {

    @Test
    void aNulInAPathIsAConfigErrorWithItsPositionAndExitTwo() throws Exception {
        var r = Featherlb.run("--validate", "--config", "test/config/golden/nul-in-path.yaml");
        assertEquals(2, r.exit(), r.err());
        assertEquals(Files.readString(Path.of("test/config/golden/nul-in-path.txt")), r.err());
    }

    @Test
    void aFifoAsTheConfigIsRefusedAtOnce(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("featherlb.yaml");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
        var r = Featherlb.run("--validate", "--config", fifo.toString());
        assertEquals(2, r.exit(), r.err());
        assertEquals(fifo + ": is not a regular file but a FIFO or socket (expected a featherlb YAML config file)\n", r.err());
    }

    @Test
    void aRunningConfigReplacedByAFifoIsRefusedOnSighupAndSigtermStillStops(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("featherlb.yaml"), """
                routes:
                  - host: 127.0.0.1
                    port: %d
                    endpoints:
                      - {host: 127.0.0.1, port: 9}
                """.formatted(freePort()));
        Process p = Featherlb.command("--config", file.toString(), "--grace", "1s").redirectErrorStream(true).start();
        try {
            BufferedReader log = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            waitForLine(log, "listening on");
            Path fifo = dir.resolve("fifo");
            assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
            Files.move(fifo, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).start().waitFor();
            waitForLine(log, file + ": is not a regular file but a FIFO or socket");
            p.toHandle().destroy(); // SIGTERM
            assertTrue(p.waitFor(15, TimeUnit.SECONDS), "SIGTERM stops featherlb after the refused reload");
            assertEquals(0, p.exitValue());
        } finally {
            p.destroyForcibly();
        }
    }

    private static void waitForLine(BufferedReader log, String text) throws IOException {
        String line;
        while ((line = log.readLine()) != null && !line.contains(text)) {
            // earlier lines
        }
        assertTrue(line != null, "no log line with '" + text + "'");
    }

    @Test
    void aGraceOverAYearIsAUsageError() throws Exception {
        var r = Featherlb.run("--grace", "999999999h", "--validate", "--config", "test/config/golden/full.yaml");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().startsWith("Invalid value for option '--grace': '999999999h' is too long (expected a duration of at most 8760h, a year)"), r.err());
    }

    @Test
    void theAdminServerClosesASlowHeaderAndAHugeOne(@TempDir Path dir) throws Exception {
        int port = freePort();
        int adminPort = freePort();
        Path file = Files.writeString(dir.resolve("featherlb.yaml"), """
                routes:
                  - host: 127.0.0.1
                    port: %d
                    endpoints:
                      - {host: 127.0.0.1, port: 9}
                admin:
                  address: 127.0.0.1:%d
                """.formatted(port, adminPort));
        Process p = Featherlb.command("--config", file.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader log = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = log.readLine()) != null && !line.contains("admin: dashboard at")) {
                // start-up lines
            }
            assertTrue(line != null, "the admin server never started");
            Thread.ofVirtual().start(() -> { // keep draining featherlb's output so that it never blocks on it
                try {
                    log.transferTo(java.io.Writer.nullWriter());
                } catch (IOException ignored) {
                    // featherlb ended
                }
            });

            // slowloris: one byte a second of a header that never ends
            try (Socket slow = new Socket(InetAddress.getLoopbackAddress(), adminPort)) {
                slow.setSoTimeout(100);
                OutputStream out = slow.getOutputStream();
                byte[] request = "GET /metrics HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII);
                long start = System.nanoTime();
                boolean closed = false;
                for (int i = 0; !closed && System.nanoTime() - start < Duration.ofSeconds(30).toNanos(); i++) {
                    try {
                        out.write(i < request.length ? request[i] : 'x');
                        out.flush();
                        closed = slow.getInputStream().read() == -1;
                    } catch (SocketTimeoutException stillOpen) {
                        Thread.sleep(900);
                    } catch (IOException reset) {
                        closed = true;
                    }
                }
                long seconds = Duration.ofNanos(System.nanoTime() - start).toSeconds();
                assertTrue(closed, "a header sent at 1 byte/s was still open after 30 s");
                assertTrue(seconds <= 13, "closed after " + seconds + " s (expected the 10 s bound and the 1 s timer)");
            }

            // a header of 100 KB: under the JDK's default of 380 KiB, over featherlb's 64 KiB
            try (Socket huge = new Socket(InetAddress.getLoopbackAddress(), adminPort)) {
                huge.setSoTimeout(5000);
                byte[] header = ("GET /metrics HTTP/1.1\r\nHost: localhost\r\nX-Huge: " + "h".repeat(100_000) + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII);
                String answer;
                try {
                    huge.getOutputStream().write(header);
                    InputStream in = huge.getInputStream();
                    answer = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
                } catch (IOException reset) {
                    answer = "";
                }
                assertTrue(answer.isEmpty() || answer.startsWith("HTTP/1.1 4"), "a 100 KB header was answered with: " + answer);
            }

            // and a normal request still gets its answer
            try (Socket normal = new Socket(InetAddress.getLoopbackAddress(), adminPort)) {
                normal.setSoTimeout(5000);
                normal.getOutputStream().write("GET /api/v1/routes HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                assertTrue(new String(normal.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200"));
            }
        } finally {
            p.toHandle().destroy();
            p.waitFor(10, TimeUnit.SECONDS);
            p.destroyForcibly();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
