package config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code sni} and {@code sni_timeout} as read; their mistakes are golden files (sni-*.yaml). */
class SniConfigTest {
    private static final String ISSUE = """
            routes:
              - name: app
                host: 0.0.0.0
                port: 8443
                sni: [App.Example.com., "*.app.example.com"]
                endpoints: [{host: app1, port: 443}, {host: app2, port: 443}]
              - name: db
                host: 0.0.0.0
                port: 8443
                sni: db.example.com
                endpoints: [{host: db1, port: 5443}]
              - name: tls-default
                host: 0.0.0.0
                port: 8443
                sni_timeout: 2s
                endpoints: [{host: fallback, port: 443}]
              - name: alone
                host: 127.0.0.1
                port: 9000
                endpoints: [{host: one, port: 9001}]
            """;

    @Test
    void theRoutesOfAnAddressShareItsTimeoutAndKeepTheirNamesNormalized() throws Exception {
        List<Route> routes = ConfigLoader.parse(Path.of("sni.yaml"), ISSUE).routes();
        assertEquals(List.of("app", "db", "tls-default", "alone"), routes.stream().map(Route::name).toList(), "config order");
        Duration two = Duration.ofSeconds(2);
        assertEquals(new Sni(List.of("app.example.com", "*.app.example.com"), two), routes.get(0).sni());
        assertEquals(new Sni(List.of("db.example.com"), two), routes.get(1).sni(), "one name alone is a list of one");
        assertEquals(new Sni(List.of(), two), routes.get(2).sni(), "the default route, with the address's timeout");
        assertEquals(Sni.NONE, routes.get(3).sni());
        assertEquals(routes.get(0).listenKey(), routes.get(2).listenKey());
    }

    @Test
    void aRouteWithSniAloneOnItsAddressIsATableOfOne() throws Exception {
        Route route = ConfigLoader.parse(Path.of("one.yaml"), """
                routes:
                  - host: 127.0.0.1
                    port: 8443
                    sni: [only.test]
                    endpoints: [{host: one, port: 443}]
                """).routes().getFirst();
        assertEquals(new Sni(List.of("only.test"), Sni.DEFAULT_TIMEOUT), route.sni());
    }

    @Test
    void serverNamesAreHostNamesOrOneLeadingWildcard() {
        for (String ok : List.of("a.test", "x", "*.a.test", "*.test", "under_score.test", "xn--caf-dma.test", "a-b.c-d.e")) {
            assertEquals(null, Sni.malformed(ok), ok);
        }
        for (String bad : List.of("", "*", "*.", ".a.test", "a..test", "a.*.test", "**.a.test", "a b.test", "a.test:443",
                "x".repeat(64) + ".test", ("a".repeat(60) + ".").repeat(5) + "test")) {
            assertEquals(true, Sni.malformed(bad) != null, bad);
        }
        assertEquals("app.example.com", Sni.normalize("APP.example.COM."));
    }
}
