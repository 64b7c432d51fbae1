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
        int first = WeightedRandom.at(candidates, WeightedRandom.draw(random, total), -1);
        // the second draw leaves the first out, so the two choices are always distinct
        long rest = total - candidates.weight(first);
        if (rest == 0) return first;
        int second = WeightedRandom.at(candidates, WeightedRandom.draw(random, rest), first);
        long lhs = (long) candidates.active(second) * candidates.weight(first);
        long rhs = (long) candidates.active(first) * candidates.weight(second);
        return lhs < rhs ? second : first;
    }
}
