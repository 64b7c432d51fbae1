package bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fixed-rate efficiency: h2load ({@code --h1 --rps}) sends a steady 10,000, 20,000 or 30,000
 * requests a second over 100 keep-alive connections, well below saturation, where most balancers
 * live. What counts is what each request costs the proxy (CPU µs of all its processes and threads,
 * from /proc, over the run) and its latency (p50, p99, from h2load's per-request log).
 */
final class FixedRate {
    static final int CONNECTIONS = 100;

    /** One target rate and the metrics it fills. */
    record Rate(int perSecond, Metric cpu, Metric p50, Metric p99) {
    }

    static final List<Rate> RATES = List.of(
            new Rate(10_000, Metric.FIXED_10K_CPU, Metric.FIXED_10K_P50, Metric.FIXED_10K_P99),
            new Rate(20_000, Metric.FIXED_20K_CPU, Metric.FIXED_20K_P50, Metric.FIXED_20K_P99),
            new Rate(30_000, Metric.FIXED_30K_CPU, Metric.FIXED_30K_P50, Metric.FIXED_30K_P99));

    private static final Pattern DONE = Pattern.compile(
            "requests: \\d+ total, \\d+ started, (\\d+) done, (\\d+) succeeded, (\\d+) failed, (\\d+) errored, (\\d+) timeout");
    private static final Pattern FINISHED = Pattern.compile("finished in ([0-9.]+)s, ([0-9.]+) req/s");

    private FixedRate() {
    }

    /** What one h2load run measured: requests answered, the rate reached, latency percentiles, failures. */
    record Run(long requests, double rps, double p50Ms, double p99Ms, long failed) {
    }

    /** Every rate in {@code rates}, {@code reps} rounds, the contenders alternated in each. */
    static void run(Map<String, EnumMap<Metric, List<Double>>> raw, List<Contender.Running> running, List<Rate> rates,
                    int reps, int seconds, Path work, List<String> notes, PrintStream log) throws IOException, InterruptedException {
        for (int rep = 0; rep < reps; rep++) {
            for (Rate rate : rates) {
                for (Contender.Running r : bench.rotated(running, rep)) {
                    long cpu0 = bench.cpu(r);
                    Run h = h2load(r.http(), rate.perSecond(), seconds, work.resolve("h2load-" + r.contender().name() + ".tsv"));
                    long cpu = bench.cpu(r) - cpu0;
                    bench.add(raw, r, rate.p50(), h.p50Ms());
                    bench.add(raw, r, rate.p99(), h.p99Ms());
                    if (r.proc() != null && h.requests() > 0) bench.add(raw, r, rate.cpu(), (double) cpu / h.requests());
                    log.printf("  %-12s fixed %2dk/s     %8.0f req/s, p50 %.2f ms, p99 %.2f ms%s%n", r.contender().name(),
                            rate.perSecond() / 1000, h.rps(), h.p50Ms(), h.p99Ms(), h.failed() > 0 ? " (" + h.failed() + " failed)" : "");
                    if (h.rps() < 0.97 * rate.perSecond()) {
                        notes.add(r.contender().name() + " reached " + Math.round(h.rps()) + " of the " + rate.perSecond()
                                + " req/s asked for (round " + (rep + 1) + "): the machine or the proxy was saturated.");
                    }
                }
            }
        }
    }

    /**
     * h2load with one thread and {@link #CONNECTIONS} HTTP/1.1 connections, each sending {@code
     * rate / CONNECTIONS} requests a second for {@code seconds}; latencies from its per-request log.
     */
    static Run h2load(int port, int rate, int seconds, Path requestLog) throws IOException, InterruptedException {
        List<String> command = List.of(Machine.which("h2load"), "--h1", "-t1", "-c" + CONNECTIONS,
                "--rps=" + Math.max(1, rate / CONNECTIONS), "-D", Integer.toString(seconds), "--log-file=" + requestLog,
                "http://127.0.0.1:" + port + "/");
        try {
            String out = Proc.run(command, seconds + 30L);
            Matcher done = DONE.matcher(out), finished = FINISHED.matcher(out);
            if (!done.find() || !finished.find()) throw new IOException("h2load said:\n" + out);
            long requests = Long.parseLong(done.group(2));
            long failed = Long.parseLong(done.group(3)) + Long.parseLong(done.group(5));
            double[] micros = latencies(requestLog);
            return new Run(requests, Double.parseDouble(finished.group(2)), percentile(micros, 0.50) / 1000,
                    percentile(micros, 0.99) / 1000, failed);
        } finally {
            Files.deleteIfExists(requestLog);
        }
    }

    /** The third column of h2load's log: microseconds from a request's start to the end of its answer. */
    private static double[] latencies(Path requestLog) throws IOException {
        List<String> lines = Files.readAllLines(requestLog);
        double[] v = new double[lines.size()];
        int n = 0;
        for (String line : lines) {
            String[] f = line.split("\t");
            if (f.length >= 3) v[n++] = Double.parseDouble(f[2]);
        }
        v = Arrays.copyOf(v, n);
        Arrays.sort(v);
        return v;
    }

    /** Nearest-rank percentile of sorted values; NaN for none. */
    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) return Double.NaN;
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.clamp(rank - 1, 0, sorted.length - 1)];
    }

    /** The report's section: per rate, CPU per request (and its ratio to HAProxy's), p50 and p99. */
    static void section(Report report, StringBuilder md) {
        List<Rate> measured = new ArrayList<>();
        for (Rate rate : RATES) if (report.measured(rate.p99())) measured.add(rate);
        if (measured.isEmpty()) return;
        md.append("\n## Fixed rate: h2load --h1, ").append(CONNECTIONS).append(" connections\n\n")
                .append("CPU µs per request of the proxy's processes (ratio to HAProxy's in the same run), p50 / p99 ms.\n\n| contender |");
        for (Rate rate : measured) md.append(' ').append(rate.perSecond() / 1000).append("k req/s CPU µs | p50 / p99 ms |");
        md.append("\n|---|").append("---:|---:|".repeat(measured.size())).append('\n');
        for (String c : report.contenders()) {
            md.append("| ").append(c).append(" |");
            for (Rate rate : measured) {
                md.append(' ').append(report.cellWithRatio(c, rate.cpu())).append(" | ").append(report.cell(c, rate.p50()))
                        .append(" / ").append(report.cell(c, rate.p99())).append(" |");
            }
            md.append('\n');
        }
    }
}
