package discovery;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What discovery did, for metrics: lookups by route, source and result ({@code ok}, {@code empty},
 * {@code failed}), endpoint changes by route, source and change ({@code added}, {@code removed},
 * {@code changed}). Counted on the discovery threads, read at scrape time; they outlive a reload.
 */
public final class Counts {
    /** One counter's labels and value. */
    public record Count(String route, String source, String what, long value) {
    }

    private record Key(String route, String source, String what) {
    }

    private final Map<Key, LongAdder> lookups = new ConcurrentHashMap<>();
    private final Map<Key, LongAdder> changes = new ConcurrentHashMap<>();

    void lookup(String route, String source, String result) {
        lookups.computeIfAbsent(new Key(route, source, result), k -> new LongAdder()).increment();
    }

    void change(String route, String source, String change) {
        changes.computeIfAbsent(new Key(route, source, change), k -> new LongAdder()).increment();
    }

    /** Lookups so far; {@code what} is the result. */
    public List<Count> lookups() {
        return snapshot(lookups);
    }

    /** Endpoint changes so far; {@code what} is the change. */
    public List<Count> changes() {
        return snapshot(changes);
    }

    private static List<Count> snapshot(Map<Key, LongAdder> counters) {
        return counters.entrySet().stream()
                .map(e -> new Count(e.getKey().route(), e.getKey().source(), e.getKey().what(), e.getValue().sum())).toList();
    }
}
