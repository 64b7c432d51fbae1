package config;

import algorithms.Strategy;
import java.util.List;

/**
 * One listening address and the endpoints its connections are spread over.
 *
 * @param name           unique name used in logs (default {@code host:port} of the listener)
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
 */
public record Route(String name, String host, int port, Strategy strategy, List<Endpoint> endpoints,
                    Timeouts timeouts, int maxConnections, int retries, Health health) {
    public static final int DEFAULT_RETRIES = 3;

    public Route {
        endpoints = List.copyOf(endpoints);
    }

    /** A route with the default health handling: passive checks only. */
    public Route(String name, String host, int port, Strategy strategy, List<Endpoint> endpoints,
                 Timeouts timeouts, int maxConnections, int retries) {
        this(name, host, port, strategy, endpoints, timeouts, maxConnections, retries, Health.DEFAULTS);
    }

    /** {@code host:port} of the listener. */
    public String listenAddress() {
        return host + ":" + port;
    }
}
