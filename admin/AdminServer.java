package admin;

import static java.lang.System.Logger.Level.DEBUG;
import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import config.Admin;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The admin HTTP server: {@code GET /metrics} for Prometheus, {@code GET /healthz} and
 * {@code GET /readyz} for a supervisor's probes ({@link Probes}), the JSON API under {@code /api/v1}
 * (see {@link RoutesApi}; more calls go into {@link #api()}), and the dashboard at {@code /}.
 *
 * <p>The JDK's {@code com.sun.net.httpserver}: its dispatcher thread accepts and parses, and each
 * request runs on a virtual thread of {@link #requests}, so a slow scrape or client cannot hold up
 * another. Both are owned here and ended by {@link #close()}.
 *
 * <p>Who may call what: reads ({@code GET}) are open to whoever reaches the address; write calls
 * need {@code Authorization: Bearer <token>} when a {@code token_file} is set (401 without it, 403
 * with another token). Two cheap checks guard a loopback admin against the browser of the person
 * at the machine being used against it: write calls from a page of another origin are refused
 * ({@code Origin} must match {@code Host}), and on a loopback address the {@code Host} header must
 * be a loopback name, which defeats DNS rebinding.
 */
public final class AdminServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(AdminServer.class.getName());
    private static final int MAX_BODY = 64 * 1024;
    private static final String JSON_TYPE = "application/json; charset=utf-8";
    /** No inline script or style, nothing from elsewhere: the page is its three files and the API. */
    private static final String CSP = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'none'";

    /**
     * Bounds on a request that the JDK server enforces once told to (its defaults: no time limit, 200
     * headers, 380 KiB): a header must arrive within 10 s ({@code maxReqTime}, in seconds, checked each
     * second), in at most 100 lines and 64 KiB. Over them the JDK server closes the connection
     * without an answer. Set before its classes load, which read them once; a user's own
     * {@code -D} wins. Without them 400 connections sending a byte a second stayed open.
     */
    static final Map<String, String> LIMITS = Map.of(
            "sun.net.httpserver.maxReqTime", "10",
            "sun.net.httpserver.maxReqHeaders", "100",
            "sun.net.httpserver.maxReqHeaderSize", Integer.toString(64 * 1024));

    static {
        LIMITS.forEach((key, value) -> {
            if (System.getProperty(key) == null) System.setProperty(key, value);
        });
    }

    private final Admin config;
    private final Router api;
    private final HttpHandler metrics;
    private final Probes probes;
    private final Dashboard dashboard = new Dashboard();
    private final byte[] token; // null: writes need no token
    private final ExecutorService requests = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("featherlb-admin-", 0).factory());
    private HttpServer server;
    private boolean loopback;

    /**
     * @param api     the API's calls; {@link RoutesApi#register} adds the routes calls
     * @param metrics the {@code /metrics} handler
     * @throws IOException when the token file cannot be read
     */
    public AdminServer(Admin config, Router api, HttpHandler metrics) throws IOException {
        this(config, api, metrics, Probes.ALWAYS);
    }

    /** @param probes what {@code GET /healthz} and {@code GET /readyz} answer */
    public AdminServer(Admin config, Router api, HttpHandler metrics, Probes probes) throws IOException {
        this.config = config;
        this.api = api;
        this.metrics = metrics;
        this.probes = probes;
        this.token = config.tokenFile() == null ? null : token(config);
    }

    private static byte[] token(Admin config) throws IOException {
        try {
            String token = config.readToken();
            if (token.isEmpty()) throw new IOException("it is empty");
            return token.getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IOException("cannot read the admin token_file " + config.tokenFile() + ": "
                    + (e instanceof NoSuchFileException ? "no such file" : e.getMessage()), e);
        }
    }

    /** The table of API calls, for other parts to add theirs (e.g. {@code POST /api/v1/reload}). */
    public Router api() {
        return api;
    }

    /** Binds and starts serving; a bind failure is an IOException that names the address. */
    public synchronized void start() throws IOException {
        InetSocketAddress bind = new InetSocketAddress(config.host(), config.port());
        try {
            server = HttpServer.create(bind, 64);
        } catch (IOException e) {
            throw new IOException("cannot serve the admin API on " + config.address() + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        }
        loopback = bind.getAddress() != null && bind.getAddress().isLoopbackAddress();
        server.setExecutor(requests);
        server.createContext("/", this::handle);
        server.start();
        String url = "http://" + hostPort(address());
        LOG.log(INFO, "admin: dashboard at {0}/, metrics at {0}/metrics, API at {0}/api/v1/routes", url);
        if (!loopback && token == null) {
            LOG.log(WARNING, "admin: listening on {0}, not a loopback address, without a token_file: anyone who can reach it "
                    + "can drain endpoints and change weights", config.address());
        }
    }

    /** The bound address (the real port when the config asked for port 0). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** Stops serving: waits up to a second for requests under way, then closes what is left. */
    @Override
    public synchronized void close() {
        if (server != null) server.stop(1);
        requests.close();
    }

    private void handle(HttpExchange exchange) {
        try (exchange) {
            String path = exchange.getRequestURI().getRawPath();
            String method = exchange.getRequestMethod();
            if (loopback && !loopbackHost(exchange.getRequestHeaders().getFirst("Host"))) {
                error(exchange, 403, "the Host header is not a loopback name: this admin address answers only "
                        + "requests for localhost or a loopback address");
            } else if (path.equals("/metrics")) {
                if (method.equals("GET")) metrics.handle(exchange);
                else methodNotAllowed(exchange, "GET");
            } else if (probes.answer(path) instanceof Reply probe) {
                if (method.equals("GET")) send(exchange, probe.status(), JSON_TYPE, ApiJson.write(probe.body()));
                else methodNotAllowed(exchange, "GET");
            } else if (path.startsWith("/api/")) {
                api(exchange, method, path);
            } else {
                page(exchange, method, path);
            }
        } catch (IOException e) {
            LOG.log(DEBUG, "admin: {0} {1}: {2}", exchange.getRequestMethod(), exchange.getRequestURI(), e.toString());
        }
    }

    private void api(HttpExchange exchange, String method, String rawPath) throws IOException {
        List<String> segments = new ArrayList<>();
        try {
            for (String part : rawPath.split("/")) {
                if (!part.isEmpty()) segments.add(URLDecoder.decode(part.replace("+", "%2B"), StandardCharsets.UTF_8));
            }
        } catch (IllegalArgumentException e) {
            error(exchange, 400, "the path " + rawPath + " has a bad %-escape");
            return;
        }
        switch (api.find(method, segments)) {
            case Router.Found.Nothing ignored -> error(exchange, 404, "no API call " + method + " " + rawPath + " (see GET /api/v1/routes)");
            case Router.Found.WrongMethod wrong -> methodNotAllowed(exchange, String.join(", ", wrong.allowed()));
            case Router.Found.Call call -> call(exchange, method, "/" + String.join("/", segments), call);
        }
    }

    private void call(HttpExchange exchange, String method, String path, Router.Found.Call call) throws IOException {
        if (!method.equals("GET") && !mayWrite(exchange)) return;
        byte[] body = exchange.getRequestBody().readNBytes(MAX_BODY + 1);
        if (body.length > MAX_BODY) {
            error(exchange, 413, "the body is larger than " + MAX_BODY + " bytes");
            return;
        }
        InetSocketAddress remote = exchange.getRemoteAddress();
        String caller = remote == null ? "?" : hostPort(remote);
        Reply reply;
        try {
            reply = call.handler().handle(new ApiRequest(method, path, call.params(), new String(body, StandardCharsets.UTF_8), caller,
                    query(exchange.getRequestURI().getRawQuery())));
        } catch (ApiException e) {
            error(exchange, e.status(), e.getMessage());
            return;
        } catch (RuntimeException e) {
            LOG.log(WARNING, "admin: {0} {1} failed: {2}", method, path, e.toString());
            error(exchange, 500, "internal error: " + e);
            return;
        }
        send(exchange, reply.status(), JSON_TYPE, ApiJson.write(reply.body()));
    }

    /** The query string's parameters (the first of a repeated name); a bad %-escape is a 400. */
    private static Map<String, String> query(String raw) throws ApiException {
        Map<String, String> query = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) return query;
        try {
            for (String pair : raw.split("&")) {
                if (pair.isEmpty()) continue;
                int eq = pair.indexOf('=');
                String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                query.putIfAbsent(name, value);
            }
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("the query ?" + raw + " has a bad %-escape");
        }
        return query;
    }

    /** Whether a write call may go on; if not, the refusal has been sent. */
    private boolean mayWrite(HttpExchange exchange) throws IOException {
        var headers = exchange.getRequestHeaders();
        String origin = headers.getFirst("Origin");
        String host = headers.getFirst("Host");
        if (origin != null && !origin.equalsIgnoreCase("http://" + host) && !origin.equalsIgnoreCase("https://" + host)) {
            error(exchange, 403, "a write call from a page of another origin (" + origin + ") is refused");
            return false;
        }
        if (token == null) return true;
        String authorization = headers.getFirst("Authorization");
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"featherlb admin\"");
            error(exchange, 401, "write calls need the admin token: Authorization: Bearer <token from token_file>");
            return false;
        }
        byte[] presented = authorization.substring(7).strip().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(presented, token)) { // constant time: no timing hint of how much matched
            error(exchange, 403, "the bearer token is not the admin token");
            return false;
        }
        return true;
    }

    private void page(HttpExchange exchange, String method, String path) throws IOException {
        Dashboard.File file = dashboard.file(path);
        if (file == null) {
            error(exchange, 404, "nothing at " + path + " (the dashboard is at /, metrics at /metrics, the API at /api/v1/routes)");
        } else if (!method.equals("GET")) {
            methodNotAllowed(exchange, "GET");
        } else {
            exchange.getResponseHeaders().set("Content-Security-Policy", CSP);
            send(exchange, 200, file.contentType(), file.bytes());
        }
    }

    private static void methodNotAllowed(HttpExchange exchange, String allowed) throws IOException {
        exchange.getResponseHeaders().set("Allow", allowed);
        error(exchange, 405, exchange.getRequestMethod() + " is not allowed here (allowed: " + allowed + ")");
    }

    private static void error(HttpExchange exchange, int status, String message) throws IOException {
        send(exchange, status, JSON_TYPE, ApiJson.write(Map.of("error", message)));
    }

    private static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
        send(exchange, status, type, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        var headers = exchange.getResponseHeaders();
        headers.set("Content-Type", type);
        headers.set("Cache-Control", "no-store");
        headers.set("X-Content-Type-Options", "nosniff");
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    /** {@code localhost}, a name under it, or a loopback address literal, with or without a port. */
    static boolean loopbackHost(String hostHeader) {
        if (hostHeader == null) return true; // HTTP/1.0 without Host: not a browser that rebinding can steer
        String host = hostHeader.strip();
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            host = end < 0 ? host : host.substring(1, end);
        } else if (host.indexOf(':') >= 0) {
            host = host.substring(0, host.indexOf(':'));
        }
        if (host.equalsIgnoreCase("localhost") || host.toLowerCase(Locale.ROOT).endsWith(".localhost")) return true;
        try {
            return InetAddress.ofLiteral(host).isLoopbackAddress();
        } catch (IllegalArgumentException notALiteral) {
            return false;
        }
    }

    private static String hostPort(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
