package admin;

import history.History;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /api/v1/history}: the last five minutes of every endpoint, one sample a second (see
 * {@link History}), for the dashboard's charts. Per route, per endpoint: {@code time_ms},
 * {@code connections} (made in each second: connections/s), {@code failures} (connects failed in
 * each second) and {@code connect_p99_ms} (of the connects in each second; null in a second without
 * one), oldest first, the same length.
 */
public final class HistoryApi {
    private final History history;

    public HistoryApi(History history) {
        this.history = history;
    }

    public void register(Router api) {
        api.add("GET", "/api/v1/history", request -> Reply.ok(answer()));
    }

    private Map<String, Object> answer() {
        Map<String, List<Map<String, Object>>> byRoute = new LinkedHashMap<>();
        for (History.Series s : history.series()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("address", s.address());
            e.put("time_ms", Arrays.stream(s.timeMs()).boxed().toList());
            e.put("connections", Arrays.stream(s.connections()).boxed().toList());
            e.put("failures", Arrays.stream(s.failures()).boxed().toList());
            e.put("connect_p99_ms", Arrays.asList(s.connectP99Ms()));
            byRoute.computeIfAbsent(s.route(), r -> new ArrayList<>()).add(e);
        }
        List<Map<String, Object>> routes = new ArrayList<>();
        byRoute.forEach((name, endpoints) -> {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("name", name);
            r.put("endpoints", endpoints);
            routes.add(r);
        });
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("interval_ms", History.INTERVAL_MS);
        m.put("samples", History.SAMPLES);
        m.put("routes", routes);
        return m;
    }
}
