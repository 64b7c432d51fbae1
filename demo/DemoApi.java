package demo;

import static java.lang.System.Logger.Level.INFO;

import admin.ApiException;
import admin.ApiRequest;
import admin.Reply;
import admin.Router;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The demo's calls on featherlb's admin API, added only by {@code featherlb demo}:
 * <pre>
 * GET  /api/v1/demo                          the demo's backends (state, answers) and its load
 * POST /api/v1/demo/backends/{name}/stop     the backend closes its listening socket: connects are refused
 * POST /api/v1/demo/backends/{name}/start    it listens on its port again
 * </pre>
 * On the admin API rather than on a port of the backends' own because a stopped backend cannot
 * answer its own start, and because the admin address already has what a write call needs (the
 * token and origin checks, the loopback Host check) and is the address the demo prints.
 */
final class DemoApi {
    private static final System.Logger LOG = System.getLogger(DemoApi.class.getName());

    private final List<DemoBackend> backends;
    private final Supplier<Load> load;

    /** @param load the load once it runs, null before */
    DemoApi(List<DemoBackend> backends, Supplier<Load> load) {
        this.backends = backends;
        this.load = load;
    }

    void register(Router router) {
        router.add("GET", "/api/v1/demo", request -> Reply.ok(describe()))
                .add("POST", "/api/v1/demo/backends/{name}/stop", request -> {
                    DemoBackend backend = backend(request);
                    backend.stop();
                    LOG.log(INFO, "demo: backend {0} stopped by {1}", backend.name(), request.caller());
                    return Reply.ok(describe(backend));
                })
                .add("POST", "/api/v1/demo/backends/{name}/start", request -> {
                    DemoBackend backend = backend(request);
                    try {
                        backend.start();
                    } catch (IOException e) {
                        throw new ApiException(409, e.getMessage());
                    }
                    LOG.log(INFO, "demo: backend {0} started by {1}", backend.name(), request.caller());
                    return Reply.ok(describe(backend));
                });
    }

    Map<String, Object> describe() {
        List<Object> list = new ArrayList<>();
        for (DemoBackend backend : backends) list.add(describe(backend));
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("backends", list);
        Load running = load.get();
        if (running != null) {
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("rate", running.rate());
            l.put("answers", new LinkedHashMap<String, Object>(running.answers()));
            l.put("failed", running.failed());
            l.put("skipped", running.skipped());
            answer.put("load", l);
        }
        return answer;
    }

    private static Map<String, Object> describe(DemoBackend backend) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("name", backend.name());
        map.put("address", backend.address());
        map.put("state", backend.state().name().toLowerCase(Locale.ROOT));
        map.put("delay_ms", backend.delay().toMillis());
        map.put("answered", backend.answered());
        return map;
    }

    private DemoBackend backend(ApiRequest request) throws ApiException {
        String name = request.param("name");
        for (DemoBackend backend : backends) {
            if (backend.name().equals(name)) return backend;
        }
        throw ApiException.notFound("no demo backend '" + name + "' (backends: "
                + backends.stream().map(DemoBackend::name).collect(Collectors.joining(", ")) + ")");
    }
}
