package e2e;

import java.util.List;
import java.util.Locale;

/**
 * Draws a run as one SVG: requests per backend for each scenario (bars, with the share the weights
 * call for as a tick), the latency percentiles p50/p90/p99 on a log scale, and, when the run had
 * the fault scenario, its requests per second per backend over time with the stop and the start
 * marked. Pure: returns the text.
 */
public final class Chart {
    private static final String[] BACKEND_COLOURS = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"};
    private static final String[] PERCENTILE_COLOURS = {"#9ecae1", "#4292c6", "#08519c"};
    private static final int WIDTH = 960, LEFT = 70, RIGHT = 20, PLOT_HEIGHT = 220;
    private static final int PLOT_WIDTH = WIDTH - LEFT - RIGHT, MAX_GROUP_WIDTH = 170;

    private Chart() {}

    /**
     * @param title    the first line, e.g. "featherlb e2e 2025-11-26 15:30:12: PASS"
     * @param subtitle the second line, e.g. the load parameters
     */
    public static String svg(String title, String subtitle, List<ScenarioResult> results) {
        Fault.Report fault = results.stream().map(ScenarioResult::fault).filter(java.util.Objects::nonNull).findFirst().orElse(null);
        int top1 = 110, top2 = top1 + PLOT_HEIGHT + 120, top3 = top2 + PLOT_HEIGHT + 120;
        int height = (fault == null ? top2 : top3) + PLOT_HEIGHT + 70;
        StringBuilder svg = new StringBuilder();
        svg.append(f("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
                WIDTH, height, WIDTH, height));
        svg.append(f("<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", WIDTH, height));
        svg.append(text(LEFT, 28, "start", "font-size=\"18\" font-weight=\"bold\"", title));
        svg.append(text(LEFT, 48, "start", "fill=\"#555\"", subtitle));
        distribution(svg, results, top1);
        latency(svg, results, top2);
        if (fault != null) overTime(svg, fault, top3);
        return svg.append("</svg>\n").toString();
    }

    /**
     * The fault scenario over time: one line per backend, each point a slice's requests (from the
     * access logs, from its start to the next slice's) per second, at the slice's middle; the
     * stop at 0 s and the start at {@code downSeconds} as vertical lines.
     */
    private static void overTime(StringBuilder svg, Fault.Report fault, int top) {
        svg.append(text(LEFT, top - 30, "start", "font-size=\"14\" font-weight=\"bold\"",
                "Fault scenario over time: requests per second per backend (from the access logs)"));
        List<Fault.Row> rows = fault.rows();
        if (rows.isEmpty()) return;
        List<String> backends = rows.getFirst().hits().backends();
        int n = rows.size();
        double[] from = new double[n], seconds = new double[n];
        for (int i = 0; i < n; i++) {
            from[i] = rows.get(i).at();
            seconds[i] = i + 1 < n ? rows.get(i + 1).at() - from[i] : rows.get(i).millis() / 1000.0;
        }
        double x0 = Math.min(from[0], 0), x1 = Math.max(from[n - 1] + seconds[n - 1], fault.downSeconds());
        double max = 0;
        for (int i = 0; i < n; i++) {
            for (String b : backends) if (seconds[i] > 0) max = Math.max(max, rows.get(i).hits().count(b) / seconds[i]);
        }
        double step = niceStep(max / 4);
        double yMax = Math.max(step, Math.ceil(max / step) * step);
        axis(svg, top, yMax, step, v -> f("%.0f/s", v), v -> v / yMax);
        java.util.function.DoubleUnaryOperator x = t -> LEFT + PLOT_WIDTH * (t - x0) / (x1 - x0);
        double tick = niceStep((x1 - x0) / 12);
        for (long k = (long) Math.ceil(x0 / tick); k * tick <= x1 + 1e-9; k++) {
            double t = k * tick;
            svg.append(f("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\"/>\n", x.applyAsDouble(t), top + PLOT_HEIGHT, x.applyAsDouble(t), top + PLOT_HEIGHT + 4));
            svg.append(text(x.applyAsDouble(t), top + PLOT_HEIGHT + 16, "middle", "", k == 0 ? "0 s" : f("%+.0f s", t)));
        }
        svg.append(text(LEFT + PLOT_WIDTH, top + PLOT_HEIGHT + 32, "end", "fill=\"#555\"", "seconds from the stop"));
        marker(svg, x.applyAsDouble(0), top, "#c00", "stop " + fault.victim());
        marker(svg, x.applyAsDouble(fault.downSeconds()), top, "#080", "start " + fault.victim());
        StringBuilder dots = new StringBuilder(); // after every line, so that no line hides them
        for (int b = 0; b < backends.size(); b++) {
            StringBuilder points = new StringBuilder();
            String colour = BACKEND_COLOURS[b % BACKEND_COLOURS.length];
            for (int i = 0; i < n; i++) {
                if (seconds[i] <= 0) continue;
                double rate = rows.get(i).hits().count(backends.get(b)) / seconds[i];
                double px = x.applyAsDouble(from[i] + seconds[i] / 2), py = top + PLOT_HEIGHT - PLOT_HEIGHT * rate / yMax;
                points.append(f("%.1f,%.1f ", px, py));
                dots.append(f("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"><title>%s at %+.1f s: %.0f requests/s</title></circle>\n",
                        px, py, colour, backends.get(b), from[i] + seconds[i] / 2, rate));
            }
            // earlier backends wider, drawn first: equal shares (roundrobin) leave each line visible
            double width = 2 + 2.5 * (backends.size() - 1 - b);
            svg.append(f("<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\" stroke-linejoin=\"round\"/>\n",
                    points.toString().strip(), colour, width));
        }
        svg.append(dots);
        for (int b = 0; b < backends.size(); b++) {
            int lx = LEFT + b * 100;
            svg.append(f("<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", lx, top - 22, BACKEND_COLOURS[b % BACKEND_COLOURS.length]));
            svg.append(text(lx + 16, top - 12, "start", "", backends.get(b)));
        }
    }

