package udp;

import static java.nio.channels.SelectionKey.OP_READ;
import static java.nio.channels.SelectionKey.OP_WRITE;

import dial.ConnectFailure;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import loop.EventLoop;
import pool.Lease;
import traffic.ConnectionRecord;
import traffic.Datagrams;
import traffic.Outcome;

/**
 * One UDP session: one client address:port, and the connected datagram socket to the endpoint its
 * first datagram was given (a {@link Lease}). Connected, the socket admits only that endpoint's
 * replies, and an ICMP port unreachable from it comes back as a {@link PortUnreachableException}
 * on the next read or write: a failed connect, for the passive health checks.
 *
 * <p>Named states: {@link State#OPEN} until the idle timeout, the responses wanted, a failure or
 * the listener's close end it, then {@link State#ENDED}, once ({@link #end}), which releases the
 * lease, closes the socket and hands the record on.
 *
 * <p>Threads: everything runs on the listener's event loop, which serves the listener's socket and
 * every session's; nothing here is shared.
 */
final class Session implements EventLoop.Handler {
    /** Datagrams a session holds for its endpoint while the socket's send buffer is full; more are dropped. */
    static final int QUEUE = 64;
    /** Datagrams read from the endpoint per readiness, before the loop serves its other keys. */
    private static final int BATCH = 64;

    enum State { OPEN, ENDED }

    private final UdpListener listener;
    private final InetSocketAddress client;
    private final Lease lease;
    private final InetSocketAddress endpoint;
    private final SessionSockets.Socket socket;
    private final DatagramChannel channel;
    private final SelectionKey key;
    private final String route;
    private final int responsesWanted;
    /** Written before each datagram, in the same datagram (the PROXY v2 header of send_proxy), or null. */
    private final ByteBuffer header;
    /** The largest UDP payload over IPv4: a header plus a datagram may be no more. */
    static final int MAX_DATAGRAM = 65_507;
    private final Instant start = Instant.now();
    private final long startNanos = System.nanoTime();
    private ArrayDeque<ByteBuffer> queue; // to the endpoint, while its socket is full; null when empty
    private State state = State.OPEN;
    long lastActive = startNanos; // System.nanoTime() of the last datagram either way; the table's sweep reads it
    private long datagramsUp, datagramsDown, bytesUp, bytesDown;
    /** The PROXY sender the client's datagrams come through (accept_proxy), which replies go back to, without a header; null: the client itself. */
    private InetSocketAddress sender;

    /**
     * Serves {@code socket}, connected to {@code endpoint} and registered with the listener's loop
     * (new, or kept from an earlier session by {@link SessionSockets}).
     */
    Session(UdpListener listener, InetSocketAddress client, Lease lease, InetSocketAddress endpoint, SessionSockets.Socket socket,
            String route, int responsesWanted, byte[] header) {
        this.header = header == null ? null : ByteBuffer.wrap(header);
        this.listener = listener;
        this.client = client;
        this.lease = lease;
        this.endpoint = endpoint;
        this.route = route;
        this.responsesWanted = responsesWanted;
        this.socket = socket;
        this.channel = socket.channel();
        this.key = socket.key();
        key.attach(this);
    }

    InetSocketAddress client() {
        return client;
    }

    /** Where the session's datagrams come from and its replies go: the client, or the PROXY sender in front of it. */
    InetSocketAddress sender() {
        return sender == null ? client : sender;
    }

    /** Its datagrams come through {@code sender} (accept_proxy); before the session is in the table. */
    void via(InetSocketAddress sender) {
        this.sender = sender.equals(client) ? null : sender;
    }

    pool.Backend backend() {
        return lease.backend();
    }

    State state() {
        return state;
    }

    /**
     * Forwards one client datagram ({@code datagram}, from position to limit) to the endpoint, or
     * queues a copy while the socket's buffer is full. Returns false when the session ended.
     */
    boolean up(ByteBuffer datagram, long now) {
        if (state != State.OPEN) return false;
        lastActive = now;
        int size = datagram.remaining();
        if (header != null && header.capacity() + size > MAX_DATAGRAM) {
            listener.dropped(Drop.TOO_LARGE); // with its PROXY header it would not fit one datagram
            return true;
        }
        if (queue == null) {
            try {
                if (write(datagram) > 0) {
                    countUp(size);
                    return afterUp();
                }
            } catch (PortUnreachableException e) {
                unreachable();
                return false;
            } catch (IOException e) {
                end(Outcome.ENDPOINT_RESET);
                return false;
            }
            queue = new ArrayDeque<>();
            key.interestOps(OP_READ | OP_WRITE);
        }
        if (queue.size() >= QUEUE) {
            listener.dropped(Drop.QUEUE_FULL);
            return true;
        }
        ByteBuffer copy = ByteBuffer.allocate(size);
        copy.put(datagram).flip();
        queue.add(copy);
        return true;
    }

