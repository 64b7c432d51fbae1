package routing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import algorithms.Strategy;
import config.Endpoint;
import config.Health;
import config.Protocol;
import config.Route;
import config.Sni;
import config.Timeouts;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which route of an address a server name picks: exact, then the one-label wildcard, then the default. */
class ServerNamesTest {
    private static Route route(String name, String... sni) {
        return new Route(name, "0.0.0.0", 8443, Strategy.ROUNDROBIN, List.of(new Endpoint(name, 443, 1, false)), Timeouts.DEFAULTS, 0, 3,
                Health.DEFAULTS, false, Protocol.TCP, new Sni(List.of(sni), Sni.DEFAULT_TIMEOUT));
    }

    private static final List<Route> ROUTES = List.of(
            route("app", "app.example.com", "*.app.example.com"),
            route("deep", "*.eu.app.example.com"),
            route("exact-under-wildcard", "special.app.example.com"),
            route("test", "*.a.test"),
            route("default"));

    @Test
    void exactNamesBeforeWildcardsAndTheLongestSuffixWins() {
        ServerNames names = new ServerNames(ROUTES);
        assertEquals(0, names.match("app.example.com"));
        assertEquals(0, names.match("x.app.example.com"));
        assertEquals(2, names.match("special.app.example.com"), "exact before the wildcard that also matches");
        assertEquals(1, names.match("x.eu.app.example.com"), "the longer wildcard suffix");
        assertEquals(0, names.match("eu.app.example.com"), "one label under *.app.example.com");
    }

    @Test
    void aWildcardStandsForExactlyOneLabel() {
        ServerNames names = new ServerNames(ROUTES);
        assertEquals(3, names.match("x.a.test"));
        assertEquals(4, names.match("a.test"), "not the wildcard's own suffix");
        assertEquals(4, names.match("x.y.a.test"), "not two labels");
        assertEquals(4, names.match(".a.test"), "not an empty label");
    }

    @Test
    void noNameOrAnUnknownOneGoesToTheDefaultAndWithoutOneToNone() {
        assertEquals(4, new ServerNames(ROUTES).match(null));
        assertEquals(4, new ServerNames(ROUTES).match("unknown.test"));
        ServerNames noDefault = new ServerNames(ROUTES.subList(0, 4));
        assertEquals(-1, noDefault.match(null));
        assertEquals(-1, noDefault.match("unknown.test"));
        assertEquals(0, noDefault.match("app.example.com"));
    }
}
