package proxy;

import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

import config.Config;
import config.Route;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;
import pool.Backend;
import pool.BackendPool;

/**
 * The running balancer: a listener per route, a virtual thread per direction per connection, and
 * one platform thread that closes idle connections.
 *
 * <p>Lifecycle: {@link #start()} binds every listener or none; {@link #shutdown(Duration)} stops in
 * two phases (stop accepting, let open connections finish until the grace period ends, then close
 * what is left and say how many).
 */
public final class Server implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Server.class.getName());
    private static final Duration REAP_EVERY = Duration.ofMillis(250);
    /** The pooled buffers that bulk flows borrow (see Connection.pipe): large, so a bulk flow moves more per system call. */
    static final int LARGE_BUFFER = Integer.getInteger("featherlb.largeBuffer", 64 * 1024);

    private final Config config;
    private final Dialer dialer;
    private final Consumer<ConnectionRecord> finished;
    private final BufferPool buffers = new BufferPool(LARGE_BUFFER, 64);
    private final ExecutorService threads = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("featherlb-conn-", 0).factory());
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final List<Listener> listeners = new ArrayList<>();
    private final Thread reaper = Thread.ofPlatform().daemon().name("featherlb-idle").unstarted(this::reapLoop);
    private volatile boolean stopping;
    private volatile long drainDeadline = Long.MAX_VALUE;

    /**
     * @param finished told of every connection that ended, on the thread that ended it: keep it
     *                 short and non-blocking (the access log queues, metrics add)
     */
    public Server(Config config, Dialer dialer, Consumer<ConnectionRecord> finished) {
        this.config = config;
        this.dialer = dialer;
        this.finished = finished;
    }

    public Server(Config config, Dialer dialer) {
        this(config, dialer, record -> { });
    }

    public Server(Config config) {
        this(config, Dialer.TCP);
    }

    /** Binds every route's listener and starts accepting; if one cannot bind, none is left open. */
    public synchronized void start() throws IOException {
        if (stopping) return; // a SIGTERM during start-up: nothing to start
        RandomGenerator random = RandomGenerator.getDefault();
        try {
            for (Route route : config.routes()) {
                List<Backend> backends = route.endpoints().stream().map(Backend::new).toList();
                listeners.add(new Listener(this, new BackendPool(route, backends, random)));
            }
        } catch (IOException e) {
            listeners.forEach(Listener::close);
            listeners.clear();
            throw e;
        }
        for (Listener listener : listeners) {
            listener.start();
            Route route = listener.pool().route();
            LOG.log(INFO, "route {0}: listening on {1}, {2} over {3}", route.name(), address(listener.address()),
                    route.strategy().configName(), route.endpoints().stream()
                            .map(e -> e.address() + (e.weight() != 1 ? " weight " + e.weight() : "") + (e.backup() ? " backup" : ""))
                            .collect(Collectors.joining(", ")));
        }
        reaper.start();
    }

    private static String address(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    /** The bound address of each route, in config order (the real ports when a route asked for 0). */
    public List<InetSocketAddress> addresses() {
        return listeners.stream().map(Listener::address).toList();
    }

    /** The live endpoint state of each route, in config order. */
    public List<BackendPool> pools() {
        return listeners.stream().map(Listener::pool).toList();
    }

    /** Connections open now, all routes. */
    public int activeConnections() {
        return connections.size();
    }

    Dialer dialer() {
        return dialer;
    }

    BufferPool buffers() {
        return buffers;
    }

    void serve(Connection connection) {
        connections.add(connection);
        try {
            threads.execute(connection);
        } catch (RuntimeException e) {
            connections.remove(connection);
            throw e;
        }
    }

    void spawn(Runnable task) {
        threads.execute(task);
    }

    void ended(Connection connection, ConnectionRecord record) {
        connections.remove(connection);
        try {
            finished.accept(record);
        } catch (RuntimeException e) {
            LOG.log(WARNING, "recording a finished connection failed: {0}", e.toString());
        }
    }

    private void reapLoop() {
        while (!stopping) {
            try {
                Thread.sleep(REAP_EVERY);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            for (Connection connection : connections) connection.reap(now);
        }
    }

    /**
     * Stops accepting at once, waits up to {@code grace} for open connections to end by themselves,
     * then closes the rest. Returns how many had to be closed. A call while another is draining
     * only shortens that drain to its own grace period (a second SIGTERM ends it at once) and returns 0.
     */
    public int shutdown(Duration grace) {
        synchronized (this) { // after start() has bound every listener, or before it began
            drainDeadline = Math.min(drainDeadline, System.nanoTime() + grace.toNanos());
            if (stopping) return 0;
            stopping = true;
            listeners.forEach(Listener::close);
        }
        int open = connections.size();
        if (open > 0) {
            LOG.log(INFO, "stopped accepting; waiting up to {0} for {1} open connection(s)", grace, open);
        }
        while (!connections.isEmpty() && System.nanoTime() < drainDeadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        int closed = 0;
        for (Connection connection : connections) {
            connection.closeFor(Outcome.SHUTDOWN);
            closed++;
        }
        if (closed > 0) {
            LOG.log(WARNING, "grace period of {0} over: closed {1} connection(s) still open", grace, closed);
        }
        reaper.interrupt();
        threads.close(); // waits for the pipes, which end now that their sockets are closed
        return closed;
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }
}
