package config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

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
 */
public record Config(Path source, List<Route> routes, Duration shutdownGrace, boolean reusePort) {
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(10);

    public Config {
        routes = List.copyOf(routes);
    }

    /** Without SO_REUSEPORT. */
    public Config(Path source, List<Route> routes, Duration shutdownGrace) {
        this(source, routes, shutdownGrace, false);
    }
}
