package config;

/**
 * A backend that connections are forwarded to.
 *
 * @param host   name or address, resolved at every connect (containers come and go)
 * @param port   1..65535
 * @param weight share of new connections relative to the others, 0..256 (default 1; 0 = none)
 * @param backup used only when no primary endpoint of the route is available (default false)
 * @param check  this endpoint's own active check ({@code health_check} under the endpoint: the
 *               route's with the fields it sets replaced), or null to use the route's
 * @param sendProxy this endpoint's {@code send_proxy}, or null to use the route's
 * @param source where it came from: {@link #CONFIG} (listed in the file), or the label of the
 *               {@code discover:} item that found it ({@code dns:NAME}, {@code srv:NAME})
 */
public record Endpoint(String host, int port, int weight, boolean backup, HealthCheck check, ProxyProtocol.Send sendProxy,
                       String source) {
    public static final int DEFAULT_WEIGHT = 1;
    public static final int MAX_WEIGHT = 256;
    /** The {@code source} of an endpoint listed in the config file. */
    public static final String CONFIG = "config";

    /** An endpoint listed in the config. */
    public Endpoint(String host, int port, int weight, boolean backup, HealthCheck check, ProxyProtocol.Send sendProxy) {
        this(host, port, weight, backup, check, sendProxy, CONFIG);
    }

    /** An endpoint that sends the header its route says. */
    public Endpoint(String host, int port, int weight, boolean backup, HealthCheck check) {
        this(host, port, weight, backup, check, null);
    }

    /** An endpoint checked as its route says. */
    public Endpoint(String host, int port, int weight, boolean backup) {
        this(host, port, weight, backup, null);
    }

    /** {@code host:port}: the endpoint's identity in logs, metrics and hashing. */
    public String address() {
        return host + ":" + port;
    }
}
