package config;

import java.time.Duration;

/**
 * @param connect how long a connect to an endpoint may take before the next endpoint is tried
 *                (default 5s, like HAProxy's usual {@code timeout connect})
 * @param idle    a connection with no byte in either direction for this long is closed
 *                (default 10m, nginx stream's {@code proxy_timeout})
 */
public record Timeouts(Duration connect, Duration idle) {
    public static final Timeouts DEFAULTS = new Timeouts(Duration.ofSeconds(5), Duration.ofMinutes(10));
}
