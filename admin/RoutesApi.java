package admin;

import static java.lang.System.Logger.Level.INFO;

import config.Endpoint;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import pool.Backend;
import pool.BackendPool;
import pool.Timing;
import health.HealthState;
import dial.ConnectFailure;

/**
 * The routes and their endpoints, read and steered through the admin API:
 * <pre>
 * GET  /api/v1/routes                                          every route, its endpoints and counters
 * GET  /api/v1/routes/{route}                                  one route
 * POST /api/v1/routes/{route}/endpoints/{host:port}/drain      no new connections; open ones finish
 * POST /api/v1/routes/{route}/endpoints/{host:port}/enable     takes new connections again
 * PUT  /api/v1/routes/{route}/endpoints/{host:port}/weight     body {"weight": 3}, 0..256
 * </pre>
 * State lives in the {@link Backend}s the forwarder uses, so a change applies to the next pick.
 * Drain and weight are not written back to the config file: a restart starts again from the file.
 * A reload keeps them, as {@link Backend} says: a weight set here lasts until the config changes that
 * endpoint's weight, a drain until it is enabled here again.
 */
public final class RoutesApi {
    private static final System.Logger LOG = System.getLogger(RoutesApi.class.getName());
    private static final String ENDPOINT = "/api/v1/routes/{route}/endpoints/{endpoint}";
    private static final String WEIGHT_EXAMPLE = "{\"weight\": 3}";

    private final Supplier<List<BackendPool>> pools;

    /** @param pools the live pools, asked at every call (a reload may swap them) */
    public RoutesApi(Supplier<List<BackendPool>> pools) {
        this.pools = pools;
    }

    /** Adds this API's calls to {@code router}. */
    public void register(Router router) {
        router.add("GET", "/api/v1/routes", request -> Reply.ok(routes()))
                .add("GET", "/api/v1/routes/{route}", request -> Reply.ok(describe(pool(request))))
                .add("POST", ENDPOINT + "/drain", request -> draining(request, true))
                .add("POST", ENDPOINT + "/enable", request -> draining(request, false))
                .add("PUT", ENDPOINT + "/weight", this::weight);
    }

    /** The answer of {@code GET /api/v1/routes}; {@code time_ms} lets a poller turn totals into rates. */
    Map<String, Object> routes() {
        List<Object> routes = new ArrayList<>();
        for (BackendPool pool : pools.get()) routes.add(describe(pool));
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("time_ms", System.currentTimeMillis());
        answer.put("routes", routes);
        answer.put("maglev_fingerprint", fingerprints(pools.get()));
        return answer;
    }

    /** {@code maglev_fingerprint}: per iphash route, its table's {@link BackendPool#maglevFingerprint}, for comparing instances. */
    static Map<String, Object> fingerprints(List<BackendPool> pools) {
        Map<String, Object> fingerprints = new LinkedHashMap<>();
        for (BackendPool pool : pools) pool.maglevFingerprint().ifPresent(f -> fingerprints.put(pool.route().name(), f));
        return fingerprints;
    }

    private Reply draining(ApiRequest request, boolean draining) throws ApiException {
        Backend backend = backend(request);
        backend.draining(draining);
        LOG.log(INFO, "admin: route {0}: endpoint {1} {2} (by {3})", request.param("route"), backend.address(),
                draining ? "drained: no new connections, " + backend.active() + " open one(s) finish" : "enabled", request.caller());
        return Reply.ok(describe(backend));
    }

    private Reply weight(ApiRequest request) throws ApiException {
        Backend backend = backend(request);
        Map<String, Object> body = request.jsonObject(WEIGHT_EXAMPLE);
        for (String key : body.keySet()) {
            if (!key.equals("weight")) throw ApiException.badRequest("unknown key \"" + key + "\" (expected " + WEIGHT_EXAMPLE + ")");
        }
        Object value = body.get("weight");
        String expected = "an integer 0.." + Endpoint.MAX_WEIGHT;
        if (!(value instanceof Number given)) {
            throw ApiException.badRequest(value == null && !body.containsKey("weight")
                    ? "the body has no \"weight\" (expected " + WEIGHT_EXAMPLE + ")"
                    : "weight is " + ApiJson.write(value) + " (expected " + expected + ")");
        }
        BigDecimal number = new BigDecimal(given.toString()); // Integer, Long, BigInteger or BigDecimal: exact
        int weight;
        try {
            weight = number.intValueExact();
        } catch (ArithmeticException notAnInt) {
            throw ApiException.badRequest("weight " + number + " is not " + expected);
        }
        if (weight < 0 || weight > Endpoint.MAX_WEIGHT) {
            throw ApiException.badRequest("weight " + weight + " is out of range (expected " + expected + ")");
        }
        int before = backend.weight();
        backend.weight(weight);
        LOG.log(INFO, "admin: route {0}: endpoint {1} weight {2} -> {3} (by {4})", request.param("route"), backend.address(),
                before, weight, request.caller());
        return Reply.ok(describe(backend));
    }

