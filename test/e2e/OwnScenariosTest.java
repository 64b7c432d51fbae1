package e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The scenarios of their own without Docker: their routes load as featherlb config, their nginx
 * configs log the format their parsers read, and their verdicts fail on the lines that would show a
 * misrouted connection or a lost client address.
 */
class OwnScenariosTest {
    private static final Map<String, String> CLIENTS = Map.of("client1", "172.30.77.21", "client2", "172.30.77.22", "client3", "172.30.77.23");
    private static final String FEATHERLB = "172.30.77.10";

    @Test
    void theirRoutesAreAValidFeatherlbConfig() throws Exception {
        List<Scenario> scenarios = OwnScenario.all(3).stream().map(OwnScenario::scenario).toList();
        assertEquals(List.of("proxy-protocol", "sni", "udp-dns"), scenarios.stream().map(Scenario::name).toList());
        var loaded = config.ConfigLoader.parse(java.nio.file.Path.of("e2e.yaml"), FeatherlbConfig.render(scenarios));
        var routes = loaded.routes();
        assertEquals(List.of("proxy-protocol", "sni-app", "sni-db", "sni-default", "udp-dns"), routes.stream().map(r -> r.name()).toList());
        assertEquals("v2", routes.getFirst().proxy().send().configName());
        assertEquals(List.of("db.e2e.test"), routes.get(2).sni().names());
        assertEquals(List.of("proxy-protocol", "udp-dns"), OwnScenario.all(2).stream().map(o -> o.scenario().name()).toList(), "sni needs three backends");
        assertEquals("0.0.0.0:9900", loaded.admin().orElseThrow().address(), "the scenarios read featherlb's metrics from a client");
    }

    @Test
    void eachNginxConfigLogsTheFormatItsParserReads() {
        assertTrue(ClientAddresses.nginxConfig().contains("log_format pp '" + ClientAddresses.FORMAT + "'"));
        assertTrue(ClientAddresses.nginxConfig().contains("listen 82 proxy_protocol"));
        assertTrue(SniRouting.nginxConfig("app.e2e.test").contains("log_format sni '" + SniRouting.FORMAT + "'"));
        assertTrue(SniRouting.nginxConfig("app.e2e.test").contains("/tmp/e2e-sni-app.e2e.test.pem"));
        assertEquals(7, ClientAddresses.FORMAT.split(" ").length);
        assertEquals(7, SniRouting.FORMAT.split(" ").length);
    }

    private static List<ClientAddresses.Line> proxied(String... rows) {
        List<ClientAddresses.Line> lines = new ArrayList<>();
        for (String row : rows) lines.addAll(ClientAddresses.parse(row.split(" ")[0], "1764590000.123 " + row + "\n"));
        return lines;
    }

    @Test
    void clientAddressesPassOnlyWhenEveryLineCarriesItsClientsAddress() {
        List<String> backends = List.of("backend1", "backend2");
        List<ClientAddresses.Line> good = proxied(
                "backend1 proxy-protocol client1 200 172.30.77.21 172.30.77.10",
                "backend2 proxy-protocol client2 200 172.30.77.22 172.30.77.10",
                "backend1 proxy-protocol client3 200 172.30.77.23 172.30.77.10");
        assertTrue(ClientAddresses.judge(good, CLIENTS, FEATHERLB, backends).stream().noneMatch(Verdict::failed));

        List<ClientAddresses.Line> swapped = new ArrayList<>(good);
        swapped.addAll(proxied("backend2 proxy-protocol client3 200 172.30.77.22 172.30.77.10"));
        List<Verdict> verdicts = ClientAddresses.judge(swapped, CLIENTS, FEATHERLB, backends);
        assertTrue(verdicts.getFirst().failed(), verdicts.toString());
        assertTrue(verdicts.getFirst().detail().contains("client3 logged as 172.30.77.22 on backend2"), verdicts.getFirst().detail());

        List<Verdict> featherlbAsClient = ClientAddresses.judge(proxied(
                "backend1 proxy-protocol client1 200 172.30.77.10 172.30.77.10"), Map.of("client1", "172.30.77.21"), FEATHERLB, List.of("backend1"));
        assertTrue(featherlbAsClient.getFirst().failed(), "featherlb's own address instead of the client's");

        List<Verdict> oneBackendSilent = ClientAddresses.judge(proxied(
                "backend1 proxy-protocol client1 200 172.30.77.21 172.30.77.10"), Map.of("client1", "172.30.77.21"), FEATHERLB, backends);
        assertTrue(oneBackendSilent.stream().anyMatch(v -> v.failed() && v.check().equals("v1 and v2 headers accepted")));
    }

    private static List<SniRouting.Line> served(String... rows) {
        List<SniRouting.Line> lines = new ArrayList<>();
        for (String row : rows) lines.addAll(SniRouting.parse(row.split(" ")[0], "1764590000.123 " + row + "\n"));
        return lines;
    }

    @Test
    void sniPassesOnlyWhenEachNameLandsOnItsBackends() {
        List<String> rows = new ArrayList<>(List.of(
                "backend1 sni client1 200 8443 app.e2e.test",
                "backend2 sni client1 200 8443 app.e2e.test",
                "backend3 sni client2 200 8443 db.e2e.test"));
        for (int i = 0; i < SniRouting.PROBES; i++) {
            rows.add("backend1 sni no-sni 200 8444 -");
            rows.add("backend1 sni unknown-name 200 8444 unknown.e2e.test");
        }
        assertTrue(SniRouting.judge(served(rows.toArray(String[]::new))).stream().noneMatch(Verdict::failed));

        List<String> astray = new ArrayList<>(rows);
        astray.add("backend3 sni client1 200 8443 app.e2e.test");
        List<Verdict> verdicts = SniRouting.judge(served(astray.toArray(String[]::new)));
        assertTrue(verdicts.getFirst().failed(), verdicts.toString());
        assertTrue(verdicts.getFirst().detail().contains("backend3:8443"), verdicts.getFirst().detail());

        List<String> noDefault = new ArrayList<>(rows);
        noDefault.replaceAll(r -> r.contains("no-sni") ? "backend1 sni no-sni 200 8443 -" : r);
        assertTrue(SniRouting.judge(served(noDefault.toArray(String[]::new))).stream()
                .anyMatch(v -> v.failed() && v.check().equals("no server name to the default")));

        List<String> oneAppBackend = new ArrayList<>(rows);
        oneAppBackend.remove("backend2 sni client1 200 8443 app.e2e.test");
        assertTrue(SniRouting.judge(served(oneAppBackend.toArray(String[]::new))).stream()
                .anyMatch(v -> v.failed() && v.check().equals("app.e2e.test spread over its route")));
    }
}
