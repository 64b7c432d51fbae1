package algorithms;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class LeastConnectionsTest {

    @Test
    void equalLoadsRotate() {
        FakeCandidates c = FakeCandidates.letters(1, 1, 1);
        assertEquals("a b c a b c a b c", c.sequence(new LeastConnections(), 9));
    }

    @Test
    void tiesAmongSomeRotateAmongThose() {
        FakeCandidates c = FakeCandidates.letters(1, 1, 1, 1);
        c.active[0] = 5;
        c.active[2] = 5;
        assertEquals("b d b d b d", c.sequence(new LeastConnections(), 6));
    }

    @Test
    void openConnectionsEndUpProportionalToWeights() {
        FakeCandidates c = FakeCandidates.letters(1, 2, 3);
        LeastConnections lc = new LeastConnections();
        for (int round = 1; round <= 100; round++) {
            for (int p = 0; p < 6; p++) c.open(lc);
            assertArrayEquals(new int[] {round, 2 * round, 3 * round}, c.active, "after round " + round);
        }
    }

    @Test
    void fewestPerWeightWins() {
        FakeCandidates c = FakeCandidates.letters(1, 3);
        c.active[0] = 2; // 2 per weight
        c.active[1] = 5; // 1.67 per weight
        assertEquals(1, new LeastConnections().pick(c, 0));
        c.active[1] = 7; // 2.33 per weight
        assertEquals(0, new LeastConnections().pick(c, 0));
    }

    @Test
    void largeCountsAndWeightsDoNotOverflow() {
        FakeCandidates c = FakeCandidates.letters(1_000_000, 999_999);
        c.active[0] = 2_000_000_000; // 2000 per weight
        c.active[1] = 1_999_999_999; // 2000.002 per weight
        assertEquals(0, new LeastConnections().pick(c, 0));
    }

    @Test
    void unavailableAndWeightZeroAreSkippedEvenWhenIdle() {
        FakeCandidates c = FakeCandidates.letters(1, 0, 1);
        c.available[0] = false;
        c.active[2] = 100;
        assertArrayEquals(new int[] {0, 0, 50}, c.counts(new LeastConnections(), 50));
    }

    @Test
    void noEligibleEndpointGivesMinusOne() {
        FakeCandidates c = FakeCandidates.letters(1);
        c.available[0] = false;
        LeastConnections lc = new LeastConnections();
        assertEquals(-1, lc.pick(c, 0));
        assertEquals(-1, lc.pick(FakeCandidates.letters(), 0));
    }

    @Test
    void fewerEndpointsThanTheRotationPointIsFine() {
        LeastConnections lc = new LeastConnections();
        FakeCandidates.letters(1, 1, 1).counts(lc, 2); // the scan now starts at c
        assertEquals("a b a", FakeCandidates.letters(1, 1).sequence(lc, 3));
    }
}
