package config;

import java.time.Duration;
import java.util.List;

/**
 * Where a route's endpoints come from besides its list: the {@code discover:} items of
 * {@code endpoints:} and the route's {@code discovery:} section.
 *
 * @param sources    the {@code discover:} items, in config order (none: a route of listed endpoints only)
 * @param interval   how often every source is looked up again, whatever the records' TTLs
 *                   ({@code interval}, default 5s, at least {@link #MIN_INTERVAL})
 * @param nameserver the DNS server asked, {@code address:port}; null: the system's (/etc/resolv.conf)
 * @param onFailure  what a failed or empty lookup does to the endpoints the source gave before
 */
public record Discovery(List<Source> sources, Duration interval, Nameserver nameserver, OnFailure onFailure) {
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
    /** Shorter intervals would be a resolver's load, not fresher endpoints: DNS changes take seconds. */
    public static final Duration MIN_INTERVAL = Duration.ofMillis(100);
    /** A route without {@code discover:} items. */
    public static final Discovery NONE = new Discovery(List.of(), DEFAULT_INTERVAL, null, OnFailure.KEEP);

    public Discovery {
        sources = List.copyOf(sources);
    }

    /** {@code on_failure}: a lookup that failed (timeout, SERVFAIL, no such name) or answered no address. */
    public enum OnFailure {
        /** Keep the endpoints of the last answer (default): a resolver's outage is not the backends'. */
        KEEP,
        /** Take the source's endpoints out: for names that are removed on purpose when nothing serves. */
        EMPTY;

        public String configName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** What is asked of a source: its address records, or its SRV records. */
    public enum Kind {
        /** Every A and AAAA address of the name, at the item's port. */
        DNS,
        /** Each SRV record's target and port, its weight and priority. */
        SRV;

        public String configName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One {@code discover:} item.
     *
     * @param kind   dns or srv
     * @param name   the name looked up, as written (relative names go through the resolver's search list)
     * @param port   the endpoints' port (dns; 0 with srv, whose records carry it)
     * @param weight every address's weight (dns; srv scales each record's)
     * @param backup whether its addresses are backups (dns; srv: every priority after the lowest)
     * @param check  their own active check, or null for the route's
     */
    public record Source(Kind kind, String name, int port, int weight, boolean backup, HealthCheck check) {
        /** {@code dns:NAME} or {@code srv:NAME}: the endpoints' {@code source} in logs, metrics and the API. */
        public String label() {
            return kind.configName() + ":" + name;
        }

        /** What is looked up, in a log line: {@code dns backend}. */
        public String describe() {
            return kind.configName() + " " + name;
        }

        /** The same lookup (kind, name and port): a reload keeps what it found. */
        public boolean sameLookup(Source other) {
            return kind == other.kind && name.equals(other.name) && port == other.port;
        }
    }

    /** A DNS server to ask: an IP address and a port (default 53). */
    public record Nameserver(String address, int port) {
        public static final int DEFAULT_PORT = 53;

        @Override
        public String toString() {
            return address.indexOf(':') >= 0 ? "[" + address + "]:" + port : address + ":" + port;
        }
    }
}
