package algorithms;

import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Weighted random: one draw {@code r} in {@code [0, total)} over the eligible endpoints' weights,
 * then the endpoint whose cumulative weight range holds {@code r}. Each endpoint is picked with
 * probability {@code weight / total}.
 *
 * <p>Why: it needs no state shared between picks, so several featherlb processes (or routes) in
 * front of the same endpoints do not fall into step with each other the way round robins started
 * together can; the price is that short runs are lumpy (see {@link SmoothRoundRobin}).
 *
 * <p>The two helpers below are shared with {@link PowerOfTwoChoices}; both walk the endpoints
 * rather than keep a cumulative array, so a pick allocates nothing and sees weight changes at once.
 */
public final class WeightedRandom implements Algorithm {
    private final RandomGenerator random;

    /** @param random the source of the one draw per pick; inject a seeded or stub one to test */
    public WeightedRandom(RandomGenerator random) {
        this.random = Objects.requireNonNull(random, "random");
    }

    @Override
    public int pick(Candidates candidates, long clientKey) {
        long total = totalWeight(candidates, -1);
        return total == 0 ? -1 : at(candidates, draw(random, total), -1);
    }

    /** Sum of the eligible endpoints' weights, leaving out {@code except} (or none when -1). */
    static long totalWeight(Candidates candidates, int except) {
        long total = 0;
        for (int i = 0, n = candidates.size(); i < n; i++) {
            if (i != except) total += candidates.eligibleWeight(i);
        }
        return total;
    }

    /** A uniform draw in {@code [0, bound)}; {@code nextInt} when it fits, the usual case, so that
     * a generator stub need only answer {@code nextInt(bound)}. */
    static long draw(RandomGenerator random, long bound) {
        return bound <= Integer.MAX_VALUE ? random.nextInt((int) bound) : random.nextLong(bound);
    }

    /** The eligible endpoint (other than {@code except}) whose cumulative weight range holds
     * {@code r}, for {@code 0 <= r < totalWeight(candidates, except)}. */
    static int at(Candidates candidates, long r, int except) {
        int last = -1;
        for (int i = 0, n = candidates.size(); i < n; i++) {
            if (i == except) continue;
            int weight = candidates.eligibleWeight(i);
            if (weight == 0) continue;
            r -= weight;
            if (r < 0) return i;
            last = i;
        }
        return last; // only if weights changed under us, which the route's lock rules out
    }
}
