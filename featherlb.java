///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 25
//DEPS info.picocli:picocli:4.7.7
//DEPS org.yaml:snakeyaml:2.5
//DEPS com.fasterxml.jackson.jr:jackson-jr-objects:2.23.0
//DEPS io.prometheus:prometheus-metrics-core:1.10.0
//DEPS io.prometheus:prometheus-metrics-exporter-httpserver:1.10.0
//DEPS io.prometheus:prometheus-metrics-instrumentation-jvm:1.10.0
// the dashboard's charts (MIT), served from the classpath by admin/Dashboard
//DEPS org.webjars.npm:uplot:1.6.30
// DNS discovery: dnsjava (BSD-3-Clause) asks the server itself, no cache of its own or the JVM's; its
// SLF4J lines go to java.util.logging, where featherlb's own System.Logger lines go
//DEPS dnsjava:dnsjava:3.6.3
//DEPS org.slf4j:slf4j-api:2.0.20
//DEPS org.slf4j:slf4j-jdk14:2.0.20
//SOURCES accesslog/AccessLogWriter.java accesslog/LineFormat.java
//SOURCES admin/AdminServer.java admin/ApiException.java admin/ApiJson.java admin/ApiHandler.java admin/ApiRequest.java admin/ReloadApi.java
//SOURCES admin/Dashboard.java admin/HistoryApi.java admin/Probes.java admin/Reply.java admin/Router.java admin/RoutesApi.java
//SOURCES algorithms/Algorithm.java algorithms/Candidates.java algorithms/Strategy.java
//SOURCES algorithms/SmoothRoundRobin.java algorithms/WeightedRandom.java algorithms/LeastConnections.java
//SOURCES algorithms/PowerOfTwoChoices.java algorithms/Maglev.java
//SOURCES config/AccessLog.java config/Admin.java
//SOURCES config/Config.java config/ConfigError.java config/ConfigException.java config/ConfigLoader.java
//SOURCES config/Durations.java config/Endpoint.java config/Problems.java config/Protocol.java config/ProxyProtocol.java config/Route.java config/Section.java config/Sni.java config/Timeouts.java
//SOURCES config/ListenAddresses.java config/SmallFile.java config/TlsProxySections.java config/YamlLimits.java config/LimitSections.java config/PerClient.java
//SOURCES config/Health.java config/HealthCheck.java config/HealthSections.java config/Passive.java
//SOURCES config/Udp.java config/UdpSections.java
//SOURCES config/Discovery.java config/DiscoverySections.java
//SOURCES discovery/Counts.java discovery/Discoveries.java discovery/DnsjavaResolver.java discovery/Resolver.java discovery/RouteDiscovery.java
//SOURCES demo/Demo.java demo/DemoApi.java demo/DemoBackend.java demo/Load.java
//SOURCES health/HealthChecker.java health/HealthChecks.java health/HealthState.java health/Ticker.java health/HttpProbe.java health/Probe.java health/Reply.java
//SOURCES health/SendExpectProbe.java health/UdpProbe.java
//SOURCES history/History.java
//SOURCES memory/HeapTrimmer.java
//SOURCES metrics/Metrics.java
//SOURCES pool/Backend.java pool/BackendPool.java pool/Lease.java pool/Pools.java pool/Timing.java
//SOURCES dial/ConnectFailure.java dial/Dialer.java dial/JvmResolver.java dial/LocalFailure.java dial/TcpDialer.java
//SOURCES loop/BufferPool.java loop/EventLoop.java loop/SocketIo.java
//SOURCES routing/Learned.java routing/RouteTable.java routing/ServerNames.java
//SOURCES traffic/ConnectionRecord.java traffic/Outcome.java
//SOURCES process/Signals.java
//SOURCES reload/ConfigWatcher.java reload/DryRun.java reload/ReloadResult.java reload/Reloader.java
//SOURCES tcp/Connection.java tcp/ConnectionLimit.java tcp/Connections.java tcp/Dial.java tcp/GlobalLimit.java tcp/Flow.java tcp/Forwarding.java
//SOURCES tcp/Greeting.java tcp/Pipeline.java tcp/Preamble.java tcp/PreambleChain.java tcp/PreambleRead.java tcp/Refusals.java tcp/Replay.java tcp/Stage.java tcp/Stages.java tcp/TcpListener.java tcp/ClientTable.java tcp/Counts.java
//SOURCES config/Engine.java tcp/VirtualThreads.java
//SOURCES proxy/ConfigDiff.java proxy/ConfigStages.java proxy/Lifecycle.java proxy/Listeners.java proxy/Server.java
//SOURCES proxyproto/AcceptProxy.java proxyproto/HeaderEncoder.java proxyproto/ProxyHeader.java proxyproto/SendProxy.java
//SOURCES tls/ClientHello.java tls/SniPreamble.java
//SOURCES udp/AcceptProxy.java udp/Drop.java udp/Session.java udp/SessionSockets.java udp/SessionTable.java udp/UdpListener.java proxy/UdpListeners.java traffic/Datagrams.java
//FILES dashboard/index.html=dashboard/index.html dashboard/dashboard.js=dashboard/dashboard.js
//FILES dashboard/dashboard.css=dashboard/dashboard.css
// the JVM's own resolver, declared before dnsjava's provider (whose class a fat jar cannot load): dial/JvmResolver.java
//FILES META-INF/services/java.net.spi.InetAddressResolverProvider=build/inet-address-resolver-provider
// Serial GC, a young generation of 8 MiB and compact object headers (JDK 25): a proxy's live heap
// is mostly its parked connections, so a small eden and smaller objects keep idle memory down.
// TrimNativeHeapInterval: glibc keeps what the JIT's arenas and bursts of connections freed (10+ MiB
// after warm-up); a malloc_trim each second gives it back for 0.2-1.5 ms of CPU.
// -Xms16m -XX:-ShrinkHeapInSteps: a heap that starts small and shrinks at once after a full
// collection, so that what memory/HeapTrimmer collects goes back to the system
//RUNTIME_OPTIONS -XX:+UseSerialGC -Xms16m -XX:-ShrinkHeapInSteps -Xmn8m -XX:+UseCompactObjectHeaders -XX:TrimNativeHeapInterval=1000
// recv/send on forwarded sockets rather than the JDK's read/write (loop/SocketIo: a socket's
// descriptor from sun.nio.ch, the calls through the FFM API); without these, the JDK's calls
//RUNTIME_OPTIONS --add-exports=java.base/sun.nio.ch=ALL-UNNAMED --enable-native-access=ALL-UNNAMED
//CDS

