package e2e;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * Runs the end-to-end test: builds the featherlb image, brings up compose.yaml, runs the scenarios
 * one after the other, tears the stack down and writes the run log and the chart. Everything here
 * runs on the caller's thread; the only other threads are the output drains of {@link Exec} and,
 * on Ctrl-C, the shutdown hook that takes the stack down.
 */
public final class Runner {
    private static final System.Logger LOG = System.getLogger("e2e.runner");
    private static final Duration BUILD = Duration.ofMinutes(10);
    private static final Duration COMPOSE = Duration.ofMinutes(3);
    private static final Duration QUICK = Duration.ofSeconds(30);
    /** featherlb's JVM starts in a second or two; a loaded 2-core machine may take much longer. */
    private static final Duration READY = Duration.ofSeconds(90);
    /**
     * wrk's deadline per request. The slowed backend answers in about 1 s, and a busy 2-core machine
     * adds a few hundred ms more: a timeout should mean a stuck connection, not a slow machine.
     */
    private static final String WRK_TIMEOUT = "5s";
    /** Run files are named by their start: test/e2e/runs/2025-11-26T15-30-12.log (no colons: they trouble some file systems). */
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH-mm-ss");
    private static final DateTimeFormatter SHOWN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
    /** Asks a route for one response from inside a client container: curl where there is one, else busybox wget. */
    static final String PROBE = "if command -v curl >/dev/null 2>&1; then curl -fsS -o /dev/null -m 2 \"$1\"; "
            + "else wget -q -O /dev/null -T 2 \"$1\"; fi";

    private final Options options;
    private final Path repo;
    private final Map<String, String> environment;
    private final Progress progress;
    private final Path config;
    /** compose service -> container id */
    private final Map<String, String> containers = new LinkedHashMap<>();
    /** backend -> bytes of its access log read so far */
    private final Map<String, Long> logRead = new HashMap<>();
    /** every request the backends logged so far, all scenarios */
    private final List<AccessLog.Hit> hits = new ArrayList<>();
    private final AtomicBoolean stackUp = new AtomicBoolean();
    private Docker docker;

    /**
     * @param repo        the featherlb checkout (compose.yaml, Dockerfile, featherlb.java)
     * @param environment this process's environment, for the image names shown in the log
     * @param terminal    whether {@code out} is a terminal (the countdown rewrites its line)
     */
    public Runner(Options options, Path repo, Map<String, String> environment, PrintStream out, boolean terminal) {
        this.options = options;
        this.repo = repo;
        this.environment = environment;
        this.progress = new Progress(out, terminal);
        this.config = repo.resolve("target/e2e/featherlb.yaml");
    }

