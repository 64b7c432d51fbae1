package algorithms;

/**
 * Picks the endpoint for a new connection. Implementations are pure: no I/O, no threads, no
 * allocation per pick. They are not thread-safe: the caller serialises picks of one route.
 */
@FunctionalInterface
public interface Algorithm {
    /**
     * @param candidates the route's endpoints as they are now
     * @param clientKey  a hash of the client's IP address; only affinity algorithms use it
     * @return the index of an endpoint for which {@code candidates.available(i)} and
     *         {@code candidates.weight(i) > 0}, or {@code -1} when there is none
     */
    int pick(Candidates candidates, long clientKey);
}
