package admin;

import algorithms.Strategy;
import config.Admin;
import config.Endpoint;
import config.Route;
import config.Timeouts;
import health.Ticker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.random.RandomGenerator;
import pool.Backend;
import pool.BackendPool;

/**
 * Fuzz target for the admin API's request handling: the path's decoding, the router, the write
 * checks (Host, Origin, the bearer token), the body's bound and its JSON through jackson-jr, and
 * the routes calls that act on it, all in {@link AdminServer#handle} on an in-process exchange.
 *
 * <p>An input is lines: the method, the raw path (with query), then the Host, Origin and
 * Authorization headers (an empty line: no such header), then the body, the rest of the input.
 * Checked: every request gets exactly one answer, a status the API means to give (never 500, which
 * would be a handler's bug), and every answer of 400 or more is a JSON object with an "error".
 * Run by {@code make fuzz} through Jazzer and on its corpus by {@code fuzz.CorpusTest}.
 */
public final class AdminFuzzer {
    private static final Set<Integer> STATUSES = Set.of(200, 400, 401, 403, 404, 405, 413);
    static final String TOKEN = "fuzz-token";
    private static final AdminServer SERVER = server();

    private AdminFuzzer() {
    }

    /** Route "web" with endpoints 127.0.0.1:9001 and :9002 (never dialled), the admin server on a loopback port with a token. */
    private static AdminServer server() {
        try {
            Endpoint a = new Endpoint("127.0.0.1", 9001, 1, false);
            Endpoint b = new Endpoint("127.0.0.1", 9002, 2, false);
            Route route = new Route("web", "127.0.0.1", 0, Strategy.ROUNDROBIN, List.of(a, b), Timeouts.DEFAULTS, 0, Route.DEFAULT_RETRIES);
            BackendPool pool = new BackendPool(route, List.of(new Backend(a, route, Ticker.SYSTEM, x -> { }),
                    new Backend(b, route, Ticker.SYSTEM, x -> { })), RandomGenerator.getDefault());
            Router api = new Router();
            new RoutesApi(() -> List.of(pool)).register(api);
            Path token = Files.createTempFile("featherlb-fuzz-token", "");
            token.toFile().deleteOnExit();
            Files.writeString(token, TOKEN + "\n");
            AdminServer server = new AdminServer(new Admin("127.0.0.1", 0, token), api, exchange -> {
                exchange.sendResponseHeaders(200, -1);
                exchange.close();
            });
            server.start(); // binds 127.0.0.1:0 so that the Host check is on, as on a loopback admin
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void fuzzerTestOneInput(byte[] data) {
        String[] head = new String[5];
        int at = 0;
        for (int i = 0; i < head.length; i++) {
            int end = indexOf(data, at);
            head[i] = new String(data, at, end - at, StandardCharsets.ISO_8859_1); // as the JDK server reads a request's head
            at = Math.min(end + 1, data.length);
        }
        String method = head[0];
        // what the JDK server would have refused before featherlb saw it: no such request line
        if (method.isEmpty() || !method.chars().allMatch(c -> c > 32 && c < 127)) return;
        URI uri;
        try {
            uri = new URI(head[1]);
        } catch (URISyntaxException e) {
            return;
        }
        if (uri.getRawPath() == null) return;
        Map<String, String> headers = new LinkedHashMap<>();
        if (!head[2].isEmpty()) headers.put("Host", head[2]);
        if (!head[3].isEmpty()) headers.put("Origin", head[3]);
        if (!head[4].isEmpty()) headers.put("Authorization", head[4]);
        InProcessExchange exchange;
        try {
            exchange = new InProcessExchange(method, uri, headers, Arrays.copyOfRange(data, at, data.length));
        } catch (IllegalArgumentException e) { // a header value the JDK server refuses (CR, other control characters)
            return;
        }
        SERVER.handle(exchange);
        int status = exchange.status();
        if (!STATUSES.contains(status)) {
            throw new AssertionError(method + " " + head[1] + " answered " + status + ": " + exchange.answer());
        }
        if (status >= 400) {
            Object answer;
            try {
                answer = ApiJson.parse(exchange.answer());
            } catch (ApiJson.Malformed e) {
                throw new AssertionError("the answer " + status + " is not JSON: " + exchange.answer(), e);
            }
            if (!(answer instanceof Map<?, ?> map) || !(map.get("error") instanceof String)) {
                throw new AssertionError("the answer " + status + " has no \"error\": " + exchange.answer());
            }
        }
    }

    private static int indexOf(byte[] data, int from) {
        for (int i = from; i < data.length; i++) {
            if (data[i] == '\n') return i;
        }
        return data.length;
    }
}
