package udp;

import static java.lang.System.Logger.Level.DEBUG;
import static java.lang.System.Logger.Level.WARNING;
import static java.nio.channels.SelectionKey.OP_READ;
import static java.nio.channels.SelectionKey.OP_WRITE;

import config.Route;
import config.Udp;
import dial.ConnectFailure;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import loop.EventLoop;
import pool.Backend;
import pool.BackendPool;
import pool.Lease;
import pool.Pools;
import traffic.ConnectionRecord;
import traffic.Outcome;

/**
 * One UDP listening socket, its {@link SessionTable} and the sessions in it, all on one event loop
 * (no thread of its own, none per session). A client's first datagram picks an endpoint with the
 * route's strategy and opens its {@link Session}; its later datagrams go the same way until the
 * session ends. The endpoint's replies go back to the client from this socket.
 *
 * <p>Bounded: sessions at most {@code max_sessions} (a new client's datagram over it is dropped
 * and counted, {@link Drop#MAX_SESSIONS}), {@link Session#QUEUE} datagrams held per session
 * towards its endpoint, {@link #CLIENT_QUEUE} held towards clients, {@link #BATCH} datagrams read
 * per readiness. Nothing is logged per datagram.
 *
 * <p>A reload that keeps the address {@link #swap}s the route's slot: new sessions use the new
 * route, sessions in flight keep their endpoint. A removed route's listener {@link #close}s, and
 * its sessions end with it (their replies could only have come back through this socket).
 *
 * <p>Threads: {@link #ready}, the sweep and everything sessions call run on the loop's thread;
 * {@link #start}, {@link #swap}, {@link #close}, {@link #closeTo} and the readers of counters may
 * be called from any thread.
 */
