package proxy;

import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

import config.Config;
import config.Durations;
import config.Endpoint;
import config.Route;
import health.HealthChecker;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
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
 * The running balancer: a listener per route, and event loops ({@link EventLoop}, each on a
 * platform thread, one per two cores by default) that accept on every listener, dial each client's
 * endpoint and forward (see {@link Listener}, {@link Connection}); a virtual thread per dial of an
 * endpoint given by host name, a virtual thread per actively checked endpoint, and one platform
 * thread that closes idle connections.
 *
 * <p>Lifecycle: {@link #start()} binds every listener or none, then starts the health checks;
 * {@link #shutdown(Duration)} stops in two phases (stop accepting and checking, let open
 * connections finish until the grace period ends, then close what is left and say how many).
 */
public final class Server implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Server.class.getName());
    private static final Duration REAP_EVERY = Duration.ofMillis(250);
    /** Each loop's read buffer, and the pooled buffers that hold what a slow reader has not taken yet (see Flow):
     * large, so a bulk flow moves more per system call. */
    static final int LARGE_BUFFER = Integer.getInteger("featherlb.largeBuffer", 64 * 1024);
    /**
     * Forwarding loops (platform threads): by default one per two carrier threads of the
     * virtual-thread scheduler, so one per two cores (at least one). Measured on 2 cores shared with the load generator and the backend, one loop did
     * at least as well as two in two runs (keep-alive 1.00× and 0.97× HAProxy against 0.87× and 0.96×;
     * CPU per request 1.05× and 1.05× against 1.23× and 1.09×; 4.2 against 4.5 system calls per
     * request): a loop with more ready connections per {@code select} parks and wakes less often.
     */
    static final int LOOPS = Integer.getInteger("featherlb.loops", Math.max(1,
            Integer.getInteger("jdk.virtualThreadScheduler.parallelism", Runtime.getRuntime().availableProcessors()) / 2));

    private volatile Config config;
    private final Dialer dialer;
    private final Consumer<ConnectionRecord> finished;
    private final Ticker ticker;
    private final BufferPool buffers = new BufferPool(LARGE_BUFFER, 64);
    private final ExecutorService threads = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("featherlb-dial-", 0).factory());
    private final List<EventLoop> loops = new ArrayList<>(); // started by start(), ended by shutdown()
    private final CompletableFuture<Throwable> failure = new CompletableFuture<>();
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final RandomGenerator random = RandomGenerator.getDefault();
    private volatile List<Listener> listeners = List.of(); // replaced whole by apply(), under this
    private volatile List<HealthChecker> checkers = List.of(); // likewise
    private final Thread reaper = Thread.ofPlatform().daemon().name("featherlb-idle").unstarted(this::reapLoop);
    private volatile boolean stopping;
    private volatile long drainDeadline = Long.MAX_VALUE;

    /**
     * @param finished told of every connection that ended, on the thread that ended it, usually a
     *                 forwarding loop that serves many other connections: keep it short and
     *                 non-blocking (the access log queues, metrics add)
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

    /**
     * Completes with the cause when an event loop fails (its selector broke: a bug, or the OS
     * refusing epoll). The loop's connections are closed and it no longer accepts, so the process
     * should stop and let its supervisor start it again, as HAProxy exits on a fatal error.
     */
    public CompletableFuture<Throwable> failure() {
        return failure;
    }

    /** The running loops, for tests. */
    List<EventLoop> loops() {
        return List.copyOf(loops);
    }

    /** Binds every route's listener and starts accepting; if one cannot bind, none is left open. */
    public synchronized void start() throws IOException {
        if (stopping) return; // a SIGTERM during start-up: nothing to start
        for (int i = 0; i < Math.max(1, LOOPS); i++) {
            EventLoop loop = new EventLoop("featherlb-loop-" + i, failure::complete);
            loops.add(loop);
            loop.start();
        }
        try {
            apply(config);
        } catch (IOException | RuntimeException e) {
            loops.forEach(EventLoop::stop);
            loops.clear();
            throw e;
        }
        reaper.start();
    }

    /**
     * Applies a new config while connections flow; see {@link #apply}. Invalid configs never get
     * here: the caller has already loaded and validated the whole file.
     *
     * @return what changed, in words for the log
     * @throws IOException when a new listening address cannot be bound; then nothing has changed
     */
    public synchronized String reload(Config next) throws IOException {
        if (stopping) throw new IllegalStateException("shutting down");
        return apply(next);
    }

    /**
     * Makes the running listeners match {@code next}, in two phases so that a failure changes
     * nothing: first bind every new listening address and build every route's pool, then swap.
     * A route whose address ({@code host:port}) stays keeps its listening socket, so there is no
     * moment without a listener; its new pool (strategy, endpoints, weights, timeouts, limit)
     * serves new connections at once. Endpoints that stay (same route, same {@code host:port})
     * keep their {@link Backend}: health, draining, active connections and counters carry over.
     * Connections already open keep running on the pool and endpoint they started with, even one
     * the new config removed. Listeners of removed routes stop accepting; their connections drain.
     */
    private String apply(Config next) throws IOException {
        List<Listener> before = listeners;
        Map<String, Listener> byAddress = new HashMap<>();
        Map<String, BackendPool> byName = new HashMap<>();
        for (Listener l : before) {
            byAddress.put(l.pool().route().listenAddress(), l);
            byName.put(l.pool().route().name(), l.pool());
        }
        List<Listener> after = new ArrayList<>();
        Map<Listener, BackendPool> swaps = new LinkedHashMap<>();
        List<Listener> opened = new ArrayList<>();
        try {
            for (Route route : next.routes()) {
                Listener kept = byAddress.get(route.listenAddress());
                BackendPool old = byName.getOrDefault(route.name(), kept == null ? null : kept.pool());
                BackendPool pool = new BackendPool(route, carry(old, route), random);
                if (kept != null && !swaps.containsKey(kept)) {
                    swaps.put(kept, pool);
                    after.add(kept);
                } else {
                    Listener listener = new Listener(this, pool, next.reusePort());
                    opened.add(listener);
                    after.add(listener);
                }
            }
        } catch (IOException e) {
            opened.forEach(Listener::close);
            throw e;
        }
        swaps.forEach(Listener::swap);
        listeners = List.copyOf(after);
        config = next;
        List<String> changes = new ArrayList<>();
        for (Listener listener : opened) {
            listener.start(loops);
            Route route = listener.pool().route();
            LOG.log(INFO, "route {0}: listening on {1}, {2} over {3}", route.name(), address(listener.address()),
                    route.strategy().configName(), route.endpoints().stream()
                            .map(e -> e.address() + (e.weight() != 1 ? " weight " + e.weight() : "") + (e.backup() ? " backup" : ""))
                            .collect(Collectors.joining(", ")));
            changes.add("+" + route.name());
        }
        for (Listener listener : before) {
            if (!swaps.containsKey(listener)) {
                listener.close();
                LOG.log(INFO, "route {0}: removed, stopped listening on {1}; its open connections finish",
                        listener.pool().route().name(), listener.pool().route().listenAddress());
                changes.add("-" + listener.pool().route().name());
            }
        }
        swaps.forEach((listener, pool) -> changes.add("~" + pool.route().name()));
        restartChecks(after);
        return String.join(" ", changes);
    }

    /**
     * New pools, new checkers: the old ones are stopped first, so that an endpoint kept across a
     * reload is never checked by two threads at once. Its state carries over, so only an endpoint
     * new to the config has a first check that decides.
     */
    private void restartChecks(List<Listener> running) {
        checkers.forEach(HealthChecker::close);
        List<HealthChecker> next = running.stream().map(l -> new HealthChecker(l.pool(), dialer::dial)).toList();
        next.forEach(HealthChecker::start);
        checkers = next;
    }

    /** The backends for {@code route}: the old pool's where the address is the same (with the new
     * route's health rules), new ones otherwise. */
    private List<Backend> carry(BackendPool old, Route route) {
        Map<String, Backend> live = new HashMap<>();
        if (old != null) old.backends().forEach(b -> live.put(b.address(), b));
        List<Backend> backends = new ArrayList<>();
        for (Endpoint endpoint : route.endpoints()) {
            Backend kept = live.get(endpoint.address());
            if (kept != null) {
                kept.reconfigure(endpoint);
                kept.health().reconfigure(route, endpoint);
                backends.add(kept);
            } else {
                backends.add(new Backend(endpoint, route, ticker, this::wentDown));
            }
        }
        return backends;
    }

    /** The config in force (the latest one reloaded). */
    public Config config() {
        return config;
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

    /** A loop accepted {@code connection} for a listener: counted open until it ends ({@link #ended}). */
    void serve(Connection connection) {
        connections.add(connection);
    }

    /** Runs a dial that may block (a host name to resolve) on a virtual thread, which the shutdown waits for. */
    void dialOffLoop(Runnable dial) {
        threads.execute(dial);
    }

    /** {@code on_down: close}: closes the connections open to {@code backend}, which just went down.
     * Runs on the thread that saw it go down (a check thread or a connection's loop). */
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
            LOG.log(INFO, "stopped accepting; waiting up to {0} for {1} open connection(s)", Durations.format(grace), open);
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
            LOG.log(WARNING, "grace period of {0} over: closed {1} connection(s) still open", Durations.format(grace), closed);
        }
        reaper.interrupt();
        threads.close(); // waits for dials by name, which hand their answer to a loop still running
        synchronized (this) {
            loops.forEach(EventLoop::stop); // each runs the closes queued above first
        }
        return closed;
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }
}