import static java.lang.System.Logger.Level.ERROR;
import static java.lang.System.Logger.Level.INFO;

import accesslog.AccessLogWriter;
import admin.AdminServer;
import admin.HistoryApi;
import admin.Probes;
import admin.ReloadApi;
import admin.Router;
import admin.RoutesApi;
import config.Admin;
import config.Config;
import config.ConfigException;
import config.ConfigLoader;
import config.Durations;
import config.Engine;
import config.SmallFile;
import demo.Demo;
import history.History;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Security;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.logging.LogManager;
import memory.HeapTrimmer;
import metrics.Metrics;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import dial.Dialer;
import proxy.Lifecycle;
import proxy.Server;
import process.Signals;
import reload.ConfigWatcher;
import reload.DryRun;
import reload.Reloader;

/** The featherlb command: reads the config, starts the server, stops it on SIGTERM/SIGINT. Wiring only. */
// Every line of the footer fits in 80 columns, since picocli wraps a longer one wherever the width
// falls (once mid-comment); test/launch/UsageWidthTest renders --help at COLUMNS=80 and checks.
@Command(name = "featherlb", mixinStandardHelpOptions = true, version = "featherlb 0.1.0",
        sortOptions = false, usageHelpAutoWidth = true,
        subcommands = {featherlb.DemoCommand.class, featherlb.DiffCommand.class, AutoComplete.GenerateCompletion.class},
        description = {
            "A lightweight TCP load balancer: listens on each route's address and spreads incoming "
                + "connections over the route's endpoints with the route's strategy, forwarding bytes both ways.",
            ""},
        footer = {
            "",
            "Config (YAML; see featherlb.yaml and docs/configuration.md):",
            "  routes:",
            "    - name: web                  # optional, default host:port",
            "      host: 0.0.0.0              # listen address",
            "      port: 8080",
            "      strategy: roundrobin       # or random, leastconn, p2c, iphash",
            "      timeouts: {connect: 5s, idle: 10m}",
            "      max_connections: 0         # 0 = unlimited",
            "      retries: 3                 # further endpoints tried when a connect fails",
            "      retry_on: [connect-failure] # add empty-response: resend unanswered",
            "      health_check:              # optional; without it only passive checks run",
            "        type: tcp                # or http (with path: /healthz),",
            "                                 # or send_expect (with send:, expect:)",
            "        interval: 2s",
            "        timeout: 1s",
            "        rise: 2                  # passed checks in a row to come back",
            "        fall: 3                  # failed checks in a row to go down",
            "      passive: {failures: 3, cooldown: 10s}  # 3 failed connects: out for 10s",
            "      slow_start: 10s            # optional; ramps a returning endpoint up",
            "      on_down: leave             # or close: close its open connections",
            "      send_proxy: off            # or v1, v2: a PROXY header to endpoints first",
            "      accept_proxy:              # optional: a PROXY header must come first",
            "        from: [10.0.0.0/8]       # required: the only peers that may send one",
            "        timeout: 3s              # the whole header within (default 3s)",
            "      sni: [app.example.com]     # optional: routes on one host:port, chosen",
            "                                 # by the TLS server name (\"*.\" wildcards);",
            "                                 # the one without sni is the default",
            "      sni_timeout: 5s            # the ClientHello must arrive within this",
            "      endpoints:",
            "        - {host: localhost, port: 8081, weight: 1, backup: false}",
            "          # health_check: {port: 9000}  # per endpoint: any check field",
            "          # send_proxy: v1       # per endpoint: overrides the route's",
            "    - protocol: udp              # a UDP route (docs/udp.md); name host:port/udp",
            "      host: 0.0.0.0",
            "      port: 5353",
            "      udp: {idle: 30s, responses: 1, max_sessions: 100000}",
            "                                 # responses: absent = unlimited, 0 = one-way",
            "      health_check: {type: send_expect, send_hex: \"...\", expect_hex: \"...\"}",
            "      endpoints: [{host: dns1, port: 53}]",
            "  shutdown_grace: 10s",
            "  shutdown_delay: 0s             # e.g. 5s: /readyz 503, still accepting",
            "  reuse_port: false              # true: a new process may bind the same ports",
            "  engine: loops                  # or virtual-threads: a thread per direction",
            "  admin:                         # off when absent",
            "    address: 127.0.0.1:9900      # dashboard /, metrics /metrics, API /api/v1",
            "    token_file: /run/secrets/x   # optional: Bearer token for write calls",
            "  access_log: stdout             # off (default), stdout, or a file path",
            "  access_log_format: text        # text (logfmt, default) or json",
            "",
            "Signals: SIGTERM or SIGINT stops accepting, lets open connections finish",
            "for the grace period, closes the rest and exits 0; a second signal ends",
            "the grace period at once. SIGHUP, or saving the config file, reloads it:",
            "an invalid file is logged and the running config kept; open connections",
            "are never cut by a reload. featherlb diff NEW.yaml: what a reload of",
            "NEW.yaml would change, asked of the running instance; applies nothing.",
            "",
            "Exit codes: 0 ok, 1 cannot start (e.g. port in use) or an event loop failed,",
            "2 bad config or command line.",
            "",
            "Tab completion in bash or zsh: source <(featherlb generate-completion)",
            "Without a clone, through the repository's jbang catalog:",
            "  jbang featherlb@<owner>/<repo> --config my.yaml",
            "More in README.md and docs/: configuration, algorithms, health, udp,",
            "observability, reload, deployment, performance, e2e, development,",
            "proxy-protocol, sni."})
