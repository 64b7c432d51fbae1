package tcp;

import static java.lang.System.Logger.Level.DEBUG;

import dial.ConnectFailure;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.BitSet;
import loop.EventLoop;
import pool.BackendPool;
import pool.Lease;
import traffic.ConnectionRecord;
import traffic.Outcome;

/**
 * The retry bookkeeping of one connection: which endpoint is being dialled (its {@link Lease}),
 * its pending connect and deadline, the endpoints tried, the dials made, and why they failed (for
 * the refusal line). Each endpoint at most once, {@code 1 + retries} dials in all, counting the
 * redials after an endpoint that closed without answering. Loop thread only.
 */
final class Dial {
    private static final System.Logger LOG = System.getLogger(Dial.class.getName());

    private final BackendPool pool;
    private BitSet tried;
    private int attempts;
    private String reasons = "";
    private Lease lease; // picked, not yet connected: counted active there
    private SocketChannel pending; // its channel while the connect is pending in the selector
    private EventLoop.Timer deadline; // of that connect
    private boolean offLoop; // a virtual thread dials it by name

    Dial(BackendPool pool) {
        this.pool = pool;
    }

    /** The next endpoint to dial, counted as a dial, or null when none is left (or no dial is). */
    Lease next(long clientKey) {
        if (attempts > pool.route().retries()) return null;
        lease = pool.lease(clientKey, tried);
        if (lease != null) attempts++;
        return lease;
    }

    /** Whether a redial is still allowed. */
    boolean canRetry() {
        return attempts <= pool.route().retries();
    }

    /** The connect of {@code channel} waits for the selector until {@code deadline} (null: none). */
    void pending(SocketChannel channel, EventLoop.Timer deadline) {
        this.pending = channel;
        this.deadline = deadline;
    }

    SocketChannel pending() {
        return pending;
    }

    /** The pending connect is over: forget its channel, cancel its deadline. */
    void settled() {
        pending = null;
        if (deadline != null) {
            deadline.cancel();
            deadline = null;
        }
    }

    void offLoop(boolean dialling) {
        offLoop = dialling;
    }

    boolean offLoop() {
        return offLoop;
    }

    /** The dialled endpoint answered the connect: the lease is the connection's now. */
    Lease connected() {
        Lease connected = lease;
        lease = null;
        return connected;
    }

    /** The dial failed with {@code e}: passive health, the refusal line's reason, not again. */
    void failed(IOException e, InetSocketAddress client) {
        Lease failed = lease;
        lease = null;
        failed.failed(ConnectFailure.of(e));
        String detail = ConnectFailure.detail(e);
        reason(failed, failed.backend().address() + " " + detail);
        if (LOG.isLoggable(DEBUG)) { // the client's address is formatted only for the line
            LOG.log(DEBUG, "{0}: {1}: connect to {2} failed ({3}), trying the next endpoint",
                    pool.route().name(), ConnectionRecord.text(client), failed.backend().address(), detail);
        }
    }

    /** The connected endpoint of {@code gone} closed or reset ({@code why}) before answering. */
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

    /** Why the dials failed, for the refusal line; "" when none was made. */
    String reasons() {
        return reasons;
    }

    /** The connection ends while dialling: the pending connect is closed, the lease given back. */
    void cancel(EventLoop loop) {
        if (pending != null) {
            loop.close(pending);
            settled();
        }
        if (lease != null) {
            lease.release();
            lease = null;
        }
    }
}
