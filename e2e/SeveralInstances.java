package e2e;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * Several instances that agree: a second featherlb ({@value #SECOND}, the same image and config file,
 * compose.yaml) in front of the same nginx backends. Every client loads the iphash route through
 * both instances at once, each request a new connection; the backends' access logs (the
 * {@code X-E2E-Client} header says {@code client/instance}) must show each client on one backend,
 * the same through either instance. Runs after the other scenarios, only when iphash is among them,
 * for {@link #SECONDS} seconds, so that CI's run stays short.
 */
final class SeveralInstances {
    /** The compose service of the second instance. */
    static final String SECOND = "featherlb2";
    static final List<String> INSTANCES = List.of("featherlb", SECOND);
    static final String NAME = "instances";
    private static final int SECONDS = 3;
    /** A route of its own, after the catalogue's ports (8081..8087), so that its name is its own in every log. */
    static final int PORT = 8088;

    private SeveralInstances() {}

    /** The scenario, an iphash route with the iphash scenario's endpoints, or null when the plan has no iphash scenario. */
    static Scenario of(List<Scenario> plan) {
        return plan.stream().filter(s -> s.strategy().equals("iphash")).findFirst()
                .map(s -> new Scenario(NAME, "iphash", PORT, s.endpoints(), Scenarios.CLIENTS, new Scenario.Check.Sticky()))
                .orElse(null);
    }

    /**
     * Loads {@code s} from every client through both instances at once and judges the logs.
     *
     * @param containers compose service to container id
     * @param logs       reads the backends' access logs anew and returns every hit so far
     */
    static ScenarioResult run(Scenario s, Docker docker, Map<String, String> containers, Supplier<List<AccessLog.Hit>> logs, Progress progress) {
        String prefix = "[+] %-10s ".formatted(NAME);
        progress.line(prefix + "iphash on featherlb:%d and %s:%d, wrk -t1 -c2 -d%ds from each client through each".formatted(
                s.port(), SECOND, s.port(), SECONDS));
        // featherlb answered on every port before the first scenario; the second instance is asked here
        String url = "http://" + SECOND + ":" + s.port() + "/";
        String wait = "for i in $(seq 1 90); do sh -c \"$0\" probe \"$1\" && exit 0; sleep 1; done; exit 1";
        if (!docker.docker(Duration.ofSeconds(120), "exec", containers.get(Scenarios.client(1)), "sh", "-c", wait, Runner.PROBE, url).ok()) {
            throw new E2eException(SECOND + " did not answer on " + url + " within 90 s");
        }
        List<Exec> loads = new ArrayList<>();
        List<String> who = new ArrayList<>();
        for (String client : IntStream.rangeClosed(1, s.clients()).mapToObj(Scenarios::client).toList()) {
            for (String instance : INSTANCES) {
                loads.add(docker.exec(containers.get(client), List.of("wrk", "-t1", "-c2", "-d" + SECONDS + "s", "--latency", "--timeout", "5s",
                        "-H", "Connection: close", "-H", "X-E2E-Scenario: " + NAME, "-H", "X-E2E-Client: " + client + "/" + instance,
                        "http://" + instance + ":" + s.port() + "/")));
                who.add(client + " via " + instance);
            }
        }
        List<WrkResult> runs = new ArrayList<>();
        for (int i = 0; i < loads.size(); i++) {
            Exec.Output out = loads.get(i).await(Duration.ofSeconds(SECONDS + 60L));
            if (!out.ok()) throw new E2eException("wrk (%s) failed (exit %d):%n%s".formatted(who.get(i), out.exit(), out.tail()));
            runs.add(WrkResult.parse(out.out()));
        }
        List<AccessLog.Hit> mine = logs.get().stream().filter(h -> h.scenario().equals(NAME)).toList();
        WrkResult wrk = WrkResult.concurrent(runs);
        Map<String, Distribution> perClient = Distribution.byClient(s.backends(), mine);
        List<Verdict> verdicts = new ArrayList<>(judge(s.clients(), perClient));
        verdicts.add(Verdicts.noErrors(wrk.errors()));
        return new ScenarioResult(s, wrk, Distribution.of(s.backends(), mine), perClient, verdicts, null);
    }

    /**
     * One verdict per client: its requests through every instance ({@code client/instance} keys of
     * {@code perClient}) reached one backend only, the same one; and one that every client was seen
     * through every instance.
     */
    static List<Verdict> judge(int clients, Map<String, Distribution> perClient) {
        Map<String, Map<String, List<String>>> byClient = new TreeMap<>();
        perClient.forEach((key, d) -> {
            int slash = key.lastIndexOf('/');
            String client = slash < 0 ? key : key.substring(0, slash), instance = slash < 0 ? "?" : key.substring(slash + 1);
            byClient.computeIfAbsent(client, c -> new TreeMap<>()).put(instance, d.used());
        });
        List<Verdict> verdicts = new ArrayList<>();
        long complete = byClient.values().stream().filter(m -> m.keySet().containsAll(INSTANCES) && m.values().stream().noneMatch(List::isEmpty)).count();
        verdicts.add(Verdict.of(byClient.size() == clients && complete == clients, "every client seen through every instance",
                "%d of %d clients logged through all of %s".formatted(complete, clients, INSTANCES)));
        byClient.forEach((client, instances) -> {
            List<String> all = instances.values().stream().flatMap(List::stream).distinct().toList();
            verdicts.add(Verdict.of(all.size() == 1, "%s: the same backend through every instance".formatted(client),
                    instances.entrySet().stream().map(e -> e.getKey() + " -> " + String.join(", ", e.getValue())).toList().toString()));
        });
        return verdicts;
    }
}
