package reload;

import com.fasterxml.jackson.jr.ob.JSON;
import config.Admin;
import config.ConfigError;
import config.SmallFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code featherlb diff}: asks a running featherlb what a reload would change
 * ({@code POST /api/v1/reload?dry_run=true}, the file as the body) and prints the answer. Applies
 * nothing. Runs on the command's thread; the HTTP client is closed before {@link #run} returns.
 *
 * <p>Exit status: 0 the config is valid (whether or not it changes anything), 2 it is not (every
 * problem printed as {@code FILE:LINE:COLUMN: message}) or the command line is wrong, 1 the
 * instance could not be asked (not reachable, refused the token, answered something else).
 */
public final class DryRun {
    /** The admin server's bound on a request body (admin/AdminServer's MAX_BODY). */
    public static final int MAX_BODY = 64 * 1024;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    /**
     * Where to ask and with what.
     *
     * @param admin the instance's admin address, {@code http://host:port} (or {@code host:port})
     * @param token the bearer token write calls need, or null when the instance has none
     * @param file  the config to compare, or null to have the instance read its own config file
     */
    public record Target(String admin, String token, Path file) {
    }

    /** The bad input of a command line, said in one line (exit status 2). */
    public static final class Refused extends Exception {
        public Refused(String message) {
            super(message);
        }
    }

    private DryRun() {
    }

    /**
     * The admin URL of a config's {@code admin:} section: a wildcard bind address is asked on
     * loopback, where every bind address answers.
     */
    public static String url(Admin admin) {
        String host = switch (admin.host()) {
            case "0.0.0.0" -> "127.0.0.1";
            case "::", "0:0:0:0:0:0:0:0" -> "::1";
            default -> admin.host();
        };
        return "http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + admin.port();
    }

