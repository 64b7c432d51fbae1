package proxy;

import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

import config.Config;
import config.Route;
import health.HealthChecker;
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
import pool.Ticker;

/**
 * The running balancer: a listener per route, a virtual thread per direction per connection, a
 * virtual thread per actively checked endpoint, and one platform thread that closes idle
 * connections.
 *
 * <p>Lifecycle: {@link #start()} binds every listener or none, then starts the health checks;
 * {@link #shutdown(Duration)} stops in two phases (stop accepting and checking, let open
 * connections finish until the grace period ends, then close what is left and say how many).
 */
public final class Server implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Server.class.getName());
    private static final Duration REAP_EVERY = Duration.ofMillis(250);
    static final int BUFFER_SIZE = 16 * 1024;

    private final Config config;
    private final Dialer dialer;
    private final Consumer<ConnectionRecord> finished;
    private final Ticker ticker;
    private final BufferPool buffers = new BufferPool(BUFFER_SIZE, 1024);
    private final ExecutorService threads = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("featherlb-conn-", 0).factory());
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final List<Listener> listeners = new ArrayList<>();
    private final List<HealthChecker> checkers = new ArrayList<>();
    private final Thread reaper = Thread.ofPlatform().daemon().name("featherlb-idle").unstarted(this::reapLoop);
    private volatile boolean stopping;
    private volatile long drainDeadline = Long.MAX_VALUE;

    /**
     * @param finished told of every connection that ended, on the thread that ended it: keep it
     *                 short and non-blocking (the access log queues, metrics add)
     * @param ticker   the clock of passive cool-downs and slow start (tests move it on by hand)
     */
    public Server(Config config, Dialer dialer, Consumer<ConnectionRecord> finished, Ticker ticker) {
        this.config = config;
        this.dialer = dialer;
        this.finished = finished;
        this.ticker = ticker;
    }

    public Server(Config config, Dialer dialer, Consumer<ConnectionRecord> finished) {
        this(config, dialer, finished, Ticker.SYSTEM);
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
                List<Backend> backends = route.endpoints().stream().map(e -> new Backend(e, route, ticker, this::wentDown)).toList();
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
        for (Listener listener : listeners) {
            HealthChecker checker = new HealthChecker(listener.pool(), dialer::dial);
            checkers.add(checker);
            checker.start();
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

    /** {@code on_down: close}: closes the connections open to {@code backend}, which just went down.
     * Runs on the thread that saw it go down (a check thread or a connection's). */
    private void wentDown(Backend backend) {
        int closed = 0;
        for (Connection connection : connections) {
            if (connection.backend() == backend) {
                connection.closeFor(Outcome.SHUTDOWN);
                closed++;
            }
        }
        if (closed > 0) LOG.log(INFO, "endpoint {0} is down: closed its {1} open connection(s)", backend.health().name(), closed);
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
            for (Listener listener : listeners) listener.refusals().flush(now);
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
        checkers.forEach(HealthChecker::close); // outside the lock: it waits for the check threads to end
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
