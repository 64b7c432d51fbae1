package e2e;

import java.util.ArrayList;
import java.util.List;

/**
 * The fault scenario: under load, one backend container is stopped and later started again. The load
 * runs as back-to-back one-second wrk runs ("slices"), so that wrk's errors come as a time series.
 * Pure: the runner measures, this class works out the figures and verdicts.
 */
public final class Fault {
    private Fault() {}

    /**
     * How many slices each phase has.
     *
     * @param before   slices before the stop
     * @param down     slices while the victim is down; the stop happens early in the first of them
     * @param minAfter slices at least after the start, which happens early in the first of them
     * @param maxAfter slices at most after the start, while waiting for the victim to take traffic again
     */
    public record Plan(int before, int down, int minAfter, int maxAfter) {
        /**
         * A third of {@code seconds} for each phase, at least 2 s before, 3 s down and 2 s after;
         * then up to 15 s more for the victim to take traffic again (featherlb may cache the failed lookup).
         */
        public static Plan of(int seconds) {
            int third = seconds / 3;
            int after = Math.max(2, third);
            return new Plan(Math.max(2, third), Math.max(3, third), after, after + 15);
        }
    }

    /** One wrk run of the fault scenario, from and to in epoch milliseconds. */
    public record Slice(long from, long to, WrkResult wrk) {}

    /**
     * One slice as the run log shows it.
     *
     * @param at     its start in seconds relative to the stop
     * @param millis its length
     * @param hits   the requests the backends logged from its start to the next slice's start
     */
    public record Row(double at, long millis, WrkResult wrk, Distribution hits) {}

    /**
     * The figures of a fault run.
     *
     * @param movedAwayAfter milliseconds from the stop to the first slice without a wrk error while the
     *                       victim was down; -1 when every such slice had errors
     * @param lastVictimHit  milliseconds from the stop to the victim's last logged request before it came back
     * @param backAfter      milliseconds from the start to the victim's first logged request; -1 when none
     * @param sinceReturn    requests per backend from the victim's first request after its return on
     */
    public record Report(String victim, List<Row> rows, WrkResult.Errors before, WrkResult.Errors down,
                         WrkResult.Errors after, double downSeconds, long movedAwayAfter, long lastVictimHit,
                         long backAfter, Distribution sinceReturn, List<Verdict> verdicts, List<String> balancerLog) {
        public Report {
            rows = List.copyOf(rows);
            verdicts = List.copyOf(verdicts);
            balancerLog = List.copyOf(balancerLog);
        }

        /** With what featherlb logged about the scenario's route from the stop on (its state changes, refusals). */
        public Report withBalancerLog(List<String> lines) {
            return new Report(victim, rows, before, down, after, downSeconds, movedAwayAfter, lastVictimHit, backAfter,
                    sinceReturn, verdicts, lines);
        }
    }

    /**
     * @param slices    the slices in order
     * @param stoppedAt when {@code docker stop} was issued, epoch ms
     * @param startedAt when {@code docker start} was issued, epoch ms
     * @param hits      the scenario's logged requests, all backends
     */
    public static Report analyse(Scenario s, List<Slice> slices, long stoppedAt, long startedAt, List<AccessLog.Hit> hits) {
        String victim = ((Scenario.Check.Fault) s.check()).victim();
        List<String> backends = s.backends();
        List<Row> rows = new ArrayList<>();
        WrkResult.Errors before = WrkResult.Errors.NONE, down = WrkResult.Errors.NONE, after = WrkResult.Errors.NONE;
        long movedAwayAfter = -1;
        for (int i = 0; i < slices.size(); i++) {
            Slice slice = slices.get(i);
            long end = i + 1 < slices.size() ? slices.get(i + 1).from() : Long.MAX_VALUE;
            List<AccessLog.Hit> in = hits.stream().filter(h -> h.millis() >= slice.from() && h.millis() < end).toList();
            rows.add(new Row((slice.from() - stoppedAt) / 1000.0, slice.to() - slice.from(), slice.wrk(), Distribution.of(backends, in)));
            WrkResult.Errors e = slice.wrk().errors();
            if (slice.to() <= stoppedAt) {
                before = before.plus(e);
            } else if (slice.from() < startedAt) {
                down = down.plus(e);
                if (movedAwayAfter < 0 && e.total() == 0) movedAwayAfter = Math.max(0, slice.from() - stoppedAt);
            } else {
                after = after.plus(e);
            }
        }
        long lastVictimHit = hits.stream().filter(h -> h.backend().equals(victim) && h.millis() < startedAt)
                .mapToLong(AccessLog.Hit::millis).max().orElse(stoppedAt) - stoppedAt;
        long firstBack = hits.stream().filter(h -> h.backend().equals(victim) && h.millis() >= startedAt)
                .mapToLong(AccessLog.Hit::millis).min().orElse(-1);
        long backAfter = firstBack < 0 ? -1 : firstBack - startedAt;
        Distribution sinceReturn = Distribution.of(backends,
                firstBack < 0 ? List.of() : hits.stream().filter(h -> h.millis() >= firstBack).toList());
        double downSeconds = (startedAt - stoppedAt) / 1000.0;

        List<Verdict> verdicts = new ArrayList<>();
        verdicts.add(Verdict.of(backAfter >= 0, victim + " takes traffic again", backAfter < 0
                ? "no request reached %s after its start (%d slices)".formatted(victim, rows.size())
                : "first request %.1f s after its start; since then: %s".formatted(backAfter / 1000.0, sinceReturn)));
        // with health checks, connect retries and retry_on: empty-response, stopping and starting a
        // backend must cost no request: not even those nginx's closing listener had queued (their
        // reset makes featherlb send the request again to another backend)
        verdicts.add(Verdict.of(before.total() == 0 && down.total() == 0 && after.total() == 0,
                "no failed request while " + victim + " was stopped and started",
                "before the stop / while down / after the start: " + before + " / " + down + " / " + after));
        verdicts.add(Verdict.info("traffic moved away from " + victim, movedAwayAfter < 0
                ? "not while it was down (%.1f s): every slice had errors".formatted(downSeconds)
                : "%.1f s after the stop (first slice without errors); its last request %d ms after the stop"
                        .formatted(movedAwayAfter / 1000.0, lastVictimHit)));
        return new Report(victim, List.copyOf(rows), before, down, after, downSeconds, movedAwayAfter,
                lastVictimHit, backAfter, sinceReturn, verdicts, List.of());
    }
}
