package algorithms;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A pick allocates nothing: measured with the JVM's per-thread allocation counter. */
class AllocationTest {
    static final int PICKS = 100_000;
    /** Room for the counter itself and anything the JVM does on the thread meanwhile; one
     * allocation per pick would be at least 16 bytes x 100,000. */
    static final long BOUND = 1024;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void picksAllocateNothing(Strategy strategy) {
        FakeCandidates c = FakeCandidates.hosts(1, 2, 3, 4, 5);
        c.available[3] = false;
        for (int i = 0; i < 5; i++) c.active[i] = 10 * i;
        Algorithm algorithm = strategy.create(new SplittableRandom(1));
        picks(algorithm, c); // warm-up: arrays sized, tables built, code compiled
        long before = THREADS.getCurrentThreadAllocatedBytes();
        int none = picks(algorithm, c);
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
        assertEquals(0, none, "picks that found no endpoint");
        assertTrue(allocated < BOUND, strategy + " allocated " + allocated + " bytes in " + PICKS + " picks");
    }

    /** A retry hides the endpoint already tried for one pick; Maglev keeps both tables. */
    @Test
    void maglevAlternatingWithARetryAllocatesNothing() {
        FakeCandidates c = FakeCandidates.equal(8);
        Maglev maglev = new Maglev();
        retries(maglev, c);
        long before = THREADS.getCurrentThreadAllocatedBytes();
        int none = retries(maglev, c);
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
        assertEquals(0, none, "picks that found no endpoint");
        assertTrue(allocated < BOUND, "allocated " + allocated + " bytes");
    }

    /** Returns how many picks found no endpoint, so that the picks' results are used. */
    private static int picks(Algorithm algorithm, FakeCandidates c) {
        int none = 0;
        for (int p = 0; p < PICKS; p++) {
            if (algorithm.pick(c, p * 0x9E3779B97F4A7C15L) < 0) none++;
        }
        return none;
    }

    private static int retries(Maglev maglev, FakeCandidates c) {
        int none = 0;
        for (int p = 0; p < PICKS / 2; p++) {
            if (maglev.pick(c, p) < 0) none++;
            c.available[2] = false; // as if 2 had been tried and failed
            if (maglev.pick(c, p) < 0) none++;
            c.available[2] = true;
        }
        return none;
    }
}
