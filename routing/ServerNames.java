package routing;

import config.Route;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which route of an address takes a TLS server name: an exact name first, then a {@code *.}
 * wildcard, then the route without {@code sni} (the address's default). A wildcard stands for
 * exactly one label ({@code *.a.test} takes {@code x.a.test}, neither {@code a.test} nor
 * {@code x.y.a.test}), so the one wildcard that can match a name is that of the name without its
 * first label: among wildcards the longest suffix that matches always wins, in one map lookup.
 * Names are lower case without a trailing dot, in the config (the loader) and from the ClientHello
 * alike. Immutable.
 */
final class ServerNames {
    private final Map<String, Integer> exact = new HashMap<>();
    private final Map<String, Integer> wildcards = new HashMap<>(); // by the suffix after "*."
    private final int fallback;

    /** Indexes into {@code routes}; the loader made sure that no name is on two routes, and at most one default. */
    ServerNames(List<Route> routes) {
        int none = -1;
        for (int i = 0; i < routes.size(); i++) {
            List<String> names = routes.get(i).sni().names();
            if (names.isEmpty() && none < 0) none = i;
            for (String name : names) {
                if (name.startsWith("*.")) wildcards.putIfAbsent(name.substring(2), i);
                else exact.putIfAbsent(name, i);
            }
        }
        fallback = none;
    }

    /** The index of the route that takes {@code serverName} (null: none was sent), or -1: none does. */
    int match(String serverName) {
        if (serverName == null) return fallback;
        Integer hit = exact.get(serverName);
        if (hit != null) return hit;
        int dot = serverName.indexOf('.');
        if (dot > 0) {
            hit = wildcards.get(serverName.substring(dot + 1));
            if (hit != null) return hit;
        }
        return fallback;
    }
}
