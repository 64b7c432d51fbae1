package config;

import java.time.Duration;

/**
 * How a route finds out that an endpoint is down, and what it does then. Every part is optional.
 *
 * @param check       the route's active check ({@code health_check}), or null for none; an endpoint
 *                    may override parts of it (see {@link #checkOf})
 * @param passive     what failed connects do ({@code passive}; on by default)
 * @param slowStart   a recovered endpoint's weight ramps from a tenth to full over this time, in tenths
 *                    ({@code slow_start}, default zero: off; not applied to iphash)
 * @param closeOnDown close the open connections of an endpoint that goes down
 *                    ({@code on_down: close}; default {@code leave}: they run on)
 */
public record Health(HealthCheck check, Passive passive, Duration slowStart, boolean closeOnDown) {
    public static final Health DEFAULTS = new Health(null, Passive.DEFAULTS, Duration.ZERO, false);

    /** The active check of {@code endpoint}: its own when it has one, else the route's, else null. */
    public HealthCheck checkOf(Endpoint endpoint) {
        return endpoint.check() != null ? endpoint.check() : check;
    }
}
