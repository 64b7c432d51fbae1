package proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static proxy.TestServers.ECHO;
import static proxy.TestServers.connect;

import algorithms.Strategy;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import config.Engine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Timeout;

/** Bytes through a real listener to real loopback backends and back. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ParameterizedClass(name = "{0}")
@EnumSource(Engine.class)
class ForwardingTest {
    /** Every test runs on both engines. */
    @Parameter
    Engine engine;


    @Test
    void sixtyFourMebibytesOfRandomBytesComeBackExactly() throws Exception {
        try (var backend = new TestServers.Backend(ECHO);
             var server = TestServers.start(engine, TestServers.route(Strategy.ROUNDROBIN, List.of(backend.endpoint(1))));
             Socket client = connect(server)) {
            int size = 64 << 20;
            byte[] chunk = new byte[1 << 20];
            Random random = new Random(42);
            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            MessageDigest received = MessageDigest.getInstance("SHA-256");
            // write and read at once: an echo of 64 MiB does not fit in the socket buffers
            Future<Long> reader = CompletableFuture.supplyAsync(() -> {
                try {
                    InputStream in = client.getInputStream();
                    byte[] buffer = new byte[1 << 16];
                    long total = 0;
                    for (int n; (n = in.read(buffer)) >= 0; ) {
                        received.update(buffer, 0, n);
                        total += n;
                    }
                    return total;
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            OutputStream out = client.getOutputStream();
            for (int written = 0; written < size; written += chunk.length) {
                random.nextBytes(chunk);
                sent.update(chunk);
                out.write(chunk);
            }
            client.shutdownOutput();
            assertEquals(size, reader.get(30, TimeUnit.SECONDS));
            assertArrayEquals(sent.digest(), received.digest());
        }
    }

    /**
     * Request/answer exchanges whose sizes sit on the loop's buffer edges: a message that exactly
     * fills the read buffer must be forwarded at once, not held while the loop waits for more.
     */
    @Test
    void exchangesOfEverySizeAroundTheBufferEdgesComeBackAtOnce() throws Exception {
        int small = 512, large = Server.LARGE_BUFFER;
        int[] sizes = {1, small - 1, small, small + 1, 2 * small, large - 1, large, large + 1, 3 * large + 7, small};
        try (var backend = new TestServers.Backend(ECHO);
             var server = TestServers.start(engine, TestServers.route(Strategy.ROUNDROBIN, List.of(backend.endpoint(1))));
             Socket client = connect(server)) {
            client.setSoTimeout(5000); // a message held back by the proxy fails here, not at the test's timeout
            Random random = new Random(7);
            for (int size : sizes) {
                byte[] message = new byte[size];
                random.nextBytes(message);
                client.getOutputStream().write(message);
                assertArrayEquals(message, client.getInputStream().readNBytes(size), size + " bytes");
            }
        }
    }

    @Test
    void halfCloseLetsTheBackendAnswerAfterTheClientsEof() throws Exception {
        // the backend reads the whole request up to EOF, and only then answers: like `nc -q`, rsync, or HTTP/1.0 uploads
        TestServers.Behaviour answerAfterEof = socket -> {
            byte[] request = socket.getInputStream().readAllBytes();
            socket.getOutputStream().write(("got " + request.length + " bytes").getBytes(StandardCharsets.US_ASCII));
            socket.shutdownOutput();
        };
        try (var backend = new TestServers.Backend(answerAfterEof);
             var server = TestServers.start(engine, TestServers.route(Strategy.ROUNDROBIN, List.of(backend.endpoint(1))));
             Socket client = connect(server)) {
            client.getOutputStream().write(new byte[12345]);
            client.shutdownOutput();
            String answer = new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertEquals("got 12345 bytes", answer);
        }
    }

    @Test
    void aResetByTheBackendReachesTheClientAsAReset() throws Exception {
        TestServers.Behaviour resetAfterRead = socket -> {
            socket.getInputStream().read();
            socket.setSoLinger(true, 0);
            socket.close();
        };
        try (var backend = new TestServers.Backend(resetAfterRead);
             var server = TestServers.start(engine, TestServers.route(Strategy.ROUNDROBIN, List.of(backend.endpoint(1))));
             Socket client = connect(server)) {
            client.getOutputStream().write('x');
            SocketException e = assertThrows(SocketException.class, () -> {
                // a reset may surface on the read, or on a later write
                for (int i = 0; i < 100; i++) {
                    if (client.getInputStream().read() < 0) return; // a FIN, not a reset: fails below
                    client.getOutputStream().write('y');
                }
            });
            assertTrue(e.getMessage().toLowerCase().contains("reset"), e.getMessage());
        }
    }

    @Test
    void aSlowReaderDoesNotStallOtherConnections() throws Exception {
        try (var backend = new TestServers.Backend(ECHO);
             var server = TestServers.start(engine, TestServers.route(Strategy.ROUNDROBIN, List.of(backend.endpoint(1))));
             Socket stuck = connect(server)) {
            // fill every buffer on the stuck path: the client writes and never reads its echo
            stuck.setSendBufferSize(64 * 1024);
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    stuck.getOutputStream().write(new byte[32 << 20]);
                } catch (IOException expected) {
                    // closed at the end of the test
                }
            });
            Thread.sleep(300);
            assertTrue(writer.isAlive(), "the writer should be blocked by back-pressure");
            for (int i = 0; i < 20; i++) {
                try (Socket other = connect(server)) {
                    other.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
                    other.shutdownOutput();
                    assertEquals("ping", new String(other.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
                }
            }
            stuck.close();
            writer.join(5000);
        }
    }

    @Test
    void aThousandConcurrentConnectionsAreEachServed() throws Exception {
        int clients = 1000;
        try (var a = new TestServers.Backend(ECHO); var b = new TestServers.Backend(ECHO);
             var server = TestServers.start(engine, TestServers.route(Strategy.LEASTCONN, List.of(a.endpoint(1), b.endpoint(1))))) {
            List<Socket> sockets = new ArrayList<>();
            try {
                // all open at once before any finishes
                for (int i = 0; i < clients; i++) sockets.add(connect(server));
                for (int i = 0; i < clients; i++) {
                    sockets.get(i).getOutputStream().write(("hello " + i).getBytes(StandardCharsets.US_ASCII));
                }
                waitFor(() -> server.activeConnections() == clients);
                assertEquals(clients, server.activeConnections());
                for (int i = 0; i < clients; i++) {
                    Socket s = sockets.get(i);
                    s.shutdownOutput();
                    assertEquals("hello " + i, new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
                }
            } finally {
                for (Socket s : sockets) s.close();
            }
            assertEquals(clients, a.accepted.get() + b.accepted.get());
            assertEquals(clients / 2, a.accepted.get(), "leastconn with equal weights alternates");
            waitFor(() -> server.activeConnections() == 0);
            assertEquals(0, server.activeConnections());
        }
    }

    static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) Thread.sleep(10);
    }
}