    /** One datagram to the endpoint: the header (if any) and {@code datagram} together, gathered. */
    private long write(ByteBuffer datagram) throws IOException {
        if (header == null) return channel.write(datagram);
        header.rewind();
        return channel.write(new ByteBuffer[] {header, datagram});
    }

    private void countUp(int size) {
        datagramsUp++;
        bytesUp += size;
        lease.backend().datagramUp(size);
    }

    /** With {@code responses: 0} nothing comes back: the session has done its work once the datagram is out. */
    private boolean afterUp() {
        if (responsesWanted == 0 && queue == null) {
            end(Outcome.CLIENT_CLOSED);
            return false;
        }
        return true;
    }

    @Override
    public void ready(SelectionKey ready, ByteBuffer shared) {
        if (ready.isWritable()) flush();
        if (state == State.OPEN && ready.isReadable()) down(shared);
    }

    private void flush() {
        try {
            ByteBuffer next;
            while ((next = queue.peek()) != null) {
                int size = next.remaining();
                if (write(next) == 0) return;
                queue.poll();
                countUp(size);
            }
        } catch (PortUnreachableException e) {
            unreachable();
            return;
        } catch (IOException e) {
            end(Outcome.ENDPOINT_RESET);
            return;
        }
        queue = null;
        key.interestOps(OP_READ);
        afterUp();
    }

    /** The endpoint's datagrams, each sent on to the client from the listener's socket. */
    private void down(ByteBuffer buffer) {
        for (int i = 0; i < BATCH && state == State.OPEN; i++) {
            buffer.clear();
            try {
                // receive, not read: read's 0 is both "none" and an empty datagram
                if (channel.receive(buffer) == null) return;
            } catch (PortUnreachableException e) {
                unreachable();
                return;
            } catch (IOException e) {
                end(Outcome.ENDPOINT_RESET);
                return;
            }
            if (!buffer.hasRemaining()) { // filled to the last byte: it may have been cut (a buffer below 65,536 bytes)
                listener.dropped(Drop.TOO_LARGE);
                continue;
            }
            buffer.flip();
            int n = buffer.remaining();
            if (datagramsDown == 0) lease.answered(); // the endpoint is alive: a passive success
            datagramsDown++;
            bytesDown += n;
            lease.backend().datagramDown(n);
            lastActive = System.nanoTime();
            listener.touch(this);
            listener.toClient(buffer, sender());
            if (responsesWanted > 0 && datagramsDown >= responsesWanted * requests()) {
                end(Outcome.ENDPOINT_CLOSED);
                return;
            }
        }
    }

    /**
     * The client's datagrams sent or queued to the endpoint: as nginx's {@code proxy_responses}, a
     * session waits for {@code responses} datagrams for each of them (a client with several queries
     * in flight from one port, as dnsperf's, keeps its session until all are answered).
     */
    private long requests() {
        return datagramsUp + (queue == null ? 0 : queue.size());
    }

    /** An ICMP port unreachable came back: nothing listens there. A failed connect, for the passive checks. */
    private void unreachable() {
        if (state != State.OPEN) return;
        lease.failed(ConnectFailure.REFUSED);
        end(Outcome.NO_ENDPOINT);
    }

    /**
     * Ends the session, once: out of the table, lease released, record handed on, and the socket
     * kept for the next session to the endpoint when this one ended with every datagram answered
     * (nothing more is due on it), closed otherwise.
     */
    void end(Outcome outcome) {
        if (state == State.ENDED) return;
        state = State.ENDED;
        listener.ended(this);
        lease.release();
        long now = System.nanoTime();
        if (outcome == Outcome.ENDPOINT_CLOSED && queue == null && listener.route().udp().reuseSockets()) {
            listener.sockets().park(endpoint, socket, now);
        } else {
            listener.loop().close(channel);
        }
        listener.finished(new ConnectionRecord(start, route, client, lease.backend().address(), bytesUp, bytesDown,
                Duration.ofNanos(now - startNanos), outcome, null, 0, new Datagrams(datagramsUp, datagramsDown)));
    }

    @Override
    public void failed() {
        end(Outcome.SHUTDOWN);
    }

    @Override
    public void stop() {
        end(Outcome.SHUTDOWN);
    }
}
