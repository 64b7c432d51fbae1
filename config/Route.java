package config;

import algorithms.Strategy;
import java.util.List;

/**
 * One listening address and the endpoints its connections are spread over.
 *
 * @param name           unique name used in logs (default {@code host:port} of the listener, and
 *                       {@code host:port/udp} for a UDP route, so that it does not collide with a
 *                       TCP route on the same port)
 * @param host           address to listen on ({@code 0.0.0.0} for all)
 * @param port           port to listen on, 1..65535
 * @param strategy       how an endpoint is picked for each new connection (default roundrobin)
 * @param endpoints      at least one
 * @param timeouts       connect and idle timeouts
 * @param maxConnections connections served at once; further clients wait in the listen backlog
 *                       ({@code max_connections}, default 0 = unlimited)
 * @param retries        further endpoints tried when a connect fails, before any byte is sent
 *                       (default 3, like HAProxy's {@code retries}); each endpoint at most once
 * @param health         active and passive health checks, slow start, on_down (see {@link Health})
 * @param retryEmpty     {@code retry_on: [empty-response]}: an endpoint that closes or resets the
 *                       connection before sending a single byte is counted as failed and the
 *                       client's bytes so far (at most {@link #REPLAY_LIMIT}) are sent again to the
 *                       next endpoint, within the same {@code retries}. Off by default: only safe
 *                       where every request gets an answer and may be repeated (HTTP, Redis reads),
 *                       like HAProxy's {@code retry-on empty-response}
 * @param protocol       what the listener speaks ({@code protocol}: tcp, the default, or udp);
 *                       two routes collide only where protocol, host and port are the same
 * @param sni            the TLS server names it serves on an address shared with other routes,
 *                       and the address's {@code sni_timeout} (see {@link Sni}; default
 *                       {@link Sni#NONE}: not chosen by name)
 * @param proxy          {@code send_proxy} and {@code accept_proxy} (see {@link ProxyProtocol}),
 *                       default {@link ProxyProtocol#OFF}
 * @param perClient      {@code per_client}: connections and new connections a second (or minute,
 *                       hour) from one client address (see {@link PerClient}), default
 *                       {@link PerClient#NONE}
 * @param udp            a UDP route's sessions ({@code udp:}, see {@link Udp}); {@link Udp#DEFAULTS}
 *                       on a TCP route, which has none
 * @param discovery      the {@code discover:} items of {@code endpoints} and the {@code discovery:}
 *                       section (default {@link Discovery#NONE}); {@code endpoints} are then the
 *                       listed ones and, once a lookup answered, the discovered ones
 */
