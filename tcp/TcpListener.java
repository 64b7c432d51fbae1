package tcp;

import static java.lang.System.Logger.Level.DEBUG;
import static java.lang.System.Logger.Level.WARNING;
import static java.nio.channels.SelectionKey.OP_ACCEPT;

import config.Route;
import health.Ticker;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import loop.EventLoop;
import routing.RouteTable;
import traffic.Outcome;

/**
 * One TCP listening socket, accepted on by the server's event loops, and the {@link RouteTable} of
 * the routes bound to its address.
 *
 * <p>The socket is non-blocking and registered for {@code OP_ACCEPT} with every loop; a loop that
 * sees it ready accepts what is queued (a batch at most, so that forwarding is not starved) and
 * opens each client's connection itself ({@link Connection}): no thread of its own and no hand-over, as in
 * HAProxy. With several loops, each accepts for itself, and the busiest accepts least. (The usual
 * Java design, a platform thread blocked in {@code accept} handing clients to the loops, measured
 * 0.80× HAProxy's new connections per second and 112 µs of CPU per connection; this, in the same
 * run, 0.98× and 90 µs, HAProxy 82: on two cores shared with clients and backends, the thread
 * switches per connection were what cost.)
 *
 * <p>With {@code max_connections}, a permit is taken <em>before</em> {@code accept}: over the limit,
 * a loop stops watching the socket and clients wait in the kernel's backlog instead of being
 * accepted and then dropped; the permit is given back when the connection ends, which sets the
 * loops watching again. That is the limit of a route alone on its address. A reload swaps the
 * route table (and the limit) without touching the socket, so there is no moment without a listener.
 */
