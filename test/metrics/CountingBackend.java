package metrics;

import config.Endpoint;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongUnaryOperator;

/**
 * A real loopback backend that counts what it sees, to hold featherlb's own numbers against:
 * connections accepted, connections open now, bytes received and bytes sent. It either echoes as
 * bytes arrive ({@link #echo()}), or reads to EOF and then answers with {@code reply(received)} bytes.
 * Public: the admin tests use it too.
 */
public final class CountingBackend implements AutoCloseable {
    public final AtomicInteger accepted = new AtomicInteger();
    public final AtomicInteger open = new AtomicInteger();
    public final AtomicLong received = new AtomicLong();
    public final AtomicLong sent = new AtomicLong();
    private final ServerSocket server;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final LongUnaryOperator reply; // null: echo

    private CountingBackend(LongUnaryOperator reply) throws IOException {
        this.reply = reply;
        this.server = new ServerSocket(0, 4096, InetAddress.getLoopbackAddress());
        threads.execute(this::acceptLoop);
    }

    /** Copies every byte back as it arrives, until EOF. */
    public static CountingBackend echo() throws IOException {
        return new CountingBackend(null);
    }

    /** Reads the whole request (to EOF), then sends {@code reply.applyAsLong(requestBytes)} bytes and closes. */
    public static CountingBackend answering(LongUnaryOperator reply) throws IOException {
        return new CountingBackend(reply);
    }

    public int port() {
        return server.getLocalPort();
    }

    public Endpoint endpoint(int weight) {
        return new Endpoint("127.0.0.1", port(), weight, false);
    }

    public String address() {
        return "127.0.0.1:" + port();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException closed) {
                return;
            }
            accepted.incrementAndGet();
            open.incrementAndGet();
            threads.execute(() -> serve(socket));
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            byte[] buffer = new byte[16 * 1024];
            long total = 0;
            for (int n; (n = in.read(buffer)) >= 0; ) {
                received.addAndGet(n);
                total += n;
                if (reply == null) {
                    out.write(buffer, 0, n);
                    sent.addAndGet(n);
                }
            }
            if (reply != null) {
                long left = reply.applyAsLong(total);
                while (left > 0) {
                    int n = (int) Math.min(buffer.length, left);
                    out.write(buffer, 0, n);
                    sent.addAndGet(n);
                    left -= n;
                }
            }
            socket.shutdownOutput();
        } catch (IOException reset) {
            // the test closed or reset early; what was counted stands
        } finally {
            open.decrementAndGet();
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
    }
}
