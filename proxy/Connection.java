package proxy;

import static java.lang.System.Logger.Level.DEBUG;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.channels.SocketChannel;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicReference;
import java.time.Duration;
import java.time.Instant;
import config.Route;
import pool.Backend;
import pool.BackendPool;
import pool.ConnectFailure;

/**
 * One client connection and, once dialled, its endpoint connection.
 *
 * <p>{@link #run()} runs in the connection's virtual thread: it picks and dials an endpoint
 * (blocking, with retries), then hands both channels to one of the server's {@link EventLoop}s and
 * ends; from then on the loop's thread forwards both ways ({@link Flow}) and ends the connection
 * ({@link #terminate}). So an idle connection holds no thread and no buffer. When one side sends
 * EOF, the other side's output is shut down and the reverse direction keeps running (TCP
 * half-close). A reset or write failure on one side aborts the connection with a reset on the other.
 *
 * <p>Other threads (the idle reaper, the shutdown, {@code on_down: close}) end a connection with
 * {@link #closeFor}, which hands the work to the loop, so that sockets, selection keys and buffers
 * are only ever touched by the loop's thread once the connection is on it.
 *
 * <p>With {@code retry_on: empty-response}, the client's bytes are also kept (up to
 * {@link Route#REPLAY_LIMIT}) until the endpoint sends its first byte. If the endpoint closes or
 * resets before that, {@link #retry} stops reading the client, closes the endpoint, dials the next
 * one on a virtual thread again and {@link #resume}s on the loop by sending the kept bytes there.
 * The typical case: a backend stopping while the kernel still completed connects into its listen
 * queue, which it then resets with our request in it.
 */
final class Connection implements Runnable {
    private static final System.Logger LOG = System.getLogger(Connection.class.getName());

    private final Server server;
    private final Listener listener;
    private final BackendPool pool;
    private final SocketChannel client;
    private final String clientName;
    private final long clientKey;
    private final long startNanos = System.nanoTime();
    private final Instant started = Instant.now();

    private final AtomicReference<Outcome> end = new AtomicReference<>();
    private volatile boolean closing;
    private volatile SocketChannel endpoint;
    private volatile Backend backend; // volatile: the server reads it to find an endpoint's connections
    private volatile EventLoop loop; // set once dialled: from then on the loop owns the sockets

    // idle tracking: flows set touched per read; the reaper clears it and remembers when
    private volatile boolean touched;
    private long lastSeenNanos = startNanos; // reaper thread only

    // dialling: the thread that dials, and then the loop's thread (handed over with the task queue)
    private BitSet tried;
    private int attempts; // dials so far, at most 1 + retries
    private int backendIndex;
    private String reasons = "";

