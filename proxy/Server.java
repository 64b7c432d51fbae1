package proxy;

import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

import config.Config;
import config.Durations;
import config.Engine;
import dial.Dialer;
import discovery.Discoveries;
import discovery.DnsjavaResolver;
import discovery.Resolver;
import discovery.RouteDiscovery;
import health.HealthChecks;
import health.Ticker;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import loop.BufferPool;
import loop.EventLoop;
import pool.Backend;
import pool.BackendPool;
import pool.Pools;
import proxyproto.SendProxy;
import tcp.Connections;
import tcp.Forwarding;
import tcp.GlobalLimit;
import tcp.Pipeline;
import tcp.Stages;
import tcp.TcpListener;
import traffic.ConnectionRecord;
import traffic.Outcome;
import udp.UdpListener;

/**
 * The running balancer, and its lifecycle: event loops ({@link EventLoop}, each on a platform
 * thread, one per two cores by default) that accept on every listener, run each connection's
 * stages and forward (package {@code tcp}), or, with {@code engine: virtual-threads}, hand the
 * forwarding to a virtual thread per direction; a virtual thread per dial of an endpoint given by host
 * name, a virtual thread per actively checked endpoint, and one platform thread that closes idle
 * connections, and a virtual thread per route that discovers endpoints in DNS. What a reload changes is handed to its
 * owners: the listeners and their route tables ({@link Listeners}), the endpoint sets ({@link Pools}), the health
 * checks ({@link HealthChecks}), the discoveries ({@link Discoveries}).
 *
 * <p>Lifecycle: {@link #start()} binds every listener or none, then starts the health checks and the discoveries
 * (no listener waits for a first answer);
 * {@link #shutdown(Duration)} stops in two phases (stop accepting and checking, let open
 * connections finish until the grace period ends, then close what is left and say how many).
 */
