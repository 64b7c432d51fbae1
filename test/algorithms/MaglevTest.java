package algorithms;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MaglevTest {
    static final int KEYS = 100_000;

    /** Client keys: the addresses 10.0.0.0 onward, neighbours as real clients often are. */
    static long key(int k) {
        return 0x0A00_0000L + k;
    }

    static int[] mapping(Algorithm algorithm, Candidates candidates) {
        int[] endpoint = new int[KEYS];
        for (int k = 0; k < KEYS; k++) endpoint[k] = algorithm.pick(candidates, key(k));
        return endpoint;
    }

    @Test
    void tableSizeIsAPrimeAbove100PerEndpointAndAtLeast65537() {
        assertEquals(65537, Maglev.tableSize(0));
        assertEquals(65537, Maglev.tableSize(1));
        assertEquals(65537, Maglev.tableSize(655));
        assertEquals(65609, Maglev.tableSize(656));
        assertEquals(100003, Maglev.tableSize(1000));
        assertEquals(65537, new Maglev().lookupTable(FakeCandidates.equal(10)).length);
    }

    @Test
    void theSameKeyGoesToTheSameEndpoint() {
        FakeCandidates c = FakeCandidates.equal(10);
        Maglev maglev = new Maglev();
        int[] first = mapping(maglev, c);
        assertArrayEquals(first, mapping(maglev, c));
        assertArrayEquals(first, mapping(new Maglev(), c), "a new instance (a reload) maps the same");
    }

    @Test
    void equalWeightsShareTheTableToWithinOneSlot() {
        int[] slots = slotsPerEndpoint(FakeCandidates.equal(7)); // M = 65537 = 7 * 9362 + 3
        for (int count : slots) assertTrue(count == 9362 || count == 9363, Arrays.toString(slots));
        assertEquals(65537, Arrays.stream(slots).sum());
    }

    @Test
    void weights123GiveTableSharesWithin1PercentOfOneTwoThreeSixths(TestReporter reporter) {
        int[] weights = {1, 2, 3};
        int[] slots = slotsPerEndpoint(FakeCandidates.hosts(weights)); // M = 65537
        reporter.publishEntry("slots of 65537 for weights 1/2/3", Arrays.toString(slots));
        for (int i = 0; i < 3; i++) {
            assertEquals(weights[i] / 6.0, slots[i] / 65537.0, 0.01, Arrays.toString(slots));
            // whole rounds of 6 turns fill all but the last few slots exactly by weight
            assertEquals(65537 * weights[i] / 6.0, slots[i], weights[i], Arrays.toString(slots));
        }
    }

    @Test
    void weightsMatterOnlyInProportion() {
        int[] small = new Maglev().lookupTable(FakeCandidates.hosts(1, 2, 3));
        int[] large = new Maglev().lookupTable(FakeCandidates.hosts(100, 200, 300));
        assertArrayEquals(small, large);
    }

    @Test
    void theMappingFollowsNamesNotIndices() {
        FakeCandidates c = FakeCandidates.hosts(1, 2, 1, 1, 3, 1, 1, 1);
        int[] permutation = {5, 2, 7, 0, 3, 6, 1, 4};
        String[] names = new String[8];
        int[] weights = new int[8];
        for (int i = 0; i < 8; i++) {
            names[i] = c.names[permutation[i]];
            weights[i] = c.weights[permutation[i]];
        }
        FakeCandidates permuted = new FakeCandidates(names, weights);
        int[] a = mapping(new Maglev(), c), b = mapping(new Maglev(), permuted);
        for (int k = 0; k < KEYS; k++) assertEquals(c.names[a[k]], permuted.names[b[k]], "key " + k);
    }

    @Test
    void theFingerprintIsTheSameForEveryOrderOfTheSameEndpoints() {
        FakeCandidates c = FakeCandidates.hosts(1, 2, 1, 1, 3, 1, 1, 1);
        c.available[6] = false; // an endpoint that is down is left out the same way in any order
        long expected = new Maglev().fingerprint(c);
        java.util.Random random = new java.util.Random(16);
        for (int round = 0; round < 20; round++) {
            Integer[] order = {0, 1, 2, 3, 4, 5, 6, 7};
            java.util.Collections.shuffle(Arrays.asList(order), random);
            String[] names = new String[8];
            int[] weights = new int[8];
            for (int i = 0; i < 8; i++) {
                names[i] = c.names[order[i]];
                weights[i] = c.weights[order[i]];
            }
            FakeCandidates permuted = new FakeCandidates(names, weights);
            permuted.available[Arrays.asList(order).indexOf(6)] = false;
            assertEquals(expected, new Maglev().fingerprint(permuted), "order " + Arrays.toString(order));
        }
    }

    @Test
    void theFingerprintChangesWithWhatTheTableAnswers() {
        FakeCandidates c = FakeCandidates.hosts(1, 1, 1, 1);
        Maglev maglev = new Maglev();
        long all = maglev.fingerprint(c);
        assertTrue(all > 0 && all < 1L << 48, "48 bits, so a gauge holds it exactly: " + all);
        c.weights[2] = 2;
        long weighted = maglev.fingerprint(c);
        assertNotEquals(all, weighted, "a weight changes the table");
        c.weights[2] = 1;
        assertEquals(all, maglev.fingerprint(c), "and back");
        c.available[0] = false;
        long oneDown = maglev.fingerprint(c);
        assertNotEquals(all, oneDown, "an endpoint down changes the table");
        String[] renamed = c.names.clone();
        renamed[3] = "10.0.0.99:8080";
        assertNotEquals(all, new Maglev().fingerprint(new FakeCandidates(renamed, c.weights)), "another endpoint");
        c.available[1] = c.available[2] = c.available[3] = false;
        assertEquals(0, maglev.fingerprint(c), "no endpoint eligible: no table");
    }

    @Test
    void unavailableAndWeightZeroAreNeverPicked() {
        FakeCandidates c = FakeCandidates.hosts(1, 0, 1, 1);
        c.available[2] = false;
        int[] slots = slotsPerEndpoint(c);
        assertEquals(0, slots[1]);
        assertEquals(0, slots[2]);
        assertEquals(Maglev.tableSize(4), slots[0] + slots[3]);
        c.available[0] = c.available[3] = false;
        assertEquals(-1, new Maglev().pick(c, 42));
        assertEquals(-1, new Maglev().pick(FakeCandidates.equal(0), 42));
    }

    @Test
    void anEndpointThatComesBackGetsExactlyItsKeysBack() {
        FakeCandidates c = FakeCandidates.equal(6);
        Maglev maglev = new Maglev();
        int[] before = mapping(maglev, c);
        c.available[3] = false;
        int[] during = mapping(maglev, c);
        assertTrue(Arrays.stream(during).noneMatch(i -> i == 3));
        c.available[3] = true;
        assertArrayEquals(before, mapping(maglev, c));
        c.weights[1] = 4;
        assertFalse(Arrays.equals(before, mapping(maglev, c)), "a weight change rebuilds the table");
    }

    /**
     * Removing one of N moves that endpoint's keys and, as Maglev trades a little disruption for
     * exact balance, a few of the others': measured over every choice of the endpoint removed, at
     * most 0.21 % of all keys for N=5 and 0.26 % for N=10 with the 65,537-slot table (it was ~3 %
     * with a table of about 100 N slots). The numbers are deterministic (fixed names, keys and
     * hashes); the 0.5 % bound leaves room for a change of hash constants but not for a broken
     * fill, which moves tens of percent. In all, at most 1/N + 1 %: the endpoint's own share
     * (exact to a slot; 100,000 keys sample it to well within 0.5 %) plus those 0.5 %. Hash mod N,
     * for contrast, moves about (N-1)/N of all keys.
     */
    @ParameterizedTest(name = "N={0}")
    @ValueSource(ints = {5, 10})
    void removingOneOfNMovesItsKeysAndFewOthers(int n, TestReporter reporter) {
        FakeCandidates c = FakeCandidates.equal(n);
        Maglev maglev = new Maglev();
        int[] before = mapping(maglev, c);
        double worstOthers = 0, worstTotal = 0, leastModN = 1;
        for (int removed = 0; removed < n; removed++) {
            c.available[removed] = false;
            int[] after = mapping(maglev, c);
            c.available[removed] = true;
            int own = 0, others = 0, modN = 0;
            for (int k = 0; k < KEYS; k++) {
                if (before[k] == removed) own++;
                else if (after[k] != before[k]) others++;
                if (modN(k, n, -1) != modN(k, n, removed)) modN++;
            }
            worstOthers = Math.max(worstOthers, others / (double) KEYS);
            worstTotal = Math.max(worstTotal, (own + others) / (double) KEYS);
            leastModN = Math.min(leastModN, modN / (double) KEYS);
        }
        reporter.publishEntry("remove 1 of " + n, String.format(
                "Maglev moves at most %.2f %% of keys (%.2f %% of other endpoints' keys); hash mod N moves at least %.1f %%",
                100 * worstTotal, 100 * worstOthers, 100 * leastModN));
        assertTrue(worstOthers <= 0.005, "others' keys moved: " + worstOthers);
        assertTrue(worstTotal <= 1.0 / n + 0.01, "keys moved: " + worstTotal);
        assertTrue(leastModN >= (n - 1.0) / n - 0.03, "hash mod N moved only " + leastModN);
    }

    /** Adding one to N (an endpoint coming up) moves about 1/(N+1) of the keys, nearly all to it. */
    @ParameterizedTest(name = "N={0}")
    @ValueSource(ints = {5, 10})
    void addingOneToNMovesAboutOneInNPlusOne(int n, TestReporter reporter) {
        FakeCandidates c = FakeCandidates.equal(n + 1);
        double worstToIt = 0, worstOthers = 0, leastModN = 1;
        for (int added = 0; added <= n; added++) {
            Maglev maglev = new Maglev();
            c.available[added] = false;
            int[] before = mapping(maglev, c);
            c.available[added] = true;
            int[] after = mapping(maglev, c);
            int toIt = 0, others = 0, modN = 0;
            for (int k = 0; k < KEYS; k++) {
                if (after[k] == added) toIt++;
                else if (after[k] != before[k]) others++;
                if (modN(k, n + 1, added) != modN(k, n + 1, -1)) modN++;
            }
            worstToIt = Math.max(worstToIt, Math.abs(toIt / (double) KEYS - 1.0 / (n + 1)));
            worstOthers = Math.max(worstOthers, others / (double) KEYS);
            leastModN = Math.min(leastModN, modN / (double) KEYS);
        }
        reporter.publishEntry("add 1 to " + n, String.format(
                "the new endpoint gets 1/(N+1) ± %.2f %%; %.2f %% of keys move between the others; hash mod N moves at least %.1f %%",
                100 * worstToIt, 100 * worstOthers, 100 * leastModN));
        assertTrue(worstToIt <= 0.015, "share of the new endpoint off by " + worstToIt);
        assertTrue(worstOthers <= 0.005, "keys moved between the others: " + worstOthers);
        assertTrue(leastModN >= n / (n + 1.0) - 0.03, "hash mod N moved only " + leastModN);
    }

    /**
     * A reload that lists one endpoint fewer (a new algorithm instance over a shorter list) keeps
     * the table size, so it disrupts no more than that endpoint going down: its keys move, and
     * almost no others.
     */
    @Test
    void aReloadWithOneEndpointFewerMovesAboutOneInN() {
        int n = 10;
        FakeCandidates all = FakeCandidates.equal(n);
        String[] fewer = Arrays.copyOfRange(all.names, 1, n); // the first endpoint removed
        FakeCandidates reloaded = new FakeCandidates(fewer, new int[] {1, 1, 1, 1, 1, 1, 1, 1, 1});
        int[] before = mapping(new Maglev(), all), after = mapping(new Maglev(), reloaded);
        int moved = 0;
        for (int k = 0; k < KEYS; k++) {
            if (!all.names[before[k]].equals(reloaded.names[after[k]])) moved++;
        }
        assertTrue(moved / (double) KEYS <= 1.0 / n + 0.01, "moved " + moved + " of " + KEYS);
    }

    /** The old behaviour: key k on the endpoint at {@code mix(k) mod N'} among the {@code N'} of
     * the {@code n} endpoints other than {@code missing} (-1 for none), returned as an index in n. */
    private static int modN(int k, int n, int missing) {
        int live = missing < 0 ? n : n - 1;
        int j = (int) Long.remainderUnsigned(Maglev.mix(key(k)), live);
        return missing >= 0 && j >= missing ? j + 1 : j;
    }

    private static int[] slotsPerEndpoint(FakeCandidates c) {
        int[] slots = new int[c.size()];
        for (int i : new Maglev().lookupTable(c)) slots[i]++;
        return slots;
    }
}
