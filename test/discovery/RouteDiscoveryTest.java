package discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import algorithms.Strategy;
import config.Discovery;
import config.Endpoint;
import config.Route;
import config.Timeouts;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** One route's discovery against an injected resolver: every kind of change, failures, SRV weights and priorities. */
class RouteDiscoveryTest {
    static final Discovery.Source BACKEND = new Discovery.Source(Discovery.Kind.DNS, "backend", 80, 1, false, null);
    static final Discovery.Source HEAVY = new Discovery.Source(Discovery.Kind.DNS, "heavy", 81, 5, true, null);
    static final Discovery.Source SRV = new Discovery.Source(Discovery.Kind.SRV, "_http._tcp.web.internal", 0, 1, false, null);

    /** Answers what the test put in, per name; a name set to null fails. */
    static final class FakeResolver implements Resolver {
        final Map<String, List<Found>> answers = new HashMap<>();
        final List<String> asked = new ArrayList<>();

        void answer(String name, Found... found) {
            answers.put(name, List.of(found));
        }

        void fail(String name) {
            answers.put(name, null);
        }

        @Override
        public List<Found> lookup(Discovery.Source source, Discovery.Nameserver nameserver, Duration timeout) throws IOException {
            asked.add(source.describe() + " @" + nameserver + " within " + timeout.toMillis() + "ms");
            List<Found> found = answers.getOrDefault(source.name(), List.of());
            if (found == null) throw new IOException("SERVFAIL");
            return found;
        }
    }

    /** The sets handed to the server, in order. */
    static final class Applied implements RouteDiscovery.Endpoints {
        final List<List<Endpoint>> sets = new ArrayList<>();
        boolean routeGone;

        @Override
        public boolean replace(RouteDiscovery from, List<Endpoint> endpoints) {
            if (routeGone) return false;
            sets.add(endpoints);
            return true;
        }

        List<String> last() {
            return sets.getLast().stream().map(e -> e.address() + " w" + e.weight() + (e.backup() ? " backup" : "") + " " + e.source()).toList();
        }
    }

    final FakeResolver dns = new FakeResolver();
    final Applied applied = new Applied();
    final Counts counts = new Counts();

    static Route route(Discovery.OnFailure onFailure, Discovery.Source... sources) {
        Discovery discovery = new Discovery(List.of(sources), Duration.ofMillis(500), new Discovery.Nameserver("127.0.0.1", 5353), onFailure);
        return new Route("web", "127.0.0.1", 8080, Strategy.ROUNDROBIN, List.of(new Endpoint("static1", 80, 1, false)), Timeouts.DEFAULTS, 0,
                Route.DEFAULT_RETRIES).withDiscovery(discovery);
    }

    RouteDiscovery discovery(Route route) {
        return new RouteDiscovery(route, dns, applied, counts, Map.of());
    }

    Map<String, Long> lookups() {
        Map<String, Long> m = new TreeMap<>();
        counts.lookups().forEach(c -> m.put(c.route() + " " + c.source() + " " + c.what(), c.value()));
        return m;
    }

    Map<String, Long> changes() {
        Map<String, Long> m = new TreeMap<>();
        counts.changes().forEach(c -> m.put(c.source() + " " + c.what(), c.value()));
        return m;
    }

    @Test
    void addressesJoinAndLeaveBesideTheListedOnesWhateverTheOrderOfTheAnswer() throws Exception {
        RouteDiscovery d = discovery(route(Discovery.OnFailure.KEEP, BACKEND));
        dns.answer("backend", Resolver.Found.address("10.0.0.8"), Resolver.Found.address("10.0.0.7"));
        assertTrue(d.lookUpOnce());
        assertEquals(List.of("static1:80 w1 config", "10.0.0.7:80 w1 dns:backend", "10.0.0.8:80 w1 dns:backend"), applied.last());
        assertEquals(List.of("dns backend @127.0.0.1:5353 within 2000ms"), dns.asked);

        // the same addresses in another order: no change, nothing handed over
        dns.answer("backend", Resolver.Found.address("10.0.0.7"), Resolver.Found.address("10.0.0.8"));
        d.lookUpOnce();
        assertEquals(1, applied.sets.size());

        // one added, one removed
        dns.answer("backend", Resolver.Found.address("10.0.0.9"), Resolver.Found.address("10.0.0.7"));
        d.lookUpOnce();
        assertEquals(List.of("static1:80 w1 config", "10.0.0.7:80 w1 dns:backend", "10.0.0.9:80 w1 dns:backend"), applied.last());
        assertEquals(Map.of("dns:backend added", 3L, "dns:backend removed", 1L), changes());
        assertEquals(Map.of("web dns:backend ok", 3L), lookups());
    }

    @Test
    void theItemsWeightAndBackupApplyToEveryAddressAndAnAddressListedOrFoundEarlierStaysAsItWas() throws Exception {
        RouteDiscovery d = discovery(route(Discovery.OnFailure.KEEP, BACKEND, HEAVY));
        dns.answer("backend", Resolver.Found.address("10.0.0.7"));
        dns.answer("heavy", Resolver.Found.address("10.0.0.7"), Resolver.Found.address("10.0.0.5"));
        d.lookUpOnce();
        // 10.0.0.7:81 is another endpoint than 10.0.0.7:80: an endpoint is its address and port
        assertEquals(List.of("static1:80 w1 config", "10.0.0.7:80 w1 dns:backend", "10.0.0.5:81 w5 backup dns:heavy",
                "10.0.0.7:81 w5 backup dns:heavy"), applied.last());

        Discovery.Source sameAsListed = new Discovery.Source(Discovery.Kind.DNS, "static", 80, 9, false, null);
        RouteDiscovery e = discovery(route(Discovery.OnFailure.KEEP, sameAsListed));
        dns.answer("static", Resolver.Found.address("static1"), Resolver.Found.address("10.0.0.1"));
        e.lookUpOnce();
        assertEquals(List.of("static1:80 w1 config", "10.0.0.1:80 w9 dns:static"), applied.last());
    }

