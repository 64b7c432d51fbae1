package e2e;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * SNI routing to TLS backends, end to end: one featherlb port, three routes chosen by the
 * ClientHello's server name without terminating TLS. Each backend runs a second nginx with {@code
 * ssl} on two ports, with certificates made at run time by openssl in its container: {@code
 * app.e2e.test} on backend1 and backend2 (port 8443), {@code db.e2e.test} on backend3 (8443), and
 * the default route's {@code default.e2e.test} on backend1 (8444). wrk loads the two names over
 * TLS, a new handshake per request; curl without a server name (an IP address) and with an unknown
 * one must land on the default. nginx logs the port and {@code $ssl_server_name} it served, so each
 * request shows where it went.
 */
final class SniRouting implements OwnScenario {
    static final String NAME = "sni";
    static final int PORT = 8202;
    static final String APP = "app.e2e.test";
    static final String DB = "db.e2e.test";
    static final String UNKNOWN = "unknown.e2e.test";
    static final int NAMED_PORT = 8443;
    static final int DEFAULT_PORT = 8444;
    static final String LOG = "/tmp/e2e-sni.log";
    /** Seven fields; {@link #parse} reads them. */
    static final String FORMAT = "$msec $hostname $http_x_e2e_scenario $http_x_e2e_client $status $server_port $ssl_server_name";
    /** Requests of each curl probe (no server name, an unknown one). */
    static final int PROBES = 5;

    private final Scenario scenario = new Scenario(NAME, "roundrobin", PORT, List.of(
            new Scenario.Endpoint(Scenarios.backend(1), NAMED_PORT, 1), new Scenario.Endpoint(Scenarios.backend(2), NAMED_PORT, 1),
            new Scenario.Endpoint(Scenarios.backend(3), NAMED_PORT, 1)), 2, new Scenario.Check.Own(routes()));

    private static String routes() {
        return """
                  - name: sni-app
                    host: 0.0.0.0
                    port: %1$d
                    sni: [%2$s]
                    endpoints: [{host: backend1, port: %4$d}, {host: backend2, port: %4$d}]
                  - name: sni-db
                    host: 0.0.0.0
                    port: %1$d
                    sni: [%3$s]
                    endpoints: [{host: backend3, port: %4$d}]
                  - name: sni-default
                    host: 0.0.0.0
                    port: %1$d
                    sni_timeout: 5s
                    endpoints: [{host: backend1, port: %5$d}]
                """.formatted(PORT, APP, DB, NAMED_PORT, DEFAULT_PORT);
    }

    /** The name each backend's port 8443 serves. */
    static String nameOf(String backend) {
        return backend.equals(Scenarios.backend(3)) ? DB : APP;
    }

    static String nginxConfig(String name) {
        return """
                daemon on;
                worker_processes 1;
                pid /tmp/e2e-sni.pid;
                error_log /tmp/e2e-sni-error.log warn;
                events { worker_connections 4096; }
                http {
                    server_tokens off;
                    default_type text/plain;
                    log_format sni '%1$s';
                    access_log %2$s sni;
                    server {
                        listen %3$d ssl backlog=4096;
                        ssl_certificate /tmp/e2e-sni-%4$s.pem;
                        ssl_certificate_key /tmp/e2e-sni-%4$s.key;
                        location / { return 200 "$hostname $server_port $ssl_server_name\\n"; }
                    }
                    server {
                        listen %5$d ssl backlog=4096;
                        ssl_certificate /tmp/e2e-sni-default.e2e.test.pem;
                        ssl_certificate_key /tmp/e2e-sni-default.e2e.test.key;
                        location / { return 200 "$hostname $server_port $ssl_server_name\\n"; }
                    }
                }
                """.formatted(FORMAT, LOG, NAMED_PORT, name, DEFAULT_PORT);
    }

    /** A self-signed certificate for each of {@code names}, made by the container's own openssl. */
    private static final String CERTIFICATES = """
            command -v openssl >/dev/null || { echo "no openssl in this image (the offline image has it)" >&2; exit 1; }
            for name in "$@"; do
              openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=$name" \\
                -keyout /tmp/e2e-sni-$name.key -out /tmp/e2e-sni-$name.pem 2>/dev/null || exit 1
            done
            """;

    @Override
    public Scenario scenario() {
        return scenario;
    }

