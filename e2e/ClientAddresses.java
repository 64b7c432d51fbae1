package e2e;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * PROXY protocol sending, end to end: nginx backends with {@code listen ... proxy_protocol} behind a
 * route with {@code send_proxy: v2} (backend2 with {@code send_proxy: v1}, overriding it), loaded by
 * wrk from the three client containers. Each backend logs {@code $proxy_protocol_addr} beside the
 * {@code X-E2E-Client} header, so every logged request must carry the real container address of the
 * client that sent it, while nginx's own peer ({@code $remote_addr}) is featherlb.
 */
final class ClientAddresses implements OwnScenario {
    static final String NAME = "proxy-protocol";
    /** featherlb's port for this scenario: beside the catalogue's 8081.. ones. */
    static final int PORT = 8201;
    /** The second nginx of each backend listens here, PROXY header required. */
    static final int NGINX_PORT = 82;
    static final String LOG = "/tmp/e2e-proxy-protocol.log";
    /** Seven fields; {@link #parse} reads them. */
    static final String FORMAT = "$msec $hostname $http_x_e2e_scenario $http_x_e2e_client $status $proxy_protocol_addr $remote_addr";
    /** The endpoint that overrides the route's v2. */
    static final String V1_BACKEND = Scenarios.backend(2);

    private final Scenario scenario;

    ClientAddresses(int backends) {
        List<Scenario.Endpoint> endpoints = IntStream.rangeClosed(1, backends)
                .mapToObj(i -> new Scenario.Endpoint(Scenarios.backend(i), NGINX_PORT, 1)).toList();
        this.scenario = new Scenario(NAME, "roundrobin", PORT, endpoints, Scenarios.CLIENTS, new Scenario.Check.Own(routes(endpoints)));
    }

    private static String routes(List<Scenario.Endpoint> endpoints) {
        StringBuilder yaml = new StringBuilder("""
                  - name: %s
                    host: 0.0.0.0
                    port: %d
                    strategy: roundrobin
                    send_proxy: v2
                    endpoints:
                """.formatted(NAME, PORT));
        for (Scenario.Endpoint e : endpoints) {
            yaml.append("      - {host: ").append(e.backend()).append(", port: ").append(e.port())
                .append(e.backend().equals(V1_BACKEND) ? ", send_proxy: v1}" : "}").append('\n');
        }
        return yaml.toString();
    }

    /** The config of the second nginx in each backend. */
    static String nginxConfig() {
        return """
                daemon on;
                worker_processes 1;
                pid /tmp/e2e-proxy-protocol.pid;
                error_log /tmp/e2e-proxy-protocol-error.log warn;
                events { worker_connections 4096; }
                http {
                    server_tokens off;
                    default_type text/plain;
                    log_format pp '%s';
                    access_log %s pp;
                    server {
                        listen %d proxy_protocol backlog=4096;
                        location / { return 200 "$hostname $proxy_protocol_addr\\n"; }
                    }
                }
                """.formatted(FORMAT, LOG, NGINX_PORT);
    }

    @Override
    public Scenario scenario() {
        return scenario;
    }

    @Override
    public ScenarioResult run(Stack stack) {
        for (String backend : scenario.backends()) stack.nginx(backend, "e2e-proxy-protocol", nginxConfig());
        // the readiness of the new nginx, through featherlb: a request only answers once the header was accepted
        String url = "http://featherlb:" + PORT + "/";
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!stack.docker().docker(QUICK, "exec", stack.containers().get("client1"), "curl", "-fsS", "-o", "/dev/null", "-m", "2", url).ok()) {
            if (System.nanoTime() > deadline) throw new E2eException("no answer from " + url + " within 30 s (nginx with proxy_protocol behind featherlb)");
            Runner.sleep(Duration.ofMillis(300));
        }
        int seconds = stack.options().seconds();
        List<String> clients = IntStream.rangeClosed(1, scenario.clients()).mapToObj(Scenarios::client).toList();
        stack.line("roundrobin on featherlb:%d with send_proxy v2 (%s v1), wrk -t1 -c8 -d%ds from %s".formatted(
                PORT, V1_BACKEND, seconds, String.join(", ", clients)));
        List<Exec> loads = clients.stream()
                .map(c -> stack.docker().exec(stack.containers().get(c), Runner.wrk(scenario, c, 1, 8, seconds))).toList();
        List<WrkResult> runs = new ArrayList<>();
        for (int i = 0; i < loads.size(); i++) runs.add(Runner.parseWrk(clients.get(i), loads.get(i).await(Duration.ofSeconds(seconds + 60L))));
        WrkResult wrk = WrkResult.concurrent(runs);

