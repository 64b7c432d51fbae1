package dial;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link Dialer#TCP} against real loopback sockets, on virtual threads as connections dial, and on a platform thread. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TcpDialerTest {

    @Test
    void connectsAndHandsBackABlockingChannel() throws Exception {
        try (var listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            for (boolean virtual : new boolean[] {true, false}) {
                var dialled = new ArrayList<SocketChannel>();
                var thread = (virtual ? Thread.ofVirtual() : Thread.ofPlatform()).start(() -> {
                    try {
                        dialled.add(Dialer.TCP.dial("127.0.0.1", listener.getLocalPort(), Duration.ofSeconds(5)));
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
                thread.join();
                try (SocketChannel channel = dialled.getFirst(); var accepted = listener.accept()) {
                    assertTrue(channel.isConnected());
                    assertTrue(channel.isBlocking(), "the Dialer contract: blocking mode");
                    channel.write(ByteBuffer.wrap(new byte[] {42}));
                    assertEquals(42, accepted.getInputStream().read(), "bytes get through (virtual=" + virtual + ")");
                }
            }
        }
    }

    @Test
    void aClosedPortIsRefused() throws Exception {
        int closed = testing.Ports.closed();
        assertThrows(ConnectException.class, () -> Dialer.TCP.dial("127.0.0.1", closed, Duration.ofSeconds(5)));
    }

    /**
     * A listener that never accepts, its backlog full: Linux drops further SYNs, so the next connect
     * stays pending until the deadline closes it.
     */
    @Test
    void aConnectThatHangsTimesOut() throws Exception {
        try (var listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            var address = new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
            List<SocketChannel> filling = new ArrayList<>();
            try {
                for (int i = 0; i < 8; i++) { // more than the backlog holds; the rest stay pending
                    SocketChannel c = SocketChannel.open();
                    c.configureBlocking(false);
                    c.connect(address);
                    filling.add(c);
                }
                Thread.sleep(100);
                long start = System.nanoTime();
                var failure = new Exception[1];
                Thread.ofVirtual().start(() -> {
                    try {
                        Dialer.TCP.dial("127.0.0.1", listener.getLocalPort(), Duration.ofMillis(300)).close();
                    } catch (Exception e) {
                        failure[0] = e;
                    }
                }).join();
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertTrue(failure[0] instanceof SocketTimeoutException, "timed out, not " + failure[0]);
                assertTrue(millis >= 250 && millis < 3000, "after about the timeout: " + millis + " ms");
            } finally {
                for (SocketChannel c : filling) c.close();
            }
        }
    }

}
