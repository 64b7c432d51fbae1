package history;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import algorithms.Strategy;
import config.Endpoint;
import config.Route;
import config.Timeouts;
import dial.ConnectFailure;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import pool.Backend;
import pool.BackendPool;

/** {@link History}'s samples, taken by hand on a clock of the test's: differences per second, bounded, forgotten with the pool. */
class HistoryTest {

    @Test
    void eachSampleIsWhatChangedInItsSecondAndTheRingKeepsTheLast300() {
        Route route = new Route("web", "127.0.0.1", 0, Strategy.ROUNDROBIN, List.of(new Endpoint("127.0.0.1", 9, 1, false)),
                Timeouts.DEFAULTS, 0, Route.DEFAULT_RETRIES);
        BackendPool pool = new BackendPool(route, List.of(new Backend(route.endpoints().getFirst())), new java.util.Random(1));
        AtomicReference<List<BackendPool>> pools = new AtomicReference<>(List.of(pool));
        AtomicLong clock = new AtomicLong(1_000_000);
        History history = new History(pools::get, clock::get);
        Backend b = pool.backends().getFirst();
        history.sample(); // the first second: nothing happened
        for (int i = 0; i < 3; i++) b.opened();
        b.connectTime().record(2_000_000); // 2 ms: p99 in (1 ms, 2.5 ms]
        b.connectFailed(ConnectFailure.REFUSED);
        clock.addAndGet(1000);
        history.sample();
        clock.addAndGet(1000);
        history.sample(); // a quiet second: zeros, and no p99
        History.Series s = history.series().getFirst();
        assertEquals("web", s.route());
        assertEquals("127.0.0.1:9", s.address());
        assertArrayEquals(new long[] {1_000_000, 1_001_000, 1_002_000}, s.timeMs());
        assertArrayEquals(new long[] {0, 3, 0}, s.connections());
        assertArrayEquals(new long[] {0, 1, 0}, s.failures());
        assertArrayEquals(new Double[] {null, 2.485, null}, s.connectP99Ms());

        for (int i = 0; i < History.SAMPLES + 50; i++) {
            clock.addAndGet(1000);
            b.opened();
            history.sample();
        }
        History.Series full = history.series().getFirst();
        assertEquals(History.SAMPLES, full.timeMs().length, "bounded: the last five minutes");
        assertEquals(clock.get(), full.timeMs()[History.SAMPLES - 1]);
        assertEquals(1, full.connections()[0]);

        pools.set(List.of()); // a reload removed the route
        history.sample();
        assertEquals(List.of(), history.series());
    }
}
