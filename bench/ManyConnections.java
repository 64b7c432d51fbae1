package bench;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Many connections: wrk keep-alive with 1,000 and 5,000 connections at once (one wrk thread, its
 * file-descriptor limit raised), where a proxy's per-connection bookkeeping and fairness show:
 * requests/s, p99 and the requests that got no answer within wrk's 5 s timeout.
 */
final class ManyConnections {
    /** One connection count and the metrics it fills. */
    record Size(int connections, Metric rps, Metric p99, Metric timeouts) {
    }

    static final List<Size> SIZES = List.of(
            new Size(1_000, Metric.MANY_1K_RPS, Metric.MANY_1K_P99, Metric.MANY_1K_TIMEOUTS),
            new Size(5_000, Metric.MANY_5K_RPS, Metric.MANY_5K_P99, Metric.MANY_5K_TIMEOUTS));

    private ManyConnections() {
    }

    /** The sizes that fit: every contender holds {@code maxConnections}, wrk needs one descriptor per connection. */
    static List<Size> fitting(int maxConnections, int fdLimit, boolean quick) {
        List<Size> fit = new ArrayList<>();
        for (Size s : SIZES) {
            if (s.connections() <= maxConnections - 64 && s.connections() + 256 <= fdLimit && (!quick || fit.isEmpty())) fit.add(s);
        }
        return fit;
    }

    static void run(Map<String, EnumMap<Metric, List<Double>>> raw, List<Contender.Running> running, List<Size> sizes,
                    int reps, int seconds, int fdLimit, List<String> notes, PrintStream log) throws IOException, InterruptedException {
        for (int rep = 0; rep < reps; rep++) {
            for (Size size : sizes) {
                for (Contender.Running r : bench.rotated(running, rep)) {
                    Load.Http h = Load.wrk(r.http(), size.connections(), seconds, false, fdLimit);
                    log.printf("  %-12s %,6d conns    %8.0f req/s, p99 %.1f ms, %d timeouts, %d errors%n", r.contender().name(),
                            size.connections(), h.rps(), h.p99Ms(), h.timeouts(), h.errors());
                    if (h.requests() == 0) {
                        // seen on a shared machine whose loopback held 35,000 connections of others' tests and
                        // 16,000 in TIME_WAIT: wrk's connects wait for ephemeral ports and no request goes out
                        notes.add(r.contender().name() + ", " + size.connections() + " connections, round " + (rep + 1)
                                + ": wrk sent no request in " + seconds + " s (" + h.errors() + " socket errors); not counted.");
                        continue;
                    }
                    bench.add(raw, r, size.rps(), h.rps());
                    bench.add(raw, r, size.p99(), h.p99Ms());
                    bench.add(raw, r, size.timeouts(), (double) h.timeouts());
                    Thread.sleep(500); // let every contender see the closes before the next one's turn
                }
            }
        }
    }

    /** The report's section: per size, req/s (ratio to HAProxy), p99 (ratio), timeouts (the most in any round). */
    static void section(Report report, StringBuilder md) {
        List<Size> measured = new ArrayList<>();
        for (Size s : SIZES) if (report.measured(s.rps())) measured.add(s);
        if (measured.isEmpty()) return;
        md.append("\n## Many connections: wrk -t1 keep-alive\n\nRequests/s and p99 ms (ratios to HAProxy's in the same run); "
                + "timeouts: requests without an answer within 5 s, the most in any round.\n\n| contender |");
        for (Size s : measured) md.append(String.format(java.util.Locale.ROOT, " %,d conns req/s | p99 ms | timeouts |", s.connections()));
        md.append("\n|---|").append("---:|---:|---:|".repeat(measured.size())).append('\n');
        for (String c : report.contenders()) {
            md.append("| ").append(c).append(" |");
            for (Size s : measured) {
                Stats t = report.stats(c, s.timeouts());
                md.append(' ').append(report.cellWithRatio(c, s.rps())).append(" | ").append(report.cellWithRatio(c, s.p99()))
                        .append(" | ").append(t.present() ? s.timeouts().format(t.max()) : "–").append(" |");
            }
            md.append('\n');
        }
    }
}
