package launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code shutdown_delay} on the real command: after SIGTERM {@code GET /readyz} answers 503 while
 * new connections are still served for the delay, then featherlb refuses new ones and the open
 * ones (from before SIGTERM and from the delay) finish within {@code shutdown_grace}.
 * {@code GET /healthz} answers 200 throughout. The steps follow featherlb's own log lines, not the
 * clock: the delay is long enough (4 s) that a busy machine still connects within it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ShutdownDelayTest {

    @Test
    void afterSigtermReadyzIs503AndNewConnectionsAreServedForTheDelayThenRefusedWhileOpenOnesFinish(@TempDir Path dir) throws Exception {
        try (ServerSocket backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread echo = Thread.ofVirtual().start(() -> echo(backend));
            int port = Running.freePort();
            String admin = "127.0.0.1:" + Running.freePort();
            Path config = Files.writeString(dir.resolve("featherlb.yaml"), """
                    shutdown_delay: 4s
                    shutdown_grace: 30s
                    admin: {address: "%s"}
                    routes:
                      - {name: web, host: 127.0.0.1, port: %d, endpoints: [{host: 127.0.0.1, port: %d}]}
                    """.formatted(admin, port, backend.getLocalPort()));
            List<Socket> open = new ArrayList<>();
            try (Running lb = Running.start(config)) {
                Socket before = connect(port);
                open.add(before);
                assertEquals(200, lb.get(admin, "/readyz").statusCode());
                assertEquals(200, lb.get(admin, "/healthz").statusCode());

                lb.terminate();
                lb.awaitLine("still accepting for 4s");
                var readyz = lb.get(admin, "/readyz");
                assertEquals(503, readyz.statusCode(), readyz.body());
                assertTrue(readyz.body().contains("\"phase\":\"leaving\""), readyz.body());
                assertEquals(200, lb.get(admin, "/healthz").statusCode(), "alive while it serves");
                for (int i = 0; i < 5; i++) open.add(connect(port)); // new connections, served during the delay

                lb.awaitLine("stopped accepting");
                assertThrows(ConnectException.class, () -> new Socket(InetAddress.getLoopbackAddress(), port).close(),
                        "after the delay new connections are refused");
                readyz = lb.get(admin, "/readyz");
                assertEquals(503, readyz.statusCode());
                assertTrue(readyz.body().contains("\"phase\":\"draining\""), readyz.body());
                assertEquals(200, lb.get(admin, "/healthz").statusCode(), "alive while it drains");
                for (Socket s : open) exchange(s, 7); // the open ones still forward
                for (Socket s : open) s.close();
                assertEquals(0, lb.exit(), lb.output());
                assertTrue(!lb.output().contains("connection(s) still open"), "none was cut by the grace period's end: " + lb.output());
            } finally {
                for (Socket s : open) s.close();
                backend.close();
                echo.join();
            }
        }
    }

    /** A new connection through featherlb, checked by one echoed exchange. */
    private static Socket connect(int port) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
        s.setSoTimeout(20_000);
        exchange(s, 3);
        return s;
    }

    private static void exchange(Socket s, int size) throws IOException {
        byte[] sent = new byte[size];
        for (int i = 0; i < size; i++) sent[i] = (byte) ('a' + i);
        s.getOutputStream().write(sent);
        assertEquals(new String(sent), new String(s.getInputStream().readNBytes(size)));
    }

    private static void echo(ServerSocket backend) {
        while (!backend.isClosed()) {
            try {
                Socket s = backend.accept();
                Thread.ofVirtual().start(() -> {
                    try (s) {
                        s.getInputStream().transferTo(s.getOutputStream());
                    } catch (IOException ignored) {
                        // the client's side shows it
                    }
                });
            } catch (IOException closed) {
                return;
            }
        }
    }
}
