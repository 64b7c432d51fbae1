package discovery;

import config.Config;
import config.Discovery;
import config.Route;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The owner of every route's discovery: one virtual thread per route that has {@code discover:}
 * items, started after the listeners (which never wait for a first answer), replaced whole by a
 * reload, ended by {@link #close}, which waits for the threads.
 *
 * <p>A reload keeps what the discoveries found: {@link #withKnown} gives the new config's routes the
 * endpoints their unchanged lookups found last, so that those endpoints stay (with their health,
 * counters and drain) instead of leaving until the next answer; {@link #restart} then starts the
 * new config's discoveries with those answers known.
 *
 * <p>Threads: the caller's (the server's, under its lock) for every method; a discovery's changes
 * reach the server through the {@link RouteDiscovery.Endpoints} given, which must drop a change
 * from a discovery that is no longer {@link #current}.
 */
public final class Discoveries implements AutoCloseable {
    private final Resolver resolver;
    private final Counts counts = new Counts();
    private final ExecutorService threads = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("featherlb-discovery-", 0).factory());
    private final Map<String, Running> running = new LinkedHashMap<>(); // by route name; guarded by this
    private boolean closed; // guarded by this

    private record Running(RouteDiscovery discovery, Future<?> thread) {
    }

    public Discoveries(Resolver resolver) {
        this.resolver = resolver;
    }

    public Counts counts() {
        return counts;
    }

    /**
     * {@code config} with each discovering route's endpoints made from its listed ones and what the
     * running discovery of the same route name found last, for the lookups the route still has.
     */
    public synchronized Config withKnown(Config config) {
        List<Route> routes = new ArrayList<>();
        for (Route route : config.routes()) {
            Running now = running.get(route.name());
            if (route.discovery().sources().isEmpty() || now == null) {
                routes.add(route);
                continue;
            }
            routes.add(route.withEndpoints(RouteDiscovery.endpoints(route, known(now, route))));
        }
        return config.withRoutes(routes);
    }

    /**
     * Ends the running discoveries and starts one for each route of {@code config} (as loaded, its
     * endpoints the listed ones) that has {@code discover:} items; each looks up at once.
     */
    public synchronized void restart(Config config, RouteDiscovery.Endpoints target) {
        if (closed) return;
        Map<String, Running> before = new LinkedHashMap<>(running);
        running.values().forEach(r -> r.thread().cancel(true));
        running.clear();
        for (Route route : config.routes()) {
            if (route.discovery().sources().isEmpty()) continue;
            Running old = before.get(route.name());
            RouteDiscovery discovery = new RouteDiscovery(route, resolver, target, counts, old == null ? Map.of() : known(old, route));
            running.put(route.name(), new Running(discovery, threads.submit(discovery)));
        }
    }

    /** Whether {@code discovery} is one of those running (not one a reload replaced). */
    public synchronized boolean current(RouteDiscovery discovery) {
        Running r = running.get(discovery.route().name());
        return r != null && r.discovery() == discovery;
    }

    /** The answers {@code old} found for the lookups {@code route} still has. */
    private static Map<Discovery.Source, List<Resolver.Found>> known(Running old, Route route) {
        Map<Discovery.Source, List<Resolver.Found>> known = new LinkedHashMap<>();
        old.discovery().answers().forEach((source, found) -> {
            for (Discovery.Source now : route.discovery().sources()) {
                if (now.sameLookup(source)) known.put(now, found);
            }
        });
        return known;
    }

    /** Ends every discovery and waits for its thread; a later restart starts none. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            running.values().forEach(r -> r.thread().cancel(true));
            running.clear();
        }
        threads.close(); // outside the lock: a thread handing over a change may be waiting for it
    }
}
