///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 25
//DEPS info.picocli:picocli:4.7.7
//SOURCES Contender.java IdleConnections.java Load.java Machine.java Metric.java Proc.java Report.java Startup.java Stats.java UdpBench.java
//SOURCES TlsProxy.java
//SOURCES BusyBackend.java FixedRate.java ManyConnections.java MemoryScale.java
package bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code make bench}: featherlb against HAProxy (mode tcp, 1 and 2 threads), nginx's stream
 * module and no proxy at all, on 127.0.0.1, in one run with the contenders alternated. Writes
 * {@code bench/results/latest.md}, {@code latest.svg} and {@code runs/<datetime>.json}. Asserts no
 * timing: the goals table says what was met, the exit code only whether the run worked.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = "Benchmarks featherlb against HAProxy, nginx stream and a direct connection; see bench/README.md.")
public final class bench implements Callable<Integer> {
    @Option(names = "--quick", description = "a few seconds per measurement, once each, 1,000 idle connections (CI)")
    boolean quick;

    @Option(names = "--reps", paramLabel = "N", description = "repetitions of every measurement (default 5, quick 1)")
    Integer reps;

    @Option(names = "--seconds", paramLabel = "S", description = "seconds per wrk run (default 6, quick 2)")
    Integer seconds;

    @Option(names = "--idle", paramLabel = "N", description = "idle connections for the memory test (default 10000, quick 1000)")
    Integer idle;

    @Option(names = "--only", split = ",", paramLabel = "NAME",
            description = "contenders to run: direct, haproxy, haproxy-2t, nginx, featherlb, featherlb-vt (default all; haproxy "
                    + "is always run, featherlb-vt with featherlb)")
    List<String> only;

    @Option(names = "--tests", split = ",", paramLabel = "TEST",
            description = "measurements to make: keepalive, close, bulk, fixed (fixed rate), many (connections), busy (backend), "
                    + "idle (memory at scale), start, udp, tls (default all)")
    List<String> tests = List.of("keepalive", "close", "bulk", "fixed", "many", "busy", "idle", "start", "udp", "tls");

    @Option(names = "--featherlb", paramLabel = "NAME:DIR:OPTIONS",
            description = "a further featherlb contender: sources in DIR (empty: this checkout), OPTIONS separated by "
                    + "spaces, the JVM's or featherlb's own (--...), e.g. 'p1::-Djdk.virtualThreadScheduler.parallelism=1'")
    List<String> variants = new ArrayList<>();

    @Option(names = "--out", paramLabel = "DIR", description = "where the results go (default bench/results, quick: bench/results/quick)")
    Path out;

    /** The standing contender that forwards with {@code --engine virtual-threads}. */
    static final String VIRTUAL_THREADS = "featherlb-vt";

    private final PrintStream log = System.out;