    // the loop's thread only
    private Flow up;
    private boolean terminated;
    private boolean redialing; // between retry() and resume(): no endpoint, the client is not read
    private byte[] replay; // the client's bytes so far, while they may have to be sent again; else null
    private int replayed; // bytes in replay

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
        if (pool.route().retryEmpty()) replay = new byte[0]; // grows on the first read; see record()
        if (!dial()) {
            end.compareAndSet(null, Outcome.NO_ENDPOINT);
            finish();
            return;
        }
        try {
            client.configureBlocking(false);
            endpoint.configureBlocking(false);
        } catch (IOException closed) { // closeFor() closed them while we dialled
            end.compareAndSet(null, Outcome.SHUTDOWN);
            finish();
            return;
        }
        EventLoop next = server.nextLoop();
        loop = next; // before the task: a closeFor() from now on goes through the loop
        next.execute(this::forward);
    }

    /** On the loop's thread: starts forwarding, unless the connection was closed in the meantime. */
    private void forward() {
        if (terminated) return;
        if (closing) {
            terminate();
            return;
        }
        try {
            up = Flow.register(this, loop, client, endpoint);
        } catch (IOException closed) {
            end.compareAndSet(null, Outcome.SHUTDOWN);
            terminate();
        }
    }

    /**
     * Picks endpoints and connects until one answers, each endpoint at most once, 1 + {@code retries}
     * dials in all for the connection (a {@link #retry} goes on counting).
     */
    private boolean dial() {
        var route = pool.route();
        for (; attempts <= route.retries() && !closing; attempts++) {
            int index = pool.choose(clientKey, tried);
            if (index < 0) break;
            Backend candidate = pool.backend(index);
            try {
                endpoint = server.dialer().dial(candidate.endpoint().host(), candidate.endpoint().port(), route.timeouts().connect());
                // with replays, an endpoint is healthy once it answers: the stopping backend's
                // listen queue accepts connects it will only reset
                if (route.retryEmpty()) candidate.opened();
                else candidate.connected();
                backend = candidate;
                backendIndex = index;
                attempts++;
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
     * The endpoint closed ({@code why} is ENDPOINT_CLOSED) or reset before its first byte. With
     * {@code retry_on: empty-response} and an endpoint and a retry left, counts it as failed and
     * dials again with the client's bytes kept; returns false when the connection must end as
     * without replays. Loop thread.
     */
    boolean retry(Outcome why) {
        if (replay == null || terminated || closing || attempts > pool.route().retries()) return false;
        Backend failed = backend;
        failed.released();
        failed.connectFailed(ConnectFailure.EMPTY);
        String reason = failed.address() + " " + (why == Outcome.ENDPOINT_RESET ? "reset" : "closed") + " without answering";
        reasons = reasons.isEmpty() ? reason : reasons + ", " + reason;
        if (tried == null) tried = new BitSet(pool.size());
        tried.set(backendIndex);
        LOG.log(DEBUG, "{0}: {1}: {2}, sending its {3} byte(s) to the next endpoint", pool.route().name(), clientName, reason, replayed);
        redialing = true;
        up.pause();
        up.release(); // what waited for the old endpoint is in replay too
        loop.close(endpoint);
        endpoint = null;
        backend = null;
        try {
            server.dialAgain(this::redial);
        } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
            redialing = false;
            end.compareAndSet(null, Outcome.SHUTDOWN);
            terminate();
        }
        return true;
    }

    /** On a virtual thread of the server's: dials the next endpoint, then back to the loop. */
    private void redial() {
        boolean dialled = dial();
        if (dialled) {
            try {
                endpoint.configureBlocking(false);
            } catch (IOException closed) {
                dialled = false;
            }
        }
        boolean ok = dialled;
        loop.execute(() -> resume(ok));
    }

    /** On the loop's thread: forwards again, to the new endpoint, starting with the kept bytes. */
    private void resume(boolean dialled) {
        redialing = false;
        if (!dialled) end.compareAndSet(null, Outcome.NO_ENDPOINT);
        if (!dialled || closing || terminated) {
            terminate();
            return;
        }
        try {
            up = up.redirect(endpoint, java.nio.ByteBuffer.wrap(replay, 0, replayed));
        } catch (IOException closed) {
            end.compareAndSet(null, Outcome.ENDPOINT_RESET);
            terminate();
        }
    }

    /**
     * The client sent {@code bytes} (position to limit), about to go to the endpoint: kept while a
     * replay may need them. Past {@link Route#REPLAY_LIMIT} nothing can be replayed any more. Loop thread.
     */
    void record(java.nio.ByteBuffer bytes) {
        if (replay == null) return;
        int n = bytes.remaining();
        if (replayed + n > Route.REPLAY_LIMIT) {
            replay = null;
            return;
        }
        if (replayed + n > replay.length) replay = java.util.Arrays.copyOf(replay, Math.min(Route.REPLAY_LIMIT, Math.max(512, 2 * (replayed + n))));
        bytes.get(bytes.position(), replay, replayed, n);
        replayed += n;
    }

    /** The endpoint sent its first byte: nothing will be replayed; with replays on, it proved healthy. Loop thread. */
    void answered() {
        replay = null;
        if (pool.route().retryEmpty()) backend.answered();
    }

    boolean redialing() {
        return redialing;
    }

    /** A flow moved {@code n} bytes: count them, and the connection is not idle. Loop thread. */
    void moved(int n, boolean upstream) {
        if (!touched) touched = true;
        if (upstream) backend.sentUp(n);
        else backend.sentDown(n);
    }

    /** A flow saw its source end; the first to end names the outcome. */
    void ended(Outcome why) {
        end.compareAndSet(null, why);
    }

    BufferPool buffers() {
        return server.buffers();
    }

    /**
     * Ends the connection because one side failed: {@code reset} (if not null) gets a TCP reset,
     * not a FIN. Loop thread.
     */
    void abort(Outcome why, SocketChannel reset) {
        if (terminated) return;
        end.compareAndSet(null, why);
        if (reset != null) {
            try {
                reset.setOption(StandardSocketOptions.SO_LINGER, 0);
            } catch (IOException | RuntimeException alreadyClosed) {
                // nothing left to reset
            }
        }
        terminate();
    }

    /**
     * Closes the connection from any thread (idle timeout, end of the shutdown grace period, an
     * endpoint gone down). Once it is on a loop, the loop does it; while it still dials, closing the
     * client is enough: the dial stops at the next attempt, and {@link #forward} sees {@code closing}.
     */
    void closeFor(Outcome why) {
        end.compareAndSet(null, why);
        closing = true;
        EventLoop on = loop;
        if (on != null) on.execute(this::terminate);
        else closeSockets();
    }

    /**
     * The end, exactly once, on the loop's thread: closes both sockets (the loop cancels their keys
     * and closes them after its next select), gives back pending buffers, finishes.
     */
    void terminate() {
        if (terminated) return;
        if (redialing) { // the dial under way ends at its next attempt; resume() terminates
            closing = true;
            loop.close(client);
            return;
        }
        terminated = true;
        closing = true;
        closeSockets();
        if (up != null) {
            up.release();
            up.reverse().release();
        }
        finish();
    }

    /** On the loop's thread the loop closes them (see {@link EventLoop#close}); elsewhere, at once. */
    private void closeSockets() {
        EventLoop on = loop;
        if (on == null) { // not on a loop yet: no selector holds the sockets
            closeQuietly(client);
            closeQuietly(endpoint);
        } else {
            on.close(client);
            on.close(endpoint);
        }
    }

    private static void closeQuietly(SocketChannel channel) {
        if (channel == null) return;
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing is all we wanted
        }
    }

    /** Runs once: on the dialling thread when no endpoint was connected, else on the loop's. */
    private void finish() {
        closing = true;
        closeSockets();
        long bytesUp = up == null ? 0 : up.bytes();
        long bytesDown = up == null ? 0 : up.reverse().bytes();
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
