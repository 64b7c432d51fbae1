package discovery;

import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

import config.Discovery;
import config.Durations;
import config.Endpoint;
import config.Route;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One route's discovery: looks every {@code discover:} item up each {@code interval}, makes the
 * route's endpoint set from the listed endpoints and the answers, and hands a changed set to the
 * server ({@link Endpoints}). Each change is logged once, counted, and the set never depends on
 * the order of an answer (discovered endpoints are sorted by address).
 *
 * <p>Threads: {@link #run} on the route's own virtual thread (owned by {@link Discoveries}), which
 * ends when interrupted; {@link #answers} and the counters are read from any thread.
 */
public final class RouteDiscovery implements Runnable {
    private static final System.Logger LOG = System.getLogger(RouteDiscovery.class.getName());
    /**
     * How long a lookup (all its queries, SRV's targets too) waits before it has failed, whatever
     * the interval: a first lookup in a cold JVM took over 500 ms here (dnsjava's classes and
     * threads start), and a round that runs over the interval only starts the next one later.
     */
    public static final Duration TIMEOUT = Duration.ofSeconds(2);

    /**
     * Where a changed endpoint set goes: the server, which puts it in force for {@code from}'s route
     * unless {@code from} is no longer current (a reload replaced it) or the route is gone: false.
     */
    @FunctionalInterface
    public interface Endpoints {
        boolean replace(RouteDiscovery from, List<Endpoint> endpoints);
    }

    private final Route route; // its endpoints: the listed ones only
    private final Resolver resolver;
    private final Endpoints target;
    private final Counts counts;
    private final Map<Discovery.Source, List<Resolver.Found>> answers = new LinkedHashMap<>(); // guarded by this
    private final Set<Discovery.Source> failing = new HashSet<>(); // this thread only
    private List<Endpoint> current; // this thread only

    /**
     * @param route  the route as configured: {@code endpoints} are its listed ones
     * @param known  answers found before (by the discovery a reload replaced), by lookup; the
     *               endpoints they make are already in force
     */
    public RouteDiscovery(Route route, Resolver resolver, Endpoints target, Counts counts, Map<Discovery.Source, List<Resolver.Found>> known) {
        this.route = route;
        this.resolver = resolver;
        this.target = target;
        this.counts = counts;
        for (Discovery.Source source : route.discovery().sources()) {
            known.forEach((before, found) -> {
                if (before.sameLookup(source)) answers.put(source, found);
            });
        }
        this.current = endpoints(route, answers);
    }

    public Route route() {
        return route;
    }

    /** The last answer of each source that answered, for the discovery a reload starts next. */
    public synchronized Map<Discovery.Source, List<Resolver.Found>> answers() {
        return new LinkedHashMap<>(answers);
    }

    /** Looks up, applies, waits, until interrupted (a reload replaced this discovery, or the server stops). */
    @Override
    public void run() {
        long intervalNanos = route.discovery().interval().toNanos();
        try {
            while (!Thread.currentThread().isInterrupted()) {
                long started = System.nanoTime();
                if (!lookUpOnce()) return;
                long wait = intervalNanos - (System.nanoTime() - started);
                if (wait > 0) Thread.sleep(Duration.ofNanos(wait));
            }
        } catch (InterruptedException ended) {
            // the owner ended it: nothing more to do, the thread ends here
        }
    }

    /**
     * One round: every source looked up once, the new set applied if it changed. Returns false
     * when the route is gone (this discovery should end).
     */
    boolean lookUpOnce() throws InterruptedException {
        Discovery discovery = route.discovery();
        for (Discovery.Source source : discovery.sources()) {
            List<Resolver.Found> found;
            String result;
            try {
                found = resolver.lookup(source, discovery.nameserver(), TIMEOUT);
                result = found.isEmpty() ? "empty" : "ok";
            } catch (IOException e) {
                found = null;
                result = "failed";
                if (failing.add(source)) {
                    LOG.log(WARNING, "route {0}: {1} lookup failed: {2} ({3})", route.name(), source.describe(), e.getMessage(),
                            discovery.onFailure() == Discovery.OnFailure.KEEP ? "keeping the endpoints it gave before; asking again every "
                                    + Durations.format(discovery.interval()) : "on_failure: empty, its endpoints are taken out");
                }
            }
            counts.lookup(route.name(), source.label(), result);
            if (found != null && failing.remove(source)) {
                LOG.log(INFO, "route {0}: {1} answers again", route.name(), source.describe());
            }
            boolean keep = discovery.onFailure() == Discovery.OnFailure.KEEP && (found == null || found.isEmpty());
            if (!keep) {
                synchronized (this) {
                    answers.put(source, found == null ? List.of() : found);
                }
            }
        }
        List<Endpoint> next;
        synchronized (this) {
            next = endpoints(route, answers);
        }
        if (next.equals(current)) return true;
        if (!target.replace(this, next)) return false;
        logChanges(current, next);
        current = next;
        return true;
    }

    private void logChanges(List<Endpoint> before, List<Endpoint> after) {
        Map<String, Endpoint> old = byAddress(before);
        Map<String, Endpoint> now = byAddress(after);
        now.forEach((address, e) -> {
            Endpoint was = old.get(address);
            if (was == null) {
                changed(e, "added", "");
            } else if (!was.equals(e)) {
                changed(e, "changed", " (weight " + was.weight() + " -> " + e.weight() + (was.backup() != e.backup()
                        ? ", " + (e.backup() ? "now a backup" : "now a primary") : "") + ")");
            }
        });
        old.forEach((address, e) -> {
            if (!now.containsKey(address)) changed(e, "removed", "");
        });
    }

    private void changed(Endpoint e, String change, String more) {
        String by = e.source().replaceFirst(":", " ");
        LOG.log(INFO, "endpoint {0}/{1} {2} by {3}{4}", route.name(), e.address(), change, by, more);
        counts.change(route.name(), e.source(), change);
    }

    private static Map<String, Endpoint> byAddress(List<Endpoint> endpoints) {
        Map<String, Endpoint> map = new LinkedHashMap<>();
        for (Endpoint e : endpoints) map.put(e.address(), e);
        return map;
    }

    /**
     * The route's endpoint set: the listed endpoints in config order, then each source's in item
     * order, sorted by address within it. An address already in the set (listed, or found by an
     * earlier item) stays as it was: an endpoint is its address.
     */
    public static List<Endpoint> endpoints(Route route, Map<Discovery.Source, List<Resolver.Found>> answers) {
        List<Endpoint> all = new ArrayList<>(route.endpoints());
        Set<String> seen = new HashSet<>();
        for (Endpoint e : all) seen.add(e.address());
        for (Discovery.Source source : route.discovery().sources()) {
            List<Resolver.Found> found = answers.get(source);
            if (found == null) continue;
            List<Endpoint> made = new ArrayList<>();
            for (Endpoint e : endpoints(source, found)) {
                if (seen.add(e.address())) made.add(e);
            }
            made.sort(Comparator.comparing(Endpoint::address));
            all.addAll(made);
        }
        return all;
    }

    /**
     * What one source's answer makes. dns: each address at the item's port with its weight and
     * backup flag. srv: each target address at the record's port; the weight 0..65535 scaled to
     * 1..256 (a weight-0 record is still used, as RFC 2782 allows, with the least share); the
     * records of the lowest priority are the primaries, every other priority the backups.
     */
    static List<Endpoint> endpoints(Discovery.Source source, List<Resolver.Found> found) {
        List<Endpoint> made = new ArrayList<>();
        if (source.kind() == Discovery.Kind.DNS) {
            for (Resolver.Found f : found) {
                made.add(new Endpoint(f.address(), source.port(), source.weight(), source.backup(), source.check(), null, source.label()));
            }
            return made;
        }
        int primary = found.stream().mapToInt(Resolver.Found::priority).min().orElse(0);
        Map<String, Endpoint> byAddress = new HashMap<>();
        for (Resolver.Found f : found) {
            Endpoint e = new Endpoint(f.address(), f.port(), scaled(f.weight()), f.priority() != primary, source.check(), null, source.label());
            // one target in two records: the primary one, else the heavier, decides (answers come in any order)
            byAddress.merge(e.address(), e, (a, b) -> a.backup() != b.backup() ? (a.backup() ? b : a) : (a.weight() >= b.weight() ? a : b));
        }
        made.addAll(byAddress.values());
        return made;
    }

    /** An SRV weight 0..65535 as an endpoint weight 1..256. */
    static int scaled(int srvWeight) {
        return 1 + (int) ((long) Math.clamp(srvWeight, 0, 65535) * (Endpoint.MAX_WEIGHT - 1) / 65535);
    }

    @Override
    public String toString() {
        return "discovery of route " + route.name() + Objects.toString(route.discovery().sources());
    }
}
