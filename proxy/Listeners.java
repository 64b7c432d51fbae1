package proxy;

import static java.lang.System.Logger.Level.INFO;

import config.Config;
import config.Route;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import loop.EventLoop;
import pool.BackendPool;
import pool.Pools;
import routing.RouteTable;
import tcp.Pipeline;
import tcp.TcpListener;

/**
 * The listening sockets, one per listening address ({@code protocol host:port}), each with the
 * route table of the routes bound to it, and what a reload changes of them ({@link #apply}). The
 * server calls it under its lock.
 */
final class Listeners {
    private static final System.Logger LOG = System.getLogger(Listeners.class.getName());

    private final Pipeline pipeline;
    private final Pools pools;
    private final UdpListeners udp;
    private volatile List<TcpListener> running = List.of(); // replaced whole by apply()

    Listeners(Pipeline pipeline, Pools pools, UdpListeners udp) {
        this.pipeline = pipeline;
        this.pools = pools;
        this.udp = udp;
    }

    /** The UDP routes' listeners. */
    UdpListeners udp() {
        return udp;
    }

    List<TcpListener> running() {
        return running;
    }

    /** What the route's discover items add to its listed endpoints, for the log line of a new listener. */
    private static String discovered(Route route) {
        var sources = route.discovery().sources();
        if (sources.isEmpty()) return "";
        return (route.endpoints().isEmpty() ? "" : ", ") + "what " + sources.stream().map(config.Discovery.Source::describe)
                .collect(Collectors.joining(", ")) + " find" + (sources.size() == 1 ? "s" : "") + " in DNS";
    }

    /**
     * Makes the running listeners match {@code next}, in two phases so that a failure changes
     * nothing: first bind every new listening address and build every route's pool, then swap.
     * An address that stays keeps its listening socket, so there is no moment without a listener;
     * its new route table (strategy, endpoints, weights, timeouts, limit) serves new connections at
     * once. Endpoints that stay keep their live state ({@link Pools}). Connections already open
     * keep running on the pool and endpoint they started with, even one the new config removed.
     * Listeners of removed addresses stop accepting; their connections drain.
     *
     * What changed is {@link ConfigDiff}'s to say; this logs what each listener did.
     *
     * @throws IOException when a new listening address cannot be bound; then nothing has changed
     */
    void apply(Config next, List<EventLoop> loops) throws IOException {
        List<TcpListener> before = running;
        Map<String, TcpListener> byKey = new HashMap<>();
        for (TcpListener l : before) byKey.put(l.table().key(), l);
        Map<String, List<Route>> grouped = new LinkedHashMap<>(); // by listening address, in config order
        for (Route route : next.routes()) {
            if (route.protocol() != config.Protocol.UDP) grouped.computeIfAbsent(key(route), k -> new ArrayList<>()).add(route);
        }

        // a renamed route on a kept address carries the backends of the pool that served the address;
        // among routes that share an address (by server name) a new name is a new route
        Pools.Change change = pools.prepare(next.routes(), route -> {
            if (route.protocol() == config.Protocol.UDP) return udp.before(route);
            TcpListener kept = byKey.get(key(route));
            if (kept == null || kept.table().pools().size() != 1 || grouped.get(key(route)).size() != 1) return null;
            return kept.table().pools().getFirst();
        });
        List<TcpListener> after = new ArrayList<>();
        Map<TcpListener, RouteTable> swaps = new LinkedHashMap<>();
        List<TcpListener> opened = new ArrayList<>();
        UdpListeners.Prepared udpPrepared = null;
        try {
            udpPrepared = udp.prepare(next, change, loops);
            for (var entry : grouped.entrySet()) {
                RouteTable table = new RouteTable(entry.getKey(), entry.getValue(), entry.getValue().stream().map(r -> change.slot(r.name())).toList());
                TcpListener kept = byKey.get(entry.getKey());
                if (kept != null) {
                    swaps.put(kept, table);
                    after.add(kept);
                } else {
                    TcpListener listener = new TcpListener(pipeline, table, next.reusePort());
                    opened.add(listener);
                    after.add(listener);
                }
            }
        } catch (IOException e) {
            opened.forEach(TcpListener::close);
            if (udpPrepared != null) udpPrepared.abandon();
            throw e;
        }
        change.commit();
        swaps.forEach(TcpListener::swap);
        running = List.copyOf(after);
        for (TcpListener listener : opened) {
            listener.start(loops);
            for (BackendPool pool : listener.table().pools()) {
                Route route = pool.route();
                LOG.log(INFO, "route {0}: listening on {1}, {2} over {3}", route.name(), address(listener.address()),
                        route.strategy().configName(), route.endpoints().stream()
                                .map(e -> e.address() + (e.weight() != 1 ? " weight " + e.weight() : "") + (e.backup() ? " backup" : ""))
                                .collect(Collectors.joining(", ")) + discovered(route));
            }
        }
        for (TcpListener listener : before) {
            if (!swaps.containsKey(listener)) {
                listener.close();
                Route route = listener.table().first();
                LOG.log(INFO, "route {0}: removed, stopped listening on {1}; its open connections finish",
                        route.name(), route.listenAddress());
            }
        }
        udp.commit(udpPrepared, change);
    }

    /**
     * The listener a route is bound to. Port 0 asks for a free port of its own: such routes (tests,
     * tools) never share a listener, and a reload keeps one by the route's name.
     */
    private static String key(Route route) {
        return route.port() == 0 ? route.listenKey() + " " + route.name() : route.listenKey();
    }

    /** Stops accepting on every address. */
    void closeAll() {
        running.forEach(TcpListener::close);
        udp.closeAll();
    }

    private static String address(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }
}
