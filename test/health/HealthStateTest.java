package health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import algorithms.Strategy;
import config.Endpoint;
import config.Health;
import config.HealthCheck;
import config.Passive;
import config.Route;
import config.Timeouts;
import dial.ConnectFailure;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import testing.LogLines;

/** The rules of up and down, with time moved by hand. */
class HealthStateTest {
    private static final long SECOND = 1_000_000_000L;

    /** A clock that moves only when told. */
    static final class ManualTicker implements Ticker {
        volatile long now = 1_000 * SECOND;

        @Override
        public long nanos() {
            return now;
        }

        void advance(Duration d) {
            now += d.toNanos();
        }
    }

    private final ManualTicker ticker = new ManualTicker();
    private final AtomicInteger downs = new AtomicInteger();

    private static HealthCheck check(int rise, int fall) {
        return new HealthCheck(HealthCheck.Type.TCP, "/", "", "", Duration.ofSeconds(2), Duration.ofSeconds(1), rise, fall, 0);
    }

    private HealthState state(HealthCheck check, Passive passive, Duration slowStart) {
        return new HealthState("web/a:80", new Health(check, passive, slowStart, true), check, !slowStart.isZero(), ticker, downs::incrementAndGet);
    }

    @Test
    void fallFailedChecksInARowTakeItDownAndRisePassedOnesBringItBack() {
        HealthState s = state(check(2, 3), Passive.DEFAULTS, Duration.ZERO);
        s.checked(null); // the first check decides: up
        s.checked("http 503");
        s.checked("http 503");
        assertTrue(s.usable(), "2 of 3 failures: still up");
        s.checked(null);
        s.checked("http 503");
        s.checked("http 503");
        assertTrue(s.usable(), "a pass in between starts the count again");
        s.checked("http 503");
        assertFalse(s.usable(), "3 in a row: down");
        assertEquals("3 checks failed (http 503)", s.reason());
        s.checked(null);
        assertFalse(s.usable(), "1 of 2 passes: still down");
        s.checked("http 503");
        s.checked(null);
        assertFalse(s.usable());
        s.checked(null);
        assertTrue(s.usable(), "2 in a row: up");
        assertEquals(1, downs.get(), "on_down ran once, for the one change to down");
    }

    @Test
    void theFirstCheckDecides() {
        HealthState s = state(check(2, 3), Passive.DEFAULTS, Duration.ZERO);
        assertTrue(s.usable(), "up until the first check");
        s.checked("connect refused");
        assertFalse(s.usable(), "a failed first check takes it down at once, not after fall checks");
        assertEquals("first check failed (connect refused)", s.reason());
    }

    @Test
    void failedConnectsInARowEjectItForTheCooldownThenOneTryDecides() {
        HealthState s = state(null, new Passive(3, Duration.ofSeconds(10)), Duration.ZERO);
        s.connectFailed(ConnectFailure.REFUSED);
        s.connectFailed(ConnectFailure.REFUSED);
        s.connected();
        s.connectFailed(ConnectFailure.REFUSED);
        s.connectFailed(ConnectFailure.REFUSED);
        assertTrue(s.usable(), "a success in between starts the count again");
        s.connectFailed(ConnectFailure.REFUSED);
        assertFalse(s.usable(), "3 in a row: out");
        assertEquals("connect refused x3", s.reason());

        ticker.advance(Duration.ofSeconds(10).minusNanos(1));
        assertFalse(s.usable(), "out for the whole cool-down");
        ticker.advance(Duration.ofNanos(1));
        assertTrue(s.usable(), "half-open: tried again");
        s.connectFailed(ConnectFailure.TIMEOUT);
        assertFalse(s.usable(), "one failed try: another cool-down");
        ticker.advance(Duration.ofSeconds(5));
        s.connected(); // a connection picked before the ejection that got through late proves nothing
        assertFalse(s.usable());
        ticker.advance(Duration.ofSeconds(5));
        assertTrue(s.usable());
        s.connected();
        assertTrue(s.usable());
        assertEquals("", s.reason(), "one success: back");
        for (int i = 0; i < 2; i++) s.connectFailed(ConnectFailure.REFUSED);
        assertTrue(s.usable(), "the count starts again from zero once it is back");
        assertEquals(1, downs.get());
    }

    @Test
    void zeroFailuresTurnsPassiveCheckingOff() {
        HealthState s = state(null, new Passive(0, Duration.ofSeconds(10)), Duration.ZERO);
        for (int i = 0; i < 100; i++) s.connectFailed(ConnectFailure.REFUSED);
        assertTrue(s.usable());
    }

