package e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FaultTest {
    static final Scenario FAULT = Scenarios.plan(List.of(), 3, true).getFirst();
    static final long STOP = 1_000_000, START = STOP + 3_000;

    static WrkResult wrk(long read) {
        return new WrkResult(1000, 1, 1000, new WrkResult.Latency(1, 2, 3, 4), new WrkResult.Errors(0, read, 0, 0, 0));
    }

    /** Requests on every backend each 100 ms from {@code from} to {@code to}, the victim only while it is up. */
    static List<AccessLog.Hit> traffic(long from, long to, boolean victimBack) {
        List<AccessLog.Hit> hits = new ArrayList<>();
        for (long t = from; t < to; t += 100) {
            for (String b : FAULT.backends()) {
                boolean victimUp = t < STOP + 50 || victimBack && t >= START + 400;
                if (!b.equals("backend2") || victimUp) hits.add(new AccessLog.Hit(b, t, "fault", "client1", 200));
            }
        }
        return hits;
    }

    static List<Fault.Slice> slices() {
        return List.of(
                new Fault.Slice(STOP - 2_400, STOP - 1_200, wrk(0)),
                new Fault.Slice(STOP - 1_200, STOP - 10, wrk(0)),
                new Fault.Slice(STOP - 300, STOP + 900, wrk(21)),   // the stop falls in here
                new Fault.Slice(STOP + 1_000, STOP + 2_000, wrk(0)),
                new Fault.Slice(STOP + 2_700, STOP + 3_900, wrk(0)), // the start falls in here
                new Fault.Slice(STOP + 4_000, STOP + 5_000, wrk(0)));
    }

    @Test
    void figuresOfARunWhereTheVictimComesBack() {
        Fault.Report r = Fault.analyse(FAULT, slices(), STOP, START, traffic(STOP - 2_400, STOP + 5_000, true));
        assertEquals(new WrkResult.Errors(0, 21, 0, 0, 0), r.down());
        assertEquals(WrkResult.Errors.NONE, r.before());
        assertEquals(WrkResult.Errors.NONE, r.after());
        assertEquals(1_000, r.movedAwayAfter(), "first slice without errors after the stop");
        assertEquals(0, r.lastVictimHit());
        assertEquals(400, r.backAfter());
        assertEquals(3.0, r.downSeconds(), 1e-9);
        assertEquals(6, r.rows().size());
        assertEquals(-0.3, r.rows().get(2).at(), 1e-9);
        assertEquals(Verdict.Outcome.PASS, r.verdicts().getFirst().outcome(), r.verdicts().getFirst().toString());
        assertEquals(Verdict.Outcome.FAIL, r.verdicts().get(1).outcome(), "21 read errors while down fail the run");
        assertTrue(r.verdicts().get(1).detail().contains("read 21"), r.verdicts().get(1).detail());
        assertEquals(1.0 / 3, r.sinceReturn().share("backend2") / 100, 1e-9);
    }

    /** With health checks and retries, a stop and start must cost no request: zero errors pass. */
    @Test
    void aFaultWithoutAFailedRequestPasses() {
        List<Fault.Slice> clean = slices().stream().map(s -> new Fault.Slice(s.from(), s.to(), wrk(0))).toList();
        Fault.Report r = Fault.analyse(FAULT, clean, STOP, START, traffic(STOP - 2_400, STOP + 5_000, true));
        assertTrue(r.verdicts().stream().noneMatch(v -> v.outcome() == Verdict.Outcome.FAIL), r.verdicts().toString());
        assertTrue(r.verdicts().get(1).check().startsWith("no failed request"), r.verdicts().get(1).check());
    }

    /** A single failed request is one too many: no allowance for the stop any more. */
    @Test
    void oneFailedRequestAtTheStopFails() {
        List<Fault.Slice> one = slices().stream()
                .map(s -> new Fault.Slice(s.from(), s.to(), wrk(s.from() == STOP - 300 ? 1 : 0))).toList();
        Fault.Report r = Fault.analyse(FAULT, one, STOP, START, traffic(STOP - 2_400, STOP + 5_000, true));
        assertEquals(Verdict.Outcome.FAIL, r.verdicts().get(1).outcome(), r.verdicts().get(1).toString());
    }

    /** A victim that never takes traffic again fails the run. */
    @Test
    void aVictimThatStaysAwayFails() {
        Fault.Report r = Fault.analyse(FAULT, slices(), STOP, START, traffic(STOP - 2_400, STOP + 5_000, false));
        assertEquals(Verdict.Outcome.FAIL, r.verdicts().getFirst().outcome());
        assertEquals(-1, r.backAfter());
        assertTrue(Verdicts.anyFailed(r.verdicts()));
    }

    @Test
    void trafficThatNeverMovesAwayIsRecorded() {
        List<Fault.Slice> erring = slices().stream()
                .map(s -> s.from() >= STOP - 300 && s.from() < START ? new Fault.Slice(s.from(), s.to(), wrk(100)) : s)
                .toList();
        Fault.Report r = Fault.analyse(FAULT, erring, STOP, START, traffic(STOP - 2_400, STOP + 5_000, true));
        assertEquals(-1, r.movedAwayAfter());
        assertEquals(300, r.down().read());
        assertTrue(Verdicts.anyFailed(r.verdicts()));
        assertTrue(r.verdicts().get(2).detail().startsWith("not while it was down (3.0 s)"), r.verdicts().get(2).detail());
    }

    @Test
    void planGivesEachPhaseAThirdWithFloors() {
        assertEquals(new Fault.Plan(3, 3, 3, 18), Fault.Plan.of(10));
        assertEquals(new Fault.Plan(2, 3, 2, 17), Fault.Plan.of(3));
    }
}
