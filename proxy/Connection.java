package proxy;

import static java.lang.System.Logger.Level.DEBUG;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.time.Duration;
import java.time.Instant;
import pool.Backend;
import pool.BackendPool;
import pool.ConnectFailure;

/**
 * One client connection and, once dialled, its endpoint connection.
 *
 * <p>{@link #run()} runs in the connection's virtual thread: it picks and dials an endpoint, starts
 * a second virtual thread for endpoint→client, and itself pipes client→endpoint. When one side
 * sends EOF, the other side's output is shut down and the reverse direction keeps running (TCP
 * half-close), so request/response protocols that close their write side still get the answer.
 * A reset or write failure on one side aborts the connection with a reset on the other side, so
 * the peer learns the same thing a direct connection would have told it. The last of the two
 * pipes to end closes both sockets and releases what the connection held.
 */
final class Connection implements Runnable {
    private static final System.Logger LOG = System.getLogger(Connection.class.getName());
    /** Bytes each pipe reads into while it waits for data; see {@link #pipe}. */
    static final int SMALL = Integer.getInteger("featherlb.smallBuffer", 512);

    private final Server server;
    private final Listener listener;
    private final BackendPool pool;
    private final SocketChannel client;
    private final String clientName;
    private final long clientKey;
    private final long startNanos = System.nanoTime();
    private final Instant started = Instant.now();

    private final AtomicInteger openPipes = new AtomicInteger(2);
    private final AtomicReference<Outcome> end = new AtomicReference<>();
    private volatile boolean closing;
    private volatile SocketChannel endpoint;
    private volatile Backend backend; // volatile: the server reads it to find an endpoint's connections

    // idle tracking: pipes set touched per read; the reaper clears it and remembers when
    private volatile boolean touched;
    private long lastSeenNanos = startNanos; // reaper thread only

    // written by each pipe before it ends; read after both ended (openPipes orders them)
    private long bytesUp;
    private long bytesDown;

    Connection(Server server, Listener listener, BackendPool pool, SocketChannel client) {
        this.server = server;
        this.listener = listener;
        this.pool = pool;
        this.client = client;
        InetSocketAddress remote = remoteOf(client);
        this.clientName = remote == null ? "?" : remote.getAddress().getHostAddress() + ":" + remote.getPort();
        this.clientKey = remote == null ? 0 : BackendPool.clientKey(remote.getAddress().getAddress());
    }

    @Override
    public void run() {
        if (!dial()) {
            end.compareAndSet(null, Outcome.NO_ENDPOINT);
            openPipes.set(0);
            finish();
            return;
        }
        try {
            server.spawn(() -> pipe(endpoint, client, false));
        } catch (RuntimeException rejected) { // the server is past its grace period
            closeFor(Outcome.SHUTDOWN);
            pipeEnded();
        }
        pipe(client, endpoint, true);
    }

    /** Picks endpoints and connects until one answers; retries only before any byte was sent. */
    private boolean dial() {
        var route = pool.route();
        BitSet tried = null;
        String reasons = "";
        for (int attempt = 0; attempt <= route.retries() && !closing; attempt++) {
            int index = pool.choose(clientKey, tried);
            if (index < 0) break;
            Backend candidate = pool.backend(index);
            try {
                endpoint = server.dialer().dial(candidate.endpoint().host(), candidate.endpoint().port(), route.timeouts().connect());
                candidate.connected();
                backend = candidate;
                if (LOG.isLoggable(DEBUG)) {
                    LOG.log(DEBUG, "{0}: {1} -> {2}", route.name(), clientName, candidate.address());
                }
                return true;
            } catch (IOException e) {
                candidate.released();
                candidate.connectFailed(failure(e));
                String reason = candidate.address() + " " + reason(e);
                reasons = reasons.isEmpty() ? reason : reasons + ", " + reason;
                LOG.log(DEBUG, "{0}: {1}: connect to {2} failed ({3}), trying the next endpoint",
                        route.name(), clientName, candidate.address(), reason(e));
                if (tried == null) tried = new BitSet(pool.size());
                tried.set(index);
            }
        }
        listener.refusals().refused(route.name(), clientName, reasons.isEmpty() ? Refusals.whyNone(pool) : reasons, System.nanoTime());
        return false;
    }

    private static ConnectFailure failure(IOException e) {
        return switch (e) {
            case SocketTimeoutException ignored -> ConnectFailure.TIMEOUT;
            case UnknownHostException ignored -> ConnectFailure.UNRESOLVED;
            case ConnectException ignored -> ConnectFailure.REFUSED;
            default -> ConnectFailure.OTHER;
        };
    }

    private static String reason(IOException e) {
        return switch (e) {
            case SocketTimeoutException ignored -> "timed out";
            case UnknownHostException ignored -> "name does not resolve";
            case ConnectException c -> c.getMessage() == null ? "refused" : c.getMessage().toLowerCase(java.util.Locale.ROOT);
            default -> e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        };
    }

