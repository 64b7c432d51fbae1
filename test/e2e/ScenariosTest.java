package e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScenariosTest {
    @Test
    void everyAlgorithmWeightedAndFaultInAFixedOrderWithFixedPorts() {
        List<Scenario> all = Scenarios.plan(List.of("weighted", "p2c", "leastconn", "iphash", "random", "roundrobin"), 3, true);
        assertEquals(List.of("roundrobin", "random", "iphash", "leastconn", "p2c", "weighted", "fault"), all.stream().map(Scenario::name).toList());
        assertEquals(List.of(8081, 8082, 8083, 8084, 8085, 8086, 8087), all.stream().map(Scenario::port).toList());
        assertEquals(8084, Scenarios.plan(List.of("leastconn"), 3, false).getFirst().port(), "ports do not shift with the selection");
    }

    @Test
    void scenariosAreShapedForTheirChecks() {
        List<Scenario> all = Scenarios.plan(Scenarios.ALGORITHMS, 4, true);
        Scenario iphash = all.get(2), leastconn = all.get(3), p2c = all.get(4), weighted = all.get(5);
        assertEquals(Scenarios.CLIENTS, iphash.clients());
        for (Scenario loadAware : List.of(leastconn, p2c)) {
            assertEquals(List.of(81, 80, 80, 80), loadAware.endpoints().stream().map(Scenario.Endpoint::port).toList());
            assertEquals(new Scenario.Check.SlowGetsFewer("backend1", 0.5), loadAware.check());
            assertEquals(loadAware.name(), loadAware.strategy());
        }
        assertEquals(List.of(4, 3, 2, 1), weighted.endpoints().stream().map(Scenario.Endpoint::weight).toList());
        assertEquals("roundrobin", weighted.strategy());
        assertEquals(new Scenario.Check.Fault("backend2"), all.get(6).check());
    }

    @Test
    void badSelectionsSayWhatIsAccepted() {
        var e = assertThrows(IllegalArgumentException.class, () -> Scenarios.plan(List.of("maglev"), 3, false));
        assertEquals("unknown algorithm 'maglev'; expected some of roundrobin, random, iphash, leastconn, p2c, weighted", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Scenarios.plan(Scenarios.ALGORITHMS, 9, false));
        assertThrows(IllegalArgumentException.class, () -> Scenarios.plan(Scenarios.ALGORITHMS, 1, false));
    }

    @Test
    void configHasOneRoutePerScenarioAndWeightsOnlyWhereSet() {
        String yaml = FeatherlbConfig.render(Scenarios.plan(List.of("roundrobin", "weighted"), 2, false));
        assertEquals("""
                # Written by e2e.java for one end-to-end run: one route per scenario. Backends are
                # compose services, named in featherlb's /etc/hosts (compose.yaml: extra_hosts).
                routes:
                  - name: roundrobin
                    host: 0.0.0.0
                    port: 8081
                    strategy: roundrobin
                    endpoints:
                      - host: backend1
                        port: 80
                      - host: backend2
                        port: 80
                  - name: weighted
                    host: 0.0.0.0
                    port: 8086
                    strategy: roundrobin
                    endpoints:
                      - host: backend1
                        port: 80
                        weight: 2
                      - host: backend2
                        port: 80
                        weight: 1
                admin: {address: 0.0.0.0:9900}
                """, yaml);
    }

    /** e2e.java --engine reaches featherlb: compose passes FEATHERLB_ENGINE as its --engine; a wrong one is a usage error. */
    @Test
    void theEngineGoesToFeatherlbsCommandLine() throws Exception {
        String compose = Files.readString(Path.of("compose.yaml"));
        assertTrue(compose.contains("command: [\"--config\", \"/etc/featherlb/featherlb.yaml\", \"--engine\", \"${FEATHERLB_ENGINE:-loops}\"]"), compose);
        var options = new Options(List.of("roundrobin"), false, 3, 1, 1, 3, false, null, Path.of("runs"), "virtual-threads");
        assertTrue(options.describe().contains("--engine virtual-threads"), options.describe());
        assertThrows(IllegalArgumentException.class, () -> new Options(List.of("roundrobin"), false, 3, 1, 1, 3, false, null, Path.of("runs"), "threads"));
    }

    /** compose.yaml must define every backend and client the scenarios name. */
    @Test
    void composeDefinesEveryServiceTheScenariosUse() throws Exception {
        String compose = Files.readString(Path.of("compose.yaml"));
        for (int i = 1; i <= Scenarios.MAX_BACKENDS; i++) {
            assertTrue(compose.contains("  backend" + i + ": {<<: *backend, hostname: backend" + i), "backend" + i);
        }
        for (int i = 1; i <= Scenarios.CLIENTS; i++) {
            assertTrue(compose.contains("  client" + i + ": {<<: *client, hostname: client" + i + ","), "client" + i);
        }
        assertTrue(compose.contains("\n  featherlb:\n"));
        // no name is looked up in DNS: each backend's fixed address is in featherlb's /etc/hosts
        String net = "${FEATHERLB_E2E_NET:-172.30.77}";
        for (int i = 1; i <= Scenarios.MAX_BACKENDS; i++) {
            String address = net + "." + (10 + i);
            assertTrue(compose.contains("hostname: backend" + i + ",") && compose.contains("ipv4_address: \"" + address + "\""), "backend" + i + " address");
            assertTrue(compose.contains("- \"backend" + i + ":" + address + "\""), "backend" + i + " in extra_hosts");
        }
        assertTrue(compose.contains("- \"featherlb:" + net + ".10\""), "featherlb in the clients' extra_hosts");
    }

    @Test
    void durationsAsWrkWritesThem() {
        assertEquals(10, Options.seconds("10s"));
        assertEquals(3, Options.seconds("3"));
        assertEquals(120, Options.seconds("2m"));
        var e = assertThrows(IllegalArgumentException.class, () -> Options.seconds("500ms"));
        assertEquals("'500ms' is not a duration; use whole seconds or minutes, e.g. 10s, 3s, 1m", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Options.seconds("0s"));
    }
}
