package memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** When the trimmer asks for a full collection: after the old generation doubled, not more often. */
class HeapTrimmerTest {
    private static final long MIB = 1L << 20;

    /** An old generation whose collection leaves {@code liveNow} bytes. */
    private static final class FakeHeap implements HeapTrimmer.Heap {
        long used, live, liveNow;
        int collections;

        @Override
        public long used() {
            return used;
        }

        @Override
        public long liveAfterLastFull() {
            return live;
        }

        @Override
        public void collect() {
            collections++;
            used = live = liveNow;
        }
    }

    private long now;
    private long open;
    private final FakeHeap heap = new FakeHeap();
    private final HeapTrimmer trimmer = new HeapTrimmer(heap, () -> open, 16 * MIB, Duration.ofSeconds(10), () -> now);

    @Test
    void belowTheFloorNothingIsCollected() {
        heap.used = 15 * MIB;
        assertFalse(trimmer.check());
        assertEquals(0, heap.collections);
        heap.used = 16 * MIB;
        heap.liveNow = 3 * MIB;
        assertTrue(trimmer.check());
        assertEquals(1, heap.collections);
        assertEquals(3 * MIB, heap.live);
    }

    @Test
    void aLargeLiveSetWaitsUntilTheOldGenerationHasDoubled() {
        heap.used = heap.live = 100 * MIB; // 70,000 open connections, say
        heap.liveNow = 100 * MIB;
        heap.used = 199 * MIB;
        assertFalse(trimmer.check());
        heap.used = 200 * MIB;
        assertTrue(trimmer.check());
    }

    @Test
    void atMostOneCollectionPerInterval() {
        heap.used = 40 * MIB;
        heap.liveNow = MIB;
        assertTrue(trimmer.check());
        heap.used = 40 * MIB; // refilled at once: a burst of ended connections
        now += Duration.ofSeconds(9).toNanos();
        assertFalse(trimmer.check());
        now += Duration.ofSeconds(1).toNanos();
        assertTrue(trimmer.check());
        assertEquals(2, heap.collections);
    }

    @Test
    void stableLiveDataIsLeftAlone() {
        heap.used = heap.live = heap.liveNow = 30 * MIB;
        for (int second = 0; second < 100; second++) {
            now += Duration.ofSeconds(1).toNanos();
            heap.used += MIB / 10; // a trickle of promotions
            trimmer.check();
        }
        assertEquals(0, heap.collections); // 10 MiB more is not yet as much again as 30 live
    }

    @Test
    void whenMostConnectionsHaveEndedTheirGarbageGoesWithoutWaitingForADoubling() {
        heap.used = heap.live = heap.liveNow = 30 * MIB; // 20,000 open connections
        open = 20_000;
        trimmer.check();
        heap.used = 50 * MIB; // 20 MiB more: not yet as much again as 30
        open = 10_001; // not yet half
        assertFalse(trimmer.check());
        open = 10_000;
        heap.liveNow = 15 * MIB;
        assertTrue(trimmer.check());
        assertEquals(15 * MIB, heap.live);
    }

    @Test
    void aFewEndedConnectionsAreNoBurst() {
        heap.used = heap.live = heap.liveNow = 30 * MIB;
        open = 1_500;
        trimmer.check();
        heap.used = 50 * MIB; // 20 MiB more: not yet as much again as 30
        open = 600; // fewer than half, but only 900 ended
        assertFalse(trimmer.check());
        open = 400;
        assertTrue(trimmer.check());
    }

    @Test
    void aBurstsEndStillWaitsForTheFloorAndTheInterval() {
        open = 5_000;
        heap.used = 10 * MIB;
        trimmer.check();
        open = 0;
        assertFalse(trimmer.check()); // 10 MiB of garbage is under the floor
        heap.used = 20 * MIB;
        heap.liveNow = MIB;
        assertTrue(trimmer.check());
        open = 5_000;
        trimmer.check();
        open = 0;
        heap.used = 30 * MIB;
        now += Duration.ofSeconds(5).toNanos();
        assertFalse(trimmer.check());
        now += Duration.ofSeconds(5).toNanos();
        assertTrue(trimmer.check());
    }

    @Test
    void theJvmsOwnTrimmerStartsAndEnds() throws InterruptedException {
        // the test JVM's collector may not be the serial one; either way start and close must work
        HeapTrimmer.start(() -> 0).close();
    }
}
