package tcp;

import static java.lang.System.Logger.Level.DEBUG;
import static java.nio.channels.SelectionKey.OP_CONNECT;

import dial.ConnectFailure;
import dial.LocalFailure;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.BitSet;
import java.util.concurrent.RejectedExecutionException;
import loop.EventLoop;
import pool.BackendPool;
import pool.Lease;
import traffic.ConnectionRecord;
import traffic.Outcome;

/**
 * The DIALING (and REDIALING) stage of one connection, and its retry bookkeeping: the pool picks an
 * endpoint ({@link Lease}), the loop connects without blocking; a connect that completes at once
 * (loopback, nearly always) is answered in the same task, one still pending waits for
 * {@code OP_CONNECT} in the loop's selector (this is its key's handler) under a deadline of the
 * loop's ({@code timeouts.connect}). A refusal or a timeout tries the next endpoint, each at most
 * once, {@code 1 + retries} dials in all, counting the redials after an endpoint that closed
 * without answering. Only an endpoint given by host name is dialled on a virtual thread
 * ({@link dial.Dialer#dial}: name resolution blocks), whose answer comes back to the loop.
 *
 * <p>Loop thread only, but for the virtual thread's dial, which only touches its own locals.
 */
final class Dial implements EventLoop.Handler {
    private static final System.Logger LOG = System.getLogger(Dial.class.getName());

    private final Connection connection;
    private final BackendPool pool;
    private final Pipeline pipeline;
    private final EventLoop loop;
    private BitSet tried;
    private int attempts;
    private boolean local; // a dial failed for a reason of featherlb's own: no more dials
    private String reasons = "";
    private Lease lease; // picked, not yet connected: counted active there
    private SocketChannel pending; // its channel while the connect is pending in the selector
    private EventLoop.Timer deadline; // of that connect
    private long started; // System.nanoTime() at the start of that connect: its backend's connect time
    private boolean cancelled;

    Dial(Connection connection, BackendPool pool, Pipeline pipeline, EventLoop loop) {
        this.connection = connection;
        this.pool = pool;
        this.pipeline = pipeline;
        this.loop = loop;
    }

    /**
     * Picks the next endpoint and starts its connect; goes on to the one after while connects fail
     * at once. Ends in {@link Connection#connected}, a pending connect ({@link #ready} or
     * {@link #timedOut}), a dial on a virtual thread ({@link #dialled}), or {@link Connection#refused}.
     */
    void next() {
        while (!local && attempts <= pool.route().retries() && (lease = pool.lease(connection.clientKey(), tried)) != null) {
            attempts++;
            var at = lease.backend().endpoint();
            SocketChannel channel = null;
            started = System.nanoTime();
            try {
                channel = pipeline.dialer().start(at.host(), at.port());
                if (channel == null) { // a name to resolve
                    dialOffLoop(at.host(), at.port(), pool.route().timeouts().connect());
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
            pending = channel;
            Duration timeout = pool.route().timeouts().connect();
            if (!timeout.isZero()) deadline = loop.schedule(timeout.toNanos(), this::timedOut);
            return;
        }
        connection.refused(reasons);
    }

    /** Whether a redial is still allowed. */
    boolean canRetry() {
        return !local && attempts <= pool.route().retries();
    }

    /** The selector says the pending connect is over, one way or the other. */
    @Override
    public void ready(SelectionKey key, ByteBuffer shared) {
        SocketChannel channel = pending;
        try {
            if (!channel.finishConnect()) return;
        } catch (IOException e) {
            settled();
            loop.close(channel);
            failed(e);
            next();
            return;
        }
        settled();
        connected(channel);
    }

    @Override
    public void failed() {
        connection.abort(Outcome.SHUTDOWN, null);
    }

    @Override
    public void stop() {
        connection.closeFor(Outcome.SHUTDOWN);
    }

    /** The loop's deadline for the pending connect ran out. */
    private void timedOut() {
        deadline = null;
        SocketChannel channel = pending;
        pending = null;
        loop.close(channel);
        failed(new SocketTimeoutException("connect timed out"));
        next();
    }

    private void settled() {
        pending = null;
        if (deadline != null) {
            deadline.cancel();
            deadline = null;
        }
    }

    /** The endpoint has a host name: resolving it may block, so a virtual thread dials, then back to the loop. */
    private void dialOffLoop(String host, int port, Duration timeout) {
        try {
            pipeline.offLoop().execute(() -> {
                SocketChannel channel = null;
                IOException failure = null;
                try {
                    channel = pipeline.dialer().dial(host, port, timeout);
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
            connection.abort(Outcome.SHUTDOWN, null);
        }
    }

    /** On the loop's thread: the virtual thread's dial ended with {@code channel}, or {@code failure}. */
    private void dialled(SocketChannel channel, IOException failure) {
        if (cancelled) { // the connection ended meanwhile; cancel() gave the lease back
            closeQuietly(channel);
        } else if (failure != null) {
            failed(failure);
            next();
        } else {
            connected(channel);
        }
    }

    /** The dialled endpoint answered the connect: the lease is the connection's now. */
    private void connected(SocketChannel channel) {
        Lease connected = lease;
        lease = null;
        long now = System.nanoTime();
        connected.backend().connectTime().record(now - started);
        connection.connected(connected, channel, now);
    }

    /** The dial failed with {@code e}: passive health, the refusal line's reason, not again. */
    private void failed(IOException e) {
        Lease failed = lease;
        lease = null;
        if (e instanceof LocalFailure) { // featherlb's own: not the endpoint's fault, and no other endpoint would do better
            failed.release();
            reasons = e.getMessage();
            local = true; // no further dial: next() refuses with this reason
            return;
        }
        failed.failed(ConnectFailure.of(e));
        String detail = ConnectFailure.detail(e);
        reason(failed, failed.backend().address() + " " + detail);
        if (LOG.isLoggable(DEBUG)) { // the client's address is formatted only for the line
            LOG.log(DEBUG, "{0}: {1}: connect to {2} failed ({3}), trying the next endpoint",
                    pool.route().name(), ConnectionRecord.text(connection.clientAddress()), failed.backend().address(), detail);
        }
    }

    /** The connected endpoint of {@code gone} closed or reset ({@code why}) before answering; returns the reason. */
    String emptied(Lease gone, Outcome why) {
        gone.failed(ConnectFailure.EMPTY);
        String reason = gone.backend().address() + " " + (why == Outcome.ENDPOINT_RESET ? "reset" : "closed") + " without answering";
        reason(gone, reason);
        return reason;
    }

    private void reason(Lease failed, String reason) {
        reasons = reasons.isEmpty() ? reason : reasons + ", " + reason;
        if (tried == null) tried = new BitSet(pool.size());
        tried.set(failed.index());
    }

    /** The connection ends while dialling: the pending connect is closed, the lease given back. */
    void cancel() {
        cancelled = true;
        if (pending != null) {
            loop.close(pending);
            settled();
        }
        if (lease != null) {
            lease.release();
            lease = null;
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
}
