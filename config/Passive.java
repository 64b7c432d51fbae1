package config;

import java.time.Duration;

/**
 * Passive health checking: what failed connects, seen on real traffic, do to an endpoint (nginx's
 * {@code max_fails}/{@code fail_timeout}, Envoy's consecutive-failure outlier detection).
 *
 * @param failures connects failed in a row that take the endpoint out (default 3; 0 turns
 *                 passive checking off)
 * @param cooldown how long it stays out before it is tried again (default 10s)
 */
public record Passive(int failures, Duration cooldown) {
    public static final Passive DEFAULTS = new Passive(3, Duration.ofSeconds(10));
}
