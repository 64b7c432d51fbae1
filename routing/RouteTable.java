package routing;

import config.Route;
import java.util.List;
import pool.BackendPool;
import pool.Pools;

/**
 * The routes bound to one listening address ({@code protocol host:port}), and which of them serves
 * a connection, given what its preamble learned ({@link #match}). One route per address is the
 * common case and costs one volatile read; routes that share an address are told apart by what the
 * start of the connection says (the TLS server name, once SNI routing lands).
 *
 * <p>Immutable: a reload builds a new table for a kept listener and swaps it whole. The routes'
 * pools are read through their {@link Pools.Slot}s, so an endpoint set that changes at run time (a
 * discovery source) needs no new table.
 */
public final class RouteTable {
    private final String key;
    private final List<Route> config;
    private final List<Pools.Slot> routes;
    private final Pools.Slot only; // the one route of the address, or null when there are several

    /**
     * @param config the routes as configured, in config order, at least one
     * @param routes their slots, in the same order (a reload's slots get their pools when it commits)
     */
    public RouteTable(String key, List<Route> config, List<Pools.Slot> routes) {
        if (routes.isEmpty() || routes.size() != config.size()) throw new IllegalArgumentException("a route table needs a slot per route");
        this.key = key;
        this.config = List.copyOf(config);
        this.routes = List.copyOf(routes);
        this.only = routes.size() == 1 ? routes.getFirst() : null;
    }

    /** {@code protocol host:port}: the listening address the routes share. */
    public String key() {
        return key;
    }

    /** The pool that serves a connection whose start said {@code learned}, or null when none does. */
    public BackendPool match(Learned learned) {
        if (only != null) return only.pool();
        return routes.getFirst().pool(); // several routes on one address come with SNI routing
    }

    /** The route of an address alone on it, or null: its {@code max_connections} applies before accept. */
    public Route alone() {
        return only == null ? null : config.getFirst();
    }

    /** The first route in config order: names the address in logs when no route is chosen yet. */
    public Route first() {
        return config.getFirst();
    }

    /** The pools of the address, in config order. */
    public List<BackendPool> pools() {
        return routes.stream().map(Pools.Slot::pool).toList();
    }
}
