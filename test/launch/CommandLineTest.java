package launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The featherlb command as a user meets it: help, version, validation, start-up errors, SIGTERM. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CommandLineTest {

    @Test
    void validateAcceptsAGoodConfig() throws Exception {
        var r = Featherlb.run("--validate", "--config", "test/config/golden/full.yaml");
        assertEquals(0, r.exit(), r.err());
        assertEquals("test/config/golden/full.yaml: ok, 1 route(s)\n", r.out());
    }

    @Test
    void validatePrintsEachProblemAndExitsTwoWithoutAStackTrace() throws Exception {
        var r = Featherlb.run("--validate", "--config", "test/config/golden/wrong-type.yaml");
        assertEquals(2, r.exit());
        assertEquals(Files.readString(Path.of("test/config/golden/wrong-type.txt")), r.err());
        assertEquals("", r.out());
    }

    @Test
    void aBadConfigAtStartUpIsTheSameExitTwo() throws Exception {
        var r = Featherlb.run("--config", "test/config/golden/unknown-strategy.yaml");
        assertEquals(2, r.exit());
        assertEquals(Files.readString(Path.of("test/config/golden/unknown-strategy.txt")), r.err());
    }

    @Test
    void helpExplainsTheConfigAndVersionPrints() throws Exception {
        var help = Featherlb.run("--help");
        assertEquals(0, help.exit());
        assertTrue(help.out().contains("--config=FILE") && help.out().contains("strategy: roundrobin") && help.out().contains("SIGTERM"), help.out());
        var version = Featherlb.run("--version");
        assertEquals(0, version.exit());
        assertTrue(version.out().startsWith("featherlb "), version.out());
    }

    @Test
    void aMistypedOptionIsAUsageErrorWithExitTwo() throws Exception {
        var r = Featherlb.run("--grace", "soon");
        assertEquals(2, r.exit());
        assertTrue(r.err().startsWith("Invalid value for option '--grace': 'soon' is not a duration"), r.err());
        assertTrue(!r.err().contains("\tat "), "no stack trace");
    }

    @Test
    void engineChoosesWhatForwardsAndTheStartUpLineSaysWhich(@TempDir Path dir) throws Exception {
        var wrong = Featherlb.run("--engine", "threads");
        assertEquals(2, wrong.exit());
        assertTrue(wrong.err().startsWith("Invalid value for option '--engine': 'threads' is not an engine (expected loops or virtual-threads)"), wrong.err());
        try (ServerSocket backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = freePort();
            Process p = Featherlb.command("--config", config(dir, port, backend.getLocalPort()).toString(), "--engine", "virtual-threads")
                    .redirectErrorStream(true).start();
            try {
                BufferedReader log = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                waitForLine(log, "engine: virtual-threads");
                waitForLine(log, "listening on");
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port); Socket served = backend.accept()) {
                    client.getOutputStream().write('x');
                    assertEquals('x', served.getInputStream().read());
                }
            } finally {
                p.toHandle().destroy();
                p.waitFor(10, TimeUnit.SECONDS);
                p.destroyForcibly();
            }
        }
    }

    @Test
    void aPortInUseIsReportedAndExitsOne(@TempDir Path dir) throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path config = config(dir, taken.getLocalPort(), 9);
            var r = Featherlb.run("--config", config.toString());
            assertEquals(1, r.exit(), r.err());
            assertTrue(r.err().contains("cannot listen on 127.0.0.1:" + taken.getLocalPort() + " for route"), r.err());
            assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
        }
    }

    @Test
    void sigtermLetsTheOpenConnectionFinishThenExitsZero(@TempDir Path dir) throws Exception {
        try (ServerSocket backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = freePort();
            Process p = Featherlb.command("--config", config(dir, port, backend.getLocalPort()).toString(), "--grace", "20s")
                    .redirectErrorStream(true).start();
            try {
                BufferedReader log = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                String line;
                while ((line = log.readLine()) != null && !line.contains("listening on")) {
                    // start-up lines before the listener's
                }
                assertTrue(line != null, "featherlb never said it was listening");
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port); Socket server = backend.accept()) {
                    p.toHandle().destroy(); // SIGTERM (Process.destroy would also close our end of its output)
                    waitForLine(log, "shutting down");
                    // the connection that was open keeps working both ways during the grace period
                    client.getOutputStream().write("request".getBytes(StandardCharsets.US_ASCII));
                    client.shutdownOutput();
                    assertEquals("request", new String(server.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
                    server.getOutputStream().write("answer".getBytes(StandardCharsets.US_ASCII));
                    server.close();
                    assertEquals("answer", new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
                }
                assertTrue(p.waitFor(10, TimeUnit.SECONDS), "exits once the last connection ended");
                assertEquals(0, p.exitValue());
            } finally {
                p.destroyForcibly();
            }
        }
    }

    @Test
    void sighupAndSavingTheFileReloadTheConfig(@TempDir Path dir) throws Exception {
        try (ServerSocket first = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             ServerSocket second = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = freePort();
            Path file = config(dir, port, first.getLocalPort());
            Process p = Featherlb.command("--config", file.toString()).redirectErrorStream(true).start();
            try {
                BufferedReader log = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                waitForLine(log, "listening on");

                // an invalid file: logged with its position, the old config keeps serving
                Files.writeString(file, Files.readString(file).replace("port: " + port, "port: lots"));
                waitForLine(log, "featherlb.yaml:3:11: port is 'lots'");
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port); Socket served = first.accept()) {
                    assertTrue(served.isConnected());
                }

                // SIGHUP after a change the watcher also sees: one of them reloads, the other finds it unchanged
                config(dir, port, second.getLocalPort());
                new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).start().waitFor();
                waitForLine(log, "reloaded");
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port); Socket served = second.accept()) {
                    assertTrue(served.isConnected(), "new connections go to the new endpoint");
                }
                assertTrue(p.isAlive(), "SIGHUP does not stop featherlb");
            } finally {
                p.toHandle().destroy();
                p.waitFor(10, TimeUnit.SECONDS);
                p.destroyForcibly();
            }
        }
    }

    private static void waitForLine(BufferedReader log, String text) throws IOException {
        String line;
        while ((line = log.readLine()) != null && !line.contains(text)) {
            // earlier lines
        }
        assertTrue(line != null, "no log line with '" + text + "'");
    }

    private static Path config(Path dir, int port, int endpointPort) throws IOException {
        return Files.writeString(dir.resolve("featherlb.yaml"), """
                routes:
                  - host: 127.0.0.1
                    port: %d
                    strategy: roundrobin
                    endpoints:
                      - host: 127.0.0.1
                        port: %d
                """.formatted(port, endpointPort));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
