package config;

import java.time.Duration;

/**
 * A route's {@code per_client} limits, for each client address on its own (the PROXY header's when
 * a trusted sender named it). Over either, a new connection is closed at once: unlike the route's
 * {@code max_connections}, where clients wait in the backlog, waiting would let one client's
 * surplus hold the others' places in that queue.
 *
 * @param maxConnections connections open at once from one client address ({@code max_connections},
 *                       default 0 = unlimited)
 * @param maxRate        new connections from one client address ({@code max_rate}, such as
 *                       {@code 50/s}), or null: unlimited (the default)
 */
public record PerClient(int maxConnections, Rate maxRate) {
    /** No per-client limit: the default, and no cost per connection. */
    public static final PerClient NONE = new PerClient(0, null);
    /** The most connections per second, minute or hour a rate may name. */
    public static final int MAX_COUNT = 1_000_000;

    /** Whether any limit is set. */
    public boolean limits() {
        return maxConnections > 0 || maxRate != null;
    }

    /**
     * {@code count} new connections per {@code per}, as a burst: a client may open {@code count} at
     * once, then one every {@code per / count} (a token bucket that holds {@code count}).
     */
    public record Rate(int count, Duration per) {
        /** What to say a rate should look like, in error messages. */
        public static final String EXPECTED = "new connections per second, minute or hour, such as 50/s, 600/m or 10000/h, from 1 to " + MAX_COUNT;

        /** The rate, or null when {@code text} is not one. */
        public static Rate parse(String text) {
            String t = text.strip();
            int slash = t.indexOf('/');
            if (slash < 1 || slash > 7) return null;
            String digits = t.substring(0, slash);
            if (!digits.chars().allMatch(c -> c >= '0' && c <= '9')) return null;
            int count = Integer.parseInt(digits);
            if (count < 1 || count > MAX_COUNT) return null;
            Duration per = switch (t.substring(slash + 1)) {
                case "s" -> Duration.ofSeconds(1);
                case "m" -> Duration.ofMinutes(1);
                case "h" -> Duration.ofHours(1);
                default -> null;
            };
            return per == null ? null : new Rate(count, per);
        }

        /** The time one connection's token takes to come back, in nanoseconds (at least 1). */
        public long intervalNanos() {
            return Math.max(1, per.toNanos() / count);
        }

        /** As it is written in a config: {@code 50/s}. */
        @Override
        public String toString() {
            return count + "/" + (per.equals(Duration.ofSeconds(1)) ? "s" : per.equals(Duration.ofMinutes(1)) ? "m" : "h");
        }
    }
}
