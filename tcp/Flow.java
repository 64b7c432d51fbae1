package tcp;

import static java.nio.channels.SelectionKey.OP_READ;
import static java.nio.channels.SelectionKey.OP_WRITE;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import loop.EventLoop;
import loop.SocketIo;
import traffic.Outcome;

/**
 * The event loops' {@link Forwarding} engine. A flow is one direction of a forwarded connection:
 * bytes from {@code source} to {@code target}; the upstream flow (client to endpoint) is the
 * connection's {@link Forwarding} and answers for both.
 *
 * <p>Everything in this class runs on the thread of the {@link EventLoop} the connection was handed
 * to, so nothing here is synchronized. A connection has two flows, each the other's {@link #reverse};
 * each channel has one selection key, attached to the flow that reads from it. A key's interest is
 * therefore "read, if this flow reads" plus "write, if the reverse flow has bytes waiting for this
 * channel" (see {@link #watch}).
 *
 * <p>Buffers: a read goes into the loop's shared buffer and is written straight out, so a flow that
 * keeps up holds no buffer at all, and an idle connection holds none. Only when the target takes part
 * of it (a slow reader) does the rest go into a buffer borrowed from the server's pool; then the flow
 * stops reading from its source until that buffer is written out and given back. A slow reader
 * therefore costs one buffer and stalls only its own connection, never the loop.
 *
 * <p>EOF from the source shuts down the target's output (TCP half-close); the reverse flow keeps
 * running. A read failure resets the target, a write failure resets the source: the peer learns the
 * same thing a direct connection would have told it.
 */
final class Flow implements EventLoop.Handler, Forwarding {
    private final Forwarding.Events connection;
    private final SocketChannel source;
    private final SocketChannel target;
    /** The descriptors {@link SocketIo} reads and writes by, or -1: the channels' own calls. */
    private final int sourceFd, targetFd;
    private final boolean upstream;
    private Flow reverse;
    private SelectionKey key; // the source channel's key
    private ByteBuffer pending; // read, not yet written; borrowed from the pool, null when none waits
    private boolean ended; // EOF read and the target's output shut down
    private long bytes;

    private Flow(Forwarding.Events connection, SocketChannel source, SocketChannel target, boolean upstream) {
        this.connection = connection;
        this.source = source;
        this.target = target;
        this.upstream = upstream;
        this.sourceFd = SocketIo.fd(source);
        this.targetFd = SocketIo.fd(target);
    }

    /**
     * {@link Forwarding.Engine}: registers both channels (non-blocking) with {@code loop}'s selector,
     * reading both ways, after writing {@code head} to the endpoint (what the endpoint does not take
     * at once waits, and the client is read once it is out).
     *
     * @return the upstream flow (client → endpoint); its {@link #reverse} is the downstream one
     */
    static Flow start(Forwarding.Events connection, EventLoop loop, SocketChannel client, SocketChannel endpoint,
                      ByteBuffer head, int headClientBytes) throws IOException {
        Flow up = new Flow(connection, client, endpoint, true);
        Flow down = new Flow(connection, endpoint, client, false);
        up.reverse = down;
        down.reverse = up;
        up.key = client.register(loop.selector(), OP_READ, up);
        down.key = endpoint.register(loop.selector(), OP_READ, down);
        if (head != null) {
            if (headClientBytes > 0) {
                connection.moved(headClientBytes, true);
                up.bytes = headClientBytes;
            }
            // at once: a connect that completed is writable, and a greeting goes out with the
            // client's first bytes in one write
            endpoint.write(head);
            if (head.hasRemaining()) {
                up.pending = connection.buffers().take().put(head).flip();
                up.watch();
            }
        }
        return up;
    }

    @Override
    public void failed() {
        connection.abort(Outcome.SHUTDOWN, null);
    }

    @Override
    public void stop() {
        connection.close(Outcome.SHUTDOWN);
    }

    @Override
    public long bytesUp() {
        return upstream ? bytes : reverse.bytes;
    }

    @Override
    public long bytesDown() {
        return upstream ? reverse.bytes : bytes;
    }

    /** The selector says {@code key}'s channel is ready: it is this flow's source and the reverse flow's target. */
    @Override
    public void ready(SelectionKey key, ByteBuffer shared) {
        if (connection.redialing()) return; // the client's key, ready in the round its endpoint failed
        int ops = key.readyOps();
        if ((ops & OP_WRITE) != 0) reverse.flush();
        // still reading: after a retry that connected at once, in the same round, the client's key
        // is ready from before and now has the kept bytes to write first
        if ((ops & OP_READ) != 0 && key.isValid() && (key.interestOps() & OP_READ) != 0) read(shared);
    }

    /** One read, written out at once; what the target does not take waits in {@link #pending}. */
    private void read(ByteBuffer shared) {
        boolean first = bytes == 0;
        int n = readOnce(shared);
        // A flow's first read reads once more when it did not fill the buffer and all went out: a
        // one-message exchange (an HTTP response with Connection: close) arrives with its FIN, and
        // passing the FIN on at once, as a direct connection would, leaves the close-first role and
        // its TIME_WAIT here, not to the client. Clients that close first keep a TIME_WAIT per
        // connection and run out of ports: measured in the e2e, wrk from one container fell from
        // ~3,000 to ~200 new connections/s after ~30,000. HAProxy learns of the FIN in the same
        // event (EPOLLRDHUP), which Java's selector does not report. Only the first read, so a
        // keep-alive connection pays one read that finds nothing once, not once per request; and
        // only the endpoint's, as the close-first role is about the answer: a client's request
        // rarely comes with its FIN, so reading again there cost a read that found nothing in
        // almost every new connection (1 of ~31 system calls).
        if (first && !upstream && n > 0 && n < shared.capacity() && pending == null && key.isValid()) readOnce(shared);
    }

