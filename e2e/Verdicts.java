package e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Turns a scenario's measured outcome into verdicts. Pure: no I/O. */
public final class Verdicts {
    /** Smallest tolerance, in percentage points, of a random split: the ±2 % the issue asks for. */
    static final double MIN_RANDOM_TOLERANCE = 2.0;
    /** How many standard deviations of a binomial sample a random split may stray. */
    static final double SIGMAS = 4.0;

    private Verdicts() {}

    /**
     * The verdicts of a load scenario (not the fault one: see {@link Fault#analyse}).
     *
     * @param perClient requests per backend of each client (by X-E2E-Client)
     */
    public static List<Verdict> judge(Scenario s, WrkResult wrk, Distribution all, Map<String, Distribution> perClient) {
        List<Verdict> verdicts = new ArrayList<>();
        verdicts.add(switch (s.check()) {
            case Scenario.Check.Split split -> split(all, expectedShares(s), split.tolerance());
            case Scenario.Check.RandomSplit _ -> randomSplit(all, expectedShares(s));
            case Scenario.Check.Sticky _ -> sticky(perClient, s.clients());
            case Scenario.Check.SlowGetsFewer slow -> slowGetsFewer(all, slow.slow(), slow.ratio());
            case Scenario.Check.Fault _ -> throw new IllegalArgumentException("the fault scenario is judged by Fault.analyse");
            case Scenario.Check.Own _ -> throw new IllegalArgumentException("a scenario of its own judges itself (OwnScenario.run)");
        });
        verdicts.add(noErrors(wrk.errors()));
        verdicts.add(Verdict.info("requests", "wrk completed %d, the backends logged %d (requests in flight when wrk stopped are logged but not counted by wrk)"
                .formatted(wrk.requests(), all.total())));
        return List.copyOf(verdicts);
    }

    /** Each endpoint's weight as a percentage of the weights' sum, in endpoint order. */
    public static List<Double> expectedShares(Scenario s) {
        double sum = s.endpoints().stream().mapToInt(Scenario.Endpoint::weight).sum();
        return s.endpoints().stream().map(e -> 100.0 * e.weight() / sum).toList();
    }

    /** Every backend's share lies within {@code tolerance} percentage points of the expected one. */
    public static Verdict split(Distribution d, List<Double> expected, double tolerance) {
        return shares("split within ±%.1f points of the weights".formatted(tolerance), d, expected,
                expected.stream().map(e -> tolerance).toList());
    }

    /**
     * Like {@link #split}, with each backend's tolerance {@value #SIGMAS} standard deviations of a
     * binomial sample of the logged size, but at least {@value #MIN_RANDOM_TOLERANCE} points.
     */
    public static Verdict randomSplit(Distribution d, List<Double> expected) {
        long n = Math.max(1, d.total());
        List<Double> tolerances = expected.stream()
                .map(e -> Math.max(MIN_RANDOM_TOLERANCE, SIGMAS * 100 * Math.sqrt(e / 100 * (1 - e / 100) / n)))
                .toList();
        return shares("split within max(±%.0f points, %.0f σ of a random sample)".formatted(MIN_RANDOM_TOLERANCE, SIGMAS),
                d, expected, tolerances);
    }

    private static Verdict shares(String check, Distribution d, List<Double> expected, List<Double> tolerances) {
        if (d.total() == 0) return Verdict.of(false, check, "no request reached a backend");
        boolean passed = true;
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < d.backends().size(); i++) {
            String b = d.backends().get(i);
            double off = d.share(b) - expected.get(i);
            boolean ok = Math.abs(off) <= tolerances.get(i);
            passed &= ok;
            parts.add("%s %.1f %% (expected %.1f ± %.1f)%s".formatted(b, d.share(b), expected.get(i), tolerances.get(i), ok ? "" : " OFF"));
        }
        return Verdict.of(passed, check, String.join(", ", parts));
    }

    /**
     * Every client address stays on one backend. The check means something only when clients
     * differ in address, so it also fails when fewer than {@code clients} clients were seen.
     */
    public static Verdict sticky(Map<String, Distribution> perClient, int clients) {
        String check = "each client address on one backend";
        List<String> parts = new ArrayList<>();
        boolean passed = perClient.size() >= clients;
        for (var e : perClient.entrySet()) {
            List<String> used = e.getValue().used();
            passed &= used.size() == 1;
            parts.add(used.size() == 1
                    ? "%s -> %s (%d)".formatted(e.getKey(), used.getFirst(), e.getValue().total())
                    : "%s -> %d backends: %s".formatted(e.getKey(), used.size(), e.getValue()));
        }
        long distinct = perClient.values().stream().flatMap(d -> d.used().stream()).distinct().count();
        parts.add("%d of %d clients seen, on %d distinct backend(s)".formatted(perClient.size(), clients, distinct));
        return Verdict.of(passed, check, String.join("; ", parts));
    }

    /** The slowed backend got at most {@code ratio} times the requests of the least loaded other backend. */
    public static Verdict slowGetsFewer(Distribution d, String slow, double ratio) {
        String check = "slowed %s gets at most %.0f %% of the requests of any other".formatted(slow, ratio * 100);
        long others = d.backends().stream().filter(b -> !b.equals(slow)).mapToLong(d::count).min().orElse(0);
        boolean passed = others > 0 && d.count(slow) <= ratio * others;
        String detail = "%s %d, fewest of the others %d (%.1f %%); %s".formatted(slow, d.count(slow), others,
                others == 0 ? 0 : 100.0 * d.count(slow) / others, d);
        return Verdict.of(passed, check, detail);
    }

    /** wrk saw no socket error and no non-2xx response. */
    public static Verdict noErrors(WrkResult.Errors errors) {
        return Verdict.of(errors.total() == 0, "no errors", errors.toString());
    }

    /** Whether any verdict failed. */
    public static boolean anyFailed(List<Verdict> verdicts) {
        return verdicts.stream().anyMatch(Verdict::failed);
    }

    /** "PASS", or "FAIL (n)" with the number of failed verdicts. */
    public static String summary(List<Verdict> verdicts) {
        long failed = verdicts.stream().filter(Verdict::failed).count();
        return failed == 0 ? "PASS" : "FAIL (" + failed + ")";
    }
}
