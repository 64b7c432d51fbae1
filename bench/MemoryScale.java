package bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Memory at scale: the floor (RSS once started, before any load) and the cost of each idle
 * connection, the slope of a least-squares line through RSS at several counts of idle connections
 * (one pair of points is at the mercy of a heap that grows in steps). With the line, RSS at
 * 10,000, 100,000 and 1,000,000 idle connections is projected for every proxy, and the count at
 * which featherlb's line crosses HAProxy's is said.
 */
final class MemoryScale {
    /** The projections the report shows. */
    static final int[] PROJECTED = {10_000, 100_000, 1_000_000};

    private MemoryScale() {
    }

    /** The fitted line, in KiB and KiB per connection, and RSS at the largest count measured. */
    record Fit(double baseKib, double perConnectionKib, long rssAtCountKib, int count) {
        /** RSS in MiB with {@code connections} idle: measured where it was, on the line beyond. */
        double rssMib(int connections) {
            return (rssAtCountKib + Math.max(0, connections - count) * perConnectionKib) / 1024;
        }
    }

    /**
     * Opens idle connections in {@code points} equal steps up to {@code count}, reads RSS after each
     * (once the proxy has settled), and fits the line; closes them all at the end.
     */
    static Fit measure(Contender.Running r, int count, int points) throws IOException, InterruptedException {
        double[] x = new double[points], y = new double[points];
        try (IdleConnections idle = new IdleConnections()) {
            for (int k = 1; k <= points; k++) {
                int n = (int) ((long) count * k / points);
                idle.openUpTo(r.http(), n);
                Thread.sleep(k == points ? 1000 : 500);
                x[k - 1] = n;
                y[k - 1] = r.proc().rssKib();
            }
        } finally {
            Thread.sleep(500); // let the proxy see the closes before the next one is measured
        }
        double[] line = leastSquares(x, y);
        return new Fit(line[0], line[1], (long) y[points - 1], count);
    }

    /** {intercept, slope} of the least-squares line through (x, y). */
    static double[] leastSquares(double[] x, double[] y) {
        int n = x.length;
        double mx = 0, my = 0;
        for (int i = 0; i < n; i++) {
            mx += x[i] / n;
            my += y[i] / n;
        }
        double sxy = 0, sxx = 0;
        for (int i = 0; i < n; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
        }
        double slope = sxx == 0 ? 0 : sxy / sxx;
        return new double[] {my - slope * mx, slope};
    }

    /**
     * Where two lines cross: the connection count from which {@code a} uses less memory than {@code b}
     * (NaN when it never does, 0 when it always does).
     */
    static double crossover(double baseA, double slopeA, double baseB, double slopeB) {
        if (baseA <= baseB && slopeA <= slopeB) return 0;
        if (slopeA >= slopeB) return Double.NaN;
        return (baseA - baseB) / (slopeB - slopeA);
    }

    /** The report's section: floor, slope, projections; the crossover of featherlb's line with HAProxy's and nginx's. */
    static void section(Report report, StringBuilder md) {
        if (!report.measured(Metric.RSS_PER_IDLE) && !report.measured(Metric.RSS_FLOOR)) return;
        md.append("\n## Memory at scale\n\n")
                .append("Floor: RSS of all the proxy's processes once started, before any load. Per idle connection: the slope of the ")
                .append("least-squares line through RSS at several counts of idle connections (each carried one request first). ")
                .append("Projected: on that line (fitted RSS at 0 idle connections, after the load before it, plus the slope).\n\n")
                .append("| contender | floor MiB | KiB per idle connection |");
        for (int n : PROJECTED) md.append(' ').append(label(n)).append(" idle, MiB |");
        md.append("\n|---|---:|---:|").append("---:|".repeat(PROJECTED.length)).append('\n');
        for (String c : report.contenders()) {
            if (c.equals(Report.DIRECT)) continue;
            md.append("| ").append(c).append(" | ").append(report.cell(c, Metric.RSS_FLOOR)).append(" | ")
                    .append(report.cell(c, Metric.RSS_PER_IDLE)).append(" |");
            for (int n : PROJECTED) {
                double mib = projectedMib(report, c, n);
                md.append(' ').append(Double.isNaN(mib) ? "–" : String.format(Locale.ROOT, "%,.0f", mib)).append(" |");
            }
            md.append('\n');
        }
        List<String> crossings = new ArrayList<>();
        for (String other : List.of(Report.REFERENCE, "nginx")) {
            double x = crossover(report, Report.SUBJECT, other);
            if (!report.measured(Metric.RSS_PER_IDLE) || !report.stats(other, Metric.RSS_PER_IDLE).present()) continue;
            crossings.add(Double.isNaN(x) ? "featherlb never uses less memory than " + other + " on these lines"
                    : x == 0 ? "featherlb uses less memory than " + other + " at every count"
                    : String.format(Locale.ROOT, "featherlb uses less memory than %s from about %,d idle connections on", other,
                            Math.round(x / 1000) * 1000));
        }
        if (!crossings.isEmpty()) md.append("\nCrossover: ").append(String.join("; ", crossings)).append(".\n");
    }

    /** RSS in MiB at {@code n} idle connections on one contender's line (the medians of its fits). */
    static double projectedMib(Report report, String contender, int n) {
        Stats base = report.stats(contender, Metric.RSS_FIT_BASE), slope = report.stats(contender, Metric.RSS_PER_IDLE);
        if (!base.present() || !slope.present()) return Double.NaN;
        return base.median() + slope.median() * n / 1024;
    }

    static double crossover(Report report, String a, String b) {
        Stats baseA = report.stats(a, Metric.RSS_FIT_BASE), slopeA = report.stats(a, Metric.RSS_PER_IDLE);
        Stats baseB = report.stats(b, Metric.RSS_FIT_BASE), slopeB = report.stats(b, Metric.RSS_PER_IDLE);
        if (!baseA.present() || !baseB.present()) return Double.NaN;
        return crossover(baseA.median() * 1024, slopeA.median(), baseB.median() * 1024, slopeB.median());
    }

    private static String label(int n) {
        return n >= 1_000_000 ? n / 1_000_000 + "M" : n / 1000 + "k";
    }
}