    @Test
    void risePassedChecksEndAnEjectionBeforeItsCooldown() {
        HealthState s = state(check(2, 3), new Passive(1, Duration.ofSeconds(60)), Duration.ZERO);
        s.checked(null);
        s.connectFailed(ConnectFailure.REFUSED);
        assertFalse(s.usable());
        s.checked(null);
        assertFalse(s.usable());
        s.checked(null);
        assertTrue(s.usable(), "the checks see it answer again: back without waiting 60s");
    }

    @Test
    void slowStartRampsTheWeightInTenStepsAfterARecoveryButNotAtStart() {
        HealthState s = state(check(1, 1), Passive.DEFAULTS, Duration.ofSeconds(10));
        long t0 = ticker.nanos();
        assertEquals(30, s.rampedWeight(3, t0), "full weight (in tenths) at start-up: no ramp");
        s.checked("connect refused");
        s.checked(null);
        assertEquals(3, s.rampedWeight(3, t0), "a tenth just after it came back");
        assertEquals(3, s.rampedWeight(3, t0 + 2 * SECOND - 1), "at least a tenth");
        assertEquals(6, s.rampedWeight(3, t0 + 2 * SECOND), "then a tenth more for each tenth of slow_start");
        assertEquals(15, s.rampedWeight(3, t0 + 5 * SECOND));
        assertEquals(27, s.rampedWeight(3, t0 + 10 * SECOND - 1));
        assertEquals(30, s.rampedWeight(3, t0 + 10 * SECOND));
        assertEquals(30, s.rampedWeight(3, t0), "the ramp is over for good once it reached the end");
    }

    @Test
    void afterACooldownTheRampStartsWhereTheHalfOpenTryBegan() {
        HealthState s = state(null, new Passive(1, Duration.ofSeconds(10)), Duration.ofSeconds(10));
        s.connectFailed(ConnectFailure.REFUSED);
        ticker.advance(Duration.ofSeconds(12));
        assertEquals(2, s.rampedWeight(1, ticker.nanos()), "half-open, 2s into the ramp: 2 tenths");
        s.connected();
        assertEquals(2, s.rampedWeight(1, ticker.nanos()), "the success continues the same ramp");
        assertEquals(10, s.rampedWeight(1, ticker.nanos() + 8 * SECOND));
    }

    @Test
    void slowStartIsNotAppliedToIphash() {
        Health health = new Health(null, Passive.DEFAULTS, Duration.ofSeconds(10), false);
        List<Endpoint> endpoints = List.of(new Endpoint("a", 1, 1, false));
        assertFalse(HealthState.slowStarts(new Route("r", "0.0.0.0", 1, Strategy.IPHASH, endpoints, Timeouts.DEFAULTS, 0, 3, health)));
        assertTrue(HealthState.slowStarts(new Route("r", "0.0.0.0", 1, Strategy.LEASTCONN, endpoints, Timeouts.DEFAULTS, 0, 3, health)));
    }

    @Test
    void aReloadChangesTheRulesAndKeepsTheState() {
        HealthState s = state(check(2, 3), Passive.DEFAULTS, Duration.ZERO);
        s.checked(null);
        s.checked("http 503");
        assertTrue(s.usable());
        Endpoint endpoint = new Endpoint("a", 80, 1, false);
        Health stricter = new Health(check(2, 2), new Passive(1, Duration.ofSeconds(5)), Duration.ZERO, false);
        s.reconfigure(new Route("web2", "0.0.0.0", 1, Strategy.ROUNDROBIN, List.of(endpoint), Timeouts.DEFAULTS, 0, 3, stricter), endpoint);
        s.checked("http 503");
        assertFalse(s.usable(), "the failure before the reload counts: 2 in a row meets the new fall of 2");
        assertEquals("web2/a:80", s.name());
        assertEquals(0, downs.get(), "on_down: leave now");
    }

    @Test
    void eachChangeIsLoggedOnceAtInfo() {
        try (LogLines log = LogLines.of(HealthState.class)) {
            HealthState s = state(check(2, 3), new Passive(3, Duration.ofSeconds(10)), Duration.ZERO);
            for (int i = 0; i < 5; i++) s.connectFailed(ConnectFailure.REFUSED);
            for (int i = 0; i < 4; i++) s.checked("connect refused"); // down already: no new line
            for (int i = 0; i < 3; i++) s.checked(null);
            assertEquals(List.of(
                    "INFO endpoint web/a:80 down: connect refused x3 (trying again in 10s)",
                    "INFO endpoint web/a:80 up: 2 checks passed"), log.lines());
        }
    }
}