    /**
     * @return 0 when every verdict passed, 1 when one failed
     * @throws E2eException when the set-up fails (no engine, no image, featherlb not answering)
     */
    public int run() {
        LocalDateTime started = LocalDateTime.now();
        long t0 = System.nanoTime();
        List<Scenario> plan = Scenarios.plan(options.algorithms(), options.backends(), options.fault());
        List<OwnScenario> own = OwnScenario.all(options.backends());
        int total = plan.size() + own.size();
        progress.line("featherlb e2e: %d scenarios (%s), %d backends, %d s load each, %d threads, %d connections, engine %s".formatted(
                total, String.join(", ", Stream.concat(plan.stream(), own.stream().map(OwnScenario::scenario)).map(Scenario::name).toList()), options.backends(),
                options.seconds(), options.threads(), options.connections(), options.engine()));

        // all services stay in the model (COMPOSE_PROFILES), so that down also removes backend4..8
        Map<String, String> composeEnv = Map.of("FEATHERLB_CONFIG", config.toString(), "COMPOSE_PROFILES", "extra",
                "FEATHERLB_ENGINE", options.engine());
        progress.step("checking Docker", () -> docker = Docker.connect(repo, composeEnv));
        progress.line("        using " + docker.composeName());
        if (options.jar() == null) {
            progress.step("exporting featherlb.java to target/featherlb.jar (jbang export fatjar)", this::exportJar);
        } else {
            copyJar(options.jar());
        }
        progress.step("building image featherlb:e2e FROM " + javaImage(),
                () -> docker.composeOrFail("building the featherlb image (compose build featherlb)", BUILD, "build", "featherlb"));
        Scenario instances = SeveralInstances.of(plan); // a second featherlb with the iphash scenario
        List<Scenario> routed = new ArrayList<>(plan);
        if (instances != null) routed.add(instances);
        own.forEach(o -> routed.add(o.scenario()));
        writeConfig(routed);
        // a stack left by --keep or a killed run would otherwise be reused with its old logs
        progress.step("removing any stack an earlier run left", this::removeStack);

        List<String> backends = IntStream.rangeClosed(1, options.backends()).mapToObj(Scenarios::backend).toList();
        List<String> clients = IntStream.rangeClosed(1, Scenarios.CLIENTS).mapToObj(Scenarios::client).toList();
        List<String> ownServices = own.stream().flatMap(o -> o.services().stream()).toList();
        List<String> services = Stream.of(backends, instances == null ? List.of("featherlb") : SeveralInstances.INSTANCES, clients, ownServices)
                .flatMap(List::stream).toList();
        Thread hook = Thread.ofPlatform().name("e2e-teardown").unstarted(() -> {
            if (!options.keep()) takeDown();
        });
        Runtime.getRuntime().addShutdownHook(hook);
        List<ScenarioResult> results = new ArrayList<>();
        Map<String, String> addresses = new LinkedHashMap<>();
        List<String> environmentLines = new ArrayList<>();
        try {
            stackUp.set(true);
            progress.step("starting %d backends, featherlb, %d clients%s".formatted(backends.size(), clients.size(),
                    ownServices.isEmpty() ? "" : " and " + String.join(", ", ownServices)), () -> {
                List<String> up = new ArrayList<>(List.of("up", "-d", "--no-build"));
                up.addAll(services);
                docker.composeOrFail("starting the stack (compose up)", COMPOSE, up.toArray(String[]::new));
            });
            services.forEach(s -> containers.put(s, docker.containerId(s)));
            clients.forEach(c -> addresses.put(c, docker.address(containers.get(c))));
            environmentLines.addAll(describeEnvironment());
            progress.step("waiting for featherlb to answer on ports " + plan.getFirst().port() + ".." + plan.getLast().port(),
                    () -> awaitReady(plan));
            for (int i = 0; i < plan.size(); i++) {
                Scenario s = plan.get(i);
                String prefix = "[%d/%d] %-10s ".formatted(i + 1, total, s.name());
                ScenarioResult r;
                try {
                    r = s.check() instanceof Scenario.Check.Fault ? runFault(s, prefix) : runLoad(s, prefix);
                } catch (E2eException e) {
                    throw new E2eException("scenario " + s.name() + ": " + e.getMessage() + "\nfeatherlb's log ends with:\n" + featherlbLog());
                }
                results.add(r);
                report(prefix, r);
            }
            if (instances != null) {
                ScenarioResult r = SeveralInstances.run(instances, docker, containers, () -> {
                    readLogs(instances.backends());
                    return hits;
                }, progress);
                results.add(r);
                report("[+] " + instances.name() + " ", r);
            }
            for (int i = 0; i < own.size(); i++) {
                Scenario s = own.get(i).scenario();
                String prefix = "[%d/%d] %-10s ".formatted(plan.size() + i + 1, total, s.name());
                ScenarioResult r;
                try {
                    r = own.get(i).run(new OwnScenario.Stack(docker, containers, addresses, options, progress, prefix));
                } catch (E2eException e) {
                    throw new E2eException("scenario " + s.name() + ": " + e.getMessage() + "\nfeatherlb's log ends with:\n" + featherlbLog());
                }
                results.add(r);
                report(prefix, r);
            }
        } finally {
            if (options.keep()) {
                progress.line("""
                        the stack stays up (--keep). Look at it with, for example:
                          %1$s ps
                          %1$s logs featherlb
                          %1$s exec backend1 cat %2$s
                          %1$s exec client1 wrk -t2 -c20 -d5s http://featherlb:%3$d/
                        and take it down with:
                          %1$s down -v --remove-orphans"""
                        .formatted(docker.composeCommand(), AccessLog.PATH, plan.getFirst().port()));
            } else {
                progress.step("removing the stack", this::takeDown);
            }
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        // a stack of its own, after the main one is down: the backends are one service scaled under load
        List<Verdict> scaling = options.scaling() ? new Scaling(docker, repo, progress, options.engine()).run() : List.of();
        return finish(started, (System.nanoTime() - t0) / 1e9, environmentLines, addresses, results, scaling);
    }

    private int finish(LocalDateTime started, double seconds, List<String> environmentLines,
                       Map<String, String> addresses, List<ScenarioResult> results, List<Verdict> scaling) {
        String stamp = STAMP.format(started);
        Path log = options.runs().resolve(stamp + ".log");
        Path chart = options.runs().resolve(stamp + ".svg");
        boolean failed = results.stream().anyMatch(ScenarioResult::failed) || Verdicts.anyFailed(scaling);
        List<String> lines = new ArrayList<>(environmentLines);
        lines.add("chart:    " + chart.getFileName());
        RunLog.Setup setup = new RunLog.Setup(SHOWN.format(started), options.describe(), lines,
                addresses, repo.relativize(config).toString(), seconds);
        String title = "featherlb e2e %s: %s".formatted(setup.started(), failed ? "FAIL" : "PASS");
        String subtitle = "%d backends · wrk %d threads, %d connections, %d s per scenario, Connection: close · %s".formatted(
                options.backends(), options.threads(), options.connections(), options.seconds(), docker.composeName());
        try {
            Files.createDirectories(options.runs());
            Files.writeString(log, RunLog.render(setup, results) + (scaling.isEmpty() ? ""
                    : "\nscaling (web 3 -> 5 -> 2 under load, found through Docker's DNS)\n" + String.join("\n", scaling.stream().map(v -> "  " + v).toList()) + "\n"));
            Files.writeString(chart, Chart.svg(title, subtitle, results));
        } catch (IOException e) {
            throw new E2eException("cannot write the run log into " + options.runs() + ": " + e.getMessage());
        }
        progress.line("\n" + RunLog.table(results));
        progress.line("run log: " + display(log));
        progress.line("chart:   " + display(chart));
        progress.line("result:  " + (failed ? "FAIL" : "PASS") + " in %.0f s".formatted(seconds));
        // the plain closing line that CI reads, counting checks (INFO lines are not checks)
        List<Verdict> all = Stream.concat(results.stream().flatMap(r -> r.verdicts().stream()), scaling.stream()).toList();
        progress.line("e2e: %d passed, %d failed".formatted(
                all.stream().filter(v -> v.outcome() == Verdict.Outcome.PASS).count(), all.stream().filter(Verdict::failed).count()));
        return failed ? 1 : 0;
    }

    /** One load scenario: wrk from one or more clients for the whole duration, then the access logs. */
    private ScenarioResult runLoad(Scenario s, String prefix) {
        List<String> clients = IntStream.rangeClosed(1, s.clients()).mapToObj(Scenarios::client).toList();
        int threads = Math.max(1, options.threads() / clients.size());
        int connections = Math.max(threads, options.connections() / clients.size());
        progress.line(prefix + "%s on featherlb:%d, wrk -t%d -c%d -d%ds from %s".formatted(
                s.strategy(), s.port(), threads, connections, options.seconds(), String.join(", ", clients)));
        List<Exec> loads = clients.stream()
                .map(c -> docker.exec(containers.get(c), wrk(s, c, threads, connections, options.seconds())))
                .toList();
        progress.countdown(prefix + "load: ", options.seconds(), loads.getFirst());
        List<WrkResult> runs = new ArrayList<>();
        for (int i = 0; i < loads.size(); i++) {
            runs.add(parseWrk(clients.get(i), loads.get(i).await(Duration.ofSeconds(options.seconds() + 60L))));
        }
        if (s.endpoints().stream().anyMatch(e -> e.port() == Scenarios.SLOW_PORT)) {
            // the slowed backend logs its last responses up to a second after wrk stopped
            sleep(Duration.ofMillis(1500));
        }
        readLogs(s.backends());
        List<AccessLog.Hit> mine = hits.stream().filter(h -> h.scenario().equals(s.name())).toList();
        WrkResult wrk = WrkResult.concurrent(runs);
        Distribution all = Distribution.of(s.backends(), mine);
        Map<String, Distribution> perClient = Distribution.byClient(s.backends(), mine);
        return new ScenarioResult(s, wrk, all, perClient, Verdicts.judge(s, wrk, all, perClient), null);
    }

    /**
     * The fault scenario: one-second wrk slices back to back; the victim is stopped early in one slice
     * and started early in a later one; slices go on until the victim takes traffic again (or a limit).
     */
    private ScenarioResult runFault(Scenario s, String prefix) {
        String victim = ((Scenario.Check.Fault) s.check()).victim();
        String victimId = containers.get(victim);
        Fault.Plan plan = Fault.Plan.of(options.seconds());
        int stopSlice = plan.before(), startSlice = plan.before() + plan.down();
        progress.line(prefix + "%s on featherlb:%d, 1 s wrk runs -t%d -c%d from client1; %s stops after %d s, starts %d s later".formatted(
                s.strategy(), s.port(), options.threads(), options.connections(), victim, plan.before(), plan.down()));
        List<Fault.Slice> slices = new ArrayList<>();
        // stop and start run beside the slices (docker stop alone may take seconds): the load goes on meanwhile
        FutureTask<Long> stop = null, start = null;
        long stoppedAt = -1, startedAt = -1;
        for (int i = 0; ; i++) {
            long from = System.currentTimeMillis();
            Exec load = docker.exec(containers.get("client1"), wrk(s, "client1", options.threads(), options.connections(), 1));
            if (i == stopSlice) {
                stop = meanwhile(() -> dockerOrFail("stopping " + victim, "stop", "-t", "2", victimId));
                progress.line(prefix + "  stopping " + victim);
            }
            if (i == startSlice) {
                stoppedAt = join(stop);
                start = meanwhile(() -> dockerOrFail("starting " + victim, "start", victimId));
                progress.line(prefix + "  starting " + victim);
            }
            WrkResult r = parseWrk("client1", load.await(Duration.ofSeconds(60)));
            slices.add(new Fault.Slice(from, System.currentTimeMillis(), r));
            String phase = i < stopSlice ? "before" : i < startSlice ? "down" : "after";
            progress.line(prefix + "  %-6s %6.0f req/s, errors: %s".formatted(phase, r.requestsPerSecond(), r.errors()));
            if (start != null && start.isDone() && startedAt < 0) startedAt = join(start);
            if (startedAt > 0) {
                int after = i - startSlice + 1;
                readLogs(List.of(victim));
                boolean taking = hits.stream().anyMatch(h -> h.backend().equals(victim) && h.scenario().equals(s.name()) && h.millis() >= from);
                if (after >= plan.minAfter() && taking || after >= plan.maxAfter()) break;
            } else if (i - startSlice + 1 >= plan.maxAfter()) {
                break;
            }
        }
        if (startedAt < 0) startedAt = join(start);
        readLogs(s.backends());
        List<AccessLog.Hit> mine = hits.stream().filter(h -> h.scenario().equals(s.name())).toList();
        Fault.Report report = Fault.analyse(s, slices, stoppedAt, startedAt, mine).withBalancerLog(balancerLog(s, stoppedAt));
        WrkResult wrk = WrkResult.sequential(slices.stream().map(Fault.Slice::wrk).toList());
        return new ScenarioResult(s, wrk, Distribution.of(s.backends(), mine), Map.of(), report.verdicts(), report);
    }

    /**
     * featherlb's own lines about the scenario's route from a second before {@code since} (epoch ms):
     * how it saw the victim go and come back. Its log goes to stderr; docker logs keeps both streams apart.
     */
    private List<String> balancerLog(Scenario s, long since) {
        Exec.Output out = docker.docker(QUICK, "logs", "--since", Long.toString(since / 1000 - 1), containers.get("featherlb"));
        if (!out.ok()) return List.of("(docker logs featherlb failed: " + out.tail().strip() + ")");
        String route = s.name() + "/", routeColon = s.name() + ":";
        return (out.out() + out.err()).lines().filter(l -> l.contains(route) || l.contains(routeColon)).sorted().limit(40).toList();
    }

    private void report(String prefix, ScenarioResult r) {
        Distribution d = r.distribution();
        progress.line(prefix + "%.0f req/s, p99 %s, %d errors, shares %s: %s".formatted(r.wrk().requestsPerSecond(),
                RunLog.ms(r.wrk().latency().p99()), r.wrk().errors().total(),
                String.join(" / ", d.backends().stream().map(b -> "%.1f".formatted(d.share(b))).toList()),
                Verdicts.summary(r.verdicts())));
        r.verdicts().stream().filter(Verdict::failed).forEach(v -> progress.line("        " + v));
    }

    /**
     * wrk's command line. "Connection: close" makes every request a new connection: featherlb picks a
     * backend per connection, so the requests a backend logs count featherlb's picks one for one.
     */
    static List<String> wrk(Scenario s, String client, int threads, int connections, int seconds) {
        return List.of("wrk", "-t" + threads, "-c" + connections, "-d" + seconds + "s", "--latency", "--timeout", WRK_TIMEOUT,
                "-H", "Connection: close", "-H", "X-E2E-Scenario: " + s.name(), "-H", "X-E2E-Client: " + client,
                "http://featherlb:" + s.port() + "/");
    }

    static WrkResult parseWrk(String client, Exec.Output output) {
        if (!output.ok()) throw new E2eException("wrk in %s failed (exit %d):%n%s".formatted(client, output.exit(), output.tail()));
        try {
            return WrkResult.parse(output.out());
        } catch (IllegalArgumentException e) {
            throw new E2eException("wrk in " + client + ": " + e.getMessage());
        }
    }

    /** Reads what the backends' access logs gained since the last read, whole lines only. */
    private void readLogs(List<String> backends) {
        for (String b : backends) {
            long read = logRead.getOrDefault(b, 0L);
            Exec.Output out = docker.docker(QUICK, "exec", containers.get(b), "tail", "-c", "+" + (read + 1), AccessLog.PATH);
            if (!out.ok()) throw new E2eException("cannot read the access log of " + b + ": " + out.tail());
            String text = out.out().substring(0, out.out().lastIndexOf('\n') + 1);
            logRead.put(b, read + text.getBytes(StandardCharsets.UTF_8).length);
            hits.addAll(AccessLog.parse(b, text));
        }
    }

    private void awaitReady(List<Scenario> plan) {
        long deadline = System.nanoTime() + READY.toNanos();
        for (Scenario s : plan) {
            String url = "http://featherlb:" + s.port() + "/";
            while (!docker.docker(QUICK, "exec", containers.get("client1"), "sh", "-c", PROBE, "probe", url).ok()) {
                if (!docker.running(containers.get("featherlb"))) {
                    throw new E2eException("featherlb exited; its log ends with:\n" + featherlbLog());
                }
                if (System.nanoTime() > deadline) {
                    throw new E2eException("featherlb did not answer on port %d within %d s; its log ends with:%n%s"
                            .formatted(s.port(), READY.toSeconds(), featherlbLog()));
                }
                sleep(Duration.ofMillis(500));
            }
        }
    }

    private void exportJar() {
        Exec.Output out = Exec.run(List.of(repo.resolve("jbang").toString(), "export", "fatjar", "--force",
                "-O", "target/featherlb.jar", "featherlb.java"), repo, Map.of(), BUILD);
        if (!out.ok()) throw new E2eException("jbang could not export featherlb.java to target/featherlb.jar:\n" + out.tail());
    }

    /** The Dockerfile copies target/featherlb.jar, so a jar given with --jar goes there first. */
    private void copyJar(Path jar) {
        Path target = repo.resolve("target/featherlb.jar");
        try {
            Files.createDirectories(target.getParent());
            if (!Files.exists(target) || !Files.isSameFile(jar, target)) Files.copy(jar, target, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new E2eException("cannot copy " + jar + " to " + target + ": " + e.getMessage());
        }
    }

    private void writeConfig(List<Scenario> plan) {
        try {
            Files.createDirectories(config.getParent());
            Files.writeString(config, FeatherlbConfig.render(plan));
        } catch (IOException e) {
            throw new E2eException("cannot write " + config + ": " + e.getMessage());
        }
    }

    /** Takes this run's stack down, once: at the end of the run or from the Ctrl-C hook, whichever comes first. */
    private void takeDown() {
        if (stackUp.getAndSet(false)) removeStack();
    }

    private void removeStack() {
        Exec.Output out = docker.compose(COMPOSE, "down", "-v", "--remove-orphans", "-t", "2");
        if (!out.ok()) LOG.log(System.Logger.Level.WARNING, "compose down failed: {0}", out.tail());
    }

    private List<String> describeEnvironment() {
        String engine = docker.docker(QUICK, "info", "--format", "{{.ServerVersion}}").out().strip();
        String git = Exec.run(List.of("git", "describe", "--always", "--dirty"), repo, Map.of(), QUICK).out().strip();
        return List.of(
                "compose:  %s, project %s; docker engine %s".formatted(docker.composeName(), Docker.PROJECT, engine),
                "source:   featherlb at git %s%s".formatted(git.isEmpty() ? "(unknown)" : git, options.jar() == null ? "" : ", jar " + options.jar()),
                "images:   featherlb featherlb:e2e FROM %s; backends %s; clients %s".formatted(
                        javaImage(),
                        image("backend1"), image("client1")));
    }

    /** The base image of featherlb's image, as compose.yaml passes it to the Dockerfile. */
    private String javaImage() {
        return environment.getOrDefault("FEATHERLB_JAVA_IMAGE", "the Dockerfile's default");
    }

    private String image(String service) {
        return docker.docker(QUICK, "inspect", "-f", "{{.Config.Image}}", containers.get(service)).out().strip();
    }

    private String featherlbLog() {
        Exec.Output out = docker.compose(QUICK, "logs", "--no-color", "--tail", "30", "featherlb");
        return out.out().isBlank() ? out.tail() : out.out().strip();
    }

    /**
     * Runs {@code command} on a virtual thread 300 ms from now (under load, not at the start of a wrk run).
     * The task's value is the moment the command was issued: a container may answer before
     * {@code docker start} returns, and stops failing connections from the moment {@code docker stop} begins.
     */
    private static FutureTask<Long> meanwhile(Runnable command) {
        FutureTask<Long> task = new FutureTask<>(() -> {
            sleep(Duration.ofMillis(300));
            long issued = System.currentTimeMillis();
            command.run();
            return issued;
        });
        Thread.ofVirtual().name("e2e-fault").start(task);
        return task;
    }

    private static long join(FutureTask<Long> task) {
        try {
            return task.get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new E2eException("interrupted");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof E2eException failure ? failure : new E2eException(e.getCause().toString());
        } catch (TimeoutException e) {
            throw new E2eException("docker stop/start did not return within 60 s");
        }
    }

    private void dockerOrFail(String what, String... args) {
        Exec.Output out = docker.docker(QUICK, args);
        if (!out.ok()) throw new E2eException(what + " failed: " + out.tail());
    }

    private String display(Path p) {
        return p.startsWith(repo) ? repo.relativize(p).toString() : p.toString();
    }

    /** Sleeps; an interrupt ends the run (the scenarios' own classes wait with it too). */
    static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new E2eException("interrupted");
        }
    }
}