public final class Server implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Server.class.getName());
    private static final Duration REAP_EVERY = Duration.ofMillis(250);
    /** Each loop's read buffer, and the pooled buffers that hold what a slow reader has not taken yet (see tcp.Flow):
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
    private final ExecutorService threads = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("featherlb-dial-", 0).factory());
    /** The virtual-thread engine's threads (none with the loops); shutdown() waits for them after closing their sockets. */
    private final ExecutorService forwarders = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("featherlb-vt").factory());
    private final Engine engine; // chosen at start: a reload cannot change it
    private final List<EventLoop> loops = new ArrayList<>(); // started by start(), ended by shutdown()
    private final CompletableFuture<Throwable> failure = new CompletableFuture<>();
    private final Connections connections;
    private final Pools pools;
    private final Listeners listeners;
    private final HealthChecks checks;
    private final Discoveries discoveries;
    private final GlobalLimit limit;
    private final Thread reaper = Thread.ofPlatform().daemon().name("featherlb-idle").unstarted(this::reapLoop);
    private volatile boolean stopping;
    private volatile long drainDeadline = Long.MAX_VALUE;

    /**
     * @param finished told of every connection that ended, on the thread that ended it, usually a
     *                 forwarding loop that serves many other connections: keep it short and
     *                 non-blocking (the access log queues, metrics add)
     * @param ticker   the clock of passive cool-downs and slow start (tests move it on by hand)
     * @param stages   the steps before the dial and after the connect ({@link Stages#NONE}: none; by
     *                 default the config's, {@link ConfigStages}: a PROXY header, a ClientHello, the
     *                 PROXY header sent)
     */
    public Server(Config config, Dialer dialer, Consumer<ConnectionRecord> finished, Ticker ticker, Stages stages) {
        this(config, dialer, finished, ticker, stages, DnsjavaResolver.INSTANCE);
    }

    /** @param resolver what the routes' {@code discover:} items are looked up with (tests answer with a fake) */
    public Server(Config config, Dialer dialer, Consumer<ConnectionRecord> finished, Ticker ticker, Stages stages, Resolver resolver) {
        this.config = config;
        this.discoveries = new Discoveries(resolver);
        this.connections = new Connections(finished);
        this.pools = new Pools(ticker, RandomGenerator.getDefault(), this::wentDown);
        this.limit = new GlobalLimit(globalLimit(config));
        this.engine = config.engine();
        Forwarding.Engine forwarding = engine == Engine.VIRTUAL_THREADS ? Forwarding.virtualThreads(forwarders) : Forwarding.LOOPS;
        Pipeline pipeline = new Pipeline(dialer, new BufferPool(LARGE_BUFFER, 64), connections, threads, forwarding, stages, limit);
        this.listeners = new Listeners(pipeline, pools, new UdpListeners(finished));
        // an endpoint with send_proxy wants a header from its checks too: LOCAL, featherlb speaks for itself
        this.checks = new HealthChecks(dialer, (route, endpoint) -> SendProxy.forCheck(route.proxy(), endpoint));
    }

    public Server(Config config, Dialer dialer, Consumer<ConnectionRecord> finished, Ticker ticker) {
        this(config, dialer, finished, ticker, ConfigStages.INSTANCE);
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
        LOG.log(INFO, "engine: {0} ({1})", engine.configName(), engine == Engine.LOOPS
                ? Math.max(1, LOOPS) + " event loop(s) forward, by " + loop.SocketIo.describe() : "a virtual thread per direction forwards");
        for (int i = 0; i < Math.max(1, LOOPS); i++) {
            EventLoop loop = new EventLoop("featherlb-loop-" + i, LARGE_BUFFER, failure::complete);
            loops.add(loop);
            loop.start();
        }
        limit.describe(config.maxConnections() == Config.DERIVED, GlobalLimit.descriptorLimit());
        try {
            apply(config);
            discoveries.restart(config, this::discovered);
        } catch (IOException | RuntimeException e) {
            loops.forEach(EventLoop::stop);
            loops.clear();
            throw e;
        }
        reaper.start();
    }

    /**
     * Applies a new config while connections flow (see {@link Listeners#apply}). Invalid configs
     * never get here: the caller has already loaded and validated the whole file.
     *
     * @return what changed ({@link ConfigDiff#summary} in words for the log)
     * @throws IOException when a new listening address cannot be bound; then nothing has changed
     */
    public synchronized ConfigDiff reload(Config next) throws IOException {
        if (stopping) throw new IllegalStateException("shutting down");
        if (next.engine() != engine) {
            LOG.log(WARNING, "{0} names engine: {1}, but the engine is chosen at start: still forwarding with {2} (restart to change it)",
                    next.source(), next.engine().configName(), engine.configName());
        }
        ConfigDiff diff = ConfigDiff.between(config, next);
        // endpoints that the route's unchanged lookups found stay, with their state, rather than wait for the next answer
        apply(discoveries.withKnown(next));
        config = next; // the file's own routes: what the next diff compares with (discovered endpoints are the discoveries')
        discoveries.restart(next, this::discovered);
        return diff;
    }

    /** What {@link #reload}ing {@code next} would change now; changes nothing (a dry run). */
    public synchronized ConfigDiff diff(Config next) {
        return ConfigDiff.between(config, next);
    }

    private void apply(Config next) throws IOException {
        listeners.apply(next, loops);
        if (config != next && globalLimit(next) != limit.max()) limit.resize(globalLimit(next));
        config = next;
        restartChecks();
    }

    /**
     * A discovery source's new endpoints for the route named {@code route}: in force for the next
     * connection, live state carried over as by a reload, checks restarted. Returns false when
     * there is no such route (a reload removed it meanwhile).
     */
    public synchronized boolean replaceEndpoints(String route, List<config.Endpoint> endpoints) {
        if (stopping || pools.replace(route, endpoints) == null) return false;
        restartChecks();
        return true;
    }

    /** A discovery's new endpoint set, on its thread; dropped (false) when a reload replaced that discovery. */
    private synchronized boolean discovered(RouteDiscovery from, List<config.Endpoint> endpoints) {
        return discoveries.current(from) && replaceEndpoints(from.route().name(), endpoints);
    }

    /** What the discoveries did: lookups and endpoint changes, for metrics. */
    public discovery.Counts discoveryCounts() {
        return discoveries.counts();
    }

    /** The global connection limit {@code config} asks for: its own, or derived from the file-descriptor limit. */
    private static int globalLimit(Config config) {
        return config.maxConnections() == Config.DERIVED ? GlobalLimit.derived(GlobalLimit.descriptorLimit()) : config.maxConnections();
    }

    /** New pools, new checkers (see {@link HealthChecks#restart}). */
    private void restartChecks() {
        checks.restart(pools.all().stream().map(p -> new HealthChecks.Checked(p.route(), p.checkTargets())).toList());
    }

    /** The engine that forwards, chosen at start. */
    public Engine engine() {
        return engine;
    }

    /** The config in force (the latest one reloaded). */
    public Config config() {
        return config;
    }

    /** The bound address of each listener, in config order (the real ports when a route asked for 0). */
    public List<InetSocketAddress> addresses() {
        return listeners.running().stream().map(TcpListener::address).toList();
    }

    /** The bound address of each UDP route's listener, in config order (the real ports when a route asked for 0). */
    public List<InetSocketAddress> udpAddresses() {
        return listeners.udp().running().stream().map(UdpListener::address).toList();
    }

    /** UDP datagrams dropped, by route and reason ({@code featherlb_udp_dropped_total}); a removed route takes its counts with it. */
    public Map<String, Map<String, Long>> udpDrops() {
        Map<String, Map<String, Long>> all = new LinkedHashMap<>();
        for (UdpListener listener : listeners.udp().running()) {
            Map<String, Long> reasons = new LinkedHashMap<>();
            listener.drops().forEach((why, n) -> reasons.put(why.label(), n));
            all.put(listener.route().name(), reasons);
        }
        return all;
    }

    /** The UDP routes' listeners: sessions open and datagrams dropped, by route. */
    public List<UdpListener> udpListeners() {
        return listeners.udp().running();
    }

    /**
     * Connections closed before a route was chosen, by listening address ({@code tcp host:port})
     * and reason; an address a reload removed takes its counts with it.
     */
    public Map<String, Map<String, Long>> rejections() {
        Map<String, Map<String, Long>> all = new LinkedHashMap<>();
        for (TcpListener listener : listeners.running()) all.put(listener.table().key(), listener.rejections());
        return all;
    }

    /**
     * The rejections of the listening address that serves the route named {@code route} (as
     * {@link #rejections()}: shared by every route of that address), empty when no listener serves it.
     */
    public Map<String, Long> rejections(String route) {
        for (TcpListener listener : listeners.running()) {
            for (BackendPool pool : listener.table().pools()) {
                if (pool.route().name().equals(route)) return listener.rejections();
            }
        }
        return Map.of();
    }

    /**
     * Clients refused once their route was known, by route and reason ({@code no_endpoint},
     * {@code max_connections}, {@code per_client_connections}, {@code per_client_rate}); a route
     * keeps its counts while its address is bound.
     */
    public Map<String, Map<String, Long>> refusals() {
        Map<String, Map<String, Long>> all = new LinkedHashMap<>();
        for (TcpListener listener : listeners.running()) all.putAll(listener.refusalCounts());
        return all;
    }

    /** Connections closed for a timeout, by route and reason ({@code client_first_byte}, {@code idle}). */
    public Map<String, Map<String, Long>> timeouts() {
        Map<String, Map<String, Long>> all = new LinkedHashMap<>();
        for (TcpListener listener : listeners.running()) all.putAll(listener.timeoutCounts());
        return all;
    }

    /** The live endpoint state of each route, in config order. */
    public List<BackendPool> pools() {
        return pools.all();
    }

    /** Connections open now, all routes. */
    public int activeConnections() {
        return connections.size();
    }

    /** {@code on_down: close}: closes the connections open to {@code backend}, which just went down.
     * Runs on the thread that saw it go down (a check thread or a connection's loop). */
    private void wentDown(Backend backend) {
        listeners.udp().closeTo(backend);
        int closed = connections.closeTo(backend, Outcome.SHUTDOWN);
        if (closed > 0) LOG.log(INFO, "endpoint {0} is down: closed its {1} open connection(s)", backend.health().name(), closed);
    }

    private void reapLoop() {
        while (!stopping) {
            try {
                Thread.sleep(REAP_EVERY);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            connections.reap(now);
            for (TcpListener listener : listeners.running()) listener.flushRefusals(now);
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
            listeners.closeAll();
        }
        checks.close(); // outside the lock: it waits for the check threads to end
        discoveries.close(); // outside the lock too: a discovery may be waiting for it to hand over a change
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
        int closed = connections.closeAll(Outcome.SHUTDOWN);
        if (closed > 0) {
            LOG.log(WARNING, "grace period of {0} over: closed {1} connection(s) still open", Durations.format(grace), closed);
        }
        reaper.interrupt();
        threads.close(); // waits for dials by name, which hand their answer to a loop still running
        synchronized (this) {
            loops.forEach(EventLoop::stop); // each runs the closes queued above first
        }
        forwarders.close(); // their sockets are closed: each thread's blocked read or write has failed
        return closed;
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }
}