    @Test
    void keepKeepsTheLastAnswerThroughFailuresAndEmptyAnswers() throws Exception {
        RouteDiscovery d = discovery(route(Discovery.OnFailure.KEEP, BACKEND));
        dns.answer("backend", Resolver.Found.address("10.0.0.7"));
        d.lookUpOnce();
        dns.fail("backend");
        d.lookUpOnce();
        dns.answer("backend");
        d.lookUpOnce();
        assertEquals(1, applied.sets.size(), "neither the failure nor the empty answer changed the set");
        assertEquals(List.of("static1:80 w1 config", "10.0.0.7:80 w1 dns:backend"), applied.last());
        assertEquals(Map.of("web dns:backend ok", 1L, "web dns:backend failed", 1L, "web dns:backend empty", 1L), lookups());
    }

    @Test
    void emptyTakesTheSourcesEndpointsOutOnAFailureOrAnEmptyAnswer() throws Exception {
        RouteDiscovery d = discovery(route(Discovery.OnFailure.EMPTY, BACKEND));
        dns.answer("backend", Resolver.Found.address("10.0.0.7"));
        d.lookUpOnce();
        dns.fail("backend");
        d.lookUpOnce();
        assertEquals(List.of("static1:80 w1 config"), applied.last());
        dns.answer("backend", Resolver.Found.address("10.0.0.7"));
        d.lookUpOnce();
        dns.answer("backend");
        d.lookUpOnce();
        assertEquals(List.of("static1:80 w1 config"), applied.last());
        assertEquals(4, applied.sets.size());
        assertEquals(Map.of("dns:backend added", 2L, "dns:backend removed", 2L), changes());
    }

    @Test
    void srvWeightsAreScaledAndTheLowestPriorityAreThePrimaries() throws Exception {
        RouteDiscovery d = discovery(route(Discovery.OnFailure.KEEP, SRV));
        dns.answer("_http._tcp.web.internal",
                new Resolver.Found("10.0.0.3", 8003, 20, 65535),
                new Resolver.Found("10.0.0.1", 8001, 10, 0),
                new Resolver.Found("10.0.0.2", 8002, 10, 32767),
                new Resolver.Found("10.0.0.4", 8004, 30, 65535));
        d.lookUpOnce();
        assertEquals(List.of("static1:80 w1 config", "10.0.0.1:8001 w1 srv:_http._tcp.web.internal", "10.0.0.2:8002 w128 srv:_http._tcp.web.internal",
                "10.0.0.3:8003 w256 backup srv:_http._tcp.web.internal", "10.0.0.4:8004 w256 backup srv:_http._tcp.web.internal"), applied.last());

        // a weight changed and the primaries left: the next priority is now the primaries
        dns.answer("_http._tcp.web.internal", new Resolver.Found("10.0.0.4", 8004, 30, 65535), new Resolver.Found("10.0.0.3", 8003, 20, 0));
        d.lookUpOnce();
        assertEquals(List.of("static1:80 w1 config", "10.0.0.3:8003 w1 srv:_http._tcp.web.internal",
                "10.0.0.4:8004 w256 backup srv:_http._tcp.web.internal"), applied.last());
        assertEquals(Map.of("srv:_http._tcp.web.internal added", 4L, "srv:_http._tcp.web.internal changed", 1L,
                "srv:_http._tcp.web.internal removed", 2L), changes());
    }

    @Test
    void srvWeightScaleCoversOneTo256() {
        assertEquals(1, RouteDiscovery.scaled(0));
        assertEquals(1, RouteDiscovery.scaled(256));
        assertEquals(2, RouteDiscovery.scaled(257));
        assertEquals(128, RouteDiscovery.scaled(32767));
        assertEquals(256, RouteDiscovery.scaled(65535));
    }

    @Test
    void answersKnownBeforeAReloadAreNotChangesAndOnlyTheSameLookupKeepsThem() throws Exception {
        Route route = route(Discovery.OnFailure.KEEP, BACKEND, HEAVY);
        Discovery.Source otherPort = new Discovery.Source(Discovery.Kind.DNS, "heavy", 82, 5, true, null);
        Map<Discovery.Source, List<Resolver.Found>> known = Map.of(
                new Discovery.Source(Discovery.Kind.DNS, "backend", 80, 3, true, null), List.of(Resolver.Found.address("10.0.0.7")),
                otherPort, List.of(Resolver.Found.address("10.0.0.5")));
        RouteDiscovery d = new RouteDiscovery(route, dns, applied, counts, known);
        assertEquals(List.of(BACKEND), List.copyOf(d.answers().keySet()), "a lookup of another port is another lookup");
        // the reloaded item's weight and backup apply to what was found before
        assertEquals(List.of("static1:80", "10.0.0.7:80"), RouteDiscovery.endpoints(route, d.answers()).stream().map(Endpoint::address).toList());
        dns.answer("backend", Resolver.Found.address("10.0.0.7"));
        d.lookUpOnce();
        assertTrue(applied.sets.isEmpty(), "the same answer again is no change: " + applied.sets);
        assertEquals(Map.of(), changes());
    }

    @Test
    void aDiscoveryWhoseRouteIsGoneEnds() throws Exception {
        RouteDiscovery d = discovery(route(Discovery.OnFailure.KEEP, BACKEND));
        applied.routeGone = true;
        dns.answer("backend", Resolver.Found.address("10.0.0.7"));
        assertFalse(d.lookUpOnce());
    }
}