    private BackendPool pool(ApiRequest request) throws ApiException {
        String name = request.param("route");
        List<BackendPool> all = pools.get();
        for (BackendPool pool : all) {
            if (pool.route().name().equals(name)) return pool;
        }
        throw ApiException.notFound("no route '" + name + "' (routes: "
                + all.stream().map(p -> p.route().name()).collect(Collectors.joining(", ")) + ")");
    }

    private Backend backend(ApiRequest request) throws ApiException {
        BackendPool pool = pool(request);
        String address = request.param("endpoint");
        for (Backend backend : pool.backends()) {
            if (backend.address().equals(address)) return backend;
        }
        throw ApiException.notFound("route '" + pool.route().name() + "' has no endpoint '" + address + "' (endpoints: "
                + pool.backends().stream().map(Backend::address).collect(Collectors.joining(", ")) + ")");
    }

    private static Map<String, Object> describe(BackendPool pool) {
        var route = pool.route();
        List<Object> endpoints = new ArrayList<>();
        long active = 0;
        long connections = 0;
        long up = 0;
        long down = 0;
        for (Backend backend : pool.backends()) {
            endpoints.add(describe(backend));
            active += backend.active();
            connections += backend.connections();
            up += backend.bytesUp();
            down += backend.bytesDown();
        }
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("name", route.name());
        map.put("listen", route.listenAddress());
        map.put("protocol", route.protocol().configName());
        map.put("strategy", route.strategy().configName());
        map.put("active", active);
        map.put("connections", connections);
        map.put("bytes_up", up);
        map.put("bytes_down", down);
        if (route.protocol() == config.Protocol.UDP) {
            // a UDP route's connections are its sessions: open ones ("active") and ever ("connections"), named as such too
            map.put("sessions", connections);
            map.put("datagrams_up", pool.backends().stream().mapToLong(Backend::datagramsUp).sum());
            map.put("datagrams_down", pool.backends().stream().mapToLong(Backend::datagramsDown).sum());
        }
        map.put("endpoints", endpoints);
        return map;
    }

    /** One endpoint; {@code state} sums up {@code up} and {@code draining}: down first, it is the one to act on. */
    static Map<String, Object> describe(Backend backend) {
        Map<String, Object> failures = new LinkedHashMap<>();
        for (ConnectFailure why : ConnectFailure.values()) failures.put(why.label(), backend.connectFailures(why));
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("address", backend.address());
        map.put("state", !backend.up() ? "down" : backend.draining() ? "draining" : "up");
        map.put("up", backend.up());
        map.put("draining", backend.draining());
        map.put("weight", backend.weight());
        map.put("backup", backend.endpoint().backup());
        map.put("source", backend.endpoint().source());
        map.put("active", backend.active());
        map.put("connections", backend.connections());
        map.put("bytes_up", backend.bytesUp());
        map.put("bytes_down", backend.bytesDown());
        map.put("connect_failures", failures);
        String reason = backend.health().reason();
        map.put("reason", reason.isEmpty() ? null : reason);
        HealthState.LastCheck check = backend.health().lastCheck();
        map.put("last_check", check == null ? null : lastCheck(check));
        map.put("connect_ms", quantiles(backend.connectTime()));
        map.put("first_byte_ms", quantiles(backend.firstByteTime()));
        return map;
    }

    private static Map<String, Object> lastCheck(HealthState.LastCheck check) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("at", check.atMillis());
        m.put("result", check.result());
        return m;
    }

    /** {@code {p50, p99}} in milliseconds, estimated from the buckets as Prometheus would; null each before any measurement. */
    private static Map<String, Object> quantiles(Timing timing) {
        Timing.Snapshot t = timing.snapshot();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("p50", t.quantileMillis(0.5));
        m.put("p99", t.quantileMillis(0.99));
        return m;
    }
}
