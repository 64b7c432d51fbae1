package routing;

import config.Route;
import config.Sni;
import java.util.List;
import pool.BackendPool;
import pool.Pools;

/**
 * The routes bound to one listening address ({@code protocol host:port}), and which of them serves
 * a connection, given what its preamble learned ({@link #match}). One route per address is the
 * common case and costs one volatile read; routes that share an address are told apart by the TLS
 * server name of the ClientHello ({@link ServerNames}: exact, then wildcard, then the default).
 *
 * <p>Immutable: a reload builds a new table for a kept listener and swaps it whole. The routes'
 * pools are read through their {@link Pools.Slot}s, so an endpoint set that changes at run time (a
 * discovery source) needs no new table.
 */
public final class RouteTable {
    private final String key;
    private final List<Route> config;
    private final List<Pools.Slot> routes;
    private final Pools.Slot only; // the one route of the address, unless there are several or it has sni
    private final ServerNames names; // when routed by server name, else null

    /**
     * @param config the routes as configured, in config order, at least one
     * @param routes their slots, in the same order (a reload's slots get their pools when it commits)
     */
    public RouteTable(String key, List<Route> config, List<Pools.Slot> routes) {
        if (routes.isEmpty() || routes.size() != config.size()) throw new IllegalArgumentException("a route table needs a slot per route");
        this.key = key;
        this.config = List.copyOf(config);
        this.routes = List.copyOf(routes);
        boolean byName = config.stream().anyMatch(r -> r.sni().routed());
        this.only = routes.size() == 1 && !byName ? routes.getFirst() : null;
        this.names = byName ? new ServerNames(config) : null;
    }

    /** {@code protocol host:port}: the listening address the routes share. */
    public String key() {
        return key;
    }

    /** The pool that serves a connection whose start said {@code learned}, or null when none does. */
    public BackendPool match(Learned learned) {
        if (only != null) return only.pool();
        if (names == null) return routes.getFirst().pool(); // several routes without sni: the loader refuses that
        int i = names.match(learned.serverName());
        return i < 0 ? null : routes.get(i).pool();
    }

    /**
     * The address's TLS routing: its routes' {@code sni_timeout} (one value, the loader's rule), or
     * null when no route of the address is chosen by server name.
     */
    public Sni sni() {
        return names == null ? null : config.getFirst().sni();
    }

    /**
     * The route of an address alone on it (with or without {@code sni}), or null: its {@code
     * max_connections} applies before accept; a route that shares its address counts its own once
     * the route is known.
     */
    public Route alone() {
        return config.size() == 1 ? config.getFirst() : null;
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
