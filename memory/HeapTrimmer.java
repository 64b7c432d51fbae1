package memory;

import static java.lang.System.Logger.Level.DEBUG;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Gives the memory of ended connections back to the system.
 *
 * <p>Why: a connection that lives through a few young collections (any idle keep-alive client)
 * is promoted to the serial collector's old generation, and when it ends it stays there as garbage.
 * The serial collector does not collect the old generation until it is full, and rather than fill it
 * it grows it, up to a quarter of the machine's memory: measured, opening and closing 10,000 idle
 * connections ten times took featherlb from 78 to 178 MB resident, 10 MB more each round, without
 * end. So when the old generation holds at least as much again as what was live after the last full
 * collection (and at least {@code floor} more), this asks for a full collection ({@link System#gc()}),
 * which with a small initial heap and {@code -XX:-ShrinkHeapInSteps} (featherlb's runtime options)
 * also gives the emptied part back at once: the same ten rounds then stay between 78 and 109 MB.
 * The pause is the serial collector's mark and compact of what is live — 35–66 ms with 10–17 MB
 * live, as long as a young collection that promotes a burst of connections — and comes at most
 * once per {@code interval}, after the old generation has at least doubled since the last one.
 *
 * <p>Also when most connections have just ended: when at most half of the most connections open
 * since the last collection are still open, and at least {@link #ENDED_BURST} fewer. Then what the
 * old generation holds is mostly garbage, a collection is short, and the memory of a burst goes
 * back at once instead of at the next doubling: 10,000 idle connections opened and closed five
 * times, 11 s apart, leave 84–87 MB after each close (each collection then 12–19 ms).
 *
 * <p>Only for the serial collector's "Tenured Gen": other collectors (a user may choose one, e.g.
 * {@code jbang -R=-XX:+UseG1GC featherlb.java}) collect their old generation concurrently or on their own terms.
 */
public final class HeapTrimmer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(HeapTrimmer.class.getName());

    /** What the decision looks at, and the collection it asks for; the JVM's own in {@link #start}. */
    public interface Heap {
        /** Bytes in use in the old generation now. */
        long used();

        /** Bytes that were in use right after the last collection of the old generation (0 before one). */
        long liveAfterLastFull();

        /** Collects the old generation. */
        void collect();
    }

    /** How many connections must have ended since the peak for a burst's end to count. */
    static final int ENDED_BURST = 1000;

    private final Heap heap;
    private final LongSupplier openConnections;
    private long peakOpen; // since the last collection
    private final long floor;
    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private long lastNanos;
    private boolean collectedOnce;
    private Thread thread; // null when not started, or when there is nothing to watch

    /**
     * @param floor    the least growth worth a collection: below it a pause would give back too little
     * @param interval the least time between two collections asked for
     */
    public HeapTrimmer(Heap heap, LongSupplier openConnections, long floor, Duration interval, LongSupplier nanoTime) {
        this.heap = heap;
        this.openConnections = openConnections;
        this.floor = floor;
        this.intervalNanos = interval.toNanos();
        this.nanoTime = nanoTime;
    }

    /**
     * Watches this JVM's old generation, once a second, on a virtual thread that {@link #close}
     * ends; does nothing when the collector is not the serial one.
     *
     * @param openConnections how many client connections are open now
     */
    public static HeapTrimmer start(LongSupplier openConnections) {
        MemoryPoolMXBean tenured = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP && p.getName().equals("Tenured Gen"))
                .findFirst().orElse(null);
        Heap heap = tenured == null ? null : new Heap() {
            @Override
            public long used() {
                return tenured.getUsage().getUsed();
            }

            @Override
            public long liveAfterLastFull() {
                MemoryUsage after = tenured.getCollectionUsage();
                return after == null ? 0 : after.getUsed();
            }

            @Override
            public void collect() {
                System.gc();
            }
        };
        HeapTrimmer trimmer = new HeapTrimmer(heap, openConnections, 16L << 20, Duration.ofSeconds(10), System::nanoTime);
        if (heap == null) {
            LOG.log(DEBUG, "no serial old generation to watch");
            return trimmer;
        }
        trimmer.thread = Thread.ofVirtual().name("featherlb-heap-trimmer").start(() -> {
            try {
                while (true) {
                    Thread.sleep(1000);
                    trimmer.check();
                }
            } catch (InterruptedException closed) {
                // close() ends the thread
            }
        });
        return trimmer;
    }

    /**
     * One look: collects when the last collection was {@code interval} ago and either the old
     * generation holds at least as much again as was live after it, and at least {@code floor} more,
     * or most connections have just ended and it holds at least {@code floor}.
     *
     * @return whether it asked for a collection
     */
    public boolean check() {
        long open = openConnections.getAsLong();
        peakOpen = Math.max(peakOpen, open);
        long now = nanoTime.getAsLong();
        if (collectedOnce && now - lastNanos < intervalNanos) return false;
        long used = heap.used(), live = heap.liveAfterLastFull();
        long garbage = used - live; // at most: some of it may be live since
        boolean doubled = garbage >= Math.max(floor, live);
        // after a burst, what was live at the last collection may be garbage too: count it all
        boolean burstEnded = open <= peakOpen / 2 && peakOpen - open >= ENDED_BURST && used >= floor;
        if (!doubled && !burstEnded) return false;
        heap.collect();
        collectedOnce = true;
        lastNanos = now;
        peakOpen = open;
        if (LOG.isLoggable(DEBUG)) {
            LOG.log(DEBUG, "old generation {0} MiB, {1} MiB live after the last full collection: collected, now {2} MiB",
                    used >> 20, live >> 20, heap.used() >> 20);
        }
        return true;
    }

    @Override
    public void close() throws InterruptedException {
        if (thread == null) return;
        thread.interrupt();
        thread.join();
    }
}
