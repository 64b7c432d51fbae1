package proxy;

import static java.lang.System.Logger.Level.DEBUG;
import static java.nio.channels.SelectionKey.OP_CONNECT;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.BitSet;
import java.util.concurrent.RejectedExecutionException;
import config.Route;
import pool.Backend;
import pool.BackendPool;
import pool.ConnectFailure;

/**
 * One client connection and, once dialled, its endpoint connection.
 *
 * <p>Everything here runs on the thread of the {@link EventLoop} that accepted the client
 * ({@link Listener}): from {@link #open}, the loop picks an endpoint and connects without blocking
 * ({@link Dialer#start}); a connect that completes at once (loopback, nearly always) starts forwarding in
 * the same task, one still pending waits for {@code OP_CONNECT} in the loop's selector under a
 * deadline of the loop's ({@code timeouts.connect}). A refusal or a timeout tries the next endpoint,
 * each at most once, 1 + {@code retries} dials in all. Only an endpoint given by host name is dialled
 * on a virtual thread ({@link Dialer#dial}: name resolution blocks), one dial per thread, whose
 * answer comes back to the loop. Once connected, the loop forwards both ways ({@link Flow}) and ends
 * the connection ({@link #terminate}). So a connection holds no thread, and an idle one no buffer.
 * When one side sends EOF, the other side's output is shut down and the reverse direction keeps
 * running (TCP half-close). A reset or write failure on one side aborts the connection with a reset
 * on the other.
 *
 * <p>Why accept and dial on the loop: a virtual thread per connection and an accept thread cost
 * thread starts, parks and unparks, and a hand-over to the loop per connection, on a machine
 * whose cores the clients and backends share; HAProxy does it all in one thread, and so does a loop.
 *
 * <p>Other threads (the idle reaper, the shutdown, {@code on_down: close}) end a connection with
 * {@link #closeFor}, which hands the work to the loop, so that sockets, selection keys and buffers
 * are only ever touched by the loop's thread.
 *
 * <p>With {@code retry_on: empty-response}, the client's bytes are also kept (up to
 * {@link Route#REPLAY_LIMIT}) until the endpoint sends its first byte. If the endpoint closes or
 * resets before that, {@link #retry} stops reading the client, closes the endpoint, dials the next
 * one as above and, once connected, forwards again starting with the kept bytes.
 * The typical case: a backend stopping while the kernel still completed connects into its listen
 * queue, which it then resets with our request in it.
 */
final class Connection implements EventLoop.Handler {
    private static final System.Logger LOG = System.getLogger(Connection.class.getName());

    private final Server server;
    private final Listener listener;
    private final BackendPool pool;
    private final SocketChannel client;
    private final EventLoop loop; // owns the sockets from the start
    private final InetSocketAddress clientAddress; // the channel's own object; formatted only for a log line
    private final long clientKey;
    private final long startNanos = System.nanoTime();
    private final long startedMillis = System.currentTimeMillis(); // the access log shows milliseconds

