package e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The scaling scenario: the backends are one compose service, {@code web}, found through Docker's
 * DNS by {@code discover: {dns: web, port: 80}}; under continuous load (wrk, a new connection per
 * request) it is scaled from 3 to 5 replicas and then down to 2. No request may fail, each new
 * replica must take traffic, and no connection may reach a removed one after featherlb logged its
 * removal. Its own compose project and network ({@code e2e/scaling.compose.yaml}, internal), so
 * that it cannot disturb the main stack, and judged from featherlb's own log: the discovery's
 * "added"/"removed" lines and the access log (both in the container's UTC clock).
 *
 * <p>Runs on the caller's thread; wrk runs in the client container meanwhile.
 */
final class Scaling {
    static final String PROJECT = "featherlb-e2e-scaling";
    static final int PORT = 8090;
    private static final Duration COMPOSE = Duration.ofMinutes(3);
    private static final Duration QUICK = Duration.ofSeconds(30);
    /** How long a scale step may take to show in featherlb's log: compose, Docker's DNS, a 500 ms interval, on a busy machine. */
    private static final Duration SETTLE = Duration.ofSeconds(60);
    private static final Pattern CHANGE = Pattern.compile(
            "^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}) INFO \\S+: endpoint scaling/(\\S+) (added|removed) by dns web", Pattern.MULTILINE);
    private static final Pattern ACCESS = Pattern.compile("^time=(\\S+) route=scaling client=\\S+ endpoint=(\\S+) .* outcome=", Pattern.MULTILINE);
    private static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

    private final Docker docker;
    private final Path repo;
    private final Progress progress;
    private final String engine;

    Scaling(Docker docker, Path repo, Progress progress, String engine) {
        this.docker = docker;
        this.repo = repo;
        this.progress = progress;
        this.engine = engine;
    }

    /** The featherlb config of the scenario: only discovered endpoints, looked up every 500 ms. */
    static String config() {
        return """
                # written by e2e.java for the scaling scenario (e2e/Scaling.java)
                routes:
                  - name: scaling
                    host: 0.0.0.0
                    port: %d
                    strategy: roundrobin
                    # a replica being stopped refuses or resets: the request goes to another one
                    retry_on: [connect-failure, empty-response]
                    timeouts: {connect: 500ms}
                    passive: {failures: 1, cooldown: 2s}
                    endpoints:
                      - discover: {dns: web, port: 80}
                    discovery: {interval: 500ms}
                access_log: stdout
                """.formatted(PORT);
    }

    /** One change featherlb logged: an endpoint added or removed, when. */
    record Change(Instant at, String endpoint, boolean added) {
    }

    /** One connection of the access log: when it was accepted, where it went. */
    record Connection(Instant at, String endpoint) {
    }

    static List<Change> changes(String log) {
        List<Change> changes = new ArrayList<>();
        Matcher m = CHANGE.matcher(log);
        while (m.find()) {
            changes.add(new Change(LocalDateTime.parse(m.group(1), LOG_TIME).toInstant(ZoneOffset.UTC), m.group(2), m.group(3).equals("added")));
        }
        return changes;
    }

    static List<Connection> connections(String log) {
        List<Connection> all = new ArrayList<>();
        Matcher m = ACCESS.matcher(log);
        while (m.find()) all.add(new Connection(Instant.parse(m.group(1)), m.group(2)));
        return all;
    }

    /**
     * The verdicts on a run: {@code initial} replicas, then {@code up} more, then down to {@code down}.
     * A removed endpoint's connections must all have been accepted before its removal was logged:
     * the pool without it is in force before that line is written.
     */
    static List<Verdict> judge(WrkResult wrk, List<Change> changes, List<Connection> connections, int initial, int up) {
        List<Verdict> verdicts = new ArrayList<>();
        verdicts.add(Verdict.of(wrk.errors().total() == 0 && wrk.requests() > 0, "no failed request",
                "%d requests, errors %s".formatted(wrk.requests(), wrk.errors())));
        List<Change> added = changes.stream().filter(Change::added).toList();
        List<String> joined = added.stream().skip(initial).map(Change::endpoint).toList();
        List<String> idle = new ArrayList<>();
        for (Change c : added.stream().skip(initial).toList()) {
            if (connections.stream().noneMatch(x -> x.endpoint().equals(c.endpoint()) && !x.at().isBefore(c.at()))) idle.add(c.endpoint());
        }
        verdicts.add(Verdict.of(joined.size() == up && idle.isEmpty(), "every new replica takes traffic",
                "%d joined (%s)%s".formatted(joined.size(), String.join(", ", joined), idle.isEmpty() ? "" : ", no traffic: " + idle)));
        List<String> late = new ArrayList<>();
        List<Change> removed = changes.stream().filter(c -> !c.added()).toList();
        for (Change c : removed) {
            long after = connections.stream().filter(x -> x.endpoint().equals(c.endpoint()) && !x.at().isBefore(c.at())).count();
            if (after > 0) late.add(c.endpoint() + ": " + after);
        }
        verdicts.add(Verdict.of(removed.size() == initial + up - 2 && late.isEmpty(), "no connection to a removed replica",
                "%d removed (%s)%s".formatted(removed.size(), String.join(", ", removed.stream().map(Change::endpoint).toList()),
                        late.isEmpty() ? "" : ", connections after removal: " + late)));
        Map<String, Long> per = new TreeMap<>();
        connections.forEach(x -> per.merge(x.endpoint(), 1L, Long::sum));
        verdicts.add(Verdict.info("connections per replica", per.toString()));
        return verdicts;
    }

    /** Brings the scenario's stack up, scales it under load, takes it down; the verdicts. */
    List<Verdict> run() {
        Path config = repo.resolve("target/e2e/scaling.yaml");
        try {
            Files.createDirectories(config.getParent());
            Files.writeString(config, config());
        } catch (IOException e) {
            throw new E2eException("cannot write " + config + ": " + e.getMessage());
        }
        Map<String, String> env = Map.of("FEATHERLB_SCALING_CONFIG", config.toString(), "FEATHERLB_ENGINE", engine);
        compose(env, "down", "-v", "--remove-orphans", "-t", "2");
        try {
            progress.step("scaling: starting web x3, featherlb and a client (project " + PROJECT + ", internal network)",
                    () -> composeOrFail(env, "starting the scaling stack", "up", "-d", "--no-build", "--scale", "web=3"));
            String featherlb = id(env, "featherlb");
            String client = id(env, "client");
            awaitLog(featherlb, 3, 0, "the 3 replicas found in DNS");
            Exec load = docker.exec(client, List.of("wrk", "-t2", "-c16", "-d24s", "--timeout", "5s", "-H", "Connection: close",
                    "http://featherlb:" + PORT + "/"));
            Runner.sleep(Duration.ofSeconds(4));
            progress.line("        scaling: web 3 -> 5 under load");
            composeOrFail(env, "scaling web to 5", "up", "-d", "--no-build", "--no-recreate", "--scale", "web=5", "web");
            awaitLog(featherlb, 5, 0, "the 2 new replicas found");
            Runner.sleep(Duration.ofSeconds(3));
            progress.line("        scaling: web 5 -> 2 under load");
            composeOrFail(env, "scaling web to 2", "up", "-d", "--no-build", "--no-recreate", "--scale", "web=2", "web");
            awaitLog(featherlb, 5, 3, "the 3 removed replicas gone");
            Exec.Output out = load.await(Duration.ofSeconds(90));
            if (!out.ok()) throw new E2eException("wrk in the scaling client failed (exit %d):%n%s".formatted(out.exit(), out.tail()));
            WrkResult wrk = WrkResult.parse(out.out());
            String log = logs(featherlb);
            List<Verdict> verdicts = judge(wrk, changes(log), connections(log), 3, 2);
            progress.line("        scaling: %.0f req/s, %s".formatted(wrk.requestsPerSecond(), Verdicts.summary(verdicts)));
            verdicts.stream().filter(Verdict::failed).forEach(v -> progress.line("        " + v));
            return verdicts;
        } finally {
            compose(env, "down", "-v", "--remove-orphans", "-t", "2");
        }
    }

    /** Waits until featherlb has logged {@code added} additions and {@code removed} removals. */
    private void awaitLog(String featherlb, int added, int removed, String what) {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        while (true) {
            List<Change> seen = changes(logs(featherlb));
            long a = seen.stream().filter(Change::added).count();
            long r = seen.size() - a;
            if (a >= added && r >= removed) return;
            if (System.nanoTime() > deadline) {
                throw new E2eException("scaling: %s did not show in featherlb's log within %d s (%d added, %d removed); it ends with:%n%s"
                        .formatted(what, SETTLE.toSeconds(), a, r, logs(featherlb).lines().skip(Math.max(0, logs(featherlb).lines().count() - 20))
                                .reduce("", (x, y) -> x + y + "\n")));
            }
            Runner.sleep(Duration.ofMillis(250));
        }
    }

    /** featherlb's stdout (the access log) and stderr (its log lines), as one text. */
    private String logs(String container) {
        Exec.Output out = docker.docker(QUICK, "logs", container);
        return out.out() + "\n" + out.err();
    }

    private String id(Map<String, String> env, String service) {
        String id = compose(env, "ps", "-q", service).out().strip();
        if (id.isEmpty()) throw new E2eException("scaling: no container for " + service);
        return id.lines().findFirst().orElseThrow();
    }

    private Exec.Output compose(Map<String, String> env, String... args) {
        return docker.composeProject(PROJECT, repo.resolve("e2e/scaling.compose.yaml"), env, COMPOSE, args);
    }

    private void composeOrFail(Map<String, String> env, String what, String... args) {
        Exec.Output out = compose(env, args);
        if (!out.ok()) throw new E2eException(what + " failed:\n" + out.tail());
    }

}
