package launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code featherlb demo} as a user runs it, as a process on free ports: the dashboard answers, the
 * load reaches all three backends, a stopped backend is taken out by the health check and gets no
 * more connections, it comes back when started, and SIGINT ends everything with exit 0.
 *
 * <p>The JSON is read with patterns rather than a parser so that this test does not depend on
 * which JSON library the admin API uses; they allow any white space the writer may put in.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class DemoCommandTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern DASHBOARD = Pattern.compile("dashboard\\s+(http://127\\.0\\.0\\.1:\\d+)/");

    @Test
    void theDemoBalancesOverThreeBackendsTakesAStoppedOneOutAndEndsCleanlyOnSigint(@TempDir Path dir) throws Exception {
        Path err = dir.resolve("stderr.txt");
        // a process started in the background by a non-interactive shell inherits SIGINT ignored, and
        // the JVM then keeps it ignored: reset it, as an interactive terminal's Ctrl-C finds it
        ProcessBuilder command = Featherlb.command("demo");
        command.command().addAll(0, List.of("env", "--default-signal=INT"));
        Process p = command.redirectError(err.toFile()).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String admin = null;
            for (String line; admin == null && (line = out.readLine()) != null; ) {
                Matcher m = DASHBOARD.matcher(line);
                if (m.find()) admin = m.group(1);
            }
            assertTrue(admin != null, "the demo printed no dashboard URL; stderr: " + Files.readString(err));

            var page = get(admin + "/");
            assertEquals(200, page.statusCode());
            assertTrue(page.body().contains("<html"), page.body());

            String api = admin;
            waitFor(() -> answers(api, "fast") > 0 && answers(api, "slow") > 0 && answers(api, "stoppable") > 0,
                    "the load reaches all three backends: " + get(api + "/api/v1/demo").body());
            String stoppable = field(get(admin + "/api/v1/demo").body(), "\"name\"\\s*:\\s*\"stoppable\"\\s*,\\s*\"address\"\\s*:\\s*\"([^\"]+)\"");

            var stop = post(admin + "/api/v1/demo/backends/stoppable/stop");
            assertEquals(200, stop.statusCode(), stop.body());
            assertTrue(stop.body().matches("(?s).*\"state\"\\s*:\\s*\"stopped\".*"), stop.body());
            waitFor(() -> endpointState(api, stoppable).equals("down"), "featherlb takes the stopped backend out");

            long answersBefore = answers(admin, "stoppable");
            long connectionsBefore = endpointConnections(admin, stoppable);
            long fastBefore = answers(admin, "fast");
            Thread.sleep(2000); // 40 requests at 20 a second
            assertEquals(answersBefore, answers(admin, "stoppable"), "no answer from a stopped backend");
            assertEquals(connectionsBefore, endpointConnections(admin, stoppable), "featherlb sends it no connection");
            assertTrue(answers(admin, "fast") > fastBefore + 5, "the others carry the load");

            assertEquals(200, post(admin + "/api/v1/demo/backends/stoppable/start").statusCode());
            waitFor(() -> endpointState(api, stoppable).equals("up"), "featherlb takes it back after 2 passed checks");
            long back = answers(admin, "stoppable");
            waitFor(() -> answers(api, "stoppable") > back, "the load reaches it again");
            assertEquals(404, post(admin + "/api/v1/demo/backends/nonesuch/stop").statusCode());

            new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
            List<String> rest = new ArrayList<>();
            for (String line; (line = out.readLine()) != null; ) rest.add(line);
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "the demo ends after SIGINT");
            String log = Files.readString(err);
            assertEquals(0, p.exitValue(), log);
            assertTrue(rest.contains("demo: stopped; every thread it started has ended"), rest + "\n" + log);
            assertTrue(log.contains("SIGINT: shutting down"), log);
            assertTrue(!log.contains("\tat ") && !log.contains("ERROR"), log);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void theDemoStopsByItselfWhenItsDurationIsOver() throws Exception {
        var r = Featherlb.run("demo", "--duration", "2s");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("demo: 2s of load are over; stopping"), r.out());
        assertTrue(r.out().contains("demo: stopped; every thread it started has ended"), r.out());
    }

    @Test
    void helpExplainsTheDemoAndABadOptionIsOneLineWithExitTwo() throws Exception {
        var help = Featherlb.run("demo", "--help");
        assertEquals(0, help.exit());
        for (String text : List.of("--duration", "--rate", "--port", "--admin-port", "stoppable", "/api/v1/demo/backends/stoppable/stop", "Ctrl-C")) {
            assertTrue(help.out().contains(text), text + " in\n" + help.out());
        }
        var bad = Featherlb.run("demo", "--rate", "0");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().startsWith("--rate 0 is out of range (expected 1..1000 requests a second)\n"), bad.err());
        assertTrue(!bad.err().contains("\tat "), "no stack trace");
    }

    /** The load's answers from one backend, from GET /api/v1/demo. */
    private static long answers(String admin, String name) {
        String body = get(admin + "/api/v1/demo").body();
        String answers = field(body, "\"answers\"\\s*:\\s*\\{([^}]*)\\}");
        return Long.parseLong(field(answers, "\"" + name + "\"\\s*:\\s*(\\d+)"));
    }

    /** The endpoint's object in GET /api/v1/routes: from its address to the end of its connect_failures. */
    private static String endpoint(String admin, String address) {
        String body = get(admin + "/api/v1/routes").body();
        return field(body, "(\"address\"\\s*:\\s*\"" + Pattern.quote(address) + "\".*?\\}\\s*\\})");
    }

    private static String endpointState(String admin, String address) {
        return field(endpoint(admin, address), "\"state\"\\s*:\\s*\"(\\w+)\"");
    }

    private static long endpointConnections(String admin, String address) {
        return Long.parseLong(field(endpoint(admin, address), "\"connections\"\\s*:\\s*(\\d+)"));
    }

    private static String field(String text, String regex) {
        Matcher m = Pattern.compile(regex, Pattern.DOTALL).matcher(text);
        assertTrue(m.find(), regex + " not in " + text);
        return m.group(1);
    }

    private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("not within 15 s: " + what);
            Thread.sleep(100);
        }
    }

    private static HttpResponse<String> get(String url) {
        return send(HttpRequest.newBuilder(URI.create(url)).GET());
    }

    private static HttpResponse<String> post(String url) {
        return send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.noBody()));
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
