package bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Client connections that each carry one small HTTP request and its answer through the proxy and
 * then stay open and silent: what a proxy holds for an idle keep-alive client. Opened by a bounded
 * number of virtual threads at a time, so the proxy's accept backlog never overflows.
 */
final class IdleConnections implements AutoCloseable {
    private static final int AT_ONCE = 32;
    private static final byte[] REQUEST = "GET / HTTP/1.1\r\nHost: bench\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /** The last bytes of the backend's body (see Contender.backendConfig). */
    private static final byte[] BODY_END = "benchmark\n".getBytes(StandardCharsets.US_ASCII);

    private final List<SocketChannel> open = new ArrayList<>();

    /** Opens connections to {@code port} until {@code total} are open. */
    void openUpTo(int port, int total) throws IOException, InterruptedException {
        int wanted = total - open.size();
        if (wanted <= 0) return;
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<List<SocketChannel>>> batches = new ArrayList<>();
            for (int t = 0; t < AT_ONCE; t++) {
                int share = wanted / AT_ONCE + (t < wanted % AT_ONCE ? 1 : 0);
                batches.add(threads.submit(() -> openSome(port, share)));
            }
            IOException failure = null;
            for (Future<List<SocketChannel>> batch : batches) {
                try {
                    open.addAll(batch.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    if (failure == null) failure = new IOException("opening idle connections: " + e.getCause(), e.getCause());
                }
            }
            if (failure != null) throw failure;
        }
    }

    private static List<SocketChannel> openSome(int port, int count) throws IOException {
        List<SocketChannel> mine = new ArrayList<>(count);
        ByteBuffer answer = ByteBuffer.allocate(4096);
        try {
            for (int i = 0; i < count; i++) {
                SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
                mine.add(c);
                c.write(ByteBuffer.wrap(REQUEST));
                answer.clear();
                while (!endsWith(answer, BODY_END)) {
                    if (c.read(answer) < 0) throw new IOException("closed before the answer on connection " + (i + 1));
                }
            }
            return mine;
        } catch (IOException e) {
            for (SocketChannel c : mine) c.close();
            throw e;
        }
    }

    private static boolean endsWith(ByteBuffer buffer, byte[] end) {
        int from = buffer.position() - end.length;
        if (from < 0) return false;
        for (int i = 0; i < end.length; i++) {
            if (buffer.get(from + i) != end[i]) return false;
        }
        return true;
    }

    int size() {
        return open.size();
    }

    @Override
    public void close() {
        for (SocketChannel c : open) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing is all we wanted
            }
        }
        open.clear();
    }
}
