package e2e;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Requests per backend, in backend order.
 *
 * @param backends backend names
 * @param counts   requests each backend logged, in the same order
 */
public record Distribution(List<String> backends, List<Long> counts) {

    public Distribution {
        backends = List.copyOf(backends);
        counts = List.copyOf(counts);
        if (backends.size() != counts.size()) throw new IllegalArgumentException("one count per backend");
    }

    /** Counts {@code hits} per backend; hits of other backends are ignored. */
    public static Distribution of(List<String> backends, Collection<AccessLog.Hit> hits) {
        var byBackend = hits.stream().collect(Collectors.groupingBy(AccessLog.Hit::backend, Collectors.counting()));
        return new Distribution(backends, backends.stream().map(b -> byBackend.getOrDefault(b, 0L)).toList());
    }

    /** One distribution per client (by X-E2E-Client), in client name order. */
    public static Map<String, Distribution> byClient(List<String> backends, Collection<AccessLog.Hit> hits) {
        return hits.stream().collect(Collectors.groupingBy(AccessLog.Hit::client, TreeMap::new,
                Collectors.collectingAndThen(Collectors.toList(), h -> of(backends, h))));
    }

    public long total() {
        return counts.stream().mapToLong(Long::longValue).sum();
    }

    public long count(String backend) {
        int i = backends.indexOf(backend);
        return i < 0 ? 0 : counts.get(i);
    }

    /** Share of {@code backend} in percent; 0 when nothing was counted. */
    public double share(String backend) {
        long total = total();
        return total == 0 ? 0 : 100.0 * count(backend) / total;
    }

    /** The backends that got any request. */
    public List<String> used() {
        return backends.stream().filter(b -> count(b) > 0).toList();
    }

    /** "backend1 120 (33.3 %), backend2 ..." */
    @Override
    public String toString() {
        return backends.stream()
                .map(b -> "%s %d (%.1f %%)".formatted(b, count(b), share(b)))
                .collect(Collectors.joining(", "));
    }
}