    /** Asks and prints; returns the exit status. */
    public static int run(Target target, PrintWriter out, PrintWriter err) {
        try {
            return ask(target, out, err);
        } catch (Refused e) {
            err.println("featherlb diff: " + e.getMessage());
            return 2;
        } catch (IOException e) {
            err.println("featherlb diff: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("featherlb diff: interrupted");
            return 1;
        } finally {
            out.flush();
            err.flush();
        }
    }

    private static int ask(Target target, PrintWriter out, PrintWriter err) throws Refused, IOException, InterruptedException {
        URI uri = uri(target.admin());
        HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.noBody();
        String name = target.file() == null ? null : target.file().toString();
        if (target.file() != null) {
            byte[] bytes;
            try {
                bytes = SmallFile.read(target.file(), MAX_BODY, "a featherlb YAML config file");
            } catch (SmallFile.Refused e) {
                throw new Refused(name + ": " + e.getMessage() + " (a dry run sends at most " + MAX_BODY / 1024
                        + " KiB; for a larger file, save it as the instance's config file and run featherlb diff without a file)");
            } catch (IOException e) {
                throw new Refused(name + ": cannot be read: " + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()));
            }
            body = HttpRequest.BodyPublishers.ofByteArray(bytes);
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(uri.resolve("/api/v1/reload?dry_run=true"))
                .timeout(TIMEOUT).header("Content-Type", "application/yaml").POST(body);
        if (target.token() != null) request.header("Authorization", "Bearer " + target.token());
        HttpResponse<String> response;
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build()) {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (ConnectException e) {
            throw new IOException("cannot reach the admin address " + uri + ": connection refused "
                    + "(is featherlb running there with admin: on? --admin host:port names another)", e);
        } catch (HttpTimeoutException e) {
            throw new IOException("the admin address " + uri + " did not answer within " + TIMEOUT.toSeconds() + " s", e);
        }
        Map<String, Object> answer = json(response.body(), uri);
        if (response.statusCode() == 200 && Boolean.TRUE.equals(answer.get("dry_run"))) {
            print(answer, name == null ? "the instance's config file" : name, uri, out);
            return 0;
        }
        if (response.statusCode() == 400 && answer.get("errors") instanceof List<?> errors) {
            for (Object e : errors) err.println(problem(e, name));
            err.println("featherlb diff: " + errors.size() + " problem(s); a reload would refuse this config and keep the running one");
            return 2;
        }
        String why = answer.get("error") instanceof String s ? s : response.body();
        String hint = switch (response.statusCode()) {
            case 401, 403 -> " (the admin token: --token-file FILE or FEATHERLB_ADMIN_TOKEN)";
            case 404 -> " (an older featherlb without dry runs?)";
            default -> "";
        };
        throw new IOException(uri + " answered " + response.statusCode() + ": " + why + hint);
    }

    private static URI uri(String admin) throws Refused {
        String text = admin.contains("://") ? admin : "http://" + admin;
        try {
            URI uri = URI.create(text);
            if (!"http".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 0) {
                throw new IllegalArgumentException("not http://host:port");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new Refused("--admin " + admin + " is not an admin address (expected host:port or http://host:port, such as 127.0.0.1:9900)");
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(String body, URI uri) throws IOException {
        try {
            if (JSON.std.anyFrom(body) instanceof Map<?, ?> map) return (Map<String, Object>) map;
        } catch (IOException e) {
            // not JSON: said below
        }
        String shown = body.length() > 80 ? body.substring(0, 77) + "..." : body;
        throw new IOException(uri + " answered something other than featherlb's admin API: " + shown.strip());
    }

    /** A problem as FILE:LINE:COLUMN: message, FILE being the file sent (its lines are the body's). */
    private static String problem(Object e, String name) {
        if (!(e instanceof Map<?, ?> m)) return String.valueOf(e);
        int line = m.get("line") instanceof Number n ? n.intValue() : 0;
        int column = m.get("column") instanceof Number n ? n.intValue() : 0;
        String file = name != null ? name : String.valueOf(m.get("file"));
        return new ConfigError(file, line, column, String.valueOf(m.get("message"))).toString();
    }

    /** The answer as a diff: {@code +} added, {@code -} removed, {@code ~} changed, {@code =} kept. */
    private static void print(Map<String, Object> answer, String name, URI uri, PrintWriter out) {
        out.println("featherlb diff: " + name + " against the config running at " + uri + " (nothing applied)");
        for (Object r : list(answer, "added")) out.println("+ route " + r);
        for (Object r : list(answer, "removed")) out.println("- route " + r + " (its open connections would finish)");
        for (Object c : list(answer, "changed")) {
            Map<?, ?> change = (Map<?, ?>) c;
            out.println("~ route " + change.get("route"));
            for (Object s : list(change, "settings")) out.println("    " + s);
            Map<?, ?> endpoints = (Map<?, ?>) change.get("endpoints");
            for (Object e : list(endpoints, "added")) out.println("    + endpoint " + e);
            for (Object e : list(endpoints, "removed")) out.println("    - endpoint " + e);
            for (Object w : list(endpoints, "reweighted")) {
                Map<?, ?> r = (Map<?, ?>) w;
                out.println("    ~ endpoint " + r.get("address") + " weight " + r.get("from") + " -> " + r.get("to"));
            }
            for (Object e : list(endpoints, "changed")) out.println("    ~ endpoint " + e);
            List<?> kept = list(endpoints, "kept");
            if (!kept.isEmpty()) out.println("    = endpoint" + (kept.size() == 1 ? " " : "s ") + join(kept) + " (live state kept)");
        }
        List<?> kept = list(answer, "kept");
        if (!kept.isEmpty()) out.println("= route" + (kept.size() == 1 ? " " : "s ") + join(kept) + " (as they are)");
        for (Object s : list(answer, "settings")) out.println("~ " + s);
        String changes = String.valueOf(answer.get("changes"));
        out.println(changes.equals("unchanged") ? "a reload would change nothing" : "a reload would change: " + changes);
    }

    private static List<?> list(Map<?, ?> map, String key) {
        return map != null && map.get(key) instanceof List<?> l ? l : List.of();
    }

    private static String join(List<?> items) {
        return String.join(", ", items.stream().map(String::valueOf).toList());
    }
}
