package config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;

/**
 * The config's rules across routes, for {@link ConfigLoader}: which routes share a listening address
 * (and so form a route table), which collide, and what the routes of one table must agree on
 * because it is read before the route is known.
 */
final class ListenAddresses {
    private ListenAddresses() {
    }

    /** A route as read, with the nodes the checks across the routes of an address point at. */
    record Read(Route route, MappingNode node, boolean named, Map<String, Node> sniNodes, Node sniTimeout, Node acceptProxy) {
        int line() {
            return node.getStartMark().getLine() + 1;
        }
    }

    /**
     * The rules across routes: routes on one listening address ({@code protocol host:port}, the
     * host as written) form a route table when some of them are chosen by server name ({@code
     * sni}); any other pair on one port collides where a host is the same or a wildcard. Each route
     * of a table gets the address's {@code sni_timeout}. Returns the routes in config order.
     */
    static List<Route> check(Problems problems, List<Read> read) {
        Map<String, List<Read>> byAddress = new LinkedHashMap<>();
        for (Read r : read) byAddress.computeIfAbsent(r.route.listenKey(), k -> new ArrayList<>()).add(r);
        Map<Read, Route> tabled = new HashMap<>();
        Map<String, List<Read>> byPort = new HashMap<>(); // the first route of each address, by protocol and port
        for (List<Read> address : byAddress.values()) {
            Read first = address.getFirst();
            List<Read> samePort = byPort.computeIfAbsent(first.route.protocol().configName() + " " + first.route.port(), p -> new ArrayList<>());
            for (Read other : samePort) {
                if (isWildcard(other.route.host()) || isWildcard(first.route.host())) {
                    for (Read r : address) duplicateListen(problems, r, other);
                    break;
                }
            }
            samePort.add(first);
            if (address.size() == 1 && !first.route.sni().routed()) continue;
            if (address.stream().noneMatch(r -> r.route.sni().routed())) {
                for (Read r : address.subList(1, address.size())) duplicateListen(problems, r, first);
                continue;
            }
            Sni shared = table(problems, address);
            for (Read r : address) tabled.put(r, r.route.withSni(new Sni(r.route.sni().names(), shared.timeout())));
        }
        return read.stream().map(r -> tabled.getOrDefault(r, r.route)).toList();
    }

    private static void duplicateListen(Problems problems, Read route, Read other) {
        problems.at(route.node, "duplicate listen address " + route.route.listenAddress() + " (expected an address and port not already used by route '"
                + other.route.name() + "' at line " + other.line() + ")");
    }

    /**
     * The checks of a route table (routes of one address, some with {@code sni}): each its own
     * name, at most one default, each server name on one route, one {@code sni_timeout}, one
     * {@code accept_proxy} (the first route's: the server reads it from there). Returns the
     * address's {@code sni_timeout}.
     */
    private static Sni table(Problems problems, List<Read> address) {
        String listen = address.getFirst().route.listenKey();
        boolean shared = address.size() > 1;
        Read fallback = null;
        Map<String, Read> owners = new HashMap<>();
        Read timed = null;
        Read first = address.getFirst();
        for (Read r : address) {
            if (shared && !r.named) {
                problems.at(r.node, "route '" + r.route.name() + "' shares " + listen + " with other routes and has no 'name'"
                        + " (expected a name of its own: the default host:port is the same for every route of the address)");
            }
            if (!r.route.sni().routed()) {
                if (fallback != null) {
                    problems.at(r.node, "route '" + r.route.name() + "' is a second route without sni on " + listen
                            + " (expected one default route per address; route '" + fallback.route.name() + "' at line " + fallback.line() + " is one)");
                } else {
                    fallback = r;
                }
            }
            for (var name : r.sniNodes.entrySet()) {
                Read owner = owners.putIfAbsent(name.getKey(), r);
                if (owner != null && owner != r) {
                    problems.at(name.getValue(), "server name '" + name.getKey() + "' is already routed to '" + owner.route.name() + "' at line "
                            + owner.line() + " (expected each server name on one route of " + listen + ")");
                }
            }
            if (r.sniTimeout != null) {
                if (timed != null && !timed.route.sni().timeout().equals(r.route.sni().timeout())) {
                    problems.at(r.sniTimeout, "sni_timeout " + Durations.format(r.route.sni().timeout()) + " differs from route '" + timed.route.name()
                            + "' at line " + timed.line() + " (expected one sni_timeout for " + listen + ": the ClientHello is read before the route is known)");
                } else if (timed == null) {
                    timed = r;
                }
            }
            if (r != first && !sameAccept(first.route.proxy().accept(), r.route.proxy().accept())) {
                String where = "route '" + first.route.name() + "' at line " + first.line();
                String expected = " (expected one accept_proxy for " + listen + ", the same from and timeout on each route: the PROXY header is read before the route is known)";
                if (r.acceptProxy != null) {
                    problems.at(r.acceptProxy, "accept_proxy of route '" + r.route.name() + "' differs from "
                            + (first.route.proxy().accept() == null ? where + ", which has none" : where) + expected);
                } else {
                    problems.at(r.node, "route '" + r.route.name() + "' has no accept_proxy and " + where + " has one" + expected);
                }
            }
        }
        return timed == null ? Sni.NONE : timed.route.sni();
    }


    /** The same PROXY header reading: both absent, or the same sources (in any order) and timeout. */
    private static boolean sameAccept(ProxyProtocol.Accept a, ProxyProtocol.Accept b) {
        if (a == null || b == null) return a == b;
        return Set.copyOf(a.from()).equals(Set.copyOf(b.from())) && a.timeout().equals(b.timeout());
    }

    private static boolean isWildcard(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") || host.equals("*");
    }
}
