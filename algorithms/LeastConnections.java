package algorithms;

/**
 * Least connections, weighted: the eligible endpoint with the fewest open connections per unit of
 * weight, {@code active(i) / weight(i)}, as HAProxy's {@code leastconn} and nginx's
 * {@code least_conn} do. The ratios are compared by cross-multiplication in {@code long}
 * ({@code a_i * w_j < a_j * w_i}), so there is no rounding and no overflow.
 *
 * <p>Why: for long-lived TCP connections the number open is what loads an endpoint, and it
 * corrects itself when one endpoint is slow to close connections.
 *
 * <p>Ties are broken round robin: the scan starts just after the endpoint picked last, so that
 * when loads are equal (at start, or for short connections that close before the next pick)
 * the picks rotate evenly instead of all going to the first endpoint.
 */
public final class LeastConnections implements Algorithm {
    /** Where the next scan starts: one past the endpoint picked last. */
    private int start;

    @Override
    public int pick(Candidates candidates, long clientKey) {
        int n = candidates.size();
        if (start >= n) start = 0;
        int best = -1;
        long bestActive = 0, bestWeight = 1;
        for (int k = 0, i = start; k < n; k++, i = i + 1 == n ? 0 : i + 1) {
            long weight = candidates.eligibleWeight(i);
            if (weight == 0) continue;
            long active = candidates.active(i);
            if (best < 0 || active * bestWeight < bestActive * weight) {
                best = i;
                bestActive = active;
                bestWeight = weight;
            }
        }
        if (best >= 0) start = best + 1 == n ? 0 : best + 1;
        return best;
    }
}
