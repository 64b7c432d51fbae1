package algorithms;

/**
 * Smooth weighted round robin, as nginx does it since Maxim Dounin's 2012 change "Upstream: smooth
 * weighted round-robin balancing" ({@code ngx_http_upstream_get_peer} in
 * {@code src/http/ngx_http_upstream_round_robin.c}): on each pick every eligible endpoint adds its
 * weight to its {@code current}; the one with the largest {@code current} wins (the first on a tie)
 * and gives back the total weight.
 *
 * <p>Why this one rather than "weight times in a row": it interleaves, so weights 5/1/1 give
 * {@code a a b a c a a} instead of {@code a a a a a b c}, and in any run of {@code k} picks an
 * endpoint gets within one of its share {@code k * w / total}. A burst of new connections therefore
 * does not land on one endpoint.
 *
 * <p>An endpoint that is not eligible (unavailable or weight 0) is skipped and its {@code current}
 * is left as it was, as nginx does: the others go on as a smooth round robin among themselves, and
 * since every pick adds and removes the same total, the currents still sum to zero when it comes
 * back, so it rejoins the rotation where it left it, without a burst.
 */
public final class SmoothRoundRobin implements Algorithm {
    private static final long[] NO_STATE = {};

    /** nginx's {@code current_weight}, one per endpoint; long so that large weights cannot overflow. */
    private long[] current = NO_STATE;

    @Override
    public int pick(Candidates candidates, long clientKey) {
        int n = candidates.size();
        if (current.length != n) current = new long[n]; // a new set of endpoints starts afresh
        long total = 0;
        int best = -1;
        for (int i = 0; i < n; i++) {
            int weight = candidates.eligibleWeight(i);
            if (weight == 0) continue;
            current[i] += weight;
            total += weight;
            if (best < 0 || current[i] > current[best]) best = i;
        }
        if (best >= 0) current[best] -= total;
        return best;
    }
}
