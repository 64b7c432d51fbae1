package loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** recv/send on real loopback sockets: what the JDK's read and write would have answered, in each case. */
class SocketIoTest {

    /** A connected pair: [0] the client side, [1] the accepted side; both non-blocking. */
    private static SocketChannel[] pair() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            SocketChannel a = SocketChannel.open(server.getLocalAddress());
            SocketChannel b = server.accept();
            a.configureBlocking(false);
            b.configureBlocking(false);
            return new SocketChannel[] {a, b};
        }
    }

    private static int readSome(SocketChannel channel, int fd, ByteBuffer into) throws Exception {
        for (int i = 0; i < 500; i++) { // bounded: 5 s
            int n = SocketIo.read(channel, fd, into);
            if (n != 0) return n;
            Thread.sleep(10);
        }
        throw new AssertionError("nothing arrived in 5 s");
    }

    @Test
    void theTestJvmRunsWithTheScriptsOptionsSoRecvAndSendAreUsed() throws IOException {
        assertTrue(SocketIo.available(), SocketIo.describe());
        SocketChannel[] p = pair();
        try {
            assertTrue(SocketIo.fd(p[0]) > 2, "a descriptor of its own");
        } finally {
            p[0].close();
            p[1].close();
        }
    }

    @Test
    void bytesArriveIntactNothingWaitingIsZeroAndTheEndOfTheStreamIsMinusOne() throws Exception {
        SocketChannel[] p = pair();
        try (SocketChannel a = p[0]; SocketChannel b = p[1]) {
            int fa = SocketIo.fd(a), fb = SocketIo.fd(b);
            ByteBuffer in = ByteBuffer.allocateDirect(64 * 1024);
            assertEquals(0, SocketIo.read(b, fb, in), "nothing sent yet");
            byte[] data = new byte[50_000];
            new Random(7).nextBytes(data);
            ByteBuffer out = ByteBuffer.allocateDirect(data.length).put(data).flip();
            out.position(10_000); // from the position: the first 10,000 bytes are not sent
            int written = SocketIo.write(a, fa, out);
            assertEquals(written, out.position() - 10_000);
            while (out.hasRemaining()) SocketIo.write(a, fa, out);
            int got = 0;
            while (got < 40_000) got += readSome(b, fb, in);
            assertEquals(40_000, got);
            byte[] received = new byte[40_000];
            in.flip().get(received);
            byte[] expected = new byte[40_000];
            System.arraycopy(data, 10_000, expected, 0, 40_000);
            assertArrayEquals(expected, received);
            a.shutdownOutput();
            assertEquals(-1, readSome(b, fb, in.clear()), "the peer's FIN");
            assertEquals(0, SocketIo.read(b, fb, in.position(in.limit())), "no room: nothing read, as the JDK does");
        }
    }

    @Test
    void aFullSendBufferIsZeroNotAnError() throws Exception {
        SocketChannel[] p = pair();
        try (SocketChannel a = p[0]; SocketChannel b = p[1]) {
            a.setOption(StandardSocketOptions.SO_SNDBUF, 4096);
            int fa = SocketIo.fd(a);
            ByteBuffer chunk = ByteBuffer.allocateDirect(64 * 1024);
            int zeros = 0;
            for (int i = 0; i < 1000 && zeros == 0; i++) { // bounded: the peer never reads
                if (SocketIo.write(a, fa, chunk.clear()) == 0) zeros++;
            }
            assertEquals(1, zeros, "the buffers filled and a write took nothing");
        }
    }

    @Test
    void aResetPeerAndAClosedChannelAreTheExceptionsTheJdkThrows() throws Exception {
        SocketChannel[] p = pair();
        SocketChannel a = p[0], b = p[1];
        int fa = SocketIo.fd(a), fb = SocketIo.fd(b);
        b.setOption(StandardSocketOptions.SO_LINGER, 0);
        b.close(); // a reset
        ByteBuffer buffer = ByteBuffer.allocateDirect(1024);
        SocketException reset = assertThrows(SocketException.class, () -> {
            for (int i = 0; i < 500; i++) { // bounded: the RST may take a moment
                SocketIo.read(a, fa, buffer.clear());
                Thread.sleep(10);
            }
        });
        assertEquals("Connection reset", reset.getMessage());
        a.close();
        assertThrows(ClosedChannelException.class, () -> SocketIo.write(a, fa, buffer.clear()), "never a call on a closed descriptor");
        assertThrows(ClosedChannelException.class, () -> SocketIo.read(b, fb, buffer.clear()));
    }

    @Test
    void aHeapBufferOrNoDescriptorUsesTheChannelsOwnCalls() throws Exception {
        SocketChannel[] p = pair();
        try (SocketChannel a = p[0]; SocketChannel b = p[1]) {
            assertEquals(3, SocketIo.write(a, -1, ByteBuffer.wrap(new byte[] {1, 2, 3})));
            ByteBuffer heap = ByteBuffer.allocate(10);
            assertEquals(3, readSome(b, SocketIo.fd(b), heap));
            assertArrayEquals(new byte[] {1, 2, 3}, java.util.Arrays.copyOf(heap.array(), 3));
        }
    }
}
