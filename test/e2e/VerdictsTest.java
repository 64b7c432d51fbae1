package e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VerdictsTest {
    static final List<String> BACKENDS = List.of("backend1", "backend2", "backend3");
    static final WrkResult CLEAN = new WrkResult(900, 3, 300, new WrkResult.Latency(1, 2, 3, 4), WrkResult.Errors.NONE);

    static Distribution counts(long... n) {
        return new Distribution(BACKENDS, java.util.Arrays.stream(n).boxed().toList());
    }

    /** client1, client2, ... with these distributions. */
    static Map<String, Distribution> clients(Distribution... perClient) {
        Map<String, Distribution> map = new LinkedHashMap<>();
        for (int i = 0; i < perClient.length; i++) map.put(Scenarios.client(i + 1), perClient[i]);
        return map;
    }

    static Scenario scenario(String name) {
        return Scenarios.plan(List.of(name), 3, false).getFirst();
    }

    @Test
    void roundRobinSplitPassesWithinTwoPoints() {
        Verdict v = Verdicts.split(counts(3881, 3881, 3882), Verdicts.expectedShares(scenario("roundrobin")), 2.0);
        assertEquals(Verdict.Outcome.PASS, v.outcome(), v.toString());
    }

    /** Misrouting is caught: an even split judged against the weighted route's 3:2:1 fails, and says where. */
    @Test
    void splitFailsOnAWrongExpectation() {
        Verdict v = Verdicts.split(counts(3881, 3881, 3882), Verdicts.expectedShares(scenario("weighted")), 2.0);
        assertEquals(Verdict.Outcome.FAIL, v.outcome());
        assertTrue(v.detail().contains("backend1 33.3 % (expected 50.0 ± 2.0) OFF"), v.detail());
        assertTrue(v.detail().contains("backend3 33.3 % (expected 16.7 ± 2.0) OFF"), v.detail());
        assertTrue(v.detail().contains("backend2 33.3 % (expected 33.3 ± 2.0),"), v.detail());
    }

    @Test
    void splitFailsJustPastTheTolerance() {
        // 35.4 % is 2.07 points over the expected third
        assertEquals(Verdict.Outcome.FAIL, Verdicts.split(counts(354, 323, 323), List.of(100 / 3.0, 100 / 3.0, 100 / 3.0), 2.0).outcome());
        assertEquals(Verdict.Outcome.PASS, Verdicts.split(counts(353, 324, 323), List.of(100 / 3.0, 100 / 3.0, 100 / 3.0), 2.0).outcome());
    }

    @Test
    void splitFailsWhenNothingArrived() {
        Verdict v = Verdicts.split(counts(0, 0, 0), List.of(100 / 3.0, 100 / 3.0, 100 / 3.0), 2.0);
        assertEquals(Verdict.Outcome.FAIL, v.outcome());
        assertEquals("no request reached a backend", v.detail());
    }

    @Test
    void randomToleranceGrowsForSmallSamples() {
        List<Double> thirds = List.of(100 / 3.0, 100 / 3.0, 100 / 3.0);
        // 12 000 requests: 4 σ is 1.7 points, so the 2-point floor holds; 40 % fails
        assertEquals(Verdict.Outcome.FAIL, Verdicts.randomSplit(counts(4800, 3600, 3600), thirds).outcome());
        // 90 requests: 4 σ is 19.9 points, so 40 % is within chance
        Verdict small = Verdicts.randomSplit(counts(36, 27, 27), thirds);
        assertEquals(Verdict.Outcome.PASS, small.outcome(), small.toString());
        assertTrue(small.detail().contains("± 19.9"), small.detail());
    }

    @Test
    void stickyPassesWhenEachClientStaysOnOneBackend() {
        Verdict v = Verdicts.sticky(clients(counts(3483, 0, 0), counts(3496, 0, 0), counts(0, 3251, 0)), 3);
        assertEquals(Verdict.Outcome.PASS, v.outcome(), v.toString());
        assertTrue(v.detail().endsWith("3 of 3 clients seen, on 2 distinct backend(s)"), v.detail());
    }

    /** An iphash that spreads one client (a round robin, say) is caught. */
    @Test
    void stickyFailsWhenAClientIsSpread() {
        Verdict v = Verdicts.sticky(clients(counts(1200, 1100, 1183), counts(0, 3496, 0), counts(0, 0, 3251)), 3);
        assertEquals(Verdict.Outcome.FAIL, v.outcome());
        assertTrue(v.detail().startsWith("client1 -> 3 backends"), v.detail());
    }

    @Test
    void stickyFailsWhenAClientIsMissing() {
        Verdict v = Verdicts.sticky(clients(counts(10, 0, 0)), 3);
        assertEquals(Verdict.Outcome.FAIL, v.outcome(), "one client alone proves nothing about addresses");
    }

    @Test
    void slowBackendMustGetFewer() {
        assertEquals(Verdict.Outcome.PASS, Verdicts.slowGetsFewer(counts(535, 4091, 4106), "backend1", 0.5).outcome());
        // what a round robin would do with the slowed backend: a third each, caught
        assertEquals(Verdict.Outcome.FAIL, Verdicts.slowGetsFewer(counts(1000, 1001, 1000), "backend1", 0.5).outcome());
        assertEquals(Verdict.Outcome.FAIL, Verdicts.slowGetsFewer(counts(0, 0, 0), "backend1", 0.5).outcome());
    }

    @Test
    void anyErrorFails() {
        assertEquals(Verdict.Outcome.PASS, Verdicts.noErrors(WrkResult.Errors.NONE).outcome());
        assertEquals(Verdict.Outcome.FAIL, Verdicts.noErrors(new WrkResult.Errors(0, 0, 0, 1, 0)).outcome());
        assertEquals(Verdict.Outcome.FAIL, Verdicts.noErrors(new WrkResult.Errors(0, 0, 0, 0, 1)).outcome());
    }

    @Test
    void judgeAddsTheErrorCheckAndTheCountsToEachScenario() {
        List<Verdict> verdicts = Verdicts.judge(scenario("roundrobin"), CLEAN, counts(300, 300, 300), Map.of());
        assertEquals(List.of(Verdict.Outcome.PASS, Verdict.Outcome.PASS, Verdict.Outcome.INFO), verdicts.stream().map(Verdict::outcome).toList());
        assertEquals("PASS", Verdicts.summary(verdicts));
        List<Verdict> wrong = Verdicts.judge(scenario("weighted"), CLEAN, counts(300, 300, 300), Map.of());
        assertEquals("FAIL (1)", Verdicts.summary(wrong));
    }
}