public final class featherlb implements Callable<Integer> {
    private static final System.Logger LOG = System.getLogger("featherlb");
    /** A save is seen within about two intervals (220-390 ms measured), for 5 stats a second (see ConfigWatcher). */
    private static final Duration WATCH_INTERVAL = Duration.ofMillis(200);

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", defaultValue = "featherlb.yaml",
            description = "config file (default: ${DEFAULT-VALUE})")
    Path config;

    // worded so that FILE:LINE:COLUMN is not split at 80 columns (picocli also breaks after a colon)
    @Option(names = "--validate",
            description = "check the config and exit (0 valid, 2 not); problems print as FILE:LINE:COLUMN: message")
    boolean validate;

    @Option(names = "--debug", description = "log every connection and connect attempt")
    boolean debug;

    @Option(names = "--grace", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "override the config's shutdown_grace, e.g. 500ms, 30s")
    Duration grace;

    @Option(names = "--engine", paramLabel = "ENGINE", converter = EngineConverter.class,
            description = "what forwards: loops (default) or virtual-threads; overrides the config's engine")
    Engine engine;

    @Option(names = "--watch", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "reload when the config file changes (default: on); SIGHUP always reloads")
    boolean watch;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String... args) {
        System.exit(commandLine(System.getenv()).execute(args));
    }

    /**
     * The command with its usage width: {@code COLUMNS} when the environment sets it (as Python's
     * argparse does; shells do not export it, so it is there when a user asks), else the terminal's
     * width as picocli detects it, else 80.
     */
    static CommandLine commandLine(Map<String, String> env) {
        CommandLine cl = new CommandLine(new featherlb());
        try {
            int columns = Integer.parseInt(env.getOrDefault("COLUMNS", "").trim());
            if (columns > 0) {
                // picocli's auto width would ask the terminal again, and it refuses widths under 55
                cl.setUsageHelpAutoWidth(false);
                cl.setUsageHelpWidth(Math.max(55, columns));
            }
        } catch (NumberFormatException e) {
            // no COLUMNS, or not a number: the terminal's width, as before
        }
        return cl;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        configureLogging(debug);
        if (validate) {
            try {
                Config cfg = ConfigLoader.load(config);
                out.printf("%s: ok, %d route(s)%n", config, cfg.routes().size());
                out.flush();
                return 0;
            } catch (ConfigException e) {
                e.errors().forEach(err::println);
                err.flush();
                return 2;
            }
        }
        return run(config, err, Additions.NONE);
    }

    /**
     * Loads {@code file} and serves it until SIGTERM/SIGINT (or {@code additions}' stop) and the
     * drain are over: the main command on {@code --config}, the demo on the file it wrote. Runs on
     * the main thread. Returns the exit status.
     */
    int run(Path file, PrintWriter err, Additions additions) throws IOException, InterruptedException {
        // watch before loading, so that a save while we start is not missed
        Path dir = file.toAbsolutePath().getParent();
        try (ConfigWatcher watcher = watch && Files.isDirectory(dir) ? new ConfigWatcher(file, WATCH_INTERVAL) : null) {
            Config cfg;
            try {
                cfg = ConfigLoader.load(file);
            } catch (ConfigException e) {
                e.errors().forEach(err::println);
                err.flush();
                return 2;
            }
            if (engine != null) cfg = cfg.withEngine(engine);
            return serve(file, cfg, watcher, err, additions);
        }
    }

    /**
     * What a caller of {@link #run} adds around the balancer: the demo's admin calls, its load once
     * featherlb listens, the load's end when the shutdown begins. {@link #NONE} for the main command.
     */
    interface Additions {
        Additions NONE = new Additions() { };

        /** Adds admin API calls; on the main thread, before the admin server starts (not called without one). */
        default void register(Router api) {
        }

        /**
         * On the main thread, once every listener and the admin server (null when off) are up.
         *
         * @param stop begins the same shutdown as SIGINT, from any thread; its argument says why, for the log
         */
        default void started(Server server, AdminServer admin, Consumer<String> stop) {
        }

        /** On the thread that begins the shutdown, before the drain; returns at once. */
        default void stopping() {
        }
    }

    /** Runs the balancer until SIGTERM/SIGINT (or {@code additions}' stop) and its drain are over. */
    private int serve(Path file, Config cfg, ConfigWatcher watcher, PrintWriter err, Additions additions) throws InterruptedException {
        // endpoint names are resolved at every connect; keep the JVM's cache of answers short too
        Security.setProperty("networkaddress.cache.ttl", "5");
        Security.setProperty("networkaddress.cache.negative.ttl", "1");
        AccessLogWriter accessLog;
        try {
            accessLog = AccessLogWriter.open(cfg.accessLog(), System.out);
        } catch (IOException e) {
            err.println("featherlb: " + e.getMessage());
            err.flush();
            return 1;
        }
        // metrics are read only through the admin server's /metrics, which a reload never starts: without
        // an admin section, the Prometheus client, its JVM collectors and the JMX beans they load would
        // cost resident memory (and a histogram update per connection) for nothing
        Metrics metrics = cfg.admin().isPresent() ? new Metrics() : null;
        Server server = new Server(cfg, Dialer.TCP, metrics == null ? accessLog : metrics.andThen(accessLog));
        if (metrics != null) {
            metrics.watch(server::pools);
            metrics.rejections(server::rejections);
            metrics.refusals(server::refusals);
            metrics.timeouts(server::timeouts);
            metrics.udpDrops(server::udpDrops);
            metrics.discovery(server.discoveryCounts());
            metrics.counter("featherlb_access_log_dropped", "Access log lines dropped because the writer could not keep up", accessLog::dropped);
        }
        Reloader reloader = new Reloader(file, server, c -> engine == null ? c : c.withEngine(engine));
        CountDownLatch stopped = new CountDownLatch(1);
        Lifecycle lifecycle = new Lifecycle();
        AtomicBoolean signalled = new AtomicBoolean();
        // a signal's handler and the additions' stop: the first begins the shutdown, a second ends its drain
        Consumer<String> stop = why -> {
            if (signalled.compareAndSet(false, true)) {
                Duration drain = grace != null ? grace : server.config().shutdownGrace();
                Duration delay = server.config().shutdownDelay();
                LOG.log(INFO, "{0}: shutting down, {1}grace period {2}", why,
                        delay.isZero() ? "" : "shutdown_delay " + Durations.format(delay) + ", then ", Durations.format(drain));
                Thread.ofPlatform().name("featherlb-shutdown").start(() -> {
                    additions.stopping();
                    lifecycle.leave(delay);
                    server.shutdown(drain);
                    lifecycle.stopped();
                    stopped.countDown();
                });
            } else {
                LOG.log(INFO, "{0} again: closing open connections now", why);
                lifecycle.hurry();
                server.shutdown(Duration.ZERO);
            }
        };
        // handlers first: a signal that arrives while the listeners bind must not kill the process
        Signals.on("HUP", () -> Thread.ofPlatform().name("featherlb-reload").start(() -> reloader.reload("SIGHUP")));
        for (String signal : List.of("TERM", "INT")) Signals.on(signal, () -> stop.accept("SIG" + signal));
        AdminServer admin = null;
        History history = null; // the dashboard's charts: only with the admin server, which serves them
        try {
            server.start();
            // after the listeners, so that the API never sees a half-built list of pools
            if (cfg.admin().isPresent()) {
                Router api = new Router();
                new RoutesApi(server::pools, server::rejections).register(api);
                history = new History(server::pools, System::currentTimeMillis).start();
                new HistoryApi(history).register(api);
                new ReloadApi(() -> reloader.reload("admin API"), reloader::dryRun).register(api);
                additions.register(api);
                admin = new AdminServer(cfg.admin().get(), api, metrics.handler(), new Probes(() -> !server.failure().isDone(),
                        () -> lifecycle.phase().name().toLowerCase(java.util.Locale.ROOT), lifecycle::ready));
                admin.start();
            }
        } catch (IOException e) {
            err.println("featherlb: " + e.getMessage());
            err.flush();
            if (history != null) history.close();
            server.shutdown(Duration.ZERO);
            accessLog.close();
            return 1;
        }
        if (watcher != null) watcher.start(() -> reloader.reload("file changed"));
        HeapTrimmer heapTrimmer = HeapTrimmer.start(server::activeConnections);
        additions.started(server, admin, stop);
        AtomicBoolean failed = new AtomicBoolean();
        server.failure().thenAccept(cause -> {
            // a loop that broke no longer forwards or accepts: better a restart by the supervisor
            // (systemd, docker's restart policy) than a process that half works
            failed.set(true);
            LOG.log(ERROR, "an event loop failed ({0}): stopping now, exit status 1", cause.toString());
            Thread.ofPlatform().name("featherlb-shutdown").start(() -> {
                additions.stopping();
                server.shutdown(Duration.ZERO);
                stopped.countDown();
            });
        });
        stopped.await();
        heapTrimmer.close();
        // the admin server stays up while connections drain, so the drain can be watched
        if (admin != null) admin.close();
        if (history != null) history.close();
        accessLog.close(); // last: every connection has ended and been queued
        LOG.log(INFO, "stopped");
        return failed.get() ? 1 : 0;
    }

    /**
     * {@code featherlb demo}: featherlb in front of three built-in backends, with a gentle load, so
     * that a newcomer sees it work without backends of their own (see demo/Demo.java, docs/demo.md).
     * The balancer is {@link #run}, the main command's own wiring, on the config file the demo
     * writes; the parent's {@code --debug} and {@code --grace} apply ({@code featherlb --debug demo}).
     */
    @Command(name = "demo", sortOptions = false, usageHelpAutoWidth = true,
            header = "featherlb in front of three built-in backends, with a gentle load and the dashboard",
            description = {
                "Runs featherlb in front of three small built-in HTTP backends on 127.0.0.1 (fast; slow, 200 ms "
                    + "an answer; stoppable), with the admin address on and a gentle load, and prints the "
                    + "dashboard's URL and what to try. Needs nothing but Java: no Docker, no backends of your own.",
                ""},
            footer = {
                "",
                "The stoppable backend stops (closes its port: connects are refused) and",
                "starts again through the admin API, e.g.:",
                "  curl -X POST http://127.0.0.1:ADMIN/api/v1/demo/backends/stoppable/stop",
                "  curl -X POST http://127.0.0.1:ADMIN/api/v1/demo/backends/stoppable/start",
                "featherlb's health check takes it out within about 2 s and back after 2",
                "passed checks; the load sees no failures (refused connects are retried).",
                "The config is a temporary file, printed at the start: edit and save it",
                "and featherlb reloads it. See docs/demo.md.",
                "",
                "Ctrl-C (or the end of --duration) stops the load, drains featherlb,",
                "stops the backends and exits 0.",
                "",
                "Exit codes: 0 ok, 1 cannot start (e.g. --port in use), 2 bad command line."})
    static final class DemoCommand implements Callable<Integer>, Additions {
        @CommandLine.ParentCommand
        featherlb parent;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--port", paramLabel = "PORT", description = "featherlb's listening port on 127.0.0.1 (default: a free one)")
        int port;

        @Option(names = "--admin-port", paramLabel = "PORT", description = "the dashboard's and admin API's port on 127.0.0.1 (default: a free one)")
        int adminPort;

        @Option(names = "--rate", paramLabel = "N", defaultValue = "20", description = "requests a second of the load, 1..1000 (default: ${DEFAULT-VALUE})")
        int rate;

        @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "10m", converter = DurationConverter.class,
                description = "how long the load runs; then the demo stops by itself (default: ${DEFAULT-VALUE}, at most 24h)")
        Duration duration;

        // no -V: the version is the main command's (featherlb --version)
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
        boolean help;

        private Demo demo;
        private PrintWriter out;

        @Override
        public Integer call() throws IOException, InterruptedException {
            out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            check(port >= 0 && port <= 65535, "--port " + port + " is out of range (expected 1..65535, or 0 for a free one)");
            check(adminPort >= 0 && adminPort <= 65535, "--admin-port " + adminPort + " is out of range (expected 1..65535, or 0 for a free one)");
            check(rate >= 1 && rate <= 1000, "--rate " + rate + " is out of range (expected 1..1000 requests a second)");
            check(duration.compareTo(Duration.ofHours(24)) <= 0, "--duration " + Durations.format(duration) + " is too long (expected at most 24h)");
            configureLogging(parent.debug);
            try {
                demo = Demo.start(port, adminPort);
            } catch (IOException e) {
                err.println("featherlb demo: cannot start its backends: " + e.getMessage());
                err.flush();
                return 1;
            }
            int status;
            try {
                status = parent.run(demo.configFile(), err, this);
            } finally {
                demo.close();
            }
            // every thread has an owner and an end: say so, or name the ones that did not end
            List<String> left = Demo.threadsLeft(Duration.ofSeconds(2));
            if (left.isEmpty()) {
                out.println("demo: stopped; every thread it started has ended");
            } else {
                LOG.log(ERROR, "demo: threads still running after the stop (a bug): {0}", left);
            }
            out.flush();
            return status;
        }

        private void check(boolean ok, String message) {
            if (!ok) throw new CommandLine.ParameterException(spec.commandLine(), message);
        }

        @Override
        public void register(Router api) {
            demo.register(api);
        }

        @Override
        public void started(Server server, AdminServer admin, Consumer<String> stop) {
            demo.started(server.addresses().getFirst(), admin.address(), rate, duration, out,
                    () -> stop.accept("demo: " + Durations.format(duration) + " over"));
        }

        @Override
        public void stopping() {
            demo.stopping();
        }
    }

    /**
     * {@code featherlb diff [NEW.yaml]}: what a reload would change, asked of the running
     * instance's admin API (a dry run; see reload/DryRun.java, docs/reload.md). The admin address
     * and token come from the options, else the environment, else the running config file
     * (the parent's {@code --config}, default featherlb.yaml), else NEW.yaml itself.
     */
    @Command(name = "diff", sortOptions = false, usageHelpAutoWidth = true,
            header = "what a reload would change, asked of the running featherlb; applies nothing",
            description = {
                "Sends NEW.yaml to the running featherlb's admin API (POST /api/v1/reload?dry_run=true) and prints "
                    + "what a reload of it would change: routes added, removed, changed (their settings; endpoints "
                    + "added, removed, reweighted) and kept. Nothing is applied. Without NEW.yaml the instance "
                    + "compares its own config file as it is on disk now.",
                ""},
            footer = {
                "",
                "The admin address: --admin, else $FEATHERLB_ADMIN, else the admin:",
                "section of the running config (featherlb -c FILE diff ...; default",
                "featherlb.yaml when it exists), else NEW.yaml's. The token for write",
                "calls: --token-file, else $FEATHERLB_ADMIN_TOKEN, else the token_file",
                "of the config the address came from.",
                "",
                "Exit codes: 0 valid (changes or not), 1 the instance could not be asked,",
                "2 NEW.yaml is not valid (every problem printed as FILE:LINE:COLUMN) or",
                "a bad command line."})
    static final class DiffCommand implements Callable<Integer> {
        @CommandLine.ParentCommand
        featherlb parent;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Parameters(index = "0", arity = "0..1", paramLabel = "NEW.yaml",
                description = "the config a reload would load (default: the instance's own config file)")
        Path file;

        @Option(names = "--admin", paramLabel = "HOST:PORT", description = "the running instance's admin address (or http://host:port)")
        String admin;

        @Option(names = "--token-file", paramLabel = "FILE", description = "a file holding the admin token, if the instance has one")
        Path tokenFile;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
        boolean help;

        /** The environment, for the address and the token (a test gives its own). */
        Map<String, String> env = System.getenv();

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            try {
                return DryRun.run(target(), out, err);
            } catch (ConfigException e) {
                e.errors().forEach(err::println);
                err.println("featherlb diff: the admin address is read from that config, which is not valid (or give --admin)");
                err.flush();
                return 2;
            } catch (IOException e) {
                err.println("featherlb diff: " + e.getMessage());
                err.flush();
                return 2;
            }
        }

        private DryRun.Target target() throws ConfigException, IOException {
            String address = admin != null ? admin : set(env.get("FEATHERLB_ADMIN"));
            String token = null;
            if (tokenFile != null) {
                token = new String(SmallFile.read(tokenFile, Admin.MAX_TOKEN_BYTES, "a file holding the admin API token"),
                        StandardCharsets.UTF_8).strip();
            } else {
                token = set(env.get("FEATHERLB_ADMIN_TOKEN"));
            }
            if (address == null) {
                Path from = Files.exists(parent.config) || file == null ? parent.config : file;
                Admin section = ConfigLoader.load(from).admin().orElseThrow(() -> new CommandLine.ParameterException(spec.commandLine(),
                        from + " has no admin: section, so there is no admin address to ask (give --admin HOST:PORT)"));
                address = DryRun.url(section);
                if (token == null && section.tokenFile() != null) token = section.readToken();
            }
            return new DryRun.Target(address, token, file);
        }

        /** A variable's value, or null when it is unset or blank (as {@code FOO= featherlb ...} says "none"). */
        private static String set(String value) {
            return value == null || value.isBlank() ? null : value.strip();
        }
    }

    /** Converts {@code --engine}, so a typo is a usage error (exit 2). */
    static final class EngineConverter implements CommandLine.ITypeConverter<Engine> {
        @Override
        public Engine convert(String value) {
            Engine engine = Engine.byName(value);
            if (engine == null) throw new CommandLine.TypeConversionException("'" + value + "' is not an engine (expected " + Engine.EXPECTED + ")");
            return engine;
        }
    }

    /** Converts {@code --grace} with the config's duration syntax, so a typo is a usage error (exit 2). */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            Duration d = Durations.parse(value);
            if (d == null) throw new CommandLine.TypeConversionException("'" + value + "' is not " + Durations.EXPECTED);
            if (d.compareTo(Durations.MAX) > 0) {
                throw new CommandLine.TypeConversionException("'" + value + "' is too long (expected " + Durations.EXPECTED_MAX + ")");
            }
            return d;
        }
    }

    /** One line per record on stderr; {@code --debug} lowers the level to FINE (System.Logger's DEBUG). */
    private static void configureLogging(boolean debug) throws IOException {
        String properties = """
                handlers=java.util.logging.ConsoleHandler
                .level=%s
                java.util.logging.ConsoleHandler.level=ALL
                java.util.logging.SimpleFormatter.format=%%1$tF %%1$tT.%%1$tL %%4$s %%3$s: %%5$s%%6$s%%n
                """.formatted(debug ? "FINE" : "INFO");
        LogManager.getLogManager().readConfiguration(new ByteArrayInputStream(properties.getBytes(StandardCharsets.UTF_8)));
    }
}
