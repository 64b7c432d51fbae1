package tcp;

import static java.lang.System.Logger.Level.WARNING;

import config.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import pool.Backend;
import pool.BackendPool;

/**
 * The log of one route's refused clients, at most one line a second: during an outage every client
 * is refused, and a line per client would bury everything else in the log. The first refusal after
 * a quiet second is logged at once with its reason; the ones after it are counted, and the count is
 * logged when the second is over ({@link #flush}, called by the server's reaper thread), with the
 * latest reason.
 *
 * <p>Refusals once the route is known are also counted by route and reason ({@link #counts}, the
 * {@code featherlb_refused_total} metric): {@link #NO_ENDPOINT}, {@link #MAX_CONNECTIONS} and the
 * {@code per_client} ones of {@link ClientTable.Admission}.
 */
final class Refusals {
    private static final System.Logger LOG = System.getLogger(Refusals.class.getName());
    static final Duration EVERY = Duration.ofSeconds(1);
    private static final int SHOWN = 4;
    /** No endpoint could take the connection: every one down, or every connect failed. */
    static final String NO_ENDPOINT = "no_endpoint";
    /** The route's {@code max_connections} was reached, on an address it shares (alone, clients wait in the backlog). */
    static final String MAX_CONNECTIONS = "max_connections";

    private final Counts counts = new Counts();

    // guarded by this
    private String route = ""; // the name of the latest refusal's route: a reload may rename it
    private long loggedAt;
    private boolean loggedOnce;
    private int unlogged;
    private String lastReason;

    /** A client of {@code route} was closed because no endpoint could take it ({@code label}: {@link #NO_ENDPOINT} or {@link #MAX_CONNECTIONS}). */
    void refused(String route, String label, String client, String reason, long nowNanos) {
        count(route, label);
        if (first(route, reason, nowNanos)) LOG.log(WARNING, "{0}: {1}: refused, no endpoint could take it: {2}", route, client, reason);
    }

    /** A client of {@code route} was closed at once because it went over a {@code per_client} limit ({@code label}). */
    void limited(String route, String label, String client, String reason, long nowNanos) {
        count(route, label);
        if (first(route, reason, nowNanos)) LOG.log(WARNING, "{0}: {1}: closed, over its per_client limit: {2}", route, client, reason);
    }

    private void count(String route, String label) {
        counts.increment(route, label);
    }

    /** Refusals since the address was bound, by route and reason. */
    Map<String, Map<String, Long>> counts() {
        return counts.snapshot();
    }

    /**
     * A client of the address {@code route} names was closed before a route was chosen: its
     * preamble failed, or no route of the address takes it.
     */
    void rejected(String route, String client, String reason, long nowNanos) {
        if (first(route, reason, nowNanos)) LOG.log(WARNING, "{0}: {1}: closed before a route was chosen: {2}", route, client, reason);
    }

    /** Whether this refusal gets a line of its own; else it is counted for {@link #flush}. */
    private synchronized boolean first(String route, String reason, long nowNanos) {
        this.route = route;
        if (loggedOnce && nowNanos - loggedAt < EVERY.toNanos()) {
            unlogged++;
            lastReason = reason;
            return false;
        }
        loggedOnce = true;
        loggedAt = nowNanos;
        return true;
    }

    /** Logs how many were refused without a line of their own, once their second is over. */
    void flush(long nowNanos) {
        int count;
        String reason;
        String route;
        long since;
        synchronized (this) {
            route = this.route;
            if (unlogged == 0 || nowNanos - loggedAt < EVERY.toNanos()) return;
            count = unlogged;
            reason = lastReason;
            since = nowNanos - loggedAt;
            unlogged = 0;
            loggedAt = nowNanos;
        }
        LOG.log(WARNING, "{0}: refused {1} more client(s) in the last {2}: {3}", route, count,
                Durations.format(Duration.ofMillis(since / 1_000_000)), reason);
    }

    /** Why no endpoint of {@code pool} is usable, endpoint by endpoint, for the refusal line. */
    static String whyNone(BackendPool pool) {
        List<String> parts = new ArrayList<>();
        for (Backend b : pool.backends()) {
            if (b.usable()) continue; // it became usable meanwhile
            String why = b.draining() ? "draining" : b.weight() == 0 ? "weight 0" : b.health().reason();
            parts.add(b.address() + " " + (why.isEmpty() ? "down" : why));
        }
        if (parts.isEmpty()) return "none is up";
        int more = parts.size() - SHOWN;
        String shown = String.join("; ", parts.subList(0, Math.min(SHOWN, parts.size())));
        return "every endpoint is down: " + shown + (more > 0 ? "; and " + more + " more" : "");
    }
}