    // fields, not objects (an Instant, an AtomicReference): 10,000 idle connections are 10,000 of these
    private static final VarHandle END;
    static {
        try {
            END = MethodHandles.lookup().findVarHandle(Connection.class, "end", Outcome.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    private volatile Outcome end; // the first reason to end wins: see ending()
    private volatile boolean closing;
    private volatile SocketChannel endpoint; // volatile: the reaper reads it
    private volatile Backend backend; // volatile: the server reads it to find an endpoint's connections

    // idle tracking: flows set touched per read; the reaper clears it and remembers when
    private volatile boolean touched;
    private long lastSeenNanos = startNanos; // reaper thread only

    // the loop's thread only
    private BitSet tried;
    private int attempts; // dials so far, at most 1 + retries
    private int backendIndex;
    private String reasons = "";
    private Backend candidate; // being dialled: picked (so counted active), not yet connected
    private int candidateIndex;
    private SocketChannel connecting; // candidate's channel while its connect is pending in the selector
    private EventLoop.Timer deadline; // of that connect
    private boolean offLoop; // a virtual thread dials candidate by name; its answer comes as dialled()
    private Flow up;
    private boolean terminated;
    private boolean redialing; // between retry() and the next connect: no endpoint, the client is not read
    private byte[] replay; // the client's bytes so far, while they may have to be sent again; else null
    private int replayed; // bytes in replay

    Connection(Server server, Listener listener, BackendPool pool, SocketChannel client, EventLoop loop) {
        this.server = server;
        this.listener = listener;
        this.pool = pool;
        this.client = client;
        this.loop = loop;
        this.clientAddress = remoteOf(client);
        this.clientKey = clientAddress == null ? 0 : BackendPool.clientKey(clientAddress.getAddress().getAddress());
    }

    /** On the loop's thread, which accepted the client: starts dialling. */
    void open() {
        if (pool.route().retryEmpty()) replay = new byte[0]; // grows on the first read; see record()
        try {
            client.configureBlocking(false);
        } catch (IOException closed) {
            ending(Outcome.SHUTDOWN);
            terminate();
            return;
        }
        dialNext();
    }

    /**
     * Picks the next endpoint and starts its connect; goes on to the one after while connects fail at
     * once. Each endpoint at most once, 1 + {@code retries} dials in all for the connection (a
     * {@link #retry} goes on counting). Ends in {@link #connected}, a pending connect ({@link #ready}
     * or {@link #timedOut}), a dial on a virtual thread ({@link #dialled}), or the refusal.
     */
    private void dialNext() {
        var route = pool.route();
        while (!closing && attempts <= route.retries()) {
            int index = pool.choose(clientKey, tried);
            if (index < 0) break;
            attempts++;
            candidate = pool.backend(index);
            candidateIndex = index;
            var at = candidate.endpoint();
            SocketChannel channel = null;
            try {
                channel = server.dialer().start(at.host(), at.port());
                if (channel == null) { // a name to resolve
                    dialOffLoop(at.host(), at.port(), route.timeouts().connect());
                    return;
                }
                if (channel.isConnected()) {
                    connected(channel);
                    return;
                }
                channel.register(loop.selector(), OP_CONNECT, this);
            } catch (IOException e) {
                if (channel != null) loop.close(channel);
                failed(e);
                continue;
            }
            connecting = channel;
            Duration timeout = route.timeouts().connect();
            if (!timeout.isZero()) deadline = loop.schedule(timeout.toNanos(), this::timedOut);
            return;
        }
        if (closing) {
            terminate();
            return;
        }
        listener.refusals().refused(route.name(), clientName(), reasons.isEmpty() ? Refusals.whyNone(pool) : reasons, System.nanoTime());
        ending(Outcome.NO_ENDPOINT);
        terminate();
    }

    /** The selector says the pending connect is over, one way or the other. Loop thread. */
    @Override
    public void ready(SelectionKey key, java.nio.ByteBuffer shared) {
        SocketChannel channel = connecting;
        try {
            if (!channel.finishConnect()) return;
        } catch (IOException e) {
            endConnect();
            loop.close(channel);
            failed(e);
            dialNext();
            return;
        }
        endConnect();
        connected(channel);
    }

    /** The loop's deadline for the pending connect ran out. */
    private void timedOut() {
        deadline = null;
        SocketChannel channel = connecting;
        connecting = null;
        loop.close(channel);
        failed(new SocketTimeoutException("connect timed out"));
        dialNext();
    }

    private void endConnect() {
        connecting = null;
        if (deadline != null) {
            deadline.cancel();
            deadline = null;
        }
    }

    /** The endpoint has a host name: resolving it may block, so a virtual thread dials, then back to the loop. */
    private void dialOffLoop(String host, int port, Duration timeout) {
        offLoop = true;
        try {
            server.dialOffLoop(() -> {
                SocketChannel channel = null;
                IOException failure = null;
                try {
                    channel = server.dialer().dial(host, port, timeout);
                    channel.configureBlocking(false);
                } catch (IOException | RuntimeException e) {
                    closeQuietly(channel);
                    channel = null;
                    failure = e instanceof IOException io ? io : new IOException(e);
                }
                SocketChannel dialled = channel;
                IOException failed = failure;
                loop.execute(() -> dialled(dialled, failed));
            });
        } catch (RejectedExecutionException shuttingDown) {
            offLoop = false;
            ending(Outcome.SHUTDOWN);
            terminate();
        }
    }

    /** On the loop's thread: the virtual thread's dial ended with {@code channel}, or {@code failure}. */
    private void dialled(SocketChannel channel, IOException failure) {
        offLoop = false;
        if (closing) { // closeFor() came meanwhile; terminate() gives the candidate back
            closeQuietly(channel);
            terminate();
        } else if (failure != null) {
            failed(failure);
            dialNext();
        } else {
            connected(channel);
        }
    }

    /** The candidate's connect failed: passive health, the reason for the refusal line, not again. */
    private void failed(IOException e) {
        var route = pool.route();
        Backend failedOne = candidate;
        candidate = null;
        failedOne.released();
        failedOne.connectFailed(failure(e));
        String reason = failedOne.address() + " " + reason(e);
        reasons = reasons.isEmpty() ? reason : reasons + ", " + reason;
        LOG.log(DEBUG, "{0}: {1}: connect to {2} failed ({3}), trying the next endpoint",
                route.name(), clientName(), failedOne.address(), reason(e));
        if (tried == null) tried = new BitSet(pool.size());
        tried.set(candidateIndex);
    }

    /** The candidate answered on {@code channel} (non-blocking): forward, or after a {@link #retry} forward again. */
    private void connected(SocketChannel channel) {
        var route = pool.route();
        Backend connectedOne = candidate;
        candidate = null;
        // with replays, an endpoint is healthy once it answers: the stopping backend's
        // listen queue accepts connects it will only reset
        if (route.retryEmpty()) connectedOne.opened();
        else connectedOne.connected();
        backend = connectedOne;
        backendIndex = candidateIndex;
        endpoint = channel;
        if (LOG.isLoggable(DEBUG)) {
            LOG.log(DEBUG, "{0}: {1} -> {2}", route.name(), clientName(), connectedOne.address());
        }
        if (up == null) {
            try {
                up = Flow.register(this, loop, client, endpoint);
            } catch (IOException closed) {
                ending(Outcome.SHUTDOWN);
                terminate();
            }
            return;
        }
        redialing = false; // after a retry: the same client, the kept bytes first
        try {
            up = up.redirect(endpoint, java.nio.ByteBuffer.wrap(replay, 0, replayed));
        } catch (IOException closed) {
            ending(Outcome.ENDPOINT_RESET);
            terminate();
        }
    }

    @Override
    public void failed() {
        abort(Outcome.SHUTDOWN, null);
    }

    @Override
    public void stop() {
        closeFor(Outcome.SHUTDOWN);
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
        Backend gone = backend;
        gone.released();
        gone.connectFailed(ConnectFailure.EMPTY);
        String reason = gone.address() + " " + (why == Outcome.ENDPOINT_RESET ? "reset" : "closed") + " without answering";
        reasons = reasons.isEmpty() ? reason : reasons + ", " + reason;
        if (tried == null) tried = new BitSet(pool.size());
        tried.set(backendIndex);
        LOG.log(DEBUG, "{0}: {1}: {2}, sending its {3} byte(s) to the next endpoint", pool.route().name(), clientName(), reason, replayed);
        redialing = true;
        up.pause();
        up.release(); // what waited for the old endpoint is in replay too
        loop.close(endpoint);
        endpoint = null;
        backend = null;
        dialNext();
        return true;
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
        ending(why);
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
        ending(why);
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
     * endpoint gone down): the loop does it, whatever stage the connection is at.
     */
    void closeFor(Outcome why) {
        ending(why);
        closing = true;
        loop.execute(this::terminate);
    }

    /**
     * The end, exactly once, on the loop's thread: stops a pending connect (the endpoint being dialled
     * is no longer counted active), closes both sockets (the loop cancels their keys and closes them
     * after its next select), gives back pending buffers, finishes. While a virtual thread dials by name, only closes the client: {@link #dialled} ends it.
     */
    void terminate() {
        if (terminated) return;
        closing = true;
        if (offLoop) {
            loop.close(client);
            return;
        }
        terminated = true;
        if (connecting != null) {
            loop.close(connecting);
            endConnect();
        }
        if (candidate != null) { // picked, not connected: no longer counted active on it
            candidate.released();
            candidate = null;
        }
        closeSockets();
        if (up != null) {
            up.release();
            up.reverse().release();
        }
        finish();
    }

    /** See {@link EventLoop#close}. */
    private void closeSockets() {
        loop.close(client);
        loop.close(endpoint);
    }

    private static void closeQuietly(SocketChannel channel) {
        if (channel == null) return;
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing is all we wanted
        }
    }

    /** Runs once, from {@link #terminate}. */
    private void finish() {
        long bytesUp = up == null ? 0 : up.bytes();
        long bytesDown = up == null ? 0 : up.reverse().bytes();
        if (backend != null) backend.released();
        listener.released();
        var record = new ConnectionRecord(Instant.ofEpochMilli(startedMillis), pool.route().name(), clientAddress,
                backend == null ? null : backend.address(), bytesUp, bytesDown, Duration.ofNanos(System.nanoTime() - startNanos), end);
        server.ended(this, record);
        if (LOG.isLoggable(DEBUG)) {
            LOG.log(DEBUG, "{0}: {1} -> {2} ended ({3}), {4} bytes up, {5} down, {6} ms", record.route(), clientName(),
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
            LOG.log(DEBUG, "{0}: {1}: idle for {2}, closing", pool.route().name(), clientName(), pool.route().timeouts().idle());
            closeFor(Outcome.IDLE_TIMEOUT);
        }
    }

    /** Records why the connection ends, unless an earlier reason was recorded. */
    private void ending(Outcome why) {
        END.compareAndSet(this, null, why);
    }

    private String clientName() {
        return ConnectionRecord.text(clientAddress);
    }

    private static InetSocketAddress remoteOf(SocketChannel channel) {
        try {
            return (InetSocketAddress) channel.getRemoteAddress();
        } catch (IOException e) {
            return null;
        }
    }
}