    /** One read, written out; returns the bytes read when all went out, else 0 or -1. */
    private int readOnce(ByteBuffer shared) {
        shared.clear();
        int n;
        try {
            n = SocketIo.read(source, sourceFd, shared);
        } catch (IOException e) {
            if (!upstream && bytes == 0 && connection.retry(Outcome.ENDPOINT_RESET)) return -1;
            connection.abort(upstream ? Outcome.CLIENT_RESET : Outcome.ENDPOINT_RESET, target);
            return -1;
        }
        if (n < 0) {
            // a close after the client's own EOF may be the protocol's end (a sink): only a reset is
            // a failure then; before it, an endpoint that closes unanswered has failed
            if (!upstream && bytes == 0 && !reverse.ended && connection.retry(Outcome.ENDPOINT_CLOSED)) return -1;
            sourceEnded();
            return -1;
        }
        if (n == 0) return 0;
        if (!upstream && bytes == 0) connection.answered();
        connection.moved(n, upstream);
        shared.flip();
        if (upstream) connection.record(shared);
        try {
            SocketIo.write(target, targetFd, shared);
        } catch (IOException e) {
            if (upstream && reverse.bytes == 0 && connection.retry(Outcome.ENDPOINT_RESET)) return -1;
            // the receiving side is gone: tell the sending side the same way
            connection.abort(upstream ? Outcome.ENDPOINT_RESET : Outcome.CLIENT_RESET, source);
            return -1;
        }
        bytes += n; // written, or held in pending until it is
        if (shared.hasRemaining()) {
            pending = connection.buffers().take().put(shared).flip();
            watch();
            return 0;
        }
        return n;
    }

    /** The target can take more: write what waits; once all is out, give the buffer back and read again. */
    private void flush() {
        if (pending == null) return;
        try {
            SocketIo.write(target, targetFd, pending);
        } catch (IOException e) {
            if (upstream && reverse.bytes == 0 && connection.retry(Outcome.ENDPOINT_RESET)) return;
            connection.abort(upstream ? Outcome.ENDPOINT_RESET : Outcome.CLIENT_RESET, source);
            return;
        }
        if (pending.hasRemaining()) return;
        connection.buffers().give(pending);
        pending = null;
        if (ended) shutdownTarget(); // only after a redirect: the client's EOF came before the replay
        watch();
    }

    /**
     * EOF: nothing is pending (a flow with pending bytes does not read), so the target's output is
     * shut down at once; the reverse flow goes on. If it had ended already, the connection is over
     * and closing both sockets says EOF: both were read to their end, so the close sends a FIN, not a reset.
     */
    private void sourceEnded() {
        ended = true;
        connection.ended(upstream ? Outcome.CLIENT_CLOSED : Outcome.ENDPOINT_CLOSED);
        if (reverse.ended) { // both ways done: the close that follows sends the FIN, one system call fewer
            connection.finished();
            return;
        }
        shutdownTarget();
        watch();
    }

    private void shutdownTarget() {
        try {
            target.shutdownOutput();
        } catch (IOException alreadyGone) {
            // the target closed first; the reverse flow hears of it
        }
    }

    /** Stops reading the source (the client, while a replay dials): its key stays, with no interest. */
    @Override
    public void pause() {
        if (key.isValid()) key.interestOps(0);
    }

    /**
     * After a retry: the same client, a new endpoint. Returns the new upstream flow, which takes
     * over this one's selection key and state, and starts by writing {@code replay} to the endpoint
     * (and then its EOF, if the client had sent one). This flow and its reverse are dropped.
     */
    @Override
    public Flow redirect(SocketChannel endpoint, ByteBuffer replay) throws IOException {
        Flow up = new Flow(connection, source, endpoint, true);
        Flow down = new Flow(connection, endpoint, source, false);
        up.reverse = down;
        down.reverse = up;
        up.ended = ended;
        up.bytes = bytes;
        up.key = key;
        key.attach(up);
        down.key = endpoint.register(key.selector(), OP_READ, down);
        if (replay != null && replay.hasRemaining()) { // written when the endpoint is writable, by flush(), as any pending bytes
            up.pending = connection.buffers().take().put(replay).flip();
        } else if (ended) {
            up.shutdownTarget();
        }
        up.watch();
        return up;
    }

    /** Sets the interest of both channels this flow touches from its state and the reverse flow's. */
    private void watch() {
        interest(key);
        interest(reverse.key);
    }

    private static void interest(SelectionKey key) {
        if (!key.isValid()) return;
        Flow reading = (Flow) key.attachment();
        int ops = (!reading.ended && reading.pending == null ? OP_READ : 0) | (reading.reverse.pending != null ? OP_WRITE : 0);
        if (key.interestOps() != ops) key.interestOps(ops);
    }

    /** The connection is over: gives back both directions' pending buffers. Their bytes are lost, as the sockets are closed. */
    @Override
    public void release() {
        giveBack();
        reverse.giveBack();
    }

    private void giveBack() {
        if (pending != null) {
            connection.buffers().give(pending);
            pending = null;
        }
    }
}
