package e2e;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * UDP load balancing of DNS, end to end: two dnsmasq containers ({@value #DNS1}, {@value #DNS2})
 * answer {@value #QNAME} differently, behind a featherlb route with {@code protocol: udp},
 * {@code udp: {responses: 1}} and a {@code send_expect} check in hex; one {@code dig} in a client
 * container of its own sends bounded batches of queries through it, one after the other, each from a
 * new socket (a new source port, so a new session). Three phases:
 * <ol>
 *   <li>both up: every query answered, the two answers split evenly (round robin over sessions),
 *       and featherlb's metrics show one session per query, each ended by its response (no session
 *       left open, long before {@code udp.idle}'s 30 s);</li>
 *   <li>{@value #DNS2} stopped under load: the checks take it out; the queries lost meanwhile are
 *       bounded by what each dig could have had in flight until then;</li>
 *   <li>after it was taken out: every query answered, all by {@value #DNS1}.</li>
 * </ol>
 * The answers are counted in dig's output, featherlb's figures read from its Prometheus metrics on
 * the admin port. Runs on the caller's thread; dig runs in the client container meanwhile.
 */
final class UdpDns implements OwnScenario {
    static final String NAME = "udp-dns";
    /** featherlb's UDP port for this scenario, beside the other scenarios' TCP ones. */
    static final int PORT = 8203;
    static final String DNS1 = "dns1";
    static final String DNS2 = "dns2";
    /** The compose service that runs dig (compose.yaml: the tools image). */
    static final String CLIENT = "dnsclient";
    static final String QNAME = "a.test";
    /** What each server answers for {@value #QNAME} (compose.yaml: dnsmasq --address). */
    static final Map<String, String> ANSWERS = Map.of(DNS1, "192.0.2.1", DNS2, "192.0.2.2");
    /**
     * Queries of each phase, sent by one dig one after the other. Not several digs at once: dig sets
     * SO_REUSEPORT on its query sockets, so the kernel may give two digs the same source port, and
     * one gets the other's answer ("ID mismatch") while the other's query is lost. Seen straight
     * against dnsmasq without featherlb, 2 in 60,000 queries from 4 digs; never from one (80,000).
     */
    static final int BOTH_UP = 2000, DURING_STOP = 8000, AFTER = 1000;
    /**
     * Answers in a row from {@value #DNS1} at the end of the second phase that show the stop came while
     * dig was sending: one dig answers a few thousand queries a second, so this is well under a second.
     */
    static final int TAIL = 200;
    /** dig's wait for an answer ({@code +timeout}, one try): a lost query holds its dig this long. */
    static final int DIG_TIMEOUT_SECONDS = 1;
    /** The query of the check: id beef, {@value #QNAME}, type A, class IN (docs/udp.md#health). */
    static final String CHECK_QUERY = "beef01000001000000000000016104746573740000010001";
    /** How long featherlb may take to see the stopped server down: checks every 500 ms, 2 failures, on a busy machine. */
    private static final Duration TAKEN_OUT = Duration.ofSeconds(20);
    /** How long the sessions of answered queries may take to show as ended: far less than udp.idle (30 s). */
    private static final Duration SETTLE = Duration.ofSeconds(5);

    private final Scenario scenario = new Scenario(NAME, "roundrobin", PORT,
            List.of(new Scenario.Endpoint(DNS1, 53, 1), new Scenario.Endpoint(DNS2, 53, 1)), 1, new Scenario.Check.Own(routes()));

    private static String routes() {
        return """
                  - name: %1$s
                    protocol: udp
                    host: 0.0.0.0
                    port: %2$d
                    strategy: roundrobin
                    # a session per query, ended by its answer; udp.idle stays at its 30 s default
                    udp: {responses: 1}
                    health_check: {type: send_expect, send_hex: "%3$s", expect_hex: "beef", interval: 500ms, timeout: 250ms, rise: 2, fall: 2}
                    endpoints: [{host: %4$s, port: 53}, {host: %5$s, port: 53}]
                """.formatted(NAME, PORT, CHECK_QUERY, DNS1, DNS2);
    }

    @Override
    public Scenario scenario() {
        return scenario;
    }

    @Override
    public List<String> services() {
        return List.of(DNS1, DNS2, CLIENT);
    }

    /**
     * {@code $1} featherlb's address, {@code $2} the port, {@code $3} queries: every answer and
     * failure, one line each in order, on stdout. dig opens a new socket bound to port 0 for each
     * query of its batch (strace shows bind and connect per query), so each query comes from a new
     * source port. dig exits 9 when a query went unanswered: that is counted, not a failure here.
     */
    static final String DIG = """
            command -v dig >/dev/null || { echo "no dig in this image (the offline image and nicolaka/netshoot have it)" >&2; exit 1; }
            names=$(i=0; while [ $i -lt "$3" ]; do printf 'a.test '; i=$((i+1)); done)
            dig @"$1" -p "$2" +short +tries=1 +timeout=%d $names 2>&1
            [ $? -le 9 ]
            """.formatted(DIG_TIMEOUT_SECONDS);

    @Override
    public ScenarioResult run(Stack stack) {
        String featherlb = stack.featherlb();
        awaitReady(stack, featherlb);
        stack.line("roundrobin over %s, %s on featherlb:%d/udp, responses: 1; dig from %s: %d queries, then %d with %s stopped, then %d".formatted(
                DNS1, DNS2, PORT, CLIENT, BOTH_UP, DURING_STOP, DNS2, AFTER));

        Map<String, Counts> before = counts(scrape(stack, featherlb));
        long t0 = System.nanoTime();
        Tally bothUp = tally(stack.shell(CLIENT, "dig", DIG, featherlb, Integer.toString(PORT), Integer.toString(BOTH_UP)).out());
        double bothUpSeconds = (System.nanoTime() - t0) / 1e9;
        Map<String, Counts> settled = settle(stack, featherlb);
        stack.line("  both up: %s in %.1f s".formatted(bothUp, bothUpSeconds));

        // phase 2: the load runs in the client while dns2 stops and featherlb notices
        long t1 = System.nanoTime();
        Exec load = stack.docker().exec(stack.containers().get(CLIENT),
                List.of("sh", "-c", DIG, "sh", featherlb, Integer.toString(PORT), Integer.toString(DURING_STOP)));
        Runner.sleep(Duration.ofSeconds(1));
        long stopIssued = System.nanoTime(), stopEpoch = System.currentTimeMillis();
        Exec.Output stopped = stack.docker().docker(QUICK, "stop", "-t", "1", stack.containers().get(DNS2));
        if (!stopped.ok()) throw new E2eException("docker stop " + DNS2 + " failed: " + stopped.tail());
        double stopSeconds = (System.nanoTime() - stopIssued) / 1e9;
        double takenOut = awaitDown(stack, featherlb, stopIssued);
        Exec.Output loaded = load.await(Duration.ofSeconds(120));
        if (!loaded.ok()) throw new E2eException("dig in " + CLIENT + " failed (exit " + loaded.exit() + "): " + loaded.tail());
        Tally duringStop = tally(loaded.out());
        double duringSeconds = (System.nanoTime() - t1) / 1e9;
        stack.line("  %s stopped: %s in %.1f s; taken out %.1f s after the stop".formatted(DNS2, duringStop, duringSeconds, takenOut));

        long t2 = System.nanoTime();
        Tally after = tally(stack.shell(CLIENT, "dig", DIG, featherlb, Integer.toString(PORT), Integer.toString(AFTER)).out());
        double afterSeconds = (System.nanoTime() - t2) / 1e9;
        Map<String, Counts> end = counts(scrape(stack, featherlb));
        stack.line("  after: %s in %.1f s".formatted(after, afterSeconds));

        List<Verdict> verdicts = new ArrayList<>(judge(bothUp, before, settled, duringStop, takenOut, after));
        verdicts.add(Verdict.info("how " + DNS2 + " went", "docker stop took %.1f s (it is counted in the time until taken out); featherlb logged: %s"
                .formatted(stopSeconds, String.join(" | ", balancerLog(stack, stopEpoch)))));
        verdicts.add(Verdict.info("left open", "%d sessions to the stopped %s (lost queries that no ICMP refusal ended; udp.idle ends them), %d to %s".formatted(
                end.getOrDefault(DNS2, Counts.NONE).active(), DNS2, end.getOrDefault(DNS1, Counts.NONE).active(), DNS1)));
        long answered = bothUp.answered() + duringStop.answered() + after.answered();
        long unanswered = bothUp.unanswered() + duringStop.unanswered() + after.unanswered();
        double seconds = bothUpSeconds + duringSeconds + afterSeconds;
        // the run log's table counts requests: here dig's queries, those unanswered as timeouts
        WrkResult figures = new WrkResult(answered, seconds, answered / seconds, WrkResult.Latency.NONE,
                new WrkResult.Errors(0, 0, 0, unanswered, 0));
        verdicts.add(Verdict.info("images", services().stream().map(service -> service + " " + stack.docker().docker(QUICK, "inspect", "-f",
                "{{.Config.Image}}", stack.containers().get(service)).out().strip()).toList().toString()));
        verdicts.add(Verdict.info("figures", "the table's requests are dig's queries of all three phases, its errors (as timeouts) those"
                + " unanswered, its latency not measured; the shares are the first phase's answers"));
        return new ScenarioResult(scenario, figures, distribution(bothUp), Map.of(), verdicts, null);
    }

    /** featherlb's own lines about {@value #DNS2} on this route from a second before {@code since} (epoch ms): how it saw it go. */
    private static List<String> balancerLog(Stack stack, long since) {
        Exec.Output out = stack.docker().docker(QUICK, "logs", "--since", Long.toString(since / 1000 - 1), stack.containers().get("featherlb"));
        if (!out.ok()) return List.of("(docker logs featherlb failed: " + out.tail().strip() + ")");
        List<String> lines = (out.out() + out.err()).lines().filter(l -> l.contains(NAME + "/" + DNS2)).limit(5).toList();
        return lines.isEmpty() ? List.of("nothing about " + NAME + "/" + DNS2) : lines;
    }

    /**
     * What dig printed for a batch: answers by address, queries without one, lines that are neither,
     * and how many answers in a row from {@value #DNS1} it ended with.
     */
    record Tally(Map<String, Long> answers, long unanswered, List<String> other, long tailOnDns1) {
        long answered() {
            return answers.values().stream().mapToLong(Long::longValue).sum();
        }

        long of(String server) {
            return answers.getOrDefault(ANSWERS.get(server), 0L);
        }

        @Override
        public String toString() {
            return "%d answered (%s %d, %s %d), %d unanswered%s".formatted(answered(), DNS1, of(DNS1), DNS2, of(DNS2), unanswered,
                    other.isEmpty() ? "" : ", %d other lines, e.g. %s".formatted(other.size(), other.getFirst()));
        }
    }

    private static final Pattern ADDRESS = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    /**
     * Reads dig's {@code +short} output: an answer is its address on a line; a query without one
     * prints {@code ;; communications error ...} (timed out, refused) and then {@code no servers
     * could be reached} (dig 9.18; 9.16 prints {@code connection timed out; no servers could be reached}).
     */
    static Tally tally(String output) {
        Map<String, Long> answers = new TreeMap<>();
        long unanswered = 0, tail = 0;
        List<String> other = new ArrayList<>();
        for (String line : output.lines().map(String::strip).filter(l -> !l.isEmpty()).toList()) {
            if (ADDRESS.matcher(line).matches()) {
                answers.merge(line, 1L, Long::sum);
                tail = line.equals(ANSWERS.get(DNS1)) ? tail + 1 : 0;
            } else if (line.contains("no servers could be reached")) {
                unanswered++;
                tail = 0;
            } else if (!line.startsWith(";; communications error")) {
                other.add(line);
                tail = 0;
            }
        }
        return new Tally(answers, unanswered, List.copyOf(other), tail);
    }

    /** Queries per server in the first phase, as the run log and the chart show a split. */
    static Distribution distribution(Tally t) {
        return new Distribution(List.of(DNS1, DNS2), List.of(t.of(DNS1), t.of(DNS2)));
    }

    /**
     * One endpoint of the route in featherlb's metrics.
     *
     * @param sessions   {@code featherlb_udp_sessions_total}
     * @param active     {@code featherlb_udp_active_sessions}
     * @param downstream {@code featherlb_udp_datagrams_total{direction="downstream"}}: answers forwarded
     * @param up         {@code featherlb_endpoint_up}
     */
    record Counts(long sessions, long active, long downstream, boolean up) {
        static final Counts NONE = new Counts(0, 0, 0, false);
    }

    private static final Pattern SAMPLE = Pattern.compile("^(featherlb_[a-z_]+)\\{([^}]*)\\} (\\S+)$", Pattern.MULTILINE);
    private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    /** The route's endpoints in Prometheus text (server name without its port: dns1, dns2). */
    static Map<String, Counts> counts(String metrics) {
        Map<String, long[]> values = new TreeMap<>(); // sessions, active, downstream, up
        Matcher m = SAMPLE.matcher(metrics);
        while (m.find()) {
            Map<String, String> labels = new LinkedHashMap<>();
            Matcher l = LABEL.matcher(m.group(2));
            while (l.find()) labels.put(l.group(1), l.group(2));
            String endpoint = labels.getOrDefault("endpoint", "");
            if (!NAME.equals(labels.get("route")) || endpoint.indexOf(':') < 0) continue;
            int slot = switch (m.group(1)) {
                case "featherlb_udp_sessions_total" -> 0;
                case "featherlb_udp_active_sessions" -> 1;
                case "featherlb_udp_datagrams_total" -> "downstream".equals(labels.get("direction")) ? 2 : -1;
                case "featherlb_endpoint_up" -> 3;
                default -> -1;
            };
            if (slot >= 0) values.computeIfAbsent(endpoint.substring(0, endpoint.lastIndexOf(':')), e -> new long[4])[slot] = (long) Double.parseDouble(m.group(3));
        }
        Map<String, Counts> counts = new TreeMap<>();
        values.forEach((server, v) -> counts.put(server, new Counts(v[0], v[1], v[2], v[3] == 1)));
        return counts;
    }

    /**
     * The verdicts on the three phases.
     *
     * @param before    the route's metrics before the first phase
     * @param settled   after it, once no session was left open (or {@link #SETTLE} passed)
     * @param takenOut  seconds from the stop to featherlb's metrics showing {@value #DNS2} down; negative: never
     */
    static List<Verdict> judge(Tally bothUp, Map<String, Counts> before, Map<String, Counts> settled, Tally duringStop,
                               double takenOut, Tally after) {
        List<Verdict> verdicts = new ArrayList<>();
        long sent = BOTH_UP;
        verdicts.add(Verdict.of(bothUp.answered() == sent && bothUp.unanswered() == 0 && bothUp.other().isEmpty(),
                "every query answered", "%d sent: %s".formatted(sent, bothUp)));
        Distribution split = distribution(bothUp);
        Verdict even = Verdicts.split(split, List.of(50.0, 50.0), 2.0);
        verdicts.add(Verdict.of(!even.failed() && split.used().size() == 2, "both servers answered, round robin", even.detail()));

        long sessions = 0, downstream = 0, open = 0;
        for (String server : List.of(DNS1, DNS2)) {
            Counts b = before.getOrDefault(server, Counts.NONE), s = settled.getOrDefault(server, Counts.NONE);
            sessions += s.sessions() - b.sessions();
            downstream += s.downstream() - b.downstream();
            open += s.active();
        }
        boolean seen = settled.containsKey(DNS1) && settled.containsKey(DNS2);
        verdicts.add(Verdict.of(seen && sessions == sent && downstream == sent && open == 0, "a session per query, ended by its answer",
                seen ? "featherlb_udp_sessions_total +%d, answers forwarded +%d for %d queries; %d sessions open after (udp.idle is 30 s)"
                        .formatted(sessions, downstream, sent, open)
                        : "no metrics of route %s for %s and %s".formatted(NAME, DNS1, DNS2)));

        // it answered at first, and dig went on long after: the stop came in the middle of the load
        boolean midRun = duringStop.of(DNS2) > 0 && duringStop.tailOnDns1() >= TAIL;
        verdicts.add(Verdict.of(takenOut >= 0 && midRun, DNS2 + " stopped under load, taken out by the checks",
                (takenOut >= 0 ? "featherlb_endpoint_up 0 %.1f s after the stop".formatted(takenOut)
                        : "still up in featherlb's metrics %d s after the stop".formatted(TAKEN_OUT.toSeconds()))
                        + "; %s answered %d before it, and the last %d answers in a row came from %s%s".formatted(DNS2, duringStop.of(DNS2),
                        duringStop.tailOnDns1(), DNS1, midRun ? "" : " (expected " + DNS2 + " some, then at least " + TAIL + ": raise DURING_STOP)")));
        // until featherlb took dns2 out, every other query went there and was lost; a lost query holds
        // dig for its timeout, so dig loses at most one per timeout, plus the one in flight at the stop
        long bound = takenOut < 0 ? 0 : (long) Math.ceil(takenOut / DIG_TIMEOUT_SECONDS) + 1;
        boolean accounted = duringStop.answered() + duringStop.unanswered() == DURING_STOP && duringStop.other().isEmpty();
        verdicts.add(Verdict.of(accounted && takenOut >= 0 && duringStop.unanswered() <= bound, "queries lost while " + DNS2 + " went, bounded",
                "%d sent: %s; at most %d allowed (%.1f s until taken out / dig's %d s timeout, rounded up, + the one in flight at the stop)"
                        .formatted(DURING_STOP, duringStop, bound, Math.max(0, takenOut), DIG_TIMEOUT_SECONDS)));
        long sentAfter = AFTER;
        verdicts.add(Verdict.of(after.of(DNS1) == sentAfter && after.answered() == sentAfter && after.unanswered() == 0 && after.other().isEmpty(),
                "later queries all answered by " + DNS1, "%d sent: %s".formatted(sentAfter, after)));
        return verdicts;
    }

    /** Waits until dig through featherlb gets an answer and both endpoints are up in its metrics. */
    private static void awaitReady(Stack stack, String featherlb) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            Exec.Output probe = stack.docker().docker(QUICK, "exec", stack.containers().get(CLIENT), "sh", "-c", DIG, "sh",
                    featherlb, Integer.toString(PORT), "1");
            Map<String, Counts> counts = counts(scrapeQuietly(stack, featherlb));
            if (probe.ok() && tally(probe.out()).answered() == 1
                    && counts.getOrDefault(DNS1, Counts.NONE).up() && counts.getOrDefault(DNS2, Counts.NONE).up()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new E2eException("no answer through featherlb:%d/udp with %s and %s up within 60 s (dig: %s; endpoints: %s)"
                        .formatted(PORT, DNS1, DNS2, probe.out().strip() + probe.err().strip(), counts));
            }
            Runner.sleep(Duration.ofMillis(300));
        }
    }

    /** The route's counts once no session is open (the answered ones end with their answer), or after {@link #SETTLE}. */
    private static Map<String, Counts> settle(Stack stack, String featherlb) {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        while (true) {
            Map<String, Counts> counts = counts(scrape(stack, featherlb));
            if (counts.values().stream().allMatch(c -> c.active() == 0) || System.nanoTime() > deadline) return counts;
            Runner.sleep(Duration.ofMillis(200));
        }
    }

    /** Seconds from {@code stopIssued} (nanoTime) until featherlb's metrics show {@value #DNS2} down; -1 when they did not within {@link #TAKEN_OUT}. */
    private static double awaitDown(Stack stack, String featherlb, long stopIssued) {
        while (System.nanoTime() - stopIssued < TAKEN_OUT.toNanos()) {
            Counts dns2 = counts(scrapeQuietly(stack, featherlb)).get(DNS2);
            if (dns2 != null && !dns2.up()) return (System.nanoTime() - stopIssued) / 1e9;
            Runner.sleep(Duration.ofMillis(100));
        }
        return -1;
    }

    /** featherlb's Prometheus metrics, read by the client's curl on the admin port of the run's config. */
    private static String scrape(Stack stack, String featherlb) {
        return stack.shell(CLIENT, "reading featherlb's metrics", "curl -fsS -m 5 \"$1\"", metricsUrl(featherlb)).out();
    }

    private static String scrapeQuietly(Stack stack, String featherlb) {
        Exec.Output out = stack.docker().docker(QUICK, "exec", stack.containers().get(CLIENT), "curl", "-fsS", "-m", "5", metricsUrl(featherlb));
        return out.ok() ? out.out() : "";
    }

    private static String metricsUrl(String featherlb) {
        return "http://" + featherlb + ":" + FeatherlbConfig.ADMIN_PORT + "/metrics";
    }
}
