package algorithms;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class PowerOfTwoChoicesTest {

    @Test
    void theTwoChoicesAreDistinct() {
        FakeCandidates c = FakeCandidates.letters(1, 1, 1);
        c.active[0] = 5;
        RandomGenerator zero = () -> 0L; // every draw is the first eligible endpoint left
        // the first draw is a; were the second not drawn without it, a would be picked
        assertEquals(1, new PowerOfTwoChoices(zero).pick(c, 0));
    }

    @Test
    void withTwoEndpointsTheLessLoadedAlwaysWins() {
        FakeCandidates c = FakeCandidates.letters(1, 1);
        c.active[0] = 3;
        c.active[1] = 1;
        assertArrayEquals(new int[] {0, 1000}, c.counts(new PowerOfTwoChoices(new SplittableRandom(1)), 1000));
    }

    @Test
    void theMostLoadedPerWeightIsNeverPicked() {
        FakeCandidates c = FakeCandidates.letters(1, 1, 2, 1, 1);
        c.active[2] = 9; // 4.5 per weight; the others 4
        for (int i : new int[] {0, 1, 3, 4}) c.active[i] = 4;
        int[] counts = c.counts(new PowerOfTwoChoices(new SplittableRandom(2)), 10_000);
        assertEquals(0, counts[2]);
    }

    /** Within four standard deviations of the binomial counts (1.6–3.7 %), over five seeds: a
     * bias of the draws would show, the luck of one seed would not fail it. */
    @Test
    void equalLoadsFollowTheWeights() {
        int picks = 60_000;
        double[] shares = {1 / 6.0, 2 / 6.0, 3 / 6.0};
        for (long seed = 1; seed <= 5; seed++) {
            int[] counts = FakeCandidates.letters(1, 2, 3).counts(new PowerOfTwoChoices(new SplittableRandom(seed)), picks);
            for (int i = 0; i < 3; i++) {
                double sigma = Math.sqrt(picks * shares[i] * (1 - shares[i]));
                assertEquals(picks * shares[i], counts[i], 4 * sigma, () -> java.util.Arrays.toString(counts));
            }
        }
    }

    /** The second choice, drawn in the same pass as the first and again among the others when it
     * lands on the first, is each other endpoint in proportion to its weight. */
    @Test
    void theSecondChoiceFollowsTheWeightsOfTheOthers() {
        // endpoint 0 is always the more loaded, so the pick is the second choice whenever 0 is first
        FakeCandidates c = FakeCandidates.letters(4, 1, 2, 3);
        c.active[0] = 1_000_000;
        int picks = 100_000;
        int[] counts = c.counts(new PowerOfTwoChoices(new SplittableRandom(11)), picks);
        // picked: the first choice when it is not 0 (less loaded than 0, tied with the others: the
        // first wins), else the second, among 1, 2, 3: P(j) = w(j)/10 + 4/10 * w(j)/6 = w(j)/6
        double[] shares = {0, 1 / 6.0, 2 / 6.0, 3 / 6.0};
        assertEquals(0, counts[0]);
        for (int j = 1; j < 4; j++) {
            double sigma = Math.sqrt(picks * shares[j] * (1 - shares[j]));
            assertEquals(picks * shares[j], counts[j], 4 * sigma, () -> java.util.Arrays.toString(counts));
        }
    }

    /** Connections that stay open: P2C keeps every endpoint within 3 of its share at every step
     * (it never feeds the most loaded one), where plain weighted random drifts by dozens. */
    @Test
    void openConnectionsStayCloseToProportional() {
        double p2c = worstDrift(new PowerOfTwoChoices(new SplittableRandom(4)));
        double random = worstDrift(new WeightedRandom(new SplittableRandom(4)));
        assertTrue(p2c <= 3, "p2c drifted by " + p2c);
        assertTrue(random > 10 * p2c, "weighted random drifted by only " + random);
    }

    private static double worstDrift(Algorithm algorithm) {
        FakeCandidates c = FakeCandidates.letters(1, 2, 3);
        double worst = 0;
        for (int k = 1; k <= 6000; k++) {
            c.open(algorithm);
            for (int i = 0; i < 3; i++) worst = Math.max(worst, Math.abs(c.active[i] - k * c.weights[i] / 6.0));
        }
        return worst;
    }

    @Test
    void oneEligibleEndpointIsPickedWhateverItsLoad() {
        FakeCandidates c = FakeCandidates.letters(1, 1, 0);
        c.available[1] = false;
        c.active[0] = 1000;
        assertArrayEquals(new int[] {100, 0, 0}, c.counts(new PowerOfTwoChoices(new SplittableRandom(5)), 100));
    }

    @Test
    void unavailableAndWeightZeroAreNeverPicked() {
        FakeCandidates c = FakeCandidates.letters(3, 0, 1, 2);
        c.available[3] = false;
        int[] counts = c.counts(new PowerOfTwoChoices(new SplittableRandom(6)), 1000);
        assertEquals(0, counts[1]);
        assertEquals(0, counts[3]);
    }

    @Test
    void noEligibleEndpointGivesMinusOne() {
        FakeCandidates c = FakeCandidates.letters(1, 1);
        c.available[0] = false;
        c.available[1] = false;
        assertEquals(-1, new PowerOfTwoChoices(new SplittableRandom(7)).pick(c, 0));
    }
}
