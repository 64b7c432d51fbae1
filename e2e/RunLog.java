package e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Writes the text of a run log and the summary table. Pure: the caller writes the file. */
public final class RunLog {
    private RunLog() {}

    /**
     * What the log says about the run as a whole.
     *
     * @param started        local date and time of the start
     * @param options        the e2e.java options in effect
     * @param environment    lines "what: value" (compose, images, ...)
     * @param clients        client name to its container address
     * @param configFile     where the featherlb config was written
     * @param seconds        how long the run took
     */
    public record Setup(String started, String options, List<String> environment, Map<String, String> clients,
                        String configFile, double seconds) {}

    public static String render(Setup setup, List<ScenarioResult> results) {
        StringBuilder log = new StringBuilder();
        String title = "featherlb end-to-end run " + setup.started();
        log.append(title).append('\n').append("=".repeat(title.length())).append("\n\n");
        log.append("options:  ").append(setup.options()).append('\n');
        setup.environment().forEach(line -> log.append(line).append('\n'));
        log.append("clients:  ").append(setup.clients().entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "))).append('\n');
        log.append("""
                load:     wrk sends "Connection: close", so every request is a new connection and the
                          requests each backend logged are featherlb's picks, one per connection.
                """);
        log.append("config:   ").append(setup.configFile()).append(", one route per scenario (each shown below)\n\n");

        for (int i = 0; i < results.size(); i++) {
            log.append(scenario(i + 1, results.size(), results.get(i), setup.clients())).append('\n');
        }
        log.append("summary\n-------\n").append(table(results)).append('\n');
        long failed = results.stream().flatMap(r -> r.verdicts().stream()).filter(Verdict::failed).count();
        long judged = results.stream().flatMap(r -> r.verdicts().stream()).filter(v -> v.outcome() != Verdict.Outcome.INFO).count();
        log.append(failed == 0
                ? "result: PASS (%d checks passed) in %.0f s%n".formatted(judged, setup.seconds())
                : "result: FAIL (%d of %d checks failed) in %.0f s%n".formatted(failed, judged, setup.seconds()));
        return log.toString();
    }

    private static String scenario(int n, int of, ScenarioResult r, Map<String, String> addresses) {
        Scenario s = r.scenario();
        StringBuilder log = new StringBuilder();
        String title = "[%d/%d] %s".formatted(n, of, s.name());
        log.append(title).append('\n').append("-".repeat(title.length())).append('\n');
        log.append("route:\n").append(FeatherlbConfig.route(s));
        WrkResult w = r.wrk();
        log.append("wrk:\n")
           .append("  requests   %d in %.2f s, %.1f req/s%n".formatted(w.requests(), w.seconds(), w.requestsPerSecond()))
           .append("  latency    p50 %s, p75 %s, p90 %s, p99 %s%s%n".formatted(ms(w.latency().p50()), ms(w.latency().p75()),
                   ms(w.latency().p90()), ms(w.latency().p99()), s.clients() > 1 || r.fault() != null ? " (worst run)" : ""))
           .append("  errors     ").append(w.errors()).append('\n');
        log.append("requests per backend (counted in each backend's access log):\n");
        List<Double> expected = Verdicts.expectedShares(s);
        for (int i = 0; i < s.backends().size(); i++) {
            String b = s.backends().get(i);
            Scenario.Endpoint e = s.endpoints().get(i);
            log.append("  %-9s %8d  %5.1f %%   weight %d, port %d%s%n".formatted(b, r.distribution().count(b),
                    r.distribution().share(b), e.weight(), e.port(), e.port() == Scenarios.SLOW_PORT ? " (slowed: about 1 s per response)" : ""));
        }
        if (s.check() instanceof Scenario.Check.Split || s.check() instanceof Scenario.Check.RandomSplit) {
            log.append("  expected shares from the weights: ").append(expected.stream().map(x -> "%.1f %%".formatted(x))
                    .collect(Collectors.joining(", "))).append('\n');
        }
        if (s.clients() > 1) {
            log.append("per client:\n");
            r.perClient().forEach((client, d) -> log.append("  %-8s %-16s %s%n".formatted(client,
                    addresses.getOrDefault(client, "?"), d)));
        }
        if (r.fault() != null) log.append(faultTable(r.fault()));
        log.append("verdicts:\n");
        r.verdicts().forEach(v -> log.append("  ").append(v).append('\n'));
        return log.toString();
    }

    private static String faultTable(Fault.Report f) {
        StringBuilder t = new StringBuilder("slices (one wrk run each; t in seconds from the stop):\n");
        List<String> backends = f.sinceReturn().backends();
        t.append("  %7s %6s %9s  %-26s".formatted("t", "length", "req/s", "errors c/r/w/t/non-2xx"));
        backends.forEach(b -> t.append(" %9s".formatted(b)));
        t.append('\n');
        for (Fault.Row row : f.rows()) {
            WrkResult.Errors e = row.wrk().errors();
            t.append("  %7.1f %6.1f %9.0f  %-26s".formatted(row.at(), row.millis() / 1000.0, row.wrk().requestsPerSecond(),
                    "%d/%d/%d/%d/%d".formatted(e.connect(), e.read(), e.write(), e.timeout(), e.non2xx())));
            backends.forEach(b -> t.append(" %9d".formatted(row.hits().count(b))));
            double end = row.at() + row.millis() / 1000.0;
            if (row.at() <= 0 && 0 < end) t.append("  <- %s stopped at t = 0".formatted(f.victim()));
            if (row.at() <= f.downSeconds() && f.downSeconds() < end) t.append("  <- %s started at t = %.1f".formatted(f.victim(), f.downSeconds()));
            t.append('\n');
        }
        if (!f.balancerLog().isEmpty()) {
            t.append("featherlb's log about this route from the stop on:\n");
            f.balancerLog().forEach(line -> t.append("  ").append(line).append('\n'));
        }
        return t.toString();
    }

    /** The summary table: one line per scenario. */
    public static String table(List<ScenarioResult> results) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"scenario", "strategy", "req/s", "p50", "p90", "p99", "errors", "shares (backend1..n)", "verdict"});
        for (ScenarioResult r : results) {
            Distribution d = r.distribution();
            rows.add(new String[] {r.scenario().name(), r.scenario().strategy(), "%.0f".formatted(r.wrk().requestsPerSecond()),
                    ms(r.wrk().latency().p50()), ms(r.wrk().latency().p90()), ms(r.wrk().latency().p99()),
                    Long.toString(r.wrk().errors().total()),
                    d.backends().stream().map(b -> "%.1f".formatted(d.share(b))).collect(Collectors.joining(" / ")),
                    Verdicts.summary(r.verdicts())});
        }
        int[] width = new int[rows.getFirst().length];
        rows.forEach(row -> { for (int i = 0; i < row.length; i++) width[i] = Math.max(width[i], row[i].length()); });
        StringBuilder t = new StringBuilder();
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                // numbers right-aligned, words left-aligned
                boolean number = i >= 2 && i <= 6;
                t.append(number ? " ".repeat(width[i] - row[i].length()) + row[i] : row[i] + " ".repeat(width[i] - row[i].length()));
                t.append(i + 1 < row.length ? "  " : "");
            }
            t.append('\n');
        }
        return t.toString().lines().map(String::stripTrailing).collect(Collectors.joining("\n", "", "\n"));
    }

    /** A latency in milliseconds, in the unit a reader expects: "850us", "12.3ms", "1.02s". */
    public static String ms(double millis) {
        if (millis < 1) return "%.0fus".formatted(millis * 1000);
        if (millis < 1000) return "%.1fms".formatted(millis);
        return "%.2fs".formatted(millis / 1000);
    }
}