public final class UdpListener implements EventLoop.Handler, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(UdpListener.class.getName());
    /** Datagrams read per readiness, before the loop serves its other keys. */
    private static final int BATCH = 64;
    /** Replies held for clients while the listening socket's send buffer is full; more are dropped. */
    static final int CLIENT_QUEUE = 1024;
    /**
     * The socket's receive buffer asked for: a burst of datagrams waits here while the loop is busy
     * (the kernel caps it at net.core.rmem_max, 208 KiB on most systems).
     */
    private static final int RECEIVE_BUFFER = 4 * 1024 * 1024;

    private final DatagramChannel channel;
    private final EventLoop loop;
    private final Consumer<ConnectionRecord> finished;
    private final SessionTable table = new SessionTable();
    private final SessionSockets sockets = new SessionSockets(this);
    private final Map<Drop, LongAdder> drops = new EnumMap<>(Drop.class);
    private final ArrayDeque<Reply> toClients = new ArrayDeque<>(); // loop thread only
    private final String listenKey;
    private volatile Pools.Slot slot;
    private volatile Route route;
    private SelectionKey key; // loop thread only
    private long nextSweep; // loop thread only
    private boolean open = true; // loop thread only

    private record Reply(ByteBuffer datagram, InetSocketAddress client) {
    }

    /** What a session writes before each datagram to its endpoint (the PROXY v2 header of {@code send_proxy}). */
    @FunctionalInterface
    public interface Header {
        /** The header for {@code client}'s datagrams to {@code endpoint} of {@code route}, sent to {@code destination}; null for none. */
        byte[] of(Route route, config.Endpoint endpoint, InetSocketAddress client, InetSocketAddress destination);

        Header NONE = (route, endpoint, client, destination) -> null;
    }

    private final Header header;
    private final InetSocketAddress bound;

    /**
     * Binds {@code route}'s address; serving starts with {@link #start}.
     *
     * @param finished told of every session that ended, on the loop's thread: keep it short
     */
    public UdpListener(Route route, Pools.Slot slot, EventLoop loop, Consumer<ConnectionRecord> finished, boolean reusePort) throws IOException {
        this(route, slot, loop, finished, reusePort, Header.NONE);
    }

    /**
     * @param header what sessions write before each datagram ({@link Header#NONE}: nothing); the
     *               destination it is given is the bound address (a wildcard when bound to one: a
     *               datagram socket does not say which of the host's addresses a client sent to)
     */
    public UdpListener(Route route, Pools.Slot slot, EventLoop loop, Consumer<ConnectionRecord> finished, boolean reusePort, Header header)
            throws IOException {
        this.header = header;
        this.route = route;
        this.slot = slot;
        this.loop = loop;
        this.finished = finished;
        this.listenKey = route.listenKey();
        for (Drop d : Drop.values()) drops.put(d, new LongAdder());
        this.channel = DatagramChannel.open();
        try {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            if (reusePort) channel.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            channel.setOption(StandardSocketOptions.SO_RCVBUF, RECEIVE_BUFFER);
            channel.bind(new InetSocketAddress(route.host(), route.port()));
            channel.configureBlocking(false);
            this.bound = (InetSocketAddress) channel.getLocalAddress();
        } catch (IOException e) {
            channel.close();
            throw new IOException("cannot listen on udp " + route.listenAddress() + " for route '" + route.name() + "': "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        }
    }

    /** Starts serving on the loop. */
    public void start() {
        loop.execute(() -> {
            try {
                key = channel.register(loop.selector(), OP_READ, this);
            } catch (ClosedChannelException closed) {
                return; // closed before the loop got to it
            }
            sweepLater();
        });
    }

    /** {@code udp host:port}: the listening address. */
    public String key() {
        return listenKey;
    }

    /** The route served now (the latest reload's). */
    public Route route() {
        return route;
    }

    /** The pool new sessions pick from now. */
    public BackendPool pool() {
        return slot.pool();
    }

    /** A reload kept the address: new sessions use {@code next}; sessions in flight keep their endpoint. */
    public void swap(Route next, Pools.Slot nextSlot) {
        this.slot = nextSlot;
        this.route = next;
    }

    /** The bound address (the real port when the route asked for port 0). */
    public InetSocketAddress address() {
        return bound;
    }

    /** Sessions open now. Any thread. */
    public int sessions() {
        return table.size();
    }

    /** Datagrams dropped, by reason, since the address was bound. Any thread. */
    public Map<Drop, Long> drops() {
        Map<Drop, Long> counts = new EnumMap<>(Drop.class);
        drops.forEach((d, n) -> counts.put(d, n.sum()));
        return counts;
    }

    EventLoop loop() {
        return loop;
    }

    SessionSockets sockets() {
        return sockets;
    }

    void dropped(Drop why) {
        drops.get(why).increment();
    }

    @Override
    public void ready(SelectionKey ready, ByteBuffer shared) {
        if (ready.isWritable()) flushToClients();
        if (!ready.isValid() || !ready.isReadable()) return;
        long now = System.nanoTime();
        for (int i = 0; i < BATCH && open; i++) {
            shared.clear();
            SocketAddress from;
            try {
                from = channel.receive(shared);
            } catch (IOException e) {
                // an ICMP error for an earlier reply to a client that went away, on some systems: not this datagram's
                LOG.log(DEBUG, "{0}: receive: {1}", listenKey, e);
                continue;
            }
            if (from == null) break;
            if (!shared.hasRemaining()) { // filled to the last byte: it may have been cut (a buffer below 65,536 bytes)
                dropped(Drop.TOO_LARGE);
                continue;
            }
            shared.flip();
            fromClient((InetSocketAddress) from, shared, now);
        }
        if (now - nextSweep >= 0) sweep(now);
    }

    /**
     * One datagram from {@code from}: to its session, or to a new one. With accept_proxy, its PROXY
     * header names the client and comes off first ({@link AcceptProxy}); {@code from} is then the sender.
     */
    private void fromClient(InetSocketAddress from, ByteBuffer datagram, long now) {
        Route current = route;
        InetSocketAddress client = from;
        if (current.proxy().accept() != null && (client = AcceptProxy.client(current.proxy().accept(), from, datagram, this::dropped)) == null) return;
        Session session = table.get(from, client);
        if (session != null) {
            session.up(datagram, now);
            return;
        }
        Udp udp = current.udp();
        if (table.size() >= udp.maxSessions()) {
            dropped(Drop.MAX_SESSIONS);
            return;
        }
        session = open(client, current);
        if (session == null) return;
        session.via(from);
        table.put(session);
        session.up(datagram, now);
    }

    /**
     * A session for {@code client}: an endpoint picked by the route's strategy (affinity by the
     * client's address alone, so that iphash keeps a client on one endpoint across its ports and
     * sessions), and a socket connected to it. Endpoints whose name does not resolve are counted
     * failed and the next is tried; null (counted dropped) when none is left.
     */
    private Session open(InetSocketAddress client, Route current) {
        BackendPool pool = slot.pool();
        long clientKey = BackendPool.clientKey(client.getAddress().getAddress());
        BitSet tried = null;
        while (true) {
            Lease lease = pool.lease(clientKey, tried);
            if (lease == null) {
                dropped(Drop.NO_ENDPOINT);
                return null;
            }
            Backend backend = lease.backend();
            // resolved on the loop, through the JVM's cache of answers (30 s): endpoints are usually
            // addresses or names of the local resolver; a slow resolver would stall this loop
            InetSocketAddress endpoint = new InetSocketAddress(backend.endpoint().host(), backend.endpoint().port());
            if (endpoint.isUnresolved()) {
                lease.failed(ConnectFailure.UNRESOLVED);
                if (tried == null) tried = new BitSet();
                tried.set(lease.index());
                continue;
            }
            try {
                byte[] first = header.of(current, backend.endpoint(), client, bound);
                Session session = new Session(this, client, lease, endpoint, sockets.open(endpoint), current.name(), current.udp().responses(), first);
                lease.connected(true); // a session counted; health waits for a reply (a connected UDP socket proves nothing)
                return session;
            } catch (IOException e) {
                // featherlb's own trouble (out of file descriptors, most likely), not the endpoint's
                lease.release();
                dropped(Drop.NO_ENDPOINT);
                LOG.log(DEBUG, "{0}: cannot open a session socket: {1}", listenKey, e);
                return null;
            }
        }
    }

    /** Sends an endpoint's reply ({@code datagram}, position to limit) to {@code client}, or holds a copy while the socket is full. */
    void toClient(ByteBuffer datagram, InetSocketAddress client) {
        if (toClients.isEmpty()) {
            try {
                if (channel.send(datagram, client) > 0 || datagram.remaining() == 0) return;
            } catch (IOException e) {
                LOG.log(DEBUG, "{0}: send to {1}: {2}", listenKey, client, e);
                return;
            }
            if (key != null && key.isValid()) key.interestOps(OP_READ | OP_WRITE);
        }
        if (toClients.size() >= CLIENT_QUEUE) {
            dropped(Drop.QUEUE_FULL);
            return;
        }
        ByteBuffer copy = ByteBuffer.allocate(datagram.remaining());
        copy.put(datagram).flip();
        toClients.add(new Reply(copy, client));
    }

    private void flushToClients() {
        Reply next;
        while ((next = toClients.peek()) != null) {
            try {
                if (channel.send(next.datagram, next.client) == 0) return;
            } catch (IOException e) {
                LOG.log(DEBUG, "{0}: send to {1}: {2}", listenKey, next.client, e);
            }
            toClients.poll();
        }
        if (key.isValid()) key.interestOps(OP_READ);
    }

    /** A session saw a reply: it is the most recently active now. */
    void touch(Session session) {
        table.get(session.sender(), session.client());
    }

    void ended(Session session) {
        table.remove(session);
    }

    void finished(ConnectionRecord record) {
        try {
            finished.accept(record);
        } catch (RuntimeException e) {
            LOG.log(WARNING, "recording a finished session failed: {0}", e.toString());
        }
    }

    /** Ends the sessions idle for the route's {@code idle}; runs on a timer, and after reads when due. */
    private void sweep(long now) {
        long idle = route.udp().idle().toNanos();
        for (Session s : table.idle(now, idle)) s.end(Outcome.IDLE_TIMEOUT);
        sockets.sweep(now, idle);
        nextSweep = now + sweepEvery();
    }

    /** A tenth of the idle timeout, between 10 ms and 1 s: an idle session ends at most that late. */
    private long sweepEvery() {
        return Math.clamp(route.udp().idle().toNanos() / 10, 10_000_000L, 1_000_000_000L);
    }

    private void sweepLater() {
        if (!open) return;
        loop.schedule(sweepEvery(), () -> {
            long now = System.nanoTime();
            if (now - nextSweep >= 0) sweep(now);
            sweepLater();
        });
    }

    /** Ends the sessions to {@code backend} ({@code on_down: close}); returns at once. Any thread. */
    public void closeTo(Backend backend) {
        loop.execute(() -> table.select(s -> s.backend() == backend).forEach(s -> s.end(Outcome.SHUTDOWN)));
    }

    /**
     * Stops serving: the socket closes, its sessions end (shutdown), and this returns once the port
     * is free again (a reload may bind it next). Never on the loop.
     */
    @Override
    public void close() {
        CountDownLatch done = new CountDownLatch(1);
        loop.execute(() -> {
            shutdown();
            loop.afterClose(() -> loop.schedule(0, done::countDown));
        });
        try {
            if (!done.await(5, TimeUnit.SECONDS)) LOG.log(WARNING, "{0}: the listening socket was not released within 5 s", route.name());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** On the loop: no more datagrams, every session ended. */
    private void shutdown() {
        if (!open) return;
        open = false;
        loop.close(channel);
        table.select(s -> true).forEach(s -> s.end(Outcome.SHUTDOWN));
        sockets.closeAll();
    }

    @Override
    public void failed() {
        LOG.log(WARNING, "{0}: serving a datagram failed; the listener goes on", listenKey);
    }

    @Override
    public void stop() {
        shutdown();
    }
}
