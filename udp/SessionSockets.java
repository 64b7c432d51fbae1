package udp;

import static java.nio.channels.SelectionKey.OP_READ;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import loop.EventLoop;

/**
 * A listener's session sockets: opened connected to an endpoint, and kept after a session that ended
 * with every datagram answered (its {@code responses} count reached), for the next session to the
 * same endpoint. With {@code responses: 1} (DNS) every query is a session; opening, connecting,
 * registering and closing a JDK {@code DatagramChannel} for each took about 14 system calls and
 * most of the CPU of a query (docs/udp.md), where a kept socket costs none of them.
 *
 * <p>A kept ("parked") socket stays registered for reading: a datagram the endpoint sends to it
 * while parked (a late duplicate answer) is read and dropped ({@link Drop#LATE_REPLY}), so the next
 * session never gets the previous one's datagrams. Bounded: at most {@link #PER_ENDPOINT} parked
 * per endpoint, and sessions plus parked sockets never more than the route's {@code max_sessions};
 * a socket parked for longer than the route's {@code idle} is closed by the listener's sweep, and
 * all of them when the listener closes.
 *
 * <p>Threads: the listener's event loop only.
 */
final class SessionSockets {
    /** Sockets kept per endpoint: about the queries in flight to it at once under load. */
    static final int PER_ENDPOINT = 128;

    /** A connected socket registered with the loop, and whoever serves its key now. */
    record Socket(DatagramChannel channel, SelectionKey key) {
    }

    private final UdpListener listener;
    private final Map<InetSocketAddress, ArrayDeque<Parked>> parked = new HashMap<>();
    private volatile int count; // written on the loop only; volatile for the readers of parked()
    /** Where late datagrams are read to: a byte is enough, the rest of each is cut and lost. */
    private final ByteBuffer discard = ByteBuffer.allocateDirect(1);

    SessionSockets(UdpListener listener) {
        this.listener = listener;
    }

    /**
     * A socket connected to {@code endpoint} for a new session: the one parked last (LIFO: the
     * oldest are the ones the sweep closes), or a new one, IPv4-only for an IPv4 endpoint (fewer
     * socket options to set than a dual-stack one). The caller attaches itself to the key.
     */
    Socket open(InetSocketAddress endpoint) throws IOException {
        ArrayDeque<Parked> kept = parked.get(endpoint);
        Parked last;
        while (kept != null && (last = kept.pollFirst()) != null) {
            count--;
            if (drained(last.socket)) return last.socket;
            listener.loop().close(last.socket.channel); // an ICMP error waited on it: the endpoint's port is closed
        }
        DatagramChannel opened = endpoint.getAddress() instanceof Inet4Address
                ? DatagramChannel.open(StandardProtocolFamily.INET)
                : DatagramChannel.open();
        try {
            opened.configureBlocking(false);
            opened.connect(endpoint);
            return new Socket(opened, opened.register(listener.loop().selector(), OP_READ));
        } catch (IOException | RuntimeException e) {
            opened.close();
            throw e;
        }
    }

    /**
     * Reads and drops what arrived on a parked socket since the loop last looked (a datagram the
     * endpoint sent after the session ended must not reach the next one); false when it failed.
     */
    private boolean drained(Socket socket) {
        try {
            while (socket.channel.receive(discard.clear()) != null) listener.dropped(Drop.LATE_REPLY);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Keeps {@code socket} for the next session to {@code endpoint}, or closes it when over a bound. */
    void park(InetSocketAddress endpoint, Socket socket, long now) {
        ArrayDeque<Parked> kept = parked.computeIfAbsent(endpoint, e -> new ArrayDeque<>());
        if (!socket.key.isValid() || kept.size() >= PER_ENDPOINT || listener.sessions() + count >= listener.route().udp().maxSessions()) {
            listener.loop().close(socket.channel);
            return;
        }
        Parked p = new Parked(endpoint, socket, now);
        socket.key.attach(p);
        kept.addFirst(p);
        count++;
    }

    /** Sockets parked now. */
    int parked() {
        return count;
    }

    /** Closes the sockets parked for {@code idleNanos} or longer. */
    void sweep(long now, long idleNanos) {
        for (Iterator<ArrayDeque<Parked>> it = parked.values().iterator(); it.hasNext(); ) {
            ArrayDeque<Parked> kept = it.next();
            Parked oldest;
            while ((oldest = kept.peekLast()) != null && now - oldest.since >= idleNanos) {
                kept.pollLast();
                count--;
                listener.loop().close(oldest.socket.channel);
            }
            if (kept.isEmpty()) it.remove();
        }
    }

    /** Closes every parked socket (the listener closes). */
    void closeAll() {
        parked.values().forEach(kept -> kept.forEach(p -> listener.loop().close(p.socket.channel)));
        parked.clear();
        count = 0;
    }

    /** Takes out and closes one parked socket that failed (an ICMP error: the endpoint is gone). */
    private void close(Parked p) {
        ArrayDeque<Parked> kept = parked.get(p.endpoint);
        if (kept != null && kept.remove(p)) count--;
        listener.loop().close(p.socket.channel);
    }

    /** A parked socket's key: whatever arrives is late, for a session that has ended. */
    private final class Parked implements EventLoop.Handler {
        final InetSocketAddress endpoint;
        final Socket socket;
        final long since;

        Parked(InetSocketAddress endpoint, Socket socket, long since) {
            this.endpoint = endpoint;
            this.socket = socket;
            this.since = since;
        }

        @Override
        public void ready(SelectionKey key, ByteBuffer shared) {
            try {
                for (int i = 0; i < 64; i++) {
                    shared.clear();
                    if (socket.channel.receive(shared) == null) return;
                    listener.dropped(Drop.LATE_REPLY);
                }
            } catch (IOException e) {
                close(this);
            }
        }

        @Override
        public void failed() {
            close(this);
        }

        @Override
        public void stop() {
            close(this);
        }
    }
}