public record Route(String name, String host, int port, Strategy strategy, List<Endpoint> endpoints,
                    Timeouts timeouts, int maxConnections, int retries, Health health, boolean retryEmpty,
                    Protocol protocol, Sni sni, ProxyProtocol proxy, PerClient perClient, Udp udp, Discovery discovery) {
    public static final int DEFAULT_RETRIES = 3;
    /** Client bytes kept for a replay: as HAProxy's L7 retries, the request must fit one buffer (16 KiB). */
    public static final int REPLAY_LIMIT = 16 * 1024;

    public Route {
        endpoints = List.copyOf(endpoints);
    }

    /** A route of listed endpoints only, without per-client limits, with the default UDP sessions (a TCP route's). */
    public Route(String name, String host, int port, Strategy strategy, List<Endpoint> endpoints,
                 Timeouts timeouts, int maxConnections, int retries, Health health, boolean retryEmpty,
                 Protocol protocol, Sni sni, ProxyProtocol proxy) {
        this(name, host, port, strategy, endpoints, timeouts, maxConnections, retries, health, retryEmpty, protocol, sni, proxy, PerClient.NONE, Udp.DEFAULTS, Discovery.NONE);
    }

    /** A TCP route of listed endpoints with per-client limits. */
    public Route(String name, String host, int port, Strategy strategy, List<Endpoint> endpoints,
                 Timeouts timeouts, int maxConnections, int retries, Health health, boolean retryEmpty,
                 Protocol protocol, Sni sni, ProxyProtocol proxy, PerClient perClient) {
        this(name, host, port, strategy, endpoints, timeouts, maxConnections, retries, health, retryEmpty, protocol, sni, proxy, perClient, Udp.DEFAULTS, Discovery.NONE);
    }

    /** A route of listed endpoints without per-client limits. */
    public Route(String name, String host, int port, Strategy strategy, List<Endpoint> endpoints,
                 Timeouts timeouts, int maxConnections, int retries, Health health, boolean retryEmpty,
                 Protocol protocol, Sni sni, ProxyProtocol proxy, Udp udp) {
        this(name, host, port, strategy, endpoints, timeouts, maxConnections, retries, health, retryEmpty, protocol, sni, proxy, PerClient.NONE, udp, Discovery.NONE);
    }

    /** A route without per-client limits, with the default UDP sessions. */
    public Route(String name, String host, int port, Strategy strategy, List<Endpoint> endpoints,
                 Timeouts timeouts, int maxConnections, int retries, Health health, boolean retryEmpty,
                 Protocol protocol, Sni sni, ProxyProtocol proxy, Discovery discovery) {
        this(name, host, port, strategy, endpoints, timeouts, maxConnections, retries, health, retryEmpty, protocol, sni, proxy, PerClient.NONE, Udp.DEFAULTS, discovery);
    }

    /** A route with every setting but discovery. */
    public Route(String name, String host, int port, Strategy strategy, List<Endpoint> endpoints,
                 Timeouts timeouts, int maxConnections, int retries, Health health, boolean retryEmpty,
                 Protocol protocol, Sni sni, ProxyProtocol proxy, PerClient perClient, Udp udp) {
        this(name, host, port, strategy, endpoints, timeouts, maxConnections, retries, health, retryEmpty, protocol, sni, proxy, perClient, udp, Discovery.NONE);
    }

    /** A route without the PROXY protocol. */
    public Route(String name, String host, int port, Strategy strategy, List<Endpoint> endpoints,
                 Timeouts timeouts, int maxConnections, int retries, Health health, boolean retryEmpty,
                 Protocol protocol, Sni sni) {
        this(name, host, port, strategy, endpoints, timeouts, maxConnections, retries, health, retryEmpty, protocol, sni, ProxyProtocol.OFF);
    }

    /** A route not chosen by server name. */
    public Route(String name, String host, int port, Strategy strategy, List<Endpoint> endpoints,
                 Timeouts timeouts, int maxConnections, int retries, Health health, boolean retryEmpty,
                 Protocol protocol, ProxyProtocol proxy) {
        this(name, host, port, strategy, endpoints, timeouts, maxConnections, retries, health, retryEmpty, protocol, Sni.NONE, proxy);
    }

    /** A route not chosen by server name, without the PROXY protocol. */
    public Route(String name, String host, int port, Strategy strategy, List<Endpoint> endpoints,
                 Timeouts timeouts, int maxConnections, int retries, Health health, boolean retryEmpty,
                 Protocol protocol) {
        this(name, host, port, strategy, endpoints, timeouts, maxConnections, retries, health, retryEmpty, protocol, Sni.NONE, ProxyProtocol.OFF);
    }

    /** A TCP route. */
    public Route(String name, String host, int port, Strategy strategy, List<Endpoint> endpoints,
                 Timeouts timeouts, int maxConnections, int retries, Health health, boolean retryEmpty) {
        this(name, host, port, strategy, endpoints, timeouts, maxConnections, retries, health, retryEmpty, Protocol.TCP);
    }

    /** A route with the default health handling: passive checks only. */
    public Route(String name, String host, int port, Strategy strategy, List<Endpoint> endpoints,
                 Timeouts timeouts, int maxConnections, int retries) {
        this(name, host, port, strategy, endpoints, timeouts, maxConnections, retries, Health.DEFAULTS, false);
    }

    /** A route that retries on connect failures only. */
    public Route(String name, String host, int port, Strategy strategy, List<Endpoint> endpoints,
                 Timeouts timeouts, int maxConnections, int retries, Health health) {
        this(name, host, port, strategy, endpoints, timeouts, maxConnections, retries, health, false);
    }

    /** {@code host:port} of the listener. */
    public String listenAddress() {
        return host + ":" + port;
    }

    /** What identifies the listener: routes with the same key share one ({@code tcp host:port}). */
    public String listenKey() {
        return protocol.configName() + " " + listenAddress();
    }

    /** This route with another endpoint set (a discovery source's). */
    public Route withEndpoints(List<Endpoint> next) {
        return new Route(name, host, port, strategy, next, timeouts, maxConnections, retries, health, retryEmpty, protocol, sni, proxy, perClient, udp, discovery);
    }

    /** This route with other {@code discover:} items and {@code discovery:} settings. */
    public Route withDiscovery(Discovery next) {
        return new Route(name, host, port, strategy, endpoints, timeouts, maxConnections, retries, health, retryEmpty, protocol, sni, proxy, perClient, udp, next);
    }

    /** This route with another {@code sni} (the loader gives every route of an address its timeout). */
    public Route withSni(Sni next) {
        return new Route(name, host, port, strategy, endpoints, timeouts, maxConnections, retries, health, retryEmpty, protocol, next, proxy, perClient, udp, discovery);
    }
}
