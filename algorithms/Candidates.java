package algorithms;

/**
 * What an algorithm may know about the endpoints of one route at the moment of one pick.
 * Endpoints are numbered {@code 0 .. size()-1}; the numbering is stable for the life of the
 * {@link Algorithm} instance that is asked (a reload makes a new instance).
 *
 * <p>The caller holds the route's lock for the whole pick, so an implementation may be a mutable
 * view that is reused from one pick to the next: nothing here allocates.
 */
public interface Candidates {
    /** Number of endpoints, available or not. */
    int size();

    /** Stable identity of endpoint {@code i} ({@code host:port}), used by hashing algorithms so that
     * an endpoint keeps its place in a table across reloads and changes of the others. */
    String name(int i);

    /** Effective weight of endpoint {@code i}, {@code >= 0}; 0 means "never pick". It can change
     * between picks (slow start, the admin API). */
    int weight(int i);

    /** Whether endpoint {@code i} may take a new connection now: it is up, not draining, not a
     * backup while primaries are asked, and not already tried for this connection. */
    boolean available(int i);

    /** Connections open to endpoint {@code i} right now, counting ones just picked. */
    int active(int i);

    /** The weight endpoint {@code i} may be picked with now: its weight when it is available,
     * else 0 (never pick). Every algorithm applies this one rule, so it is written once here; and
     * in one call, so that a pick computes a weight that takes computing (slow start) once per
     * endpoint, not once to see whether it is positive and again to use it. */
    default int eligibleWeight(int i) {
        return available(i) ? Math.max(0, weight(i)) : 0;
    }

    /** Whether endpoint {@code i} may be picked now: available and with a positive weight. */
    default boolean eligible(int i) {
        return eligibleWeight(i) > 0;
    }
}