    /** A vertical line across the plot at {@code x}, labelled at its top. */
    private static void marker(StringBuilder svg, double x, int top, String colour, String label) {
        svg.append(f("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" stroke-width=\"1.5\" stroke-dasharray=\"5,3\"/>\n",
                x, top - 6, x, top + PLOT_HEIGHT, colour));
        svg.append(text(x + 4, top + 6, "start", "fill=\"" + colour + "\" font-weight=\"bold\"", label));
    }

    /** 1, 2 or 5 times a power of ten, at least {@code rough}. */
    private static double niceStep(double rough) {
        if (rough <= 0) return 1;
        double power = Math.pow(10, Math.floor(Math.log10(rough)));
        for (double m : new double[] {1, 2, 5, 10}) if (m * power >= rough) return m * power;
        return 10 * power;
    }

    private static void distribution(StringBuilder svg, List<ScenarioResult> results, int top) {
        svg.append(text(LEFT, top - 30, "start", "font-size=\"14\" font-weight=\"bold\"",
                "Requests per backend (share %, from the access logs); black tick: share the weights call for"));
        int backends = results.stream().mapToInt(r -> r.distribution().backends().size()).max().orElse(1);
        double max = 0;
        for (ScenarioResult r : results) {
            for (String b : r.distribution().backends()) max = Math.max(max, r.distribution().share(b));
        }
        double yMax = Math.max(40, Math.ceil(max / 10) * 10);
        axis(svg, top, yMax, 10 * Math.ceil(yMax / 50), v -> f("%.0f%%", v), v -> v / yMax);
        for (int i = 0; i < backends; i++) {
            int x = LEFT + i * 100;
            svg.append(f("<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", x, top - 22, BACKEND_COLOURS[i % BACKEND_COLOURS.length]));
            svg.append(text(x + 16, top - 12, "start", "", Scenarios.backend(i + 1)));
        }
        double group = groupWidth(results.size());
        for (int g = 0; g < results.size(); g++) {
            ScenarioResult r = results.get(g);
            Distribution d = r.distribution();
            List<Double> expected = switch (r.scenario().check()) {
                case Scenario.Check.Split _, Scenario.Check.RandomSplit _ -> Verdicts.expectedShares(r.scenario());
                default -> null;
            };
            double bar = group * 0.8 / d.backends().size();
            double x0 = LEFT + g * group + group * 0.1;
            for (int i = 0; i < d.backends().size(); i++) {
                double share = d.share(d.backends().get(i));
                double h = PLOT_HEIGHT * share / yMax, x = x0 + i * bar;
                svg.append(f("<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s %s: %d requests, %.1f%%</title></rect>\n",
                        x, top + PLOT_HEIGHT - h, bar - 2, h, BACKEND_COLOURS[i % BACKEND_COLOURS.length],
                        esc(r.scenario().name()), d.backends().get(i), d.count(d.backends().get(i)), share));
                svg.append(text(x + bar / 2 - 1, top + PLOT_HEIGHT - h - 4, "middle", "font-size=\"10\"", f("%.1f", share)));
                if (expected != null) {
                    double y = top + PLOT_HEIGHT - PLOT_HEIGHT * expected.get(i) / yMax;
                    svg.append(f("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\" stroke-width=\"2\"/>\n", x - 1, y, x + bar - 1, y));
                }
            }
            groupLabel(svg, r, LEFT + g * group + group / 2, top + PLOT_HEIGHT);
        }
    }

