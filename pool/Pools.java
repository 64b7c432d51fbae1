package pool;

import config.Endpoint;
import config.Route;
import health.Ticker;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * Every route's pool, by route name: the one owner of the endpoint sets, which a reload
 * ({@link #prepare} for a whole config) and a discovery source ({@link #replace} for one route's
 * endpoints) both update, carrying live state over by one rule: a backend whose route and
 * {@code host:port} stay is kept, with its health, draining, active connections and counters
 * ({@link Backend#reconfigure} says what of the new endpoint it takes).
 *
 * <p>Listeners do not hold pools but {@link Slot}s, one per route, whose pool a change swaps whole:
 * new connections see the new endpoints at once, connections already open keep the pool (and
 * backend) they started with.
 *
 * <p>Threads: changes take this object's monitor; {@link Slot#pool()} is a volatile read.
 */
public final class Pools {
    private final Ticker ticker;
    private final RandomGenerator random;
    private final Consumer<Backend> wentDown;
    private final Map<String, Slot> slots = new LinkedHashMap<>(); // guarded by this

    /** Where a route's pool is: what a listener's route table holds. */
    public static final class Slot {
        private volatile BackendPool pool;

        private Slot(BackendPool pool) {
            this.pool = pool;
        }

        /** The pool in force: its route and its backends. */
        public BackendPool pool() {
            return pool;
        }
    }

    /**
     * @param wentDown told when a backend goes down and its route says {@code on_down: close}
     * @param ticker   the clock of passive cool-downs and slow start (tests move it on by hand)
     */
    public Pools(Ticker ticker, RandomGenerator random, Consumer<Backend> wentDown) {
        this.ticker = ticker;
        this.random = random;
        this.wentDown = wentDown;
    }

    /** The slot of the route named {@code name}, or null. */
    public synchronized Slot slot(String name) {
        return slots.get(name);
    }

    /** The pools in force, in config order. */
    public synchronized List<BackendPool> all() {
        return slots.values().stream().map(Slot::pool).toList();
    }

    /**
     * The first phase of a reload: the pools of {@code routes}, built but not in force, so that a
     * reload that fails later (a port that cannot be bound) changes nothing. Backends come from the
     * running pool of the same route name, else from {@code before} (the pool that served the
     * route's listening address, for a route that was renamed), else are new.
     */
    public synchronized Change prepare(List<Route> routes, Function<Route, BackendPool> before) {
        Map<String, Slot> next = new LinkedHashMap<>();
        Map<Slot, BackendPool> pools = new LinkedHashMap<>();
        List<Runnable> carried = new ArrayList<>();
        for (Route route : routes) {
            Slot running = slots.get(route.name());
            BackendPool old = running != null ? running.pool : before.apply(route);
            Slot slot = running != null ? running : new Slot(null);
            next.put(route.name(), slot);
            pools.put(slot, new BackendPool(route, carry(old, route, carried), random));
        }
        return new Change(next, pools, carried);
    }

    /** A prepared reload: {@link #commit} puts it in force. */
    public final class Change {
        private final Map<String, Slot> next;
        private final Map<Slot, BackendPool> pools;
        private final List<Runnable> carried;

        private Change(Map<String, Slot> next, Map<Slot, BackendPool> pools, List<Runnable> carried) {
            this.next = next;
            this.pools = pools;
            this.carried = carried;
        }

        /** The slot route {@code name} will have. */
        public Slot slot(String name) {
            return next.get(name);
        }

        /** Swaps every route's pool in; routes no longer in the config lose their slot. */
        public void commit() {
            synchronized (Pools.this) {
                carried.forEach(Runnable::run);
                pools.forEach((slot, pool) -> slot.pool = pool);
                slots.clear();
                slots.putAll(next);
            }
        }
    }

    /**
     * A discovery source's new endpoint set for the route named {@code name}: swapped in at once,
     * by the same rule as a reload. Returns the new pool, or null when there is no such route.
     */
    public synchronized BackendPool replace(String name, List<Endpoint> endpoints) {
        Slot slot = slots.get(name);
        if (slot == null) return null;
        List<Runnable> carried = new ArrayList<>();
        Route route = slot.pool.route().withEndpoints(endpoints);
        BackendPool pool = new BackendPool(route, carry(slot.pool, route, carried), random);
        carried.forEach(Runnable::run);
        slot.pool = pool;
        return pool;
    }

    /**
     * The backends for {@code route}: the old pool's where the address is the same, new ones
     * otherwise. What a kept backend takes from the new config is applied by {@code carried}, later.
     */
    private List<Backend> carry(BackendPool old, Route route, List<Runnable> carried) {
        Map<String, Backend> live = new HashMap<>();
        if (old != null) old.backends().forEach(b -> live.put(b.address(), b));
        List<Backend> backends = new ArrayList<>();
        for (Endpoint endpoint : route.endpoints()) {
            Backend kept = live.get(endpoint.address());
            if (kept != null) {
                carried.add(() -> {
                    kept.reconfigure(endpoint);
                    kept.health().reconfigure(route, endpoint);
                });
                backends.add(kept);
            } else {
                Backend joined = new Backend(endpoint, route, ticker, wentDown);
                if (old != null) carried.add(joined.health()::joined); // slow start, from the moment it is in force
                backends.add(joined);
            }
        }
        return backends;
    }
}
