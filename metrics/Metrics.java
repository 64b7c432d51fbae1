package metrics;

import com.sun.net.httpserver.HttpHandler;
import io.prometheus.metrics.config.PrometheusProperties;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.Exemplars;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import pool.Backend;
import pool.BackendPool;
import pool.Timing;
import dial.ConnectFailure;
import traffic.ConnectionRecord;

/**
 * featherlb's Prometheus metrics, in a registry of their own (not the client's global default, so
 * that tests and a reload can build a fresh one).
 *
 * <p>Why callbacks: the forwarder already counts per endpoint in {@link Backend}'s LongAdders, which
 * cost one uncontended add per read. The per-endpoint metrics read those sums when Prometheus
 * scrapes, so metrics add nothing to the forwarding path, and they cannot disagree with the
 * counters the admin API shows. The connect and first-byte histograms are read the same way, from
 * the backends' {@link Timing} buckets. Only the duration histogram is fed per connection, once, when the
 * connection has ended ({@link #accept}).
 */
public final class Metrics implements Consumer<ConnectionRecord> {
    /** Seconds: TCP connections last from a millisecond (a refused one) to hours (a database session). */
    private static final double[] DURATION_BUCKETS = {
        0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 600, 1800, 3600};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Histogram durations;

    public Metrics() {
        JvmMetrics.builder().register(registry);
        durations = Histogram.builder()
                .name("featherlb_connection_duration_seconds")
                .help("How long client connections lasted, from accept to close, by route")
                .unit(Unit.SECONDS)
                .labelNames("route")
                .classicOnly()
                .classicUpperBounds(DURATION_BUCKETS)
                .withoutExemplars()
                .register(registry);
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    /** The {@code GET /metrics} handler: the client's own exposition (text, OpenMetrics or protobuf, as Prometheus asks). */
    public HttpHandler handler() {
        return new MetricsHandler(PrometheusProperties.get(), registry);
    }

    /** Observes one finished connection's duration. Runs on the connection's thread: a few adds, no lock. */
    @Override
    public void accept(ConnectionRecord record) {
        durations.labelValues(record.route()).observe(record.duration().toNanos() / 1e9);
    }

    /**
     * Exposes every endpoint of {@code pools}, asked anew at each scrape (so that pools swapped by
     * a reload show up): connections, active connections, bytes, connect failures, up, draining, weight; and
     * each iphash route's Maglev fingerprint.
     */
    public void watch(Supplier<List<BackendPool>> pools) {
        CounterWithCallback.builder()
                .name("featherlb_connections_total")
                .help("Connections forwarded to an endpoint (successful connects)")
                .labelNames("route", "endpoint")
                .callback(cb -> each(pools, false, (route, b) -> cb.call(b.connections(), route, b.address())))
                .register(registry);
        GaugeWithCallback.builder()
                .name("featherlb_active_connections")
                .help("Connections open to an endpoint now (including ones being connected)")
                .labelNames("route", "endpoint")
                .callback(cb -> each(pools, false, (route, b) -> cb.call(b.active(), route, b.address())))
                .register(registry);
        CounterWithCallback.builder()
                .name("featherlb_udp_sessions_total")
                .help("UDP sessions (one client address:port each) opened to an endpoint")
                .labelNames("route", "endpoint")
                .callback(cb -> each(pools, true, (route, b) -> cb.call(b.connections(), route, b.address())))
                .register(registry);
        GaugeWithCallback.builder()
                .name("featherlb_udp_active_sessions")
                .help("UDP sessions open to an endpoint now")
                .labelNames("route", "endpoint")
                .callback(cb -> each(pools, true, (route, b) -> cb.call(b.active(), route, b.address())))
                .register(registry);
        CounterWithCallback.builder()
                .name("featherlb_udp_datagrams_total")
                .help("UDP datagrams forwarded: upstream is client to endpoint, downstream is endpoint to client")
                .labelNames("route", "endpoint", "direction")
                .callback(cb -> each(pools, true, (route, b) -> {
                    cb.call(b.datagramsUp(), route, b.address(), "upstream");
                    cb.call(b.datagramsDown(), route, b.address(), "downstream");
                }))
                .register(registry);
        CounterWithCallback.builder()
                .name("featherlb_bytes_total")
                .help("Bytes forwarded: upstream is client to endpoint, downstream is endpoint to client")
                .unit(Unit.BYTES)
                .labelNames("route", "endpoint", "direction")
                .callback(cb -> each(pools, (route, b) -> {
                    cb.call(b.bytesUp(), route, b.address(), "upstream");
                    cb.call(b.bytesDown(), route, b.address(), "downstream");
                }))
                .register(registry);
        CounterWithCallback.builder()
                .name("featherlb_connect_failures_total")
                .help("Connects to an endpoint that failed, by reason (refused, timeout, unresolved, other, empty)")
                .labelNames("route", "endpoint", "reason")
                .callback(cb -> each(pools, (route, b) -> {
                    for (ConnectFailure why : ConnectFailure.values()) {
                        cb.call(b.connectFailures(why), route, b.address(), why.label());
                    }
                }))
                .register(registry);
        GaugeWithCallback.builder()
                .name("featherlb_endpoint_up")
                .help("1 when the endpoint is up (healthy), 0 when down")
                .labelNames("route", "endpoint")
                .callback(cb -> each(pools, (route, b) -> cb.call(b.up() ? 1 : 0, route, b.address())))
                .register(registry);
        GaugeWithCallback.builder()
                .name("featherlb_endpoint_draining")
                .help("1 when the endpoint is drained through the admin API: it takes no new connections")
                .labelNames("route", "endpoint")
                .callback(cb -> each(pools, (route, b) -> cb.call(b.draining() ? 1 : 0, route, b.address())))
                .register(registry);
        GaugeWithCallback.builder()
                .name("featherlb_endpoint_weight")
                .help("The endpoint's current weight (from the config, or set through the admin API)")
                .labelNames("route", "endpoint")
                .callback(cb -> each(pools, (route, b) -> cb.call(b.weight(), route, b.address())))
                .register(registry);
        timing(pools, "featherlb_connect_seconds",
                "How long successful connects to an endpoint took, from the connect's start (name resolution included) to its completion",
                Backend::connectTime);
        timing(pools, "featherlb_first_byte_seconds",
                "How long an endpoint took to send its first byte on a connection, from the connect's completion",
                Backend::firstByteTime);
        GaugeWithCallback.builder()
                .name("featherlb_endpoint_info")
                .help("1 for each endpoint, labelled with where it came from: config, or the discover item that found it (dns:NAME, srv:NAME)")
                .labelNames("route", "endpoint", "source")
                .callback(cb -> each(pools, (route, b) -> cb.call(1, route, b.address(), b.endpoint().source())))
                .register(registry);
        // per iphash route, not per endpoint: equal on instances that send every client to the same endpoint
        GaugeWithCallback.builder()
                .name("featherlb_maglev_fingerprint")
                .help("A fingerprint of an iphash route's Maglev table (48 bits): instances that send every client to the same endpoint have the same value")
                .labelNames("route")
                .callback(cb -> {
                    for (BackendPool pool : pools.get()) pool.maglevFingerprint().ifPresent(f -> cb.call(f, pool.route().name()));
                })
                .register(registry);
    }

    /**
     * A histogram per endpoint read from the backends' {@link Timing} buckets at each scrape (a
     * collector of our own: the client's Histogram would be fed on the forwarding path, and would
     * keep a removed endpoint's series until told to forget it).
     */
    private void timing(Supplier<List<BackendPool>> pools, String name, String help, Function<Backend, Timing> timing) {
        MetricMetadata metadata = new MetricMetadata(name, help, Unit.SECONDS);
        registry.register(new Collector() {
            @Override
            public MetricSnapshot collect() {
                List<HistogramSnapshot.HistogramDataPointSnapshot> points = new ArrayList<>();
                each(pools, (route, b) -> {
                    Timing.Snapshot t = timing.apply(b).snapshot();
                    double[] bounds = Arrays.copyOf(Timing.BOUNDS_SECONDS, Timing.BOUNDS_SECONDS.length + 1);
                    bounds[bounds.length - 1] = Double.POSITIVE_INFINITY;
                    points.add(new HistogramSnapshot.HistogramDataPointSnapshot(ClassicHistogramBuckets.of(bounds, t.counts()),
                            t.sumNanos() / 1e9, Labels.of("route", route, "endpoint", b.address()), Exemplars.EMPTY, 0L));
                });
                return new HistogramSnapshot(metadata, points);
            }

            @Override
            public String getPrometheusName() {
                return name;
            }
        });
    }

    /** The DNS discovery's counts ({@link discovery.Counts}), read at each scrape. */
    public void discovery(discovery.Counts counts) {
        CounterWithCallback.builder()
                .name("featherlb_discovery_lookups_total")
                .help("DNS lookups of a route's discover item, by result: ok, empty (no such name or no records), failed (no answer, SERVFAIL)")
                .labelNames("route", "source", "result")
                .callback(cb -> counts.lookups().forEach(c -> cb.call(c.value(), c.route(), c.source(), c.what())))
                .register(registry);
        CounterWithCallback.builder()
                .name("featherlb_discovery_changes_total")
                .help("Endpoints a discover item added, removed or changed (weight or backup) in a route")
                .labelNames("route", "source", "change")
                .callback(cb -> counts.changes().forEach(c -> cb.call(c.value(), c.route(), c.source(), c.what())))
                .register(registry);
    }

    /** {@code featherlb_rejected_total}: closed before a route was chosen, by listening address and reason, read at each scrape. */
    public void rejections(Supplier<Map<String, Map<String, Long>>> counts) {
        CounterWithCallback.builder()
                .name("featherlb_rejected_total")
                .help("Connections closed before a route was chosen, by listening address and reason (proxy_untrusted, proxy_invalid, sni_timeout, ...)")
                .labelNames("listen", "reason")
                .callback(cb -> counts.get().forEach((listen, reasons) -> reasons.forEach((reason, n) -> cb.call(n, listen, reason))))
                .register(registry);
    }

    /** {@code featherlb_refused_total}: closed once the route was known, by route and reason, read at each scrape. */
    public void refusals(Supplier<Map<String, Map<String, Long>>> counts) {
        byRouteAndReason("featherlb_refused_total",
                "Connections closed once their route was known, by route and reason (no_endpoint, max_connections, per_client_connections, per_client_rate)", counts);
    }

    /** {@code featherlb_timeouts_total}: closed for a timeout, by route and reason, read at each scrape. */
    public void timeouts(Supplier<Map<String, Map<String, Long>>> counts) {
        byRouteAndReason("featherlb_timeouts_total", "Connections closed for a timeout, by route and reason (client_first_byte, idle)", counts);
    }

    /**
     * {@code featherlb_udp_dropped_total}: UDP datagrams dropped, by route and reason ({@code
     * max_sessions}, {@code no_endpoint}, {@code too_large}, {@code queue_full}), read at each scrape.
     */
    public void udpDrops(Supplier<Map<String, Map<String, Long>>> counts) {
        byRouteAndReason("featherlb_udp_dropped_total", "UDP datagrams dropped, by route and reason (max_sessions, no_endpoint, too_large, queue_full)", counts);
    }

    private void byRouteAndReason(String name, String help, Supplier<Map<String, Map<String, Long>>> counts) {
        CounterWithCallback.builder()
                .name(name)
                .help(help)
                .labelNames("route", "reason")
                .callback(cb -> counts.get().forEach((route, reasons) -> reasons.forEach((reason, n) -> cb.call(n, route, reason))))
                .register(registry);
    }

    /** A counter without labels whose value is read from {@code value} at each scrape. */
    public void counter(String name, String help, LongSupplier value) {
        CounterWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.getAsLong())).register(registry);
    }

    /** What a callback does for one endpoint of one route. */
    @FunctionalInterface
    private interface PerEndpoint {
        void visit(String route, Backend backend);
    }

    private static void each(Supplier<List<BackendPool>> pools, PerEndpoint action) {
        for (BackendPool pool : pools.get()) {
            String route = pool.route().name();
            for (Backend backend : pool.backends()) action.visit(route, backend);
        }
    }

    /** {@link #each} over the UDP routes ({@code udp}) or the TCP ones: sessions and connections are counted apart. */
    private static void each(Supplier<List<BackendPool>> pools, boolean udp, PerEndpoint action) {
        for (BackendPool pool : pools.get()) {
            if ((pool.route().protocol() == config.Protocol.UDP) != udp) continue;
            String route = pool.route().name();
            for (Backend backend : pool.backends()) action.visit(route, backend);
        }
    }
}
