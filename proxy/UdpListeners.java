package proxy;

import static java.lang.System.Logger.Level.INFO;

import config.Config;
import config.Protocol;
import config.ProxyProtocol;
import config.Route;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import loop.EventLoop;
import pool.Backend;
import pool.BackendPool;
import pool.Pools;
import proxyproto.HeaderEncoder;
import traffic.ConnectionRecord;
import udp.UdpListener;

/**
 * The UDP listeners, one per UDP route (a UDP address has one route: nothing in a datagram chooses
 * among several), and what a reload changes of them, in the same two phases as {@link Listeners}
 * (which calls this): {@link #prepare} binds the new addresses, {@link #commit} swaps. Each listener
 * and its sessions live on one event loop, the loops taken in turn.
 */
final class UdpListeners {
    private static final System.Logger LOG = System.getLogger(UdpListeners.class.getName());

    /** send_proxy: v2 on a UDP route (or endpoint): a UDP4/UDP6 header before each datagram. */
    private static final UdpListener.Header PROXY_V2 = (route, endpoint, client, destination) ->
            route.proxy().sendTo(endpoint) == ProxyProtocol.Send.V2 ? HeaderEncoder.v2Udp(client, destination) : null;

    private final Consumer<ConnectionRecord> finished;
    private volatile List<UdpListener> running = List.of(); // replaced whole by commit()
    private Map<String, UdpListener> byKey = Map.of(); // the same, by key(route); under the server's lock
    private int nextLoop; // under the server's lock, as every call here

    UdpListeners(Consumer<ConnectionRecord> finished) {
        this.finished = finished;
    }

    List<UdpListener> running() {
        return running;
    }

    /** The pool that served {@code route}'s address before (a renamed route keeps its backends), or null. */
    BackendPool before(Route route) {
        UdpListener l = byKey.get(key(route));
        return l == null ? null : l.pool();
    }

    /** A reload in its first phase: the new addresses bound, nothing swapped yet. */
    final class Prepared {
        private final Map<UdpListener, Route> kept = new HashMap<>();
        private final List<UdpListener> opened = new ArrayList<>();
        private final List<UdpListener> after = new ArrayList<>();
        private final Map<String, UdpListener> afterByKey = new HashMap<>();

        /** Closes what was bound: the reload failed. */
        void abandon() {
            opened.forEach(UdpListener::close);
        }
    }

    Prepared prepare(Config next, Pools.Change change, List<EventLoop> loops) throws IOException {
        Map<String, UdpListener> left = new HashMap<>(byKey);
        Prepared prepared = new Prepared();
        try {
            for (Route route : next.routes()) {
                if (route.protocol() != Protocol.UDP) continue;
                UdpListener kept = left.remove(key(route));
                if (kept != null) {
                    prepared.afterByKey.put(key(route), kept);
                    prepared.kept.put(kept, route);
                    prepared.after.add(kept);
                } else {
                    EventLoop loop = loops.get(nextLoop++ % loops.size());
                    UdpListener listener = new UdpListener(route, change.slot(route.name()), loop, finished, next.reusePort(), PROXY_V2);
                    prepared.opened.add(listener);
                    prepared.afterByKey.put(key(route), listener);
                    prepared.after.add(listener);
                }
            }
        } catch (IOException e) {
            prepared.abandon();
            throw e;
        }
        return prepared;
    }

    /** The second phase, after the pools' commit: kept listeners swap, new ones start, removed ones close. */
    void commit(Prepared prepared, Pools.Change change) {
        List<UdpListener> before = running;
        prepared.kept.forEach((listener, route) -> listener.swap(route, change.slot(route.name())));
        running = List.copyOf(prepared.after);
        byKey = Map.copyOf(prepared.afterByKey);
        for (UdpListener listener : prepared.opened) {
            listener.start();
            Route route = listener.route();
            LOG.log(INFO, "route {0}: listening on udp {1}, {2} over {3}", route.name(), listener.address().getAddress().getHostAddress()
                    + ":" + listener.address().getPort(), route.strategy().configName(), route.endpoints().stream()
                    .map(e -> e.address() + (e.weight() != 1 ? " weight " + e.weight() : "") + (e.backup() ? " backup" : ""))
                    .collect(Collectors.joining(", ")));
        }
        for (UdpListener listener : before) {
            if (prepared.kept.containsKey(listener)) continue;
            int sessions = listener.sessions();
            listener.close();
            LOG.log(INFO, "route {0}: removed, stopped listening on udp {1}; its {2} session(s) ended",
                    listener.route().name(), listener.route().listenAddress(), sessions);
        }
    }

    /** Ends the sessions to {@code backend}, which went down with {@code on_down: close}. */
    void closeTo(Backend backend) {
        running.forEach(l -> l.closeTo(backend));
    }

    /** Stops every listener; their sessions end (a reply could only come back through the listening socket). */
    void closeAll() {
        running.forEach(UdpListener::close);
    }

    /** As {@link Listeners}' key: port 0 asks for a port of its own, kept by the route's name. */
    static String key(Route route) {
        return route.port() == 0 ? route.listenKey() + " " + route.name() : route.listenKey();
    }
}
