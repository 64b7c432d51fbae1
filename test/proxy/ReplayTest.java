package proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static proxy.TestServers.ECHO;
import static proxy.TestServers.connect;

import algorithms.Strategy;
import config.Endpoint;
import config.Health;
import config.Route;
import config.Timeouts;
import dial.ConnectFailure;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import config.Engine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Timeout;
import pool.Backend;

/**
 * {@code retry_on: empty-response}: an endpoint that closes or resets before its first byte is
 * replaced by the next one, which gets the client's bytes again. The failing endpoint is the
 * primary and the answering one a backup, so that the order is certain: the backup is only dialled
 * once the primary failed within the connection.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@ParameterizedClass(name = "{0}")
@EnumSource(Engine.class)
class ReplayTest {
    /** Every test runs on both engines. */
    @Parameter
    Engine engine;


    /** Reads {@code size} bytes, then closes without answering. */
    private static TestServers.Behaviour readsThenCloses(int size) {
        return socket -> socket.getInputStream().readNBytes(size);
    }

    private static Route route(int primaryPort, int backupPort, boolean retryEmpty) {
        return new Route("test", "127.0.0.1", 0, Strategy.ROUNDROBIN, List.of(
                new Endpoint("127.0.0.1", primaryPort, 1, false),
                new Endpoint("127.0.0.1", backupPort, 1, true)),
                Timeouts.DEFAULTS, 0, Route.DEFAULT_RETRIES, Health.DEFAULTS, retryEmpty);
    }

    private static byte[] ask(Socket client, String request) throws IOException {
        client.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        client.shutdownOutput();
        return client.getInputStream().readAllBytes();
    }

    /**
     * The case this exists for: a backend that stops while the kernel still completes connects into
     * its listen queue. The queued connections, our request in them, are reset when the listener
     * closes; the clients must not notice.
     */
    @Test
    void connectionsResetFromAStoppedListenersQueueAreReplayedOnTheNextEndpoint() throws Exception {
        try (var backup = new TestServers.Backend(ECHO)) {
            ServerSocket neverAccepts = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            try (var server = TestServers.start(engine, route(neverAccepts.getLocalPort(), backup.port(), true))) {
                List<Socket> clients = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    Socket client = connect(server);
                    client.getOutputStream().write(("request " + i).getBytes(StandardCharsets.US_ASCII));
                    client.shutdownOutput();
                    clients.add(client);
                }
                Thread.sleep(300); // every request now sits in the queue of a listener nobody accepts on
                assertEquals(0, backup.accepted.get(), "the primary's queue took every connect");
                neverAccepts.close(); // the kernel resets the five queued connections
                for (int i = 0; i < clients.size(); i++) {
                    try (Socket client = clients.get(i)) {
                        assertEquals("request " + i, new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
                    }
                }
                assertEquals(5, backup.accepted.get());
                Backend primary = server.pools().getFirst().backend(0);
                assertEquals(5, primary.connectFailures(ConnectFailure.EMPTY), "each reset counted against the primary");
            }
        }
    }

    /** The same reset without the option: the client sees it, as through HAProxy in tcp mode. */
    @Test
    void withoutTheOptionTheClientSeesTheReset() throws Exception {
        try (var backup = new TestServers.Backend(ECHO)) {
            ServerSocket neverAccepts = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            try (var server = TestServers.start(engine, route(neverAccepts.getLocalPort(), backup.port(), false));
                 Socket client = connect(server)) {
                client.getOutputStream().write("lost".getBytes(StandardCharsets.US_ASCII));
                Thread.sleep(300);
                neverAccepts.close();
                byte[] got;
                try {
                    got = client.getInputStream().readAllBytes();
                } catch (SocketException reset) {
                    got = new byte[0];
                }
                assertEquals(0, got.length, "no answer, and no replay");
                assertEquals(0, backup.accepted.get());
            }
        }
    }

    /** A backend that reads the request and closes (nginx closing connections at a fast shutdown). */
    @Test
    void anEndpointThatClosesWithoutAnsweringIsReplaced() throws Exception {
        TestServers.Behaviour answers = socket -> {
            byte[] request = socket.getInputStream().readNBytes(4);
            socket.getOutputStream().write(("re: " + new String(request, StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII));
        };
        try (var closes = new TestServers.Backend(readsThenCloses(4));
             var backup = new TestServers.Backend(answers);
             var server = TestServers.start(engine, route(closes.port(), backup.port(), true));
             Socket client = connect(server)) {
            client.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII)); // no EOF: a request waiting for its answer
            assertEquals("re: ping", new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
            assertEquals(1, closes.accepted.get());
            assertEquals(1, backup.accepted.get());
        }
    }

    /**
     * After the client's EOF, an endpoint's plain close may be how the protocol ends (a sink that
     * answers nothing): passed on, not replayed. (A reset is replayed; see the first test.)
     */
    @Test
    void aCloseAfterTheClientsEofIsTheEndNotAFailure() throws Exception {
        try (var sink = new TestServers.Backend(socket -> socket.getInputStream().readAllBytes());
             var backup = new TestServers.Backend(ECHO);
             var server = TestServers.start(engine, route(sink.port(), backup.port(), true));
             Socket client = connect(server)) {
            assertEquals(0, ask(client, "log line").length);
            assertEquals(0, backup.accepted.get(), "the sink's close was not taken for a failure");
            assertEquals(0, server.pools().getFirst().backend(0).connectFailures(ConnectFailure.EMPTY));
        }
    }

    /** Once the endpoint sent a byte, its close is the answer's end, never a reason to replay. */
    @Test
    void anEndpointThatAnsweredIsNeverReplayed() throws Exception {
        TestServers.Behaviour answersThenCloses = socket -> {
            socket.getInputStream().readNBytes(4);
            socket.getOutputStream().write("half".getBytes(StandardCharsets.US_ASCII));
        };
        try (var answers = new TestServers.Backend(answersThenCloses);
             var backup = new TestServers.Backend(ECHO);
             var server = TestServers.start(engine, route(answers.port(), backup.port(), true));
             Socket client = connect(server)) {
            assertEquals("half", new String(ask(client, "ping"), StandardCharsets.US_ASCII));
            assertEquals(0, backup.accepted.get());
        }
    }

    /** More than a replay can hold: the client's close is passed on as it would be without the option. */
    @Test
    void requestsLargerThanTheReplayLimitAreNotReplayed() throws Exception {
        int size = Route.REPLAY_LIMIT + 1;
        try (var closes = new TestServers.Backend(readsThenCloses(size));
             var backup = new TestServers.Backend(ECHO);
             var server = TestServers.start(engine, route(closes.port(), backup.port(), true));
             Socket client = connect(server)) {
            byte[] request = new byte[size];
            Arrays.fill(request, (byte) 'x');
            client.getOutputStream().write(request);
            InputStream in = client.getInputStream();
            byte[] got;
            try {
                got = in.readAllBytes();
            } catch (SocketException reset) {
                got = new byte[0];
            }
            assertEquals(0, got.length);
            assertEquals(0, backup.accepted.get(), "nothing was replayed");
        }
    }

    /** Just under the limit, a request in many writes is replayed whole and in order. */
    @Test
    void aRequestJustUnderTheLimitInManyWritesIsReplayedWhole() throws Exception {
        int size = Route.REPLAY_LIMIT;
        TestServers.Behaviour echoesItsSize = socket -> socket.getOutputStream().write(socket.getInputStream().readNBytes(size));
        try (var closes = new TestServers.Backend(readsThenCloses(size));
             var backup = new TestServers.Backend(echoesItsSize);
             var server = TestServers.start(engine, route(closes.port(), backup.port(), true));
             Socket client = connect(server)) {
            byte[] request = new byte[size];
            for (int i = 0; i < size; i++) request[i] = (byte) (i * 31);
            for (int at = 0; at < size; at += 1000) {
                client.getOutputStream().write(request, at, Math.min(1000, size - at));
                client.getOutputStream().flush();
            }
            assertArrayEquals(request, client.getInputStream().readAllBytes());
            assertTrue(backup.accepted.get() == 1);
        }
    }
}
