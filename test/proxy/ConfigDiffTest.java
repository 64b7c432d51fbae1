package proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import algorithms.Strategy;
import config.Admin;
import config.Config;
import config.Endpoint;
import config.Route;
import config.Timeouts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@link ConfigDiff} on configs built in code: what each kind of change is called. */
class ConfigDiffTest {
    private static Route route(String name, int port, Endpoint... endpoints) {
        return new Route(name, "127.0.0.1", port, Strategy.ROUNDROBIN, List.of(endpoints), Timeouts.DEFAULTS, 0, Route.DEFAULT_RETRIES);
    }

    private static Config config(Route... routes) {
        return new Config(Path.of("test.yaml"), List.of(routes), Duration.ofSeconds(10));
    }

    @Test
    void anIdenticalConfigIsUnchangedAndEveryRouteKept() {
        Config c = config(route("a", 1000, new Endpoint("h", 1, 1, false)), route("b", 1001, new Endpoint("h", 2, 1, false)));
        ConfigDiff diff = ConfigDiff.between(c, c);
        assertTrue(diff.none());
        assertEquals("unchanged", diff.summary());
        assertEquals(List.of("a", "b"), diff.kept());
    }

    @Test
    void aWeightAloneIsAReweightAndAnythingMoreAChangeThatSaysWhat() {
        Config before = config(route("a", 1000, new Endpoint("h", 1, 1, false), new Endpoint("h", 2, 1, false), new Endpoint("h", 3, 2, false)));
        Config after = config(route("a", 1000, new Endpoint("h", 1, 5, false), new Endpoint("h", 2, 1, true), new Endpoint("h", 3, 2, false)));
        ConfigDiff.EndpointChanges e = ConfigDiff.between(before, after).changed().getFirst().endpoints();
        assertEquals(List.of(new ConfigDiff.Reweight("h:1", 1, 5)), e.reweighted());
        assertEquals(List.of("h:2 (backup: false -> true)"), e.changed());
        assertEquals(List.of("h:3"), e.kept());
        assertEquals(List.of(), e.added());
        assertEquals(List.of(), e.removed());
    }

    @Test
    void topLevelSettingsThatOnlyARestartAppliesSaySo() {
        Config before = config(route("a", 1000, new Endpoint("h", 1, 1, false)));
        Config after = new Config(Path.of("test.yaml"), before.routes(), Duration.ofSeconds(30), false,
                Optional.of(new Admin("127.0.0.1", 9900, null)), before.accessLog());
        ConfigDiff diff = ConfigDiff.between(before, after);
        assertEquals(List.of("shutdown_grace: 10s -> 30s", "admin: off -> 127.0.0.1:9900 (at the next start)"), diff.settings());
        assertEquals("no route changed", diff.summary());
        assertEquals(List.of("a"), diff.kept());
    }
}
