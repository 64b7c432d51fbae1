package history;

import static java.lang.System.Logger.Level.WARNING;

import dial.ConnectFailure;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import pool.Backend;
import pool.BackendPool;
import pool.Timing;

/**
 * The last five minutes of every endpoint, for the dashboard's charts: once a second, per
 * backend, the connections made in that second, the connects that failed in it, and the p99 of
 * the connects timed in it. Kept in memory, bounded: a ring of {@link #SAMPLES} per backend, and
 * backends that are gone from the pools (a reload removed them) are forgotten at the next sample.
 *
 * <p>Read from the backends' own counters ({@link Backend#connections}, its failures, its
 * {@link Timing} buckets), so it adds nothing to the forwarding path. Runs one platform thread,
 * {@code featherlb-history}, started by {@link #start} and ended by {@link #close}; readers (the
 * admin API's virtual threads) take a copy under the ring's lock.
 */
public final class History implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(History.class.getName());
    /** Five minutes of one sample a second. */
    public static final int SAMPLES = 300;
    public static final long INTERVAL_MS = 1000;

    private final Supplier<List<BackendPool>> pools;
    private final LongSupplier clock; // wall-clock ms, for the charts' time axis
    private final Map<Backend, Ring> rings = new IdentityHashMap<>(); // guarded by this
    private Thread thread; // guarded by this
    private boolean closed; // guarded by this

    /**
     * @param pools the pools now (asked anew at every sample, so that a reload's show up)
     * @param clock the wall clock in ms ({@code System::currentTimeMillis}; a test gives its own)
     */
    public History(Supplier<List<BackendPool>> pools, LongSupplier clock) {
        this.pools = pools;
        this.clock = clock;
    }

    /** One endpoint's series, oldest first, all of the same length. */
    public record Series(String route, String address, long[] timeMs, long[] connections, long[] failures, Double[] connectP99Ms) {
    }

    /** Starts sampling once a second on its own thread. */
    public synchronized History start() {
        if (thread != null) throw new IllegalStateException("already started");
        thread = Thread.ofPlatform().name("featherlb-history").daemon().start(this::run);
        return this;
    }

    private void run() {
        long next = System.nanoTime();
        while (true) {
            next += INTERVAL_MS * 1_000_000;
            synchronized (this) {
                try {
                    long wait;
                    while (!closed && (wait = next - System.nanoTime()) > 0) wait(Math.max(1, wait / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return; // only close() has a reason to
                }
                if (closed) return;
            }
            try {
                sample();
            } catch (RuntimeException e) {
                LOG.log(WARNING, "history: a sample failed (a bug); sampling goes on", e);
            }
        }
    }

    /** Takes one sample of every backend now (the thread's work; a test calls it itself). */
    public synchronized void sample() {
        long now = clock.getAsLong();
        Map<Backend, Ring> seen = new IdentityHashMap<>();
        for (BackendPool pool : pools.get()) {
            for (Backend b : pool.backends()) {
                Ring ring = rings.get(b);
                if (ring == null) ring = new Ring(b);
                ring.add(now, b);
                seen.put(b, ring);
            }
        }
        rings.clear();
        rings.putAll(seen);
    }

    /** Every endpoint's series, in the pools' order. */
    public synchronized List<Series> series() {
        List<Series> all = new ArrayList<>();
        for (BackendPool pool : pools.get()) {
            for (Backend b : pool.backends()) {
                Ring ring = rings.get(b);
                if (ring != null) all.add(ring.series(pool.route().name()));
            }
        }
        return all;
    }

    @Override
    public void close() {
        Thread started;
        synchronized (this) {
            closed = true;
            notifyAll();
            started = thread;
        }
        if (started == null) return;
        try {
            started.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One backend's samples; the counters' totals at the last sample, to take the next one's difference. */
    private static final class Ring {
        final Backend backend;
        final long[] timeMs = new long[SAMPLES];
        final long[] connections = new long[SAMPLES];
        final long[] failures = new long[SAMPLES];
        final Double[] p99 = new Double[SAMPLES];
        int next; // where the next sample goes
        int size;
        long lastConnections;
        long lastFailures;
        long[] lastBuckets;

        Ring(Backend backend) {
            this.backend = backend;
            this.lastConnections = backend.connections();
            this.lastFailures = failures(backend);
            this.lastBuckets = backend.connectTime().snapshot().counts();
        }

        /** The sample of the second that ended at {@code now}: what changed since the last. */
        void add(long now, Backend b) {
            long c = b.connections();
            long f = failures(b);
            Timing.Snapshot t = b.connectTime().snapshot();
            long[] delta = t.counts().clone();
            for (int i = 0; i < delta.length; i++) delta[i] -= lastBuckets[i];
            timeMs[next] = now;
            connections[next] = Math.max(0, c - lastConnections);
            failures[next] = Math.max(0, f - lastFailures);
            p99[next] = new Timing.Snapshot(delta, 0).quantileMillis(0.99);
            lastConnections = c;
            lastFailures = f;
            lastBuckets = t.counts();
            next = (next + 1) % SAMPLES;
            if (size < SAMPLES) size++;
        }

        Series series(String routeName) {
            long[] t = new long[size], c = new long[size], f = new long[size];
            Double[] p = new Double[size];
            int first = (next - size + SAMPLES) % SAMPLES;
            for (int i = 0; i < size; i++) {
                int at = (first + i) % SAMPLES;
                t[i] = timeMs[at];
                c[i] = connections[at];
                f[i] = failures[at];
                p[i] = p99[at];
            }
            return new Series(routeName, backend.address(), t, c, f, p);
        }

        private static long failures(Backend b) {
            long sum = 0;
            for (ConnectFailure why : ConnectFailure.values()) sum += b.connectFailures(why);
            return sum;
        }
    }
}
