package pool;

import algorithms.Algorithm;
import algorithms.Candidates;
import algorithms.Maglev;
import config.Route;
import health.HealthChecker;
import health.HealthState;
import java.util.BitSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.random.RandomGenerator;

/**
 * The endpoints of one route and the algorithm that spreads connections over them.
 *
 * <p>Primaries are asked first; backups only when no primary is usable. Each gets its own
 * algorithm instance, so that the state of one (round-robin positions, a Maglev table) is not
 * churned by asking the other. {@link #lease} holds a lock for the few nanoseconds of a pick:
 * algorithms are not thread-safe, and the lock lets this class be the {@link Candidates} view
 * itself, with the per-pick fields below, instead of allocating one per connection.
 *
 * <p>With slow start, weights are read through each endpoint's {@link HealthState} at one instant
 * per pick, so that an algorithm that reads a weight twice in a pick sees the same value twice.
 */
public final class BackendPool implements Candidates {
    private final Route route;
    private final Backend[] backends;
    private final Algorithm primaries;
    private final Algorithm backups;
    private final ReentrantLock lock = new ReentrantLock();
    private final boolean slowStart;

    // the view for the pick in progress; guarded by lock
    private boolean askBackups;
    private BitSet tried;
    private long pickNanos;

    public BackendPool(Route route, List<Backend> backends, RandomGenerator random) {
        this.route = route;
        this.backends = backends.toArray(Backend[]::new);
        this.primaries = route.strategy().create(random);
        this.backups = route.strategy().create(random);
        this.slowStart = HealthState.slowStarts(route) && !backends.isEmpty();
    }

    public Route route() {
        return route;
    }

    public List<Backend> backends() {
        return List.of(backends);
    }

    /**
     * Picks a backend for a new connection, counts it as active there, and returns the claim on it,
     * or null when none is usable. A half-open backend picked here gets this connection as its one
     * trial ({@link HealthState#claimTrial}), under the lock, so that the picks after it see it taken.
     *
     * @param clientKey a hash of the client address (see {@link #clientKey})
     * @param tried     endpoints (by index in {@link #backends()}) that already failed this
     *                  connection, or null
     */
    public Lease lease(long clientKey, BitSet tried) {
        lock.lock();
        try {
            this.tried = tried;
            askBackups = false;
            if (slowStart) pickNanos = backends[0].health().now();
            int picked = primaries.pick(this, clientKey);
            if (picked < 0) {
                askBackups = true;
                picked = backups.pick(this, clientKey);
            }
            if (picked < 0) return null;
            Backend b = backends[picked];
            b.assigned();
            return new Lease(b, picked, b.health().claimTrial());
        } finally {
            this.tried = null;
            lock.unlock();
        }
    }

    /**
     * With {@code strategy: iphash}, the {@link Maglev#fingerprint} of the table that answers now:
     * the primaries' while one is usable, else the backups' (0: none usable). Instances with the
     * same endpoints in force (same names, weights, health and drains) have the same fingerprint,
     * whatever the order of their endpoints; empty for every other strategy. Runs on the caller's
     * thread (a scrape, an API call) under the pick lock, for the time of a table build at most.
     */
    public OptionalLong maglevFingerprint() {
        if (!(primaries instanceof Maglev forPrimaries) || !(backups instanceof Maglev forBackups)) return OptionalLong.empty();
        lock.lock();
        try {
            tried = null;
            askBackups = false;
            if (slowStart) pickNanos = backends[0].health().now();
            long fingerprint = forPrimaries.fingerprint(this);
            if (fingerprint == 0) {
                askBackups = true;
                fingerprint = forBackups.fingerprint(this);
            }
            return OptionalLong.of(fingerprint);
        } finally {
            lock.unlock();
        }
    }

    /** What the health checker checks: every backend's endpoint and state. */
    public List<HealthChecker.Target> checkTargets() {
        return java.util.Arrays.stream(backends).map(Backend::checkTarget).toList();
    }

    public Backend backend(int index) {
        return backends[index];
    }

    /** A well-mixed 64-bit hash of an address's bytes, the key for affinity algorithms. */
    public static long clientKey(byte[] address) {
        long h = 0xcbf29ce484222325L; // FNV-1a, then a murmur3 finaliser: cheap and well spread
        for (byte b : address) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        return h ^ (h >>> 33);
    }

    // Candidates: called by the algorithm during lease(), under the lock

    @Override
    public int size() {
        return backends.length;
    }

    @Override
    public String name(int i) {
        return backends[i].address();
    }

    @Override
    public int weight(int i) {
        Backend b = backends[i];
        return slowStart ? b.health().rampedWeight(b.weight(), pickNanos) : b.weight();
    }

    @Override
    public boolean available(int i) {
        Backend b = backends[i];
        return b.endpoint().backup() == askBackups && b.usable() && (tried == null || !tried.get(i));
    }

    @Override
    public int active(int i) {
        return backends[i].active();
    }
}
