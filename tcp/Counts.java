package tcp;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Counters by route and reason, for a metric with those two labels; any thread. */
final class Counts {
    private final Map<String, Map<String, LongAdder>> counts = new ConcurrentHashMap<>(); // route -> reason -> count

    void increment(String route, String reason) {
        counts.computeIfAbsent(route, r -> new ConcurrentHashMap<>()).computeIfAbsent(reason, l -> new LongAdder()).increment();
    }

    /** What was counted so far, by route and reason. */
    Map<String, Map<String, Long>> snapshot() {
        Map<String, Map<String, Long>> all = new TreeMap<>();
        counts.forEach((route, reasons) -> {
            Map<String, Long> byReason = new TreeMap<>();
            reasons.forEach((reason, n) -> byReason.put(reason, n.sum()));
            all.put(route, byReason);
        });
        return all;
    }
}
