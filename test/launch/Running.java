package launch;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A featherlb process started by a test ({@link Featherlb#command}) with its output read on a
 * virtual thread of its own, so that the test can wait for a line without the pipe filling up,
 * and its admin address asked over HTTP. {@link #close} sends SIGKILL if it is still running.
 */
final class Running implements AutoCloseable {
    private final Process process;
    private final List<String> lines = new ArrayList<>(); // guarded by itself
    private final Thread reader;
    private final HttpClient http = HttpClient.newHttpClient();

    private Running(Process process) {
        this.process = process;
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        reader = Thread.ofVirtual().start(() -> {
            try {
                for (String line; (line = out.readLine()) != null; ) {
                    synchronized (lines) {
                        lines.add(line);
                        lines.notifyAll();
                    }
                }
            } catch (IOException ended) {
                // the process is gone: nothing more to read
            }
        });
    }

    /** Starts {@code featherlb --config file --no-watch} and waits until its admin server is up. */
    static Running start(Path config) throws IOException, InterruptedException {
        Running running = new Running(Featherlb.command("--config", config.toString(), "--no-watch").redirectErrorStream(true).start());
        running.awaitLine("admin: dashboard at");
        return running;
    }

    /** Waits (at most 60 s: a busy machine) for a line that contains {@code text}; returns it. */
    String awaitLine(String text) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        synchronized (lines) {
            for (int seen = 0; ; ) {
                for (; seen < lines.size(); seen++) if (lines.get(seen).contains(text)) return lines.get(seen);
                long left = deadline - System.nanoTime();
                assertTrue(left > 0 && (reader.isAlive() || seen < lines.size()), "no line with '" + text + "' in:\n" + output());
                lines.wait(Math.max(1, Math.min(left / 1_000_000, 200)));
            }
        }
    }

    String output() {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }

    /** {@code GET http://admin/path}: the status and the body. */
    HttpResponse<String> get(String admin, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + admin + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** SIGTERM. */
    void terminate() {
        process.toHandle().destroy();
    }

    /** Waits (at most 60 s) for the exit and returns its status. */
    int exit() throws InterruptedException {
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "did not exit:\n" + output());
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        http.close();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
