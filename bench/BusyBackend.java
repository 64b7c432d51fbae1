package bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A backend that does real work on the same cores: nginx (one worker) writing its combined access
 * log, a line per request, into a folder of its own. Real backends log; a proxy that competes with
 * them for the CPU, or wakes more often than it must, shows here and not against the silent backend.
 */
final class BusyBackend {
    private BusyBackend() {
    }

    /** The folder the busy backend runs in (its pid file, temp files, access log): apart from the silent backend's. */
    static Path folder(Path work) {
        return work.resolve("busy-backend");
    }

    static Path accessLog(Path work) {
        return folder(work).resolve("access.log");
    }

    /** nginx's configuration for the busy backend: the silent backend's, with the access log on. */
    static String config(Path work, int maxConnections, int port) {
        return Contender.backendConfig(folder(work), maxConnections, port, accessLog(work));
    }

    /**
     * wrk keep-alive through every contender to the busy backend, {@code reps} rounds alternated:
     * requests/s, p99 and the proxy's CPU per request. The access log is emptied after each run
     * (nginx appends, so a truncated file simply grows again), so a full run stays small on disk.
     */
    static void run(Map<String, EnumMap<Metric, List<Double>>> raw, List<Contender.Running> running, int reps, int seconds,
                    Path work, PrintStream log) throws IOException, InterruptedException {
        for (int rep = 0; rep < reps; rep++) {
            for (Contender.Running r : bench.rotated(running, rep)) {
                long cpu0 = bench.cpu(r);
                Load.Http h = Load.wrk(r.busy(), 100, seconds, false);
                long cpu = bench.cpu(r) - cpu0;
                bench.add(raw, r, Metric.BUSY_RPS, h.rps());
                bench.add(raw, r, Metric.BUSY_P99, h.p99Ms());
                if (r.proc() != null) bench.add(raw, r, Metric.BUSY_CPU, (double) cpu / h.requests());
                long logged = Files.size(accessLog(work));
                try (FileChannel f = FileChannel.open(accessLog(work), StandardOpenOption.WRITE)) {
                    f.truncate(0);
                }
                log.printf("  %-12s busy backend    %8.0f req/s, p99 %.2f ms, %,d bytes of access log%n", r.contender().name(),
                        h.rps(), h.p99Ms(), logged);
            }
        }
    }

    /** The report's section: req/s, p99 and CPU per request against the busy backend, with ratios to HAProxy. */
    static void section(Report report, StringBuilder md) {
        if (!report.measured(Metric.BUSY_RPS)) return;
        md.append("\n## Busy backend: nginx writing an access log per request, wrk -t1 -c100 keep-alive\n\n")
                .append("| contender | req/s | p99 ms | CPU µs/req |\n|---|---:|---:|---:|\n");
        for (String c : report.contenders()) {
            md.append("| ").append(c).append(" | ").append(report.cellWithRatio(c, Metric.BUSY_RPS)).append(" | ")
                    .append(report.cellWithRatio(c, Metric.BUSY_P99)).append(" | ")
                    .append(c.equals(Report.DIRECT) ? "–" : report.cellWithRatio(c, Metric.BUSY_CPU)).append(" |\n");
        }
    }
}
