package config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The health fields of a route and its endpoints: read, defaulted, and overridden per endpoint.
 * Their mistakes are golden files (health-*.yaml) in {@link ConfigLoaderTest}. */
class HealthConfigTest {

    @Test
    void everyHealthFieldIsRead() throws Exception {
        List<Route> routes = ConfigLoader.load(ConfigLoaderTest.GOLDEN.resolve("health.yaml")).routes();
        HealthCheck web = new HealthCheck(HealthCheck.Type.HTTP, "/healthz", "", "", Duration.ofMillis(500), Duration.ofMillis(250), 1, 2, 9000);
        assertEquals(new Health(web, new Passive(5, Duration.ofSeconds(30)), Duration.ofSeconds(20), true), routes.get(0).health());
        assertEquals(List.of(new Endpoint("web1", 80, 1, false), new Endpoint("web2", 80, 1, false,
                new HealthCheck(HealthCheck.Type.HTTP, "/healthz", "", "", Duration.ofMillis(500), Duration.ofMillis(250), 1, 4, 9001))),
                routes.get(0).endpoints());

        HealthCheck cache = new HealthCheck(HealthCheck.Type.SEND_EXPECT, "/", "PING\r\n", "+PONG", Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3, 0);
        assertEquals(new Health(cache, new Passive(0, Duration.ofSeconds(10)), Duration.ZERO, false), routes.get(1).health());
        assertEquals(new HealthCheck(HealthCheck.Type.SEND_EXPECT, "/", "PING\r\n", "220 ", Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3, 0),
                routes.get(1).endpoints().get(1).check(), "an override keeps the route's fields it does not set, even send");
    }

    @Test
    void withoutHealthFieldsOnlyPassiveChecksRunWithTheirDefaults() throws Exception {
        Route route = ConfigLoader.load(ConfigLoaderTest.GOLDEN.resolve("seed.yaml")).routes().getFirst();
        assertEquals(Health.DEFAULTS, route.health());
        assertNull(route.health().check());
        assertEquals(new Passive(3, Duration.ofSeconds(10)), route.health().passive());
        assertNull(route.health().checkOf(route.endpoints().getFirst()));
    }

    @Test
    void anEmptyHealthCheckIsATcpCheckWithTheDefaults() throws Exception {
        Route route = ConfigLoader.parse(Path.of("x.yaml"), """
                routes:
                  - host: 0.0.0.0
                    port: 1
                    health_check: {}
                    endpoints: [{host: a, port: 1}]
                """).routes().getFirst();
        assertEquals(HealthCheck.DEFAULTS, route.health().check());
        assertEquals(new HealthCheck(HealthCheck.Type.TCP, "/", "", "", Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3, 0),
                HealthCheck.DEFAULTS, "the documented defaults");
    }

    @Test
    void anEndpointMayHaveACheckOfItsOwnWhenTheRouteHasNone() throws Exception {
        Route route = ConfigLoader.parse(Path.of("x.yaml"), """
                routes:
                  - host: 0.0.0.0
                    port: 1
                    endpoints:
                      - {host: a, port: 1}
                      - {host: b, port: 1, health_check: {type: http, path: /up}}
                """).routes().getFirst();
        assertNull(route.health().checkOf(route.endpoints().get(0)));
        assertEquals("http GET /up every 2s", route.health().checkOf(route.endpoints().get(1)).describe());
    }
}