        List<Line> lines = new ArrayList<>();
        for (String backend : scenario.backends()) lines.addAll(parse(backend, stack.read(backend, LOG)));
        lines.removeIf(l -> !l.hit().scenario().equals(NAME));
        List<AccessLog.Hit> hits = lines.stream().map(Line::hit).toList();
        Distribution all = Distribution.of(scenario.backends(), hits);
        List<Verdict> verdicts = new ArrayList<>(judge(lines, stack.addresses(), stack.featherlb(), scenario.backends()));
        verdicts.add(Verdicts.split(all, Verdicts.expectedShares(scenario), 2.0));
        verdicts.add(Verdicts.noErrors(wrk.errors()));
        return new ScenarioResult(scenario, wrk, all, Distribution.byClient(scenario.backends(), hits), verdicts, null);
    }

    /**
     * One logged request.
     *
     * @param proxied the client address the PROXY header carried ({@code $proxy_protocol_addr})
     * @param peer    who connected to nginx ({@code $remote_addr}): featherlb
     */
    record Line(AccessLog.Hit hit, String proxied, String peer) {}

    /** The lines of {@code text}, a backend's log in {@link #FORMAT}; others (a line cut short) are skipped. */
    static List<Line> parse(String backend, String text) {
        return AccessLog.parse(backend, text, 7, (hit, f) -> new Line(hit, f[5], f[6]));
    }

    /**
     * The verdicts on the logged lines: each carries its client's own address, every client and
     * every backend (v1 and v2 alike) logged some, and nginx's peer was featherlb, not the client.
     */
    static List<Verdict> judge(List<Line> lines, Map<String, String> addresses, String featherlb, List<String> backends) {
        Map<String, Integer> right = new LinkedHashMap<>();
        List<String> wrong = new ArrayList<>();
        for (Line l : lines) {
            String expected = addresses.get(l.hit().client());
            if (expected != null && expected.equals(l.proxied())) {
                right.merge(l.hit().client() + " " + expected, 1, Integer::sum);
            } else if (wrong.size() < 5) {
                wrong.add(l.hit().client() + " logged as " + l.proxied() + " on " + l.hit().backend());
            } else {
                wrong.add("...");
                break;
            }
        }
        long mismatched = lines.stream().filter(l -> !l.proxied().equals(addresses.get(l.hit().client()))).count();
        List<Verdict> verdicts = new ArrayList<>();
        verdicts.add(Verdict.of(!lines.isEmpty() && mismatched == 0, "real client addresses",
                mismatched == 0 ? "%d requests, each with its client's address: %s".formatted(lines.size(), right)
                        : "%d of %d requests with another address: %s".formatted(mismatched, lines.size(), String.join(", ", wrong))));
        List<String> silent = addresses.keySet().stream().filter(c -> lines.stream().noneMatch(l -> l.hit().client().equals(c))).toList();
        verdicts.add(Verdict.of(silent.isEmpty(), "every client seen", silent.isEmpty() ? "all of " + addresses.keySet() : "none from " + silent));
        List<String> unused = backends.stream().filter(b -> lines.stream().noneMatch(l -> l.hit().backend().equals(b))).toList();
        verdicts.add(Verdict.of(unused.isEmpty(), "v1 and v2 headers accepted",
                unused.isEmpty() ? "every backend logged requests (%s with v1, the others v2)".formatted(V1_BACKEND) : "nothing logged by " + unused));
        long direct = lines.stream().filter(l -> !l.peer().equals(featherlb)).count();
        verdicts.add(Verdict.of(direct == 0, "nginx's peer is featherlb",
                direct == 0 ? "$remote_addr %s on every line: the address came from the header".formatted(featherlb)
                        : direct + " lines with another $remote_addr than featherlb's " + featherlb));
        return verdicts;
    }

}
