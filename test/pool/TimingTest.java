package pool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** {@link Timing}'s buckets and its quantiles, on exact inputs. */
class TimingTest {

    @Test
    void eachMeasurementLandsInTheFirstBucketWhoseBoundIsAtLeastIt() {
        Timing t = new Timing();
        t.record(25_000); // exactly the first bound: in it, as Prometheus's le= says
        t.record(25_001);
        t.record(-5); // never from a monotonic clock: counted as 0
        t.record(10_000_000_000L); // 10 s, the last bound
        t.record(60_000_000_000L); // above every bound
        long[] expected = new long[Timing.BOUNDS_SECONDS.length + 1];
        expected[0] = 2;
        expected[1] = 1;
        expected[Timing.BOUNDS_SECONDS.length - 1] = 1;
        expected[Timing.BOUNDS_SECONDS.length] = 1;
        Timing.Snapshot s = t.snapshot();
        assertArrayEquals(expected, s.counts());
        assertEquals(5, s.total());
        assertEquals(25_000 + 25_001 + 10_000_000_000L + 60_000_000_000L, s.sumNanos());
    }

    @Test
    void quantilesInterpolateWithinTheBucketAsHistogramQuantileDoes() {
        Timing t = new Timing();
        assertNull(t.snapshot().quantileMillis(0.5), "nothing measured: no estimate");
        // 100 measurements in (1 ms, 2.5 ms]: the median is halfway, 1.75 ms
        for (int i = 0; i < 100; i++) t.record(2_000_000);
        assertEquals(1.75, t.snapshot().quantileMillis(0.5));
        assertEquals(2.485, t.snapshot().quantileMillis(0.99));
        // one more above every bound: the p99 stays, a p100 is the highest bound
        t.record(60_000_000_000L);
        assertEquals(10_000.0, t.snapshot().quantileMillis(1.0));
    }
}
