package pool;

import java.util.concurrent.atomic.LongAdder;

/**
 * One timing of one backend (its connect time, or its time to first byte) as a histogram of fixed
 * buckets: a {@link LongAdder} per bucket and one for the sum. {@link #record} runs on the
 * forwarding thread, once per connection: a search of 18 bounds and two uncontended adds, no lock
 * and no allocation. Read at scrape time ({@link #snapshot}) for the Prometheus histograms and the
 * admin API's p50 and p99, so that both say the same.
 */
public final class Timing {
    /** Upper bounds in seconds, as Prometheus shows them: loopback connects take tens of µs, a remote one ms, a stuck one s. */
    public static final double[] BOUNDS_SECONDS = {
        0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    private static final long[] BOUNDS_NANOS = new long[BOUNDS_SECONDS.length];

    static {
        for (int i = 0; i < BOUNDS_SECONDS.length; i++) BOUNDS_NANOS[i] = Math.round(BOUNDS_SECONDS[i] * 1e9);
    }

    private final LongAdder[] counts = new LongAdder[BOUNDS_NANOS.length + 1]; // the last: above every bound
    private final LongAdder sumNanos = new LongAdder();

    public Timing() {
        for (int i = 0; i < counts.length; i++) counts[i] = new LongAdder();
    }

    /** Counts one measurement of {@code nanos} (a negative one, which a monotonic clock does not give, as 0). */
    public void record(long nanos) {
        long n = Math.max(0, nanos);
        int low = 0, high = BOUNDS_NANOS.length; // the first bound >= n, or BOUNDS_NANOS.length
        while (low < high) {
            int mid = (low + high) >>> 1;
            if (BOUNDS_NANOS[mid] < n) low = mid + 1;
            else high = mid;
        }
        counts[low].increment();
        sumNanos.add(n);
    }

    /** The counts now: each bucket's own (not cumulative), the last one above every bound. */
    public Snapshot snapshot() {
        long[] c = new long[counts.length];
        for (int i = 0; i < c.length; i++) c[i] = counts[i].sum();
        return new Snapshot(c, sumNanos.sum());
    }

    /**
     * A histogram read at one moment.
     *
     * @param counts   per bucket of {@link #BOUNDS_SECONDS}, and one more above them all
     * @param sumNanos the sum of every measurement
     */
    public record Snapshot(long[] counts, long sumNanos) {
        public long total() {
            long t = 0;
            for (long c : counts) t += c;
            return t;
        }

        /**
         * The {@code q}-quantile in milliseconds as Prometheus's {@code histogram_quantile} estimates
         * it (linear within the bucket the rank falls in; the highest bound when it falls above
         * them all), or null when nothing was measured.
         */
        public Double quantileMillis(double q) {
            long total = total();
            if (total == 0) return null;
            double rank = q * total;
            long below = 0;
            for (int i = 0; i < counts.length; i++) {
                if (below + counts[i] >= rank && counts[i] > 0) {
                    if (i == BOUNDS_SECONDS.length) return BOUNDS_SECONDS[i - 1] * 1000;
                    double lower = i == 0 ? 0 : BOUNDS_SECONDS[i - 1];
                    double upper = BOUNDS_SECONDS[i];
                    double seconds = lower + (upper - lower) * (rank - below) / counts[i];
                    return Math.round(seconds * 1e6) / 1000.0; // ms with µs precision
                }
                below += counts[i];
            }
            return BOUNDS_SECONDS[BOUNDS_SECONDS.length - 1] * 1000;
        }
    }
}
