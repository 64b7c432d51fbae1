package launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real command under a small file-descriptor limit (a shell's {@code ulimit -n}): featherlb
 * stops accepting before it runs out of descriptors, so clients beyond its share wait in the
 * backlog and are served once others end, and the healthy endpoint is never blamed for
 * featherlb's own exhaustion. (Before the global limit, connections past the limit were accepted and
 * then failed to open their endpoint socket, "Too many open files" counted as the endpoint's failed
 * connect, and passive checks took the one endpoint down: every client was refused.)
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class DescriptorLimitTest {
    private static final int FDS = 256;
    private static final int CLIENTS = 150; // more than the (256 - 64) / 2 = 96 that fit, fewer than twice as many

    @Test
    void clientsBeyondTheDescriptorsWaitInTheBacklogAndTheEndpointIsNotBlamed(@TempDir Path dir) throws Exception {
        // closed in reverse order: the backend's socket first, which ends its accept loop, then the threads
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
             ServerSocket backend = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress())) {
            var held = new ConcurrentLinkedQueue<Socket>();
            threads.execute(() -> { // an echo backend that holds every connection until the test ends
                while (!backend.isClosed()) {
                    try {
                        Socket s = backend.accept();
                        held.add(s);
                        threads.execute(() -> {
                            try (s) {
                                s.getInputStream().transferTo(s.getOutputStream());
                            } catch (IOException ignored) {
                                // closed by the test
                            }
                        });
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
            int port;
            try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = free.getLocalPort();
            }
            Path config = dir.resolve("featherlb.yaml");
            Files.writeString(config, """
                    routes:
                      - host: 127.0.0.1
                        port: %d
                        endpoints:
                          - {host: 127.0.0.1, port: %d}
                    """.formatted(port, backend.getLocalPort()));
            ProcessBuilder command = Featherlb.command("--config", config.toString(), "--no-watch");
            String java = String.join(" ", command.command().stream().map(DescriptorLimitTest::quote).toList());
            Process p = new ProcessBuilder("bash", "-c", "ulimit -n " + FDS + " && exec " + java).redirectErrorStream(true).start();
            List<String> lines = new ArrayList<>();
            Thread reader = Thread.ofVirtual().start(() -> {
                try (var in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null; ) synchronized (lines) { lines.add(line); }
                } catch (IOException ignored) {
                    // the process ended
                }
            });
            List<Socket> clients = new ArrayList<>();
            try {
                await(() -> contains(lines, "listening on"), lines);
                assertTrue(contains(lines, "at most 96 connections at once, all routes (from the file-descriptor limit " + FDS + ")"), String.join("\n", lines));
                for (int i = 0; i < CLIENTS; i++) {
                    Socket c = new Socket();
                    c.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000); // completes into the backlog
                    c.setSoTimeout(5_000);
                    clients.add(c);
                    c.getOutputStream().write('x');
                }
                await(() -> held.size() >= 96, lines);
                Thread.sleep(300);
                assertEquals(96, held.size(), "featherlb serves what its descriptors allow, no more");
                // the first half is echoed now; the rest wait in the backlog
                for (int i = 0; i < 96; i++) assertEquals('x', clients.get(i).getInputStream().read());
                await(() -> contains(lines, "further clients wait in the listen backlog"), lines);
                for (int i = 0; i < 96; i++) clients.get(i).close();
                for (int i = 96; i < CLIENTS; i++) {
                    InputStream in = clients.get(i).getInputStream();
                    assertEquals('x', in.read(), "client " + i + " is served once others ended, not refused");
                    OutputStream out = clients.get(i).getOutputStream();
                    out.write('y');
                    assertEquals('y', in.read());
                }
                synchronized (lines) {
                    assertTrue(lines.stream().noneMatch(l -> l.contains(" down: ") || l.contains("refused")), String.join("\n", lines));
                }
            } finally {
                for (Socket c : clients) c.close();
                p.destroy();
                p.waitFor(10, TimeUnit.SECONDS);
                p.destroyForcibly();
                reader.join(5000);
                for (Socket s : held) s.close();
            }
        }
    }

    private static String quote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }

    private static boolean contains(List<String> lines, String text) {
        synchronized (lines) {
            return lines.stream().anyMatch(l -> l.contains(text));
        }
    }

    private static void await(java.util.function.BooleanSupplier condition, List<String> lines) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                synchronized (lines) {
                    throw new AssertionError("timed out; featherlb said:\n" + String.join("\n", lines));
                }
            }
            Thread.sleep(20);
        }
    }
}