    /**
     * Copies from → to until EOF or failure. Runs in one of the connection's two virtual threads.
     *
     * <p>Buffers: the pipe waits for data with a small heap buffer of its own ({@link #SMALL} bytes),
     * so that an idle connection, whose two pipes are parked in {@code read}, holds two small arrays
     * and nothing else (a read into a heap buffer borrows the carrier's temporary direct buffer for
     * the system call only, not while parked). A read that fills the buffer shows that more is
     * waiting: the next read borrows a large direct buffer from the server's pool, and the pipe keeps
     * it while reads keep filling it; the first read that does not means the socket is drained, so
     * the large buffer goes back before the next read, which probably parks. Every read is written
     * out before the next one: a request of exactly {@code SMALL} bytes must reach the endpoint
     * even though nothing follows it.
     */
    private void pipe(SocketChannel from, SocketChannel to, boolean upstream) {
        ByteBuffer small = ByteBuffer.allocate(SMALL);
        ByteBuffer large = null;
        long total = 0;
        try {
            while (true) {
                ByteBuffer buffer = large != null ? large : small;
                int n;
                try {
                    n = from.read(buffer);
                } catch (IOException e) {
                    abort(upstream ? Outcome.CLIENT_RESET : Outcome.ENDPOINT_RESET, to);
                    return;
                }
                if (n < 0) {
                    end.compareAndSet(null, upstream ? Outcome.CLIENT_CLOSED : Outcome.ENDPOINT_CLOSED);
                    shutdownOutput(to);
                    return;
                }
                if (!touched) touched = true;
                if (upstream) backend.sentUp(n);
                else backend.sentDown(n);
                boolean filled = !buffer.hasRemaining();
                buffer.flip();
                try {
                    while (buffer.hasRemaining()) to.write(buffer);
                } catch (IOException e) {
                    // the receiving side is gone: tell the sending side the same way
                    abort(upstream ? Outcome.ENDPOINT_RESET : Outcome.CLIENT_RESET, from);
                    return;
                }
                buffer.clear();
                total += n;
                if (filled && large == null) {
                    large = server.buffers().take();
                } else if (!filled && large != null) {
                    server.buffers().give(large);
                    large = null;
                }
            }
        } finally {
            if (large != null) server.buffers().give(large);
            if (upstream) bytesUp = total;
            else bytesDown = total;
            pipeEnded();
        }
    }

    private void shutdownOutput(SocketChannel to) {
        try {
            to.shutdownOutput();
        } catch (IOException alreadyGone) {
            // the other side closed first; its own pipe reports that
        }
    }

    /** Ends the connection because one side failed: {@code reset} gets a TCP reset, not a FIN. */
    private void abort(Outcome why, SocketChannel reset) {
        if (closing) return; // we closed the sockets ourselves; the failure is the echo of that
        end.compareAndSet(null, why);
        closing = true;
        try {
            reset.setOption(StandardSocketOptions.SO_LINGER, 0);
        } catch (IOException | RuntimeException alreadyClosed) {
            // nothing left to reset
        }
        closeSockets();
    }

    /** Closes both sockets from outside the pipes (idle timeout, end of the shutdown grace period). */
    void closeFor(Outcome why) {
        end.compareAndSet(null, why);
        closing = true;
        closeSockets();
    }

    private void closeSockets() {
        closeQuietly(client);
        closeQuietly(endpoint);
    }

    private static void closeQuietly(SocketChannel channel) {
        if (channel == null) return;
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing is all we wanted
        }
    }

    private void pipeEnded() {
        if (openPipes.decrementAndGet() == 0) finish();
    }

    /** Runs once, in whichever thread ends last. */
    private void finish() {
        closing = true;
        closeSockets();
        if (backend != null) backend.released();
        listener.released();
        var record = new ConnectionRecord(started, pool.route().name(), clientName, backend == null ? null : backend.address(),
                bytesUp, bytesDown, Duration.ofNanos(System.nanoTime() - startNanos), end.get());
        server.ended(this, record);
        if (LOG.isLoggable(DEBUG)) {
            LOG.log(DEBUG, "{0}: {1} -> {2} ended ({3}), {4} bytes up, {5} down, {6} ms", record.route(), clientName,
                    backend == null ? "-" : backend.address(), record.outcome().label(), bytesUp, bytesDown, record.duration().toMillis());
        }
    }

    /** The endpoint it is connected to, or null before (or without) a connect. */
    Backend backend() {
        return backend;
    }

    /** Called by the idle reaper only: closes the connection when nothing moved for {@code idleNanos}. */
    void reap(long nowNanos) {
        if (touched) {
            touched = false;
            lastSeenNanos = nowNanos;
        } else if (endpoint != null && nowNanos - lastSeenNanos > pool.route().timeouts().idle().toNanos()) {
            LOG.log(DEBUG, "{0}: {1}: idle for {2}, closing", pool.route().name(), clientName, pool.route().timeouts().idle());
            closeFor(Outcome.IDLE_TIMEOUT);
        }
    }

    private static InetSocketAddress remoteOf(SocketChannel channel) {
        try {
            return (InetSocketAddress) channel.getRemoteAddress();
        } catch (IOException e) {
            return null;
        }
    }
}