    public static void main(String... args) {
        System.exit(new CommandLine(new bench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path repo = repoRoot();
        int reps = this.reps != null ? this.reps : quick ? 1 : 5;
        int seconds = this.seconds != null ? this.seconds : quick ? 2 : 6;
        int bulkSeconds = quick ? 1 : 4;
        int idleWanted = idle != null ? idle : quick ? 1000 : 10_000;
        // quick runs (CI, a check that it still works) must not overwrite the last full run's results
        Path results = out != null ? out : repo.resolve(quick ? "bench/results/quick" : "bench/results");

        Machine.ensureTools(log);
        int fdLimit = Machine.hardFdLimit();
        // a proxy holds two descriptors per proxied connection, and needs a few of its own
        // featherlb holds at most (limit - max(256, limit / 10)) / 2 connections (tcp/GlobalLimit) and
        // leaves the rest in the accept queue: more idle connections than that would wait forever
        int idleCount = Math.min(idleWanted, (fdLimit - Math.max(256, fdLimit / 10)) / 2);
        // so 2 * maxConnections + a few stays under the limit; room for the largest many-connections run that fits
        int maxConnections = Math.max(idleCount, quick ? 0 : Math.min(5_000, (fdLimit - 256) / 2)) + 64;
        List<String> notes = new ArrayList<>();
        if (idleCount < idleWanted) {
            notes.add("The file-descriptor limit here is " + fdLimit + " (ulimit -Hn): a proxy needs two per connection, so "
                    + idleCount + " idle connections were opened, not " + idleWanted + ".");
        }
        if (idleCount < 10_000) {
            notes.add("RSS with 10,000 idle connections: measured with " + idleCount + ", plus the fitted per-connection cost "
                    + "for the other " + (10_000 - idleCount) + ".");
        }
        List<Contender> contenders = contenders(repo);
        Map<String, String> machine = Machine.describe();
        String date = LocalDateTime.now().withNano(0).toString();
        log.printf("featherlb bench %s: %s, %d rep(s), wrk %d s, iperf3 %d s, %d idle connections%n",
                quick ? "--quick" : "", String.join(", ", contenders.stream().map(Contender::name).toList()), reps, seconds,
                bulkSeconds, idleCount);

        Map<String, EnumMap<Metric, List<Double>>> raw = new LinkedHashMap<>();
        for (Contender c : contenders) raw.put(c.name(), new EnumMap<>(Metric.class));
        Path work = Files.createTempDirectory("featherlb-bench");
        List<Contender.Running> running = new ArrayList<>();
        try (Backend backend = startBackend(work, maxConnections, fdLimit);
             Backend busy = startBusyBackend(work, maxConnections, fdLimit);
             Backend iperf = startIperf(work, fdLimit)) {
            Contender.Backends backends = new Contender.Backends(backend.port(), iperf.port(), busy.port());
            buildFeatherlb(contenders);
            for (Contender c : contenders) running.add(c.start(backends, maxConnections, fdLimit, work));
            if (tests.contains("idle")) {
                Thread.sleep(quick ? 1000 : 3000); // the JVMs' start-up compilations and threads settle
                for (Contender.Running r : running) {
                    if (r.proc() == null) continue;
                    double floor = r.proc().rssKib() / 1024.0;
                    add(raw, r, Metric.RSS_FLOOR, floor);
                    log.printf("  %-12s floor           %6.1f MiB RSS before any connection%n", r.contender().name(), floor);
                }
            }
            for (Contender.Running r : running) Load.wrk(r.http(), 100, 1, false); // warm-up: JIT, pools

            if (tests.contains("keepalive")) http(raw, running, reps, seconds, false);
            if (tests.contains("close")) http(raw, running, reps, seconds, true);
            for (int rep = 0; rep < reps && tests.contains("bulk"); rep++) {
                for (Contender.Running r : rotated(running, rep)) {
                    double up = Load.iperf3(r.bulk(), bulkSeconds, false);
                    double down = Load.iperf3(r.bulk(), bulkSeconds, true);
                    add(raw, r, Metric.BULK_UP, up);
                    add(raw, r, Metric.BULK_DOWN, down);
                    log.printf("  %-12s bulk            %6.2f Gbit/s up, %6.2f down%n", r.contender().name(), up, down);
                }
            }
            if (tests.contains("fixed")) {
                // quick: the lowest rate only, so that CI's run stays short and a busy CI machine keeps up
                FixedRate.run(raw, running, quick ? List.of(FixedRate.RATES.getFirst()) : FixedRate.RATES, reps, seconds, work, notes, log);
            }
            if (tests.contains("many")) {
                List<ManyConnections.Size> sizes = ManyConnections.fitting(maxConnections, fdLimit, quick);
                if (sizes.size() < ManyConnections.SIZES.size() && !quick) {
                    notes.add("Many connections: only " + sizes.stream().map(z -> Integer.toString(z.connections())).toList()
                            + " fit under the file-descriptor limit of " + fdLimit + ".");
                }
                ManyConnections.run(raw, running, sizes, reps, seconds, fdLimit, notes, log);
            }
            if (tests.contains("busy")) BusyBackend.run(raw, running, reps, seconds, work, log);
            // memory at scale once per run: a second pass reuses what the first freed (HAProxy's slope
            // fell from 3.3 to 0.05 KiB per connection), which is not what a growing load costs
            if (tests.contains("idle")) {
                for (Contender.Running r : running) {
                    if (r.proc() == null) continue;
                    MemoryScale.Fit fit = MemoryScale.measure(r, idleCount, quick ? 4 : 5);
                    add(raw, r, Metric.RSS_IDLE, fit.rssMib(10_000));
                    add(raw, r, Metric.RSS_PER_IDLE, fit.perConnectionKib());
                    add(raw, r, Metric.RSS_FIT_BASE, fit.baseKib() / 1024);
                    log.printf("  %-12s idle            %6.1f MiB RSS with 10,000 idle connections, %.2f KiB each%n",
                            r.contender().name(), fit.rssMib(10_000), fit.perConnectionKib());
                }
            }
            for (Contender.Running r : running) r.close();
            running.clear();
            for (int rep = 0; rep < reps && tests.contains("start"); rep++) {
                for (Contender c : contenders) {
                    if (c.kind() != Contender.Kind.FEATHERLB) continue;
                    Startup.Times t = Startup.measure(c, backends, work, fdLimit);
                    raw.get(c.name()).computeIfAbsent(Metric.START_JAVA, k -> new ArrayList<>()).add(t.java());
                    raw.get(c.name()).computeIfAbsent(Metric.START_JBANG, k -> new ArrayList<>()).add(t.jbang());
                    log.printf("  %-12s start           %6.3f s from jbang's cache, %6.3f s through ./jbang%n", c.name(), t.java(), t.jbang());
                }
            }
            // SNI-routed TLS passthrough and PROXY v2 sending, against HAProxy doing the same: results/tls-proxy.md
            if (tests.contains("tls")) TlsProxy.run(log, repo, work, results, reps, seconds, fdLimit);
        } finally {
            for (Contender.Running r : running) r.close();
        }

        // UDP (issue 15): dnsperf and an echo through featherlb, nginx and direct; its own table (bench/UdpBench.java)
        String udp = tests.contains("udp") ? UdpBench.run(repo, work, results, quick, reps, fdLimit, log) : null;
        machine.put("load average at end", Machine.loadAverage());
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("date", date);
        settings.put("mode", quick ? "quick" : "full");
        settings.put("reps", Integer.toString(reps));
        settings.put("seconds", Integer.toString(seconds));
        settings.put("bulkSeconds", Integer.toString(bulkSeconds));
        settings.put("idleConnections", Integer.toString(idleCount));
        settings.put("fdLimit", Integer.toString(fdLimit));
        settings.put("body", Integer.toString(Contender.BODY.length()));
        for (Contender c : contenders) {
            if (c.kind() == Contender.Kind.FEATHERLB && (!c.options().isEmpty() || !c.source().equals(repo))) {
                notes.add(c.name() + ": featherlb from " + c.source() + (c.options().isEmpty() ? "" : " with " + String.join(" ", c.options())));
            }
        }
        settings.put("notes", String.join("\n", notes));
        Report report = new Report(raw, machine, settings);
        String md = report.markdown();
        Files.createDirectories(results.resolve("runs"));
        Files.writeString(results.resolve("latest.md"), md);
        Files.writeString(results.resolve("latest.svg"), report.svg());
        Path json = results.resolve("runs").resolve(date.replace(':', '-') + ".json");
        Files.writeString(json, report.json());
        log.println();
        log.println(md);
        if (udp != null) log.println(udp);
        log.println("wrote " + results.resolve("latest.md") + ", latest.svg and " + json + (udp != null ? ", udp-latest.md" : ""));
        return 0;
    }

    /** The checkout this script belongs to: jbang tells where the script is. */
    private static Path repoRoot() {
        String source = System.getProperty("jbang.source");
        Path script = source != null ? Path.of(source).toAbsolutePath() : Path.of("bench/bench.java").toAbsolutePath();
        return script.getParent().getParent();
    }

    private List<Contender> contenders(Path repo) {
        // both engines in every run (issue 20): the loops as "featherlb", the virtual threads beside it
        List<Contender> all = new ArrayList<>(List.of(Contender.DIRECT, Contender.HAPROXY, Contender.HAPROXY2, Contender.NGINX,
                Contender.featherlb("featherlb", repo, List.of()), Contender.featherlb(VIRTUAL_THREADS, repo, List.of("--engine=virtual-threads"))));
        for (String v : variants) {
            String[] f = v.split(":", 3);
            if (f.length < 2 || f[0].isBlank()) throw new CommandLine.ParameterException(new CommandLine(this), "--featherlb wants NAME:DIR:OPTIONS, got '" + v + "'");
            Path dir = f[1].isBlank() ? repo : Path.of(f[1]).toAbsolutePath();
            List<String> options = f.length > 2 && !f[2].isBlank() ? List.of(f[2].trim().split("\\s+")) : List.of();
            all.add(Contender.featherlb(f[0], dir, options));
        }
        if (only != null && !only.isEmpty()) {
            all.removeIf(c -> !only.contains(c.name()) && !c.name().equals(Report.REFERENCE)
                    && !(c.name().equals(VIRTUAL_THREADS) && only.contains("featherlb"))
                    && !(c.kind() == Contender.Kind.FEATHERLB && !c.name().equals("featherlb") && !c.name().equals(VIRTUAL_THREADS)));
        }
        return all;
    }

    /**
     * wrk against every contender, {@code reps} rounds, each round starting with the next contender:
     * keep-alive requests, or with {@code close} a new connection per request.
     */
    private void http(Map<String, EnumMap<Metric, List<Double>>> raw, List<Contender.Running> running, int reps, int seconds,
                      boolean close) throws IOException, InterruptedException {
        for (int rep = 0; rep < reps; rep++) {
            for (Contender.Running r : rotated(running, rep)) {
                long cpu0 = cpu(r);
                Load.Http h = Load.wrk(r.http(), 100, seconds, close);
                long cpu = cpu(r) - cpu0;
                if (close) {
                    add(raw, r, Metric.CPS, h.rps());
                    if (r.proc() != null) add(raw, r, Metric.CPU_PER_CONNECTION, (double) cpu / h.requests());
                } else {
                    add(raw, r, Metric.RPS, h.rps());
                    add(raw, r, Metric.P50, h.p50Ms());
                    add(raw, r, Metric.P99, h.p99Ms());
                    if (r.proc() != null) add(raw, r, Metric.CPU_PER_REQUEST, (double) cpu / h.requests());
                }
                log.printf("  %-12s %-15s %8.0f %s%s%n", r.contender().name(), close ? "new connections" : "keep-alive", h.rps(),
                        close ? "conn/s" : "req/s", h.errors() > 0 ? " (" + h.errors() + " errors)" : "");
            }
        }
    }

    static <T> List<T> rotated(List<T> list, int by) {
        List<T> r = new ArrayList<>(list);
        java.util.Collections.rotate(r, -by);
        return r;
    }

    static long cpu(Contender.Running r) {
        return r.proc() == null ? 0 : r.proc().cpuMicros();
    }

    static void add(Map<String, EnumMap<Metric, List<Double>>> raw, Contender.Running r, Metric m, double v) {
        raw.get(r.contender().name()).computeIfAbsent(m, k -> new ArrayList<>()).add(v);
    }

    /** The busy backend ({@link BusyBackend}): nginx with its access log, in a folder of its own. */
    private static Backend startBusyBackend(Path work, int maxConnections, int fdLimit) throws IOException, InterruptedException {
        int port = Machine.freePort();
        Path dir = Files.createDirectories(BusyBackend.folder(work));
        Path cfg = dir.resolve("nginx.conf");
        Files.writeString(cfg, BusyBackend.config(work, maxConnections, port));
        Proc p = Proc.start("nginx-busy-backend", List.of(Machine.which("nginx"), "-p", dir.toString(),
                "-e", dir.resolve("error.log").toString(), "-c", cfg.toString()), fdLimit, dir.resolve("nginx.log"), null);
        return await(p, port, () -> Contender.accepts(port));
    }

    private static Backend startBackend(Path work, int maxConnections, int fdLimit) throws IOException, InterruptedException {
        int port = Machine.freePort();
        Path cfg = work.resolve("backend.conf");
        Files.writeString(cfg, Contender.backendConfig(work, maxConnections, port));
        Proc p = Proc.start("nginx-backend", List.of(Machine.which("nginx"), "-p", work.toString(),
                "-e", work.resolve("backend-error.log").toString(), "-c", cfg.toString()), fdLimit, work.resolve("backend.log"), null);
        return await(p, port, () -> Contender.accepts(port));
    }

    /** iperf3 takes every connection for a test client, so readiness is read from its log, not probed. */
    private static Backend startIperf(Path work, int fdLimit) throws IOException, InterruptedException {
        int port = Machine.freePort();
        Path log = work.resolve("iperf3.log");
        Proc p = Proc.start("iperf3-server", List.of(Machine.which("iperf3"), "-s", "--forceflush", "-B", "127.0.0.1",
                "-p", Integer.toString(port)),
                fdLimit, log, null);
        return await(p, port, () -> {
            try {
                return Files.readString(log).contains("Server listening");
            } catch (IOException e) {
                return false;
            }
        });
    }

    private static Backend await(Proc p, int port, java.util.function.BooleanSupplier ready) throws IOException, InterruptedException {
        for (int i = 0; i < 1500; i++) {
            if (ready.getAsBoolean()) return new Backend(p, port);
            if (!p.alive()) break;
            Thread.sleep(20);
        }
        p.close();
        throw new IOException(p.name + " did not start listening on " + port);
    }

    /**
     * Compiles every featherlb checkout once, so that no contender's start-up includes a compile,
     * and trains its AOT cache ({@code make aot}) where the checkout has that step.
     */
    private void buildFeatherlb(List<Contender> contenders) throws IOException, InterruptedException {
        for (Contender c : contenders) {
            if (c.kind() != Contender.Kind.FEATHERLB) continue;
            Path aot = c.source().resolve("build/aot.sh");
            log.println("building " + c.name() + " in " + c.source() + (Files.exists(aot) ? ", with its AOT cache" : ""));
            if (Files.exists(aot)) {
                try {
                    Proc.run(List.of("bash", aot.toString()), 600);
                    continue;
                } catch (IOException e) {
                    log.println("  no AOT cache for " + c.name() + ", its start-up is measured without: " + e.getMessage());
                }
            }
            Proc.run(List.of(c.source().resolve("jbang").toString(), "build", c.source().resolve("featherlb.java").toString()), 600);
        }
    }

    private record Backend(Proc proc, int port) implements AutoCloseable {
        @Override
        public void close() {
            proc.close();
        }
    }
}
