package algorithms;

import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Power of two choices (Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing",
 * 2001; Envoy's and HAProxy's {@code random(2)}): draw two distinct eligible endpoints at random,
 * each with probability proportional to its weight, and take the one with fewer open connections
 * per unit of weight ({@code active / weight}, compared by cross-multiplication).
 *
 * <p>Why: it balances nearly as well as {@link LeastConnections} while avoiding its herd effect
 * when several balancers see the same counts, and the most loaded endpoint is never picked while
 * another is eligible. On a tie the first draw wins, so with equal loads the picks follow the
 * weights exactly as {@link WeightedRandom} does. With one eligible endpoint, that one.
 */
public final class PowerOfTwoChoices implements Algorithm {
    private final RandomGenerator random;

    /** @param random the source of the two draws per pick; inject a seeded or stub one to test */
    public PowerOfTwoChoices(RandomGenerator random) {
        this.random = Objects.requireNonNull(random, "random");
    }

    @Override
    public int pick(Candidates candidates, long clientKey) {
        long total = WeightedRandom.totalWeight(candidates, -1);
        if (total == 0) return -1;
        long r1 = WeightedRandom.draw(random, total), r2 = WeightedRandom.draw(random, total);
        // both draws placed in one pass; see below for a second that lands on the first
        int first = -1, second = -1;
        long before = 0;
        for (int i = 0, n = candidates.size(); i < n && (first < 0 || second < 0); i++) {
            int weight = candidates.eligibleWeight(i);
            if (weight == 0) continue;
            before += weight;
            if (first < 0 && r1 < before) first = i;
            if (second < 0 && r2 < before) second = i;
        }
        if (first < 0 || second < 0) return first; // only if weights changed under us, which the route's lock rules out
        if (second == first) {
            // Drawn again among the others only. Either way the second choice is endpoint j with
            // probability w(j)/total + w(first)/total * w(j)/(total - w(first)) = w(j)/(total - w(first)):
            // what drawing it from the others at once gives, for one pass fewer on most picks.
            long rest = total - candidates.eligibleWeight(first);
            if (rest == 0) return first;
            second = WeightedRandom.at(candidates, WeightedRandom.draw(random, rest), first);
        }
        long lhs = (long) candidates.active(second) * candidates.weight(first);
        long rhs = (long) candidates.active(first) * candidates.weight(second);
        return lhs < rhs ? second : first;
    }
}
