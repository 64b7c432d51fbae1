package pool;

import config.Endpoint;
import config.Health;
import config.Route;
import dial.ConnectFailure;
import health.HealthChecker;
import health.HealthState;
import health.Ticker;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * The live state of one endpoint of one route (the configured endpoint is a {@link Endpoint}; its
 * live state is a backend, everywhere): whether it may take new connections, how many it has open,
 * and what it has carried. Shared by the forwarder (which counts), the health checker (which marks
 * it up or down) and the admin API (which drains it or sets its weight). Every field is safe to read
 * from any thread; writes are single fields, so no lock is needed. Up or down is decided by its
 * {@link HealthState}; the forwarder only asks.
 *
 * <p>Overrides from the admin API (drain, weight) follow one rule, the same for a reload and for a
 * discovery source: an override lasts until the config (or the source) changes that same value of
 * this endpoint. Draining has no value in the config, so it lasts until the API enables it again.
 */
public final class Backend {
    private volatile Endpoint endpoint;
    private final AtomicInteger active = new AtomicInteger();
    private final LongAdder connections = new LongAdder();
    private final LongAdder bytesUp = new LongAdder();
    private final LongAdder bytesDown = new LongAdder();
    private final LongAdder datagramsUp = new LongAdder();
    private final LongAdder datagramsDown = new LongAdder();
    private final LongAdder[] failures = new LongAdder[ConnectFailure.values().length];
    private final Timing connectTime = new Timing();
    private final Timing firstByteTime = new Timing();
    private final HealthState health;
    private volatile boolean draining;
    private volatile int weight;

    /** An endpoint with the default health rules (passive checks only), for tests and tools. */
    public Backend(Endpoint endpoint) {
        this(endpoint, null, Ticker.SYSTEM, null);
    }

    /**
     * An endpoint of {@code route} (null: default rules) with its health rules; {@code wentDown} is
     * told when it goes down if the route says {@code on_down: close}.
     */
    public Backend(Endpoint endpoint, Route route, Ticker ticker, Consumer<Backend> wentDown) {
        this.endpoint = endpoint;
        this.weight = endpoint.weight();
        for (int i = 0; i < failures.length; i++) failures[i] = new LongAdder();
        this.health = route == null
                ? new HealthState(endpoint.address(), Health.DEFAULTS, null, false, ticker, null)
                : HealthState.of(route, endpoint, ticker, () -> wentDown.accept(this));
    }

    public Endpoint endpoint() {
        return endpoint;
    }

    /**
     * A reload (or a discovery source) kept this endpoint ({@code host:port} unchanged): take the new
     * backup flag and checks, keep everything live (health, draining, active connections, counters).
     * The weight is the new config's where it changed the configured weight, else what it was (an
     * override from the API stays): see the class comment.
     */
    public void reconfigure(Endpoint changed) {
        if (!changed.address().equals(endpoint.address())) {
            throw new IllegalArgumentException(changed.address() + " is not " + endpoint.address());
        }
        if (changed.weight() != endpoint.weight()) this.weight = changed.weight();
        this.endpoint = changed;
    }

    /** What the health checker checks for this backend: its endpoint, and the state the results go to. */
    public HealthChecker.Target checkTarget() {
        return new HealthChecker.Target(endpoint, health);
    }

    /** {@code host:port}, the endpoint's identity. */
    public String address() {
        return endpoint.address();
    }

    /** Whether its health checks (active and passive) let it take connections. */
    public boolean up() {
        return health.usable();
    }

    /** Marks it up or down at once, as its checks would (they go on from there). */
    public void up(boolean up) {
        health.force(up);
    }

    public HealthState health() {
        return health;
    }

    public boolean draining() {
        return draining;
    }

    public void draining(boolean draining) {
        this.draining = draining;
    }

    public int weight() {
        return weight;
    }

    public void weight(int weight) {
        this.weight = weight;
    }

    /** Whether new connections may go here (up and not draining); backups are decided by the pool. */
    public boolean usable() {
        return !draining && weight > 0 && health.usable();
    }

    public int active() {
        return active.get();
    }

    /** Connections ever opened to this endpoint (successful connects). */
    public long connections() {
        return connections.sum();
    }

    /** A connection was assigned here: counted before the connect so leastconn sees it at once. */
    void assigned() {
        active.incrementAndGet();
    }

    /** The assigned connection ended, or its connect failed: only ever through its {@link Lease}. */
    void released() {
        active.decrementAndGet();
    }

    /** The connect succeeded: counted, and a passive health success. */
    public void connected() {
        opened();
        answered();
    }

    /** The connect succeeded: counted only; the health verdict waits for {@link #answered} (retry_on: empty-response). */
    public void opened() {
        connections.increment();
    }

    /** The endpoint proved alive (connected, or sent its first byte): ends a passive cool-down, clears failures. */
    public void answered() {
        health.connected();
    }

    /** A connect failed; the connection will be retried elsewhere or refused. */
    public void connectFailed(ConnectFailure why) {
        failures[why.ordinal()].increment();
        health.connectFailed(why);
    }

    /** Connects that failed for {@code why}, ever. */
    public long connectFailures(ConnectFailure why) {
        return failures[why.ordinal()].sum();
    }

    /** Bytes forwarded from clients to this endpoint ({@code upstream}); counted as they pass. */
    public void sentUp(int bytes) {
        bytesUp.add(bytes);
    }

    /** Bytes forwarded from this endpoint to clients ({@code downstream}). */
    public void sentDown(int bytes) {
        bytesDown.add(bytes);
    }

    /** A UDP datagram of {@code bytes} forwarded from a client to this endpoint. */
    public void datagramUp(int bytes) {
        datagramsUp.increment();
        bytesUp.add(bytes);
    }

    /** A UDP datagram of {@code bytes} forwarded from this endpoint to its client. */
    public void datagramDown(int bytes) {
        datagramsDown.increment();
        bytesDown.add(bytes);
    }

    public long datagramsUp() {
        return datagramsUp.sum();
    }

    public long datagramsDown() {
        return datagramsDown.sum();
    }

    /**
     * How long its successful connects took: from the connect's start (a name's resolution
     * included) to its completion; recorded by the dial, on the connection's loop.
     */
    public Timing connectTime() {
        return connectTime;
    }

    /**
     * How long it took to send its first byte on a connection: from the connect's completion to
     * the first byte read from it (connections it sent nothing on are not counted); recorded on the
     * connection's loop, by either engine.
     */
    public Timing firstByteTime() {
        return firstByteTime;
    }

    public long bytesUp() {
        return bytesUp.sum();
    }

    public long bytesDown() {
        return bytesDown.sum();
    }

    @Override
    public String toString() {
        return address();
    }
}
