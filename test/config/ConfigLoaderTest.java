package config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import algorithms.Strategy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigLoaderTest {
    static final Path GOLDEN = Path.of("test/config/golden");

    /** Every {@code X.yaml} in golden/ that has an {@code X.txt}: the exact messages expected. */
    static Stream<String> broken() throws IOException {
        try (Stream<Path> files = Files.list(GOLDEN)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".txt"))
                    .map(n -> n.substring(0, n.length() - 4))
                    .sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("broken")
    void eachKindOfMistakeIsReportedWithLineAndColumn(String name) throws IOException {
        List<String> expected = Files.readAllLines(GOLDEN.resolve(name + ".txt"));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(GOLDEN.resolve(name + ".yaml")));
        assertEquals(expected, e.errors().stream().map(ConfigError::toString).toList());
    }

    @Test
    void theOriginalFormatLoadsUnchanged() throws Exception {
        Config config = ConfigLoader.load(GOLDEN.resolve("seed.yaml"));
        Route route = config.routes().getFirst();
        assertEquals(new Route("0.0.0.0:8080", "0.0.0.0", 8080, Strategy.RANDOM,
                List.of(new Endpoint("localhost", 8081, 1, false)), Timeouts.DEFAULTS, 0, 3), route);
        assertEquals(Config.DEFAULT_SHUTDOWN_GRACE, config.shutdownGrace());
    }

    @Test
    void theEngineIsTheLoopsUnlessTheConfigNamesTheVirtualThreads() throws Exception {
        String routes = "routes:\n  - host: 127.0.0.1\n    port: 8080\n    endpoints:\n      - host: localhost\n        port: 8081\n";
        assertEquals(Engine.LOOPS, ConfigLoader.parse(Path.of("t.yaml"), routes).engine());
        assertEquals(Engine.LOOPS, ConfigLoader.parse(Path.of("t.yaml"), "engine: loops\n" + routes).engine());
        assertEquals(Engine.VIRTUAL_THREADS, ConfigLoader.parse(Path.of("t.yaml"), "engine: virtual-threads\n" + routes).engine());
    }

    @Test
    void discoverItemsAndTheDiscoverySectionAreRead() throws Exception {
        Config config = ConfigLoader.load(GOLDEN.resolve("discovery.yaml"));
        Route web = config.routes().getFirst();
        assertEquals(List.of(new Endpoint("static1", 80, 1, false)), web.endpoints(), "the listed endpoints only; DNS adds the rest at run time");
        HealthCheck http = new HealthCheck(HealthCheck.Type.HTTP, "/healthz", "", "", HealthCheck.DEFAULTS.interval(), HealthCheck.DEFAULTS.timeout(),
                HealthCheck.DEFAULTS.rise(), HealthCheck.DEFAULTS.fall(), 0);
        assertEquals(new Discovery(List.of(new Discovery.Source(Discovery.Kind.DNS, "backend", 80, 2, false, http),
                        new Discovery.Source(Discovery.Kind.SRV, "_http._tcp.web.internal", 0, 1, false, null)),
                Duration.ofSeconds(2), new Discovery.Nameserver("::1", 5353), Discovery.OnFailure.EMPTY), web.discovery());
        Route onlyDns = config.routes().get(1);
        assertEquals(List.of(), onlyDns.endpoints());
        assertEquals(new Discovery(List.of(new Discovery.Source(Discovery.Kind.DNS, "backend.internal.", 8080, 1, false, null)),
                Discovery.DEFAULT_INTERVAL, null, Discovery.OnFailure.KEEP), onlyDns.discovery(), "the documented defaults");
        assertEquals(Discovery.NONE, ConfigLoader.load(GOLDEN.resolve("seed.yaml")).routes().getFirst().discovery());
    }

    @Test
    void everyOptionalFieldIsRead() throws Exception {
        Config config = ConfigLoader.load(GOLDEN.resolve("full.yaml"));
        assertEquals(List.of(new Route("web", "127.0.0.1", 8080, Strategy.LEASTCONN, List.of(
                        new Endpoint("web1", 80, 3, false), new Endpoint("web2", 80, 1, false), new Endpoint("sorry", 80, 1, true)),
                new Timeouts(Duration.ofMillis(500), Duration.ofMinutes(5)), 1000, 1)), config.routes());
        assertEquals(Duration.ofSeconds(30), config.shutdownGrace());
    }

    @Test
    void theShippedConfigLoads() throws Exception {
        assertEquals(1, ConfigLoader.load(Path.of("featherlb.yaml")).routes().size());
    }

    @Test
    void aMissingFileSaysSo() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(Path.of("no/such.yaml")));
        assertEquals(List.of("no/such.yaml: no such file (expected a featherlb YAML config; see featherlb.yaml in the repository)"),
                e.errors().stream().map(ConfigError::toString).toList());
    }

    @Test
    void strategyAliasesAndDefault() throws Exception {
        String text = """
                routes:
                  - {host: 0.0.0.0, port: 1, endpoints: [{host: a, port: 1}]}
                  - {host: 0.0.0.0, port: 2, strategy: least_conn, endpoints: [{host: a, port: 1}]}
                  - {host: 0.0.0.0, port: 3, strategy: ip_hash, endpoints: [{host: a, port: 1}]}
                """;
        List<Strategy> strategies = ConfigLoader.parse(Path.of("x.yaml"), text).routes().stream().map(Route::strategy).toList();
        assertEquals(List.of(Strategy.ROUNDROBIN, Strategy.LEASTCONN, Strategy.IPHASH), strategies);
    }

    @Test
    void durations() {
        assertEquals(Duration.ofMillis(500), Durations.parse("500ms"));
        assertEquals(Duration.ofSeconds(3), Durations.parse("3s"));
        assertEquals(Duration.ofMinutes(5), Durations.parse("5m"));
        assertEquals(Duration.ofHours(1), Durations.parse("1h"));
        assertEquals(null, Durations.parse("5"));
        assertEquals(null, Durations.parse("1.5s"));
        assertEquals("90s", Durations.format(Duration.ofSeconds(90)));
        assertEquals("2m", Durations.format(Duration.ofMinutes(2)));
        assertEquals("250ms", Durations.format(Duration.ofMillis(250)));
    }

    @Test
    void retryOnTakesOneKeywordOrAListAndNamesTheWrongOnes() throws Exception {
        String text = """
                routes:
                  - {host: 0.0.0.0, port: 1, endpoints: [{host: a, port: 1}]}
                  - {host: 0.0.0.0, port: 2, retry_on: empty-response, endpoints: [{host: a, port: 1}]}
                  - {host: 0.0.0.0, port: 3, retry_on: [connect-failure, empty-response], endpoints: [{host: a, port: 1}]}
                  - {host: 0.0.0.0, port: 4, retry_on: [connect-failure], endpoints: [{host: a, port: 1}]}
                """;
        assertEquals(List.of(false, true, true, false),
                ConfigLoader.parse(Path.of("x.yaml"), text).routes().stream().map(Route::retryEmpty).toList());
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(Path.of("x.yaml"), """
                routes:
                  - host: 0.0.0.0
                    port: 1
                    retry_on: [empty-response, empty_reply]
                    endpoints: [{host: a, port: 1}]
                """));
        assertEquals(List.of("x.yaml:4:32: retry_on 'empty_reply' is unknown (expected one or a list of: connect-failure, empty-response)"),
                e.errors().stream().map(ConfigError::toString).toList());
    }
}
