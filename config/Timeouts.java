package config;

import java.time.Duration;

/**
 * @param connect         how long a connect to an endpoint may take before the next endpoint is
 *                        tried (default 5s, like HAProxy's usual {@code timeout connect})
 * @param idle            a connection with no byte in either direction for this long is closed
 *                        (default 10m, nginx stream's {@code proxy_timeout})
 * @param clientFirstByte a client that sends nothing for this long after it connected is closed
 *                        ({@code client_first_byte}, default zero: off, since with server-speaks-first
 *                        protocols such as SMTP, MySQL or a Redis replica the client rightly waits);
 *                        HAProxy's {@code timeout client} before the first byte
 */
public record Timeouts(Duration connect, Duration idle, Duration clientFirstByte) {
    public static final Timeouts DEFAULTS = new Timeouts(Duration.ofSeconds(5), Duration.ofMinutes(10), Duration.ZERO);

    /** Without a first-byte timeout. */
    public Timeouts(Duration connect, Duration idle) {
        this(connect, idle, Duration.ZERO);
    }
}
