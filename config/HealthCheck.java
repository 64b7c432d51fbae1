package config;

import java.time.Duration;

/**
 * An active health check: what is asked of an endpoint, how often, and how many answers in a row
 * change its state. The defaults are HAProxy's ({@code inter 2s}, {@code rise 2}, {@code fall 3}).
 *
 * @param type     what counts as healthy (default tcp): see {@link Type}
 * @param path     http: the path of the GET (default {@code /})
 * @param send     send_expect: what is written first, UTF-8 (default nothing: the endpoint speaks
 *                 first, as SMTP or SSH do)
 * @param expect   send_expect: the reply must start with this, UTF-8 (required for send_expect)
 * @param interval from the start of one check to the start of the next (default 2s)
 * @param timeout  connect plus reply; a check not done by then failed (default 1s, at most interval)
 * @param rise     checks passed in a row that bring a down endpoint back (default 2)
 * @param fall     checks failed in a row that take an up endpoint down (default 3)
 * @param port     the port checked when it is not the endpoint's, e.g. a separate health port
 *                 (default 0: the endpoint's port)
 * @param sendHex  send_expect: what is written first, as hex ({@code send_hex}, for binary protocols
 *                 such as DNS), lower case without spaces; empty when {@code send} says it instead
 * @param expectHex send_expect: the reply must start with these bytes ({@code expect_hex}); empty
 *                 when {@code expect} says it instead
 */
public record HealthCheck(Type type, String path, String send, String expect, Duration interval, Duration timeout,
                          int rise, int fall, int port, String sendHex, String expectHex) {
    public static final HealthCheck DEFAULTS = new HealthCheck(Type.TCP, "/", "", "",
            Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3, 0);

    /** A check whose send and expect are text. */
    public HealthCheck(Type type, String path, String send, String expect, Duration interval, Duration timeout,
                       int rise, int fall, int port) {
        this(type, path, send, expect, interval, timeout, rise, fall, port, "", "");
    }

    /** What send_expect writes first: {@code send_hex}'s bytes, else {@code send} in UTF-8 (maybe none). */
    public byte[] sendBytes() {
        return sendHex.isEmpty() ? send.getBytes(java.nio.charset.StandardCharsets.UTF_8) : java.util.HexFormat.of().parseHex(sendHex);
    }

    /** What a healthy reply starts with: {@code expect_hex}'s bytes, else {@code expect} in UTF-8. */
    public byte[] expectBytes() {
        return expectHex.isEmpty() ? expect.getBytes(java.nio.charset.StandardCharsets.UTF_8) : java.util.HexFormat.of().parseHex(expectHex);
    }

    /** What a check does, and what it finds. */
    public enum Type {
        /** The connect succeeds. Finds a dead process or host; not one that accepts and hangs. */
        TCP("tcp"),
        /** {@code GET path} answers with a 2xx or 3xx status line. */
        HTTP("http"),
        /** After {@code send} is written, the reply starts with {@code expect}. */
        SEND_EXPECT("send_expect");

        private final String configName;

        Type(String configName) {
            this.configName = configName;
        }

        public String configName() {
            return configName;
        }

        /** The type called {@code name} in a config, or null. */
        public static Type byName(String name) {
            for (Type t : values()) {
                if (t.configName.equals(name)) return t;
            }
            return null;
        }
    }

    /** How the check reads in a log line: {@code http GET /healthz every 2s}. */
    public String describe() {
        String what = switch (type) {
            case TCP -> "tcp connect";
            case HTTP -> "http GET " + path;
            case SEND_EXPECT -> "send_expect";
        };
        return what + (port != 0 ? " on port " + port : "") + " every " + Durations.format(interval);
    }
}