public final class TcpListener implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(TcpListener.class.getName());
    private static final int BACKLOG = 4096; // the kernel caps it at net.core.somaxconn
    /** Clients accepted per readiness at most, before the loop serves its other keys. */
    private static final int BATCH = 64;
    private static final long BACK_OFF_NANOS = 100_000_000;

    private final Pipeline pipeline;
    private final ServerSocketChannel channel;
    private final ConnectionLimit limit;
    private final Refusals refusals;
    private final Map<String, LongAdder> rejected = new ConcurrentHashMap<>(); // by reason; outlives a reload, as the socket does
    private final Map<String, ConnectionLimit> routeLimits = new ConcurrentHashMap<>(); // by route name, of routes that share the address
    private final Counts timeouts = new Counts(); // by route and reason: client_first_byte, idle
    private final Map<String, ClientTable> clientTables = new ConcurrentHashMap<>(); // by route name, of routes with per_client; outlive a reload
    private volatile List<Acceptor> acceptors = List.of(); // set once, by start()
    private volatile RouteTable table;
    private volatile boolean open = true;
    private volatile boolean paused; // some acceptor stopped watching for want of a permit
    /** {@link #released}, as one object: a connection hands it to its loop's {@link EventLoop#afterClose}. */
    final Runnable release = this::released;

    /** Binds the address of {@code table}'s routes; accepting starts with {@link #start}. */
    public TcpListener(Pipeline pipeline, RouteTable table, boolean reusePort) throws IOException {
        this.pipeline = pipeline;
        this.table = table;
        var route = table.first();
        this.limit = new ConnectionLimit(limitOf(table));
        this.refusals = new Refusals();
        this.channel = ServerSocketChannel.open();
        try {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            if (reusePort) channel.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            channel.bind(new InetSocketAddress(route.host(), route.port()), BACKLOG);
            channel.configureBlocking(false);
        } catch (IOException e) {
            channel.close();
            throw new IOException("cannot listen on " + route.listenAddress() + " for route '" + route.name() + "': "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        }
    }

    /** The limit before accept: a route alone on its address has its own {@code max_connections}. */
    private static int limitOf(RouteTable table) {
        return table.alone() == null ? 0 : table.alone().maxConnections();
    }

    /** Starts accepting on every loop of {@code loops}. */
    public void start(List<EventLoop> loops) {
        acceptors = loops.stream().map(Acceptor::new).toList();
        for (Acceptor acceptor : acceptors) acceptor.loop.execute(acceptor::register);
    }

    public RouteTable table() {
        return table;
    }

    /** The address's rate-limited log of refused clients; it outlives a reload, as the listener does. */
    Refusals refusals() {
        return refusals;
    }

    /** Logs how many refusals had no line of their own: the server's reaper calls it. */
    public void flushRefusals(long nowNanos) {
        refusals.flush(nowNanos);
    }

    /**
     * A reload kept this listening address: new connections use {@code next} from now on (its
     * routes, their strategies, endpoints, timeouts, limit); connections already open keep the pool
     * they started with.
     */
    public void swap(RouteTable next) {
        limit.resize(limitOf(next));
        for (var route : next.pools()) {
            ConnectionLimit shared = routeLimits.get(route.route().name());
            if (shared != null) shared.resize(route.route().maxConnections());
        }
        table = next;
        resumeAll(); // a larger limit has permits now
    }

    /** The bound address (the real port when the route asked for port 0). */
    public InetSocketAddress address() {
        try {
            return (InetSocketAddress) channel.getLocalAddress();
        } catch (IOException e) {
            throw new IllegalStateException("listener closed", e);
        }
    }

    /** A connection was closed before a route was chosen, for {@code reason}. Loop threads. */
    void rejected(String reason) {
        rejected.computeIfAbsent(reason, r -> new LongAdder()).increment();
    }

    /** Connections closed before a route was chosen, by reason ({@code featherlb_rejected_total}), since the address was bound. */
    public Map<String, Long> rejections() {
        Map<String, Long> counts = new TreeMap<>();
        rejected.forEach((reason, n) -> counts.put(reason, n.sum()));
        return counts;
    }

    /**
     * The {@code max_connections} of {@code route}, which shares the address with other routes,
     * taken once the route is known; null when it has none. One per route name: a reload resizes it.
     */
    ConnectionLimit routeLimit(Route route) {
        if (route.maxConnections() <= 0 && !routeLimits.containsKey(route.name())) return null;
        return routeLimits.computeIfAbsent(route.name(), n -> new ConnectionLimit(route.maxConnections()));
    }

    /** The {@code per_client} counts of {@code route} (which has per_client), one table per route name: a reload keeps the counts. */
    ClientTable clients(Route route) {
        return clientTables.computeIfAbsent(route.name(), n -> new ClientTable(Ticker.SYSTEM));
    }

    /** Clients refused once their route was known, by route and reason ({@code featherlb_refused_total}), since the address was bound. */
    public Map<String, Map<String, Long>> refusalCounts() {
        return refusals.counts();
    }

    /** A connection of {@code route} was closed for a timeout ({@code reason}: client_first_byte, idle). The reaper thread. */
    void timedOut(String route, String reason) {
        timeouts.increment(route, reason);
    }

    /** Connections closed for a timeout, by route and reason ({@code featherlb_timeouts_total}), since the address was bound. */
    public Map<String, Map<String, Long>> timeoutCounts() {
        return timeouts.snapshot();
    }

    /** A connection of this listener ended: room for the next one. Loop threads. */
    void released() {
        give();
        if (paused) resumeAll();
    }

    /** A permit of the route's limit and one of the global limit (see {@link GlobalLimit}), or none. */
    private boolean acquire() {
        if (!limit.tryAcquire()) return false;
        if (pipeline.limit().tryAcquire()) return true;
        limit.release();
        pipeline.limit().waiting(this, pipeline.connections().size());
        return false;
    }

    /** Gives back what {@link #acquire} took. */
    private void give() {
        limit.release();
        pipeline.limit().release();
    }

    /** Watches the socket again on every loop that stopped for want of a permit. Any thread. */
    void resumeAll() {
        paused = false; // an acceptor that pauses from now on sets it again, and tries for a permit after
        for (Acceptor acceptor : acceptors) {
            if (acceptor.paused) acceptor.loop.execute(acceptor::resume);
        }
    }

    /**
     * Stops accepting and waits until the socket is closed, so that its port is free again (a reload
     * may bind it next); open connections are left to the server's drain. Closing the channel cancels
     * its keys; the JDK closes the socket itself once every loop's next select has deregistered it:
     * each loop is woken, and a timer of its, which runs after that select, says when. Never on a loop.
     */
    @Override
    public void close() {
        open = false;
        try {
            channel.close();
        } catch (IOException e) {
            LOG.log(WARNING, "{0}: closing the listener: {1}", table.first().name(), e.getMessage());
        }
        List<Acceptor> started = acceptors;
        var deregistered = new CountDownLatch(started.size());
        for (Acceptor acceptor : started) acceptor.loop.execute(() -> acceptor.loop.schedule(0, deregistered::countDown));
        try {
            if (!deregistered.await(5, TimeUnit.SECONDS)) {
                LOG.log(WARNING, "{0}: the listening socket was not released within 5 s", table.first().name());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** This listener on one loop: everything here runs on that loop's thread, but {@link #paused}, read by any. */
    private final class Acceptor implements EventLoop.Handler {
        final EventLoop loop;
        volatile boolean paused;
        private SelectionKey key;

        Acceptor(EventLoop loop) {
            this.loop = loop;
        }

        void register() {
            try {
                key = channel.register(loop.selector(), OP_ACCEPT, this);
            } catch (ClosedChannelException closed) {
                // closed before this loop got to it
            }
        }

        @Override
        public void ready(SelectionKey ready, ByteBuffer shared) {
            for (int i = 0; i < BATCH && open; i++) {
                if (!acquire() && !pause()) return;
                SocketChannel client;
                try {
                    client = channel.accept();
                } catch (ClosedChannelException e) {
                    give();
                    return;
                } catch (IOException e) {
                    give();
                    // e.g. too many open files: back off instead of spinning, the next accept may work
                    LOG.log(WARNING, "{0}: accept failed: {1}", table.first().name(), e.getMessage());
                    watch(0);
                    loop.schedule(BACK_OFF_NANOS, () -> watch(OP_ACCEPT));
                    return;
                }
                if (client == null) { // none left
                    give();
                    return;
                }
                serve(client);
            }
        }

        private void serve(SocketChannel client) {
            Connection connection;
            RouteTable routes = table;
            try {
                client.setOption(StandardSocketOptions.TCP_NODELAY, true);
                connection = new Connection(pipeline, TcpListener.this, routes, client, loop);
            } catch (IOException | RuntimeException e) {
                LOG.log(DEBUG, "{0}: dropped a client at accept: {1}", routes.first().name(), e);
                TcpListener.this.released();
                try {
                    client.close();
                } catch (IOException ignored) {
                    // it is gone either way
                }
                return;
            }
            try {
                connection.open();
            } catch (RuntimeException e) { // a bug: end this connection (and count it ended), accept the next
                LOG.log(WARNING, "{0}: opening a connection failed: {1}", routes.first().name(), e.toString());
                LOG.log(DEBUG, "the bug's stack trace", e);
                connection.abort(Outcome.SHUTDOWN, null);
            }
        }

        /**
         * No permit: stop watching until a connection ends ({@link TcpListener#released}). Returns true
         * if a permit came meanwhile (taken, go on): a release between the failed try and the flag
         * would otherwise be missed.
         */
        private boolean pause() {
            paused = true;
            TcpListener.this.paused = true;
            watch(0);
            if (!acquire()) return false;
            paused = false;
            watch(OP_ACCEPT);
            return true;
        }

        void resume() {
            if (!paused) return;
            paused = false;
            watch(OP_ACCEPT);
        }

        private void watch(int ops) {
            if (key != null && key.isValid()) key.interestOps(ops);
        }

        @Override
        public void failed() {
            watch(0);
            loop.schedule(BACK_OFF_NANOS, () -> watch(OP_ACCEPT));
        }

        @Override
        public void stop() {
            if (key != null) key.cancel();
        }
    }
}
