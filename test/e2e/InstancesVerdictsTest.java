package e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the two-instance scenario judges the backends' logs: per client, one backend through both instances. */
class InstancesVerdictsTest {
    private static final List<String> BACKENDS = List.of("backend1", "backend2", "backend3");

    private static Distribution on(long... counts) {
        return new Distribution(BACKENDS, java.util.Arrays.stream(counts).boxed().toList());
    }

    private static List<Verdict.Outcome> outcomes(Map<String, Distribution> perClient) {
        return SeveralInstances.judge(2, perClient).stream().map(Verdict::outcome).toList();
    }

    @Test
    void theScenarioComesWithIphashOnARouteOfItsOwn() {
        List<Scenario> all = Scenarios.plan(Scenarios.ALGORITHMS, 3, true);
        Scenario instances = SeveralInstances.of(all);
        assertEquals("iphash", instances.strategy());
        assertEquals(false, all.stream().anyMatch(s -> s.port() == instances.port() || s.name().equals(instances.name())));
        assertEquals(all.stream().filter(s -> s.name().equals("iphash")).findFirst().orElseThrow().endpoints(), instances.endpoints());
        assertEquals(null, SeveralInstances.of(Scenarios.plan(List.of("roundrobin"), 3, true)));
    }

    @Test
    void clientsOnOneBackendThroughBothInstancesPass() {
        assertEquals(List.of(Verdict.Outcome.PASS, Verdict.Outcome.PASS, Verdict.Outcome.PASS), outcomes(Map.of(
                "client1/featherlb", on(0, 40, 0), "client1/featherlb2", on(0, 38, 0),
                "client2/featherlb", on(12, 0, 0), "client2/featherlb2", on(15, 0, 0))));
    }

    @Test
    void aClientOnAnotherBackendThroughTheSecondInstanceFails() {
        assertEquals(List.of(Verdict.Outcome.PASS, Verdict.Outcome.FAIL, Verdict.Outcome.PASS), outcomes(Map.of(
                "client1/featherlb", on(0, 40, 0), "client1/featherlb2", on(0, 0, 38),
                "client2/featherlb", on(12, 0, 0), "client2/featherlb2", on(15, 0, 0))));
    }

    @Test
    void aClientNotSeenThroughAnInstanceFails() {
        assertEquals(List.of(Verdict.Outcome.FAIL, Verdict.Outcome.PASS, Verdict.Outcome.PASS), outcomes(Map.of(
                "client1/featherlb", on(0, 40, 0), "client1/featherlb2", on(0, 0, 0),
                "client2/featherlb", on(12, 0, 0), "client2/featherlb2", on(15, 0, 0))));
        assertEquals(Verdict.Outcome.FAIL, outcomes(Map.of("client1/featherlb", on(0, 40, 0), "client1/featherlb2", on(0, 3, 0))).getFirst(),
                "client2 missing");
    }
}
