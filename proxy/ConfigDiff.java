package proxy;

import config.Config;
import config.Durations;
import config.Endpoint;
import config.Route;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * What a reload from one config to another changes: the one account of it, for the log line of a
 * reload ({@link #summary}), the answer of {@code POST /api/v1/reload} and its dry run
 * ({@code ?dry_run=true}, {@code featherlb diff}). Pure: computed from the two configs, nothing
 * applied.
 *
 * <p>A route is the same route when its name is the same (the name defaults to {@code host:port},
 * so an unnamed route moved to another port is a new one, as its listener is); an endpoint is the
 * same endpoint when its route and {@code host:port} are the same, which is also what keeps its
 * live state over a reload (health, draining, counters).
 *
 * @param added    routes only in the new config, in its order
 * @param removed  routes only in the running config, in its order
 * @param changed  routes in both whose settings or endpoints differ
 * @param kept     routes in both that are exactly as they were
 * @param settings top-level settings that differ, as {@code key: old -> new}; those that only a
 *                 restart applies say so
 */
public record ConfigDiff(List<String> added, List<String> removed, List<RouteChange> changed, List<String> kept,
                         List<String> settings) {
    public ConfigDiff {
        added = List.copyOf(added);
        removed = List.copyOf(removed);
        changed = List.copyOf(changed);
        kept = List.copyOf(kept);
        settings = List.copyOf(settings);
    }

    /**
     * One route in both configs that differs.
     *
     * @param route      its name
     * @param settings   the route's own keys that differ, as {@code key: old -> new} (or the key
     *                   alone for a section such as {@code health_check})
     * @param endpoints  what happens to its endpoints
     */
    public record RouteChange(String route, List<String> settings, EndpointChanges endpoints) {
        public RouteChange {
            settings = List.copyOf(settings);
        }
    }

    /**
     * The endpoints of one route, old against new, each by {@code host:port}.
     *
     * @param added      only in the new config
     * @param removed    only in the running one: no new connections; open ones run to their end
     * @param reweighted in both, with another weight
     * @param changed    in both, with another {@code backup}, {@code health_check} or
     *                   {@code send_proxy} (and perhaps another weight: then here, with it said)
     * @param kept       in both, exactly as they were
     */
    public record EndpointChanges(List<String> added, List<String> removed, List<Reweight> reweighted,
                                  List<String> changed, List<String> kept) {
        public EndpointChanges {
            added = List.copyOf(added);
            removed = List.copyOf(removed);
            reweighted = List.copyOf(reweighted);
            changed = List.copyOf(changed);
            kept = List.copyOf(kept);
        }

        boolean any() {
            return !added.isEmpty() || !removed.isEmpty() || !reweighted.isEmpty() || !changed.isEmpty();
        }
    }

    /** An endpoint whose weight is all that changed. */
    public record Reweight(String address, int from, int to) {
    }

    /** What a reload from {@code running} to {@code next} changes. */
    public static ConfigDiff between(Config running, Config next) {
        Map<String, Route> before = byName(running.routes());
        Map<String, Route> after = byName(next.routes());
        List<String> added = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        List<RouteChange> changed = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        for (Route route : next.routes()) {
            Route old = before.get(route.name());
            if (old == null) {
                added.add(route.name());
            } else if (old.equals(route)) {
                kept.add(route.name());
            } else {
                changed.add(new RouteChange(route.name(), routeSettings(old, route), endpoints(old, route)));
            }
        }
        for (Route route : running.routes()) if (!after.containsKey(route.name())) removed.add(route.name());
        return new ConfigDiff(added, removed, changed, kept, topSettings(running, next));
    }

    /** Whether a reload would change nothing at all. */
    public boolean none() {
        return added.isEmpty() && removed.isEmpty() && changed.isEmpty() && settings.isEmpty();
    }

    /**
     * In words for the log: {@code +route} added, {@code -route} removed, {@code ~route} changed;
     * "no route changed" when only top-level settings did, "unchanged" when nothing did.
     */
    public String summary() {
        List<String> words = new ArrayList<>();
        added.forEach(r -> words.add("+" + r));
        removed.forEach(r -> words.add("-" + r));
        changed.forEach(c -> words.add("~" + c.route()));
        if (!words.isEmpty()) return String.join(" ", words);
        return settings.isEmpty() ? "unchanged" : "no route changed";
    }

    /** The diff as the admin API's JSON fields (see docs/reload.md). */
    public Map<String, Object> fields() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("added", added);
        m.put("removed", removed);
        m.put("changed", changed.stream().map(ConfigDiff::fields).toList());
        m.put("kept", kept);
        m.put("settings", settings);
        return m;
    }

    private static Map<String, Object> fields(RouteChange c) {
        Map<String, Object> endpoints = new LinkedHashMap<>();
        endpoints.put("added", c.endpoints().added());
        endpoints.put("removed", c.endpoints().removed());
        endpoints.put("reweighted", c.endpoints().reweighted().stream()
                .map(r -> Map.<String, Object>of("address", r.address(), "from", r.from(), "to", r.to())).toList());
        endpoints.put("changed", c.endpoints().changed());
        endpoints.put("kept", c.endpoints().kept());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("route", c.route());
        m.put("settings", c.settings());
        m.put("endpoints", endpoints);
        return m;
    }

    private static Map<String, Route> byName(List<Route> routes) {
        Map<String, Route> m = new LinkedHashMap<>();
        for (Route r : routes) m.put(r.name(), r);
        return m;
    }

    private static EndpointChanges endpoints(Route old, Route route) {
        Map<String, Endpoint> before = new LinkedHashMap<>();
        for (Endpoint e : old.endpoints()) before.put(e.address(), e);
        Map<String, Endpoint> after = new LinkedHashMap<>();
        for (Endpoint e : route.endpoints()) after.put(e.address(), e);
        List<String> added = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        List<Reweight> reweighted = new ArrayList<>();
        List<String> changed = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        for (Endpoint e : route.endpoints()) {
            Endpoint was = before.get(e.address());
            if (was == null) {
                added.add(e.address());
            } else if (was.equals(e)) {
                kept.add(e.address());
            } else if (new Endpoint(was.host(), was.port(), e.weight(), was.backup(), was.check(), was.sendProxy()).equals(e)) {
                reweighted.add(new Reweight(e.address(), was.weight(), e.weight()));
            } else {
                changed.add(e.address() + endpointChange(was, e));
            }
        }
        for (Endpoint e : old.endpoints()) if (!after.containsKey(e.address())) removed.add(e.address());
        return new EndpointChanges(added, removed, reweighted, changed, kept);
    }

    /** What differs besides the address, such as {@code " (backup: false -> true, health_check)"}. */
    private static String endpointChange(Endpoint was, Endpoint e) {
        List<String> what = new ArrayList<>();
        differ(what, "weight", was, e, Endpoint::weight);
        differ(what, "backup", was, e, Endpoint::backup);
        if (!Objects.equals(was.check(), e.check())) what.add("health_check");
        differ(what, "send_proxy", was, e, x -> x.sendProxy() == null ? "route's" : x.sendProxy().configName());
        return " (" + String.join(", ", what) + ")";
    }

    private static List<String> routeSettings(Route old, Route route) {
        List<String> what = new ArrayList<>();
        differ(what, "listen", old, route, r -> r.protocol().configName() + " " + r.listenAddress());
        differ(what, "strategy", old, route, r -> r.strategy().configName());
        differ(what, "timeouts.connect", old, route, r -> duration(r.timeouts().connect()));
        differ(what, "timeouts.idle", old, route, r -> duration(r.timeouts().idle()));
        differ(what, "max_connections", old, route, Route::maxConnections);
        differ(what, "retries", old, route, Route::retries);
        differ(what, "retry_on", old, route, r -> r.retryEmpty() ? "[connect-failure, empty-response]" : "[connect-failure]");
        if (!Objects.equals(old.health().check(), route.health().check())) what.add("health_check");
        if (!Objects.equals(old.health().passive(), route.health().passive())) what.add("passive");
        differ(what, "slow_start", old, route, r -> duration(r.health().slowStart()));
        differ(what, "on_down", old, route, r -> r.health().closeOnDown() ? "close" : "leave");
        if (!Objects.equals(old.sni(), route.sni())) what.add("sni");
        differ(what, "send_proxy", old, route, r -> r.proxy().send().configName());
        if (!Objects.equals(old.proxy().accept(), route.proxy().accept())) what.add("accept_proxy");
        return what;
    }

    private static List<String> topSettings(Config running, Config next) {
        List<String> what = new ArrayList<>();
        differ(what, "shutdown_grace", running, next, c -> duration(c.shutdownGrace()));
        differ(what, "max_connections", running, next, c -> c.maxConnections() == Config.DERIVED ? "derived" : c.maxConnections());
        String atStart = " (at the next start)";
        int before = what.size();
        differ(what, "engine", running, next, c -> c.engine().configName());
        differ(what, "reuse_port", running, next, Config::reusePort);
        differ(what, "admin", running, next, c -> c.admin().map(a -> a.address() + (a.tokenFile() == null ? "" : " with token_file")).orElse("off"));
        if (!running.accessLog().equals(next.accessLog())) what.add("access_log");
        for (int i = before; i < what.size(); i++) what.set(i, what.get(i) + atStart);
        return what;
    }

    private static <T> void differ(List<String> into, String key, T old, T next, Function<T, Object> value) {
        Object a = value.apply(old);
        Object b = value.apply(next);
        if (!Objects.equals(a, b)) into.add(key + ": " + a + " -> " + b);
    }

    private static String duration(Duration d) {
        return d == null ? "off" : Durations.format(d);
    }
}
