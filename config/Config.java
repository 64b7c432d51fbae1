package config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A whole, validated featherlb configuration. Immutable: a reload builds a new one and swaps it in.
 *
 * @param source        the file it was read from
 * @param routes        one listener each, at least one
 * @param shutdownGrace how long open connections may run after SIGTERM before they are closed
 *                      ({@code shutdown_grace}, default 10s)
 * @param reusePort     listen with SO_REUSEPORT, so that a new featherlb process can bind the same
 *                      ports before this one stops: a restart without refused connections
 *                      ({@code reuse_port}, default false: a second process on a port is an error)
 * @param admin         the admin HTTP server ({@code admin:}), empty when absent: off
 * @param accessLog     the access log ({@code access_log}, {@code access_log_format}), default off
 * @param maxConnections connections served at once by all routes together ({@code max_connections}
 *                      at the top level); over it, clients wait in the listen backlog. {@link #DERIVED}
 *                      (the key absent): from the file-descriptor limit, two per connection and
 *                      some headroom, as HAProxy derives its {@code maxconn}; 0: unlimited
 * @param engine        what forwards ({@code engine}, default loops); chosen at start, a reload cannot change it
 * @param shutdownDelay how long featherlb keeps accepting after SIGTERM while {@code GET /readyz}
 *                      answers 503, before the grace period ({@code shutdown_delay}, default 0s: off),
 *                      so that a Kubernetes Service or another balancer stops sending first
 */
public record Config(Path source, List<Route> routes, Duration shutdownGrace, boolean reusePort,
                     Optional<Admin> admin, AccessLog accessLog, int maxConnections, Engine engine, Duration shutdownDelay) {
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(10);
    /** {@code max_connections} absent at the top level: derived from the file-descriptor limit. */
    public static final int DERIVED = -1;

    /** A config whose global limit is derived from the file-descriptor limit. */
    public Config(Path source, List<Route> routes, Duration shutdownGrace, boolean reusePort,
                  Optional<Admin> admin, AccessLog accessLog) {
        this(source, routes, shutdownGrace, reusePort, admin, accessLog, DERIVED);
    }

    public Config {
        routes = List.copyOf(routes);
    }

    /** A config without a shutdown delay. */
    public Config(Path source, List<Route> routes, Duration shutdownGrace, boolean reusePort,
                  Optional<Admin> admin, AccessLog accessLog, int maxConnections, Engine engine) {
        this(source, routes, shutdownGrace, reusePort, admin, accessLog, maxConnections, engine, Duration.ZERO);
    }

    /** A config that forwards with the loops. */
    public Config(Path source, List<Route> routes, Duration shutdownGrace, boolean reusePort,
                  Optional<Admin> admin, AccessLog accessLog, int maxConnections) {
        this(source, routes, shutdownGrace, reusePort, admin, accessLog, maxConnections, Engine.LOOPS);
    }

    /** This config with other routes (a discovery's endpoints in them). */
    public Config withRoutes(List<Route> other) {
        return new Config(source, other, shutdownGrace, reusePort, admin, accessLog, maxConnections, engine, shutdownDelay);
    }

    /** This config with {@code other} as its engine ({@code --engine}, or a test's choice). */
    public Config withEngine(Engine other) {
        return new Config(source, routes, shutdownGrace, reusePort, admin, accessLog, maxConnections, other, shutdownDelay);
    }

    /** A config without SO_REUSEPORT, admin server and access log. */
    public Config(Path source, List<Route> routes, Duration shutdownGrace) {
        this(source, routes, shutdownGrace, false, Optional.empty(), AccessLog.OFF);
    }
}
