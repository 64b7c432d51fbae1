package config;

import java.time.Duration;

/**
 * A UDP route's sessions ({@code udp:}), as nginx stream's {@code proxy_timeout} and {@code
 * proxy_responses}. A session is one client address:port and its connected socket to one endpoint.
 *
 * @param idle        a session with no datagram either way for this long ends (default 30s)
 * @param responses   the session ends once the endpoint sent this many datagrams for each of the
 *                    client's (as nginx's {@code proxy_responses}); {@link #UNLIMITED}
 *                    (absent, the default) for no such end, 1 for DNS, 0 when none are expected: each
 *                    datagram is then balanced on its own (one-way traffic such as syslog)
 * @param maxSessions sessions open at once on the route; over it, new clients' datagrams are dropped
 *                    and counted (default 100,000; each holds one socket, so never more than the
 *                    file descriptors allow)
 * @param reuseSockets  a session that ended with every datagram answered ({@code responses} reached)
 *                    leaves its connected socket for the next session to the same endpoint (default
 *                    true): a DNS query then costs no socket of its own. Off for endpoints that may
 *                    send more than {@code responses} datagrams: a late one could reach the next client
 */
public record Udp(Duration idle, int responses, int maxSessions, boolean reuseSockets) {
    public static final int UNLIMITED = -1;
    public static final int DEFAULT_MAX_SESSIONS = 100_000;
    public static final int MAX_SESSIONS = 10_000_000;
    public static final Udp DEFAULTS = new Udp(Duration.ofSeconds(30), UNLIMITED, DEFAULT_MAX_SESSIONS, true);

    /** Sockets reused (the default). */
    public Udp(Duration idle, int responses, int maxSessions) {
        this(idle, responses, maxSessions, true);
    }
}
