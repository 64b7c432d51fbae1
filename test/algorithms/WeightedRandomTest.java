package algorithms;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class WeightedRandomTest {

    /** Answers {@code nextInt(bound)} with 0, 1, 2, ... modulo the bound, and counts the calls. */
    static final class Cycle implements RandomGenerator {
        int calls;

        @Override
        public int nextInt(int bound) {
            return calls++ % bound;
        }

        @Override
        public long nextLong() {
            throw new UnsupportedOperationException("only nextInt(bound) is expected");
        }
    }

    @Test
    void aCyclingDrawGivesExactCounts() {
        Cycle random = new Cycle();
        assertArrayEquals(new int[] {10, 20, 30}, FakeCandidates.letters(1, 2, 3).counts(new WeightedRandom(random), 60));
        assertEquals(60, random.calls, "one draw per pick");
    }

    @Test
    void unavailableAndWeightZeroAreLeftOutOfTheDraw() {
        FakeCandidates c = FakeCandidates.letters(1, 2, 3, 0);
        c.available[1] = false;
        assertArrayEquals(new int[] {15, 0, 45, 0}, c.counts(new WeightedRandom(new Cycle()), 60));
    }

    @Test
    void aSeededGeneratorFollowsTheWeightsWithin2Percent() {
        int[] counts = FakeCandidates.letters(1, 2, 3).counts(new WeightedRandom(new SplittableRandom(7)), 60_000);
        int[] expected = {10_000, 20_000, 30_000};
        for (int i = 0; i < 3; i++) {
            assertEquals(expected[i], counts[i], expected[i] * 0.02, () -> "endpoint " + java.util.Arrays.toString(counts));
        }
    }

    @Test
    void noEligibleEndpointGivesMinusOneWithoutADraw() {
        FakeCandidates c = FakeCandidates.letters(0, 5);
        c.available[1] = false;
        Cycle random = new Cycle();
        assertEquals(-1, new WeightedRandom(random).pick(c, 0));
        assertEquals(0, random.calls);
    }

    @Test
    void weightsAboveIntRangeInTotalUseNextLong() {
        FakeCandidates c = FakeCandidates.letters(Integer.MAX_VALUE, Integer.MAX_VALUE, 2);
        RandomGenerator last = () -> -1L; // nextLong(bound) then returns bound - 1: the last endpoint
        assertEquals(2, new WeightedRandom(last).pick(c, 0));
    }
}