    private static void latency(StringBuilder svg, List<ScenarioResult> results, int top) {
        svg.append(text(LEFT, top - 30, "start", "font-size=\"14\" font-weight=\"bold\"", "Latency percentiles (log scale; several clients or slices: the worst)"));
        String[] names = {"p50", "p90", "p99"};
        for (int i = 0; i < names.length; i++) {
            svg.append(f("<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", LEFT + i * 70, top - 22, PERCENTILE_COLOURS[i]));
            svg.append(text(LEFT + i * 70 + 16, top - 12, "start", "", names[i]));
        }
        double max = results.stream().mapToDouble(r -> r.wrk().latency().p99()).max().orElse(1);
        double lo = -1, hi = Math.max(1, Math.ceil(Math.log10(Math.max(max, 0.1)))); // decades of ms: 0.1 ms .. 10^hi ms
        java.util.function.DoubleUnaryOperator scale = ms -> (Math.log10(Math.max(ms, 0.1)) - lo) / (hi - lo);
        for (int decade = (int) lo; decade <= hi; decade++) {
            double v = Math.pow(10, decade);
            double y = top + PLOT_HEIGHT - PLOT_HEIGHT * scale.applyAsDouble(v);
            svg.append(f("<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", LEFT, y, LEFT + PLOT_WIDTH, y));
            svg.append(text(LEFT - 6, y + 4, "end", "", compact(v)));
        }
        svg.append(f("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n", LEFT, top + PLOT_HEIGHT, LEFT + PLOT_WIDTH, top + PLOT_HEIGHT));
        double group = groupWidth(results.size());
        for (int g = 0; g < results.size(); g++) {
            ScenarioResult r = results.get(g);
            WrkResult.Latency l = r.wrk().latency();
            double[] values = {l.p50(), l.p90(), l.p99()};
            double bar = group * 0.8 / values.length, x0 = LEFT + g * group + group * 0.1;
            for (int i = 0; i < values.length; i++) {
                double h = PLOT_HEIGHT * scale.applyAsDouble(values[i]), x = x0 + i * bar;
                svg.append(f("<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s %s: %s</title></rect>\n",
                        x, top + PLOT_HEIGHT - h, bar - 2, h, PERCENTILE_COLOURS[i], esc(r.scenario().name()), names[i], RunLog.ms(values[i])));
                svg.append(text(x + bar / 2 - 1, top + PLOT_HEIGHT - h - 4, "middle", "font-size=\"9\"", compact(values[i])));
            }
            groupLabel(svg, r, LEFT + g * group + group / 2, top + PLOT_HEIGHT);
        }
    }

    /** Y axis with grid lines every {@code step} from 0 to {@code max}; {@code scale} maps a value to 0..1. */
    private static void axis(StringBuilder svg, int top, double max, double step,
                             java.util.function.DoubleFunction<String> label, java.util.function.DoubleUnaryOperator scale) {
        for (double v = 0; v <= max + 1e-9; v += step) {
            double y = top + PLOT_HEIGHT - PLOT_HEIGHT * scale.applyAsDouble(v);
            svg.append(f("<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\"/>\n", LEFT, y, LEFT + PLOT_WIDTH, y, v == 0 ? "#333" : "#ddd"));
            svg.append(text(LEFT - 6, y + 4, "end", "", label.apply(v)));
        }
    }

    private static void groupLabel(StringBuilder svg, ScenarioResult r, double x, int baseline) {
        svg.append(text(x, baseline + 18, "middle", "font-weight=\"bold\"", r.scenario().name()));
        String verdict = Verdicts.summary(r.verdicts());
        svg.append(text(x, baseline + 34, "middle", r.failed() ? "fill=\"#c00\"" : "fill=\"#080\"", verdict));
    }

    /** Width of one scenario's bars: the plot's width shared out, but no wider than a few bars need. */
    private static double groupWidth(int groups) {
        return Math.min(MAX_GROUP_WIDTH, (double) PLOT_WIDTH / groups);
    }

    /** A latency short enough to stand above a narrow bar: "850us", "5.2ms", "98ms", "1.1s". */
    static String compact(double millis) {
        if (millis < 1) return f("%.0fus", millis * 1000);
        if (millis < 10) return f("%.1fms", millis).replace(".0ms", "ms");
        if (millis < 1000) return f("%.0fms", millis);
        return f("%.1fs", millis / 1000).replace(".0s", "s");
    }

    private static String text(double x, double y, String anchor, String attributes, String content) {
        return f("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" %s>%s</text>\n", x, y, anchor, attributes, esc(content));
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** Formats with a fixed locale: SVG numbers need a decimal point, whatever the machine's locale. */
    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