    @Override
    public ScenarioResult run(Stack stack) {
        for (String backend : scenario.backends()) {
            stack.shell(backend, "making certificates with openssl", CERTIFICATES, nameOf(backend), "default.e2e.test");
            stack.nginx(backend, "e2e-sni", nginxConfig(nameOf(backend)));
        }
        String featherlb = stack.featherlb();
        // wrk sends the URL's host name as SNI; the clients know featherlb's names from /etc/hosts
        for (String client : List.of("client1", "client2")) {
            stack.shell(client, "naming featherlb " + APP + " and " + DB, "echo \"$1 $2 $3\" >> /etc/hosts", featherlb, APP, DB);
        }
        awaitTls(stack, APP);
        int seconds = stack.options().seconds();
        stack.line("3 routes on featherlb:%d by server name; wrk -t1 -c8 -d%ds over TLS: %s from client1, %s from client2".formatted(
                PORT, seconds, APP, DB));
        Exec app = stack.docker().exec(stack.containers().get("client1"), wrk("client1", APP, seconds));
        Exec db = stack.docker().exec(stack.containers().get("client2"), wrk("client2", DB, seconds));
        // no server name: curl sends none for an IP address; an unknown one: curl --resolve
        String probes = """
                for i in $(seq 1 %1$d); do
                  curl -fsSk -o /dev/null -m 5 -H "X-E2E-Scenario: %2$s" -H "X-E2E-Client: no-sni" "https://$1:%3$d/" || exit 1
                  curl -fsSk -o /dev/null -m 5 -H "X-E2E-Scenario: %2$s" -H "X-E2E-Client: unknown-name" \\
                    --resolve "%4$s:%3$d:$1" "https://%4$s:%3$d/" || exit 1
                done
                """.formatted(PROBES, NAME, PORT, UNKNOWN);
        Exec.Output probed = stack.docker().docker(Duration.ofSeconds(60), "exec", stack.containers().get("client3"), "sh", "-c", probes, "sh", featherlb);
        WrkResult wrk = WrkResult.concurrent(List.of(Runner.parseWrk("client1", app.await(Duration.ofSeconds(seconds + 60L))),
                Runner.parseWrk("client2", db.await(Duration.ofSeconds(seconds + 60L)))));

        List<Line> lines = new ArrayList<>();
        for (String backend : scenario.backends()) lines.addAll(parse(backend, stack.read(backend, LOG)));
        lines.removeIf(l -> !l.hit().scenario().equals(NAME));
        List<AccessLog.Hit> hits = lines.stream().map(Line::hit).toList();
        List<Verdict> verdicts = new ArrayList<>(judge(lines));
        verdicts.add(Verdict.of(probed.ok(), "curl probes answered", probed.ok() ? "%d without a server name, %d with %s".formatted(PROBES, PROBES, UNKNOWN)
                : "exit " + probed.exit() + ": " + probed.tail().strip()));
        verdicts.add(Verdicts.noErrors(wrk.errors()));
        return new ScenarioResult(scenario, wrk, Distribution.of(scenario.backends(), hits),
                Distribution.byClient(scenario.backends(), hits), verdicts, null);
    }

    /**
     * wrk over TLS to {@code name}: as the catalogue's load ({@link Runner#wrk}), "Connection: close",
     * so every request is a new connection and a new ClientHello for featherlb to route.
     */
    private static List<String> wrk(String client, String name, int seconds) {
        return List.of("wrk", "-t1", "-c8", "-d" + seconds + "s", "--latency", "--timeout", "5s",
                "-H", "Connection: close", "-H", "X-E2E-Scenario: " + NAME, "-H", "X-E2E-Client: " + client,
                "https://" + name + ":" + PORT + "/");
    }

    private static void awaitTls(Stack stack, String name) {
        String url = "https://" + name + ":" + PORT + "/";
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!stack.docker().docker(QUICK, "exec", stack.containers().get("client1"), "curl", "-fsSk", "-o", "/dev/null", "-m", "2", url).ok()) {
            if (System.nanoTime() > deadline) throw new E2eException("no answer from " + url + " within 30 s (nginx with ssl behind featherlb's SNI routing)");
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new E2eException("interrupted");
            }
        }
    }

    /**
     * One logged request.
     *
     * @param port       the nginx port that served it (8443: a named route's, 8444: the default's)
     * @param serverName the ClientHello's name as nginx saw it ({@code -}: none)
     */
    record Line(AccessLog.Hit hit, int port, String serverName) {}

    static List<Line> parse(String backend, String text) {
        return AccessLog.parse(backend, text, 7, (hit, f) -> new Line(hit, Integer.parseInt(f[5]), f[6]));
    }

    /** Each client's requests (by X-E2E-Client) landed where its server name leads, and nowhere else. */
    static List<Verdict> judge(List<Line> lines) {
        String b1 = Scenarios.backend(1), b2 = Scenarios.backend(2), b3 = Scenarios.backend(3);
        List<Verdict> verdicts = new ArrayList<>();
        verdicts.add(landed(lines, "client1", APP + " on backend1 and backend2 only",
                l -> (l.hit().backend().equals(b1) || l.hit().backend().equals(b2)) && l.port() == NAMED_PORT && l.serverName().equals(APP), -1));
        boolean both = lines.stream().anyMatch(l -> l.hit().client().equals("client1") && l.hit().backend().equals(b1))
                && lines.stream().anyMatch(l -> l.hit().client().equals("client1") && l.hit().backend().equals(b2));
        verdicts.add(Verdict.of(both, APP + " spread over its route", both ? "backend1 and backend2 both served it (roundrobin)" : "only one of backend1, backend2 served it"));
        verdicts.add(landed(lines, "client2", DB + " on backend3 only",
                l -> l.hit().backend().equals(b3) && l.port() == NAMED_PORT && l.serverName().equals(DB), -1));
        verdicts.add(landed(lines, "no-sni", "no server name to the default",
                l -> l.hit().backend().equals(b1) && l.port() == DEFAULT_PORT && l.serverName().equals("-"), PROBES));
        verdicts.add(landed(lines, "unknown-name", UNKNOWN + " to the default",
                l -> l.hit().backend().equals(b1) && l.port() == DEFAULT_PORT && l.serverName().equals(UNKNOWN), PROBES));
        return verdicts;
    }

    /** All of {@code client}'s lines fit {@code where}; there are some ({@code count} exactly, unless negative). */
    private static Verdict landed(List<Line> lines, String client, String check, Predicate<Line> where, int count) {
        List<Line> mine = lines.stream().filter(l -> l.hit().client().equals(client)).toList();
        List<Line> astray = mine.stream().filter(where.negate()).toList();
        boolean enough = count < 0 ? !mine.isEmpty() : mine.size() == count;
        String detail = astray.isEmpty() ? "%d requests, all there".formatted(mine.size())
                : "%d of %d elsewhere, e.g. %s:%d with server name %s".formatted(astray.size(), mine.size(),
                        astray.getFirst().hit().backend(), astray.getFirst().port(), astray.getFirst().serverName());
        return Verdict.of(enough && astray.isEmpty(), check, enough ? detail : detail + " (expected " + (count < 0 ? "some" : count) + ")");
    }
}
