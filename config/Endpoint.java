package config;

/**
 * A backend that connections are forwarded to.
 *
 * @param host   name or address, resolved at every connect (containers come and go)
 * @param port   1..65535
 * @param weight share of new connections relative to the others, 0..256 (default 1; 0 = none)
 * @param backup used only when no primary endpoint of the route is available (default false)
 */
public record Endpoint(String host, int port, int weight, boolean backup) {
    public static final int DEFAULT_WEIGHT = 1;
    public static final int MAX_WEIGHT = 256;

    /** {@code host:port}: the endpoint's identity in logs, metrics and hashing. */
    public String address() {
        return host + ":" + port;
    }
}
