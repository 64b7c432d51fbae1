///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 25
//DEPS info.picocli:picocli:4.7.7
//DEPS org.yaml:snakeyaml:2.5
//SOURCES algorithms/Algorithm.java algorithms/Candidates.java algorithms/Strategy.java
//SOURCES algorithms/SmoothRoundRobin.java algorithms/WeightedRandom.java algorithms/LeastConnections.java
//SOURCES algorithms/PowerOfTwoChoices.java algorithms/Maglev.java
//SOURCES config/Config.java config/ConfigError.java config/ConfigException.java config/ConfigLoader.java
//SOURCES config/Durations.java config/Endpoint.java config/Problems.java config/Route.java config/Section.java config/Timeouts.java
//SOURCES pool/Backend.java pool/BackendPool.java pool/ConnectFailure.java
//SOURCES process/Signals.java
//SOURCES proxy/BufferPool.java proxy/Connection.java proxy/ConnectionRecord.java proxy/Dialer.java proxy/Listener.java
//SOURCES proxy/Outcome.java proxy/Server.java
// Serial GC, a young generation of 8 MiB and compact object headers (JDK 25): a proxy's live heap
// is mostly its parked connections, so a small eden and smaller objects keep idle memory down
//RUNTIME_OPTIONS -XX:+UseSerialGC -Xmn8m -XX:+UseCompactObjectHeaders
//CDS

import static java.lang.System.Logger.Level.INFO;

import config.Config;
import config.ConfigException;
import config.ConfigLoader;
import config.Durations;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.Security;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.LogManager;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import proxy.Server;
import process.Signals;

/** The featherlb command: reads the config, starts the server, stops it on SIGTERM/SIGINT. Wiring only. */
@Command(name = "featherlb", mixinStandardHelpOptions = true, version = "featherlb 0.1.0",
        sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "A lightweight TCP load balancer: listens on each route's address and spreads incoming "
                + "connections over the route's endpoints with the route's strategy, forwarding bytes both ways.",
            ""},
        footer = {
            "",
            "Config (YAML, see featherlb.yaml and README.md):",
            "  routes:",
            "    - name: web                  # optional, default host:port",
            "      host: 0.0.0.0              # listen address",
            "      port: 8080",
            "      strategy: roundrobin       # or random, leastconn, p2c, iphash",
            "      timeouts: {connect: 5s, idle: 10m}",
            "      max_connections: 0         # 0 = unlimited",
            "      retries: 3                 # further endpoints tried when a connect fails",
            "      endpoints:",
            "        - {host: localhost, port: 8081, weight: 1, backup: false}",
            "  shutdown_grace: 10s",
            "",
            "Signals: SIGTERM or SIGINT stops accepting, lets open connections finish",
            "for the grace period, closes the rest and exits 0; a second signal ends",
            "the grace period at once.",
            "",
            "Exit codes: 0 ok, 1 cannot start (e.g. port in use), 2 bad config or command line."})
public final class featherlb implements Callable<Integer> {
    private static final System.Logger LOG = System.getLogger("featherlb");

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", defaultValue = "featherlb.yaml",
            description = "config file (default: ${DEFAULT-VALUE})")
    Path config;

    @Option(names = "--validate", description = "check the config, print its problems as FILE:LINE:COLUMN: message, and exit (0 valid, 2 not)")
    boolean validate;

    @Option(names = "--debug", description = "log every connection and connect attempt")
    boolean debug;

    @Option(names = "--grace", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "override the config's shutdown_grace, e.g. 500ms, 30s")
    Duration grace;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String... args) {
        System.exit(new CommandLine(new featherlb()).execute(args));
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        configureLogging(debug);
        Config cfg;
        try {
            cfg = ConfigLoader.load(config);
        } catch (ConfigException e) {
            e.errors().forEach(err::println);
            err.flush();
            return 2;
        }
        if (validate) {
            out.printf("%s: ok, %d route(s)%n", config, cfg.routes().size());
            out.flush();
            return 0;
        }
        // endpoint names are resolved at every connect; keep the JVM's cache of answers short too
        Security.setProperty("networkaddress.cache.ttl", "5");
        Security.setProperty("networkaddress.cache.negative.ttl", "1");
        Server server = new Server(cfg);
        Duration drain = grace != null ? grace : cfg.shutdownGrace();
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicBoolean signalled = new AtomicBoolean();
        // handlers first: a SIGTERM that arrives while the listeners bind must still drain, not kill
        for (String signal : List.of("TERM", "INT")) {
            Signals.on(signal, () -> {
                if (signalled.compareAndSet(false, true)) {
                    LOG.log(INFO, "SIG{0}: shutting down, grace period {1}", signal, Durations.format(drain));
                    Thread.ofPlatform().name("featherlb-shutdown").start(() -> {
                        server.shutdown(drain);
                        stopped.countDown();
                    });
                } else {
                    LOG.log(INFO, "SIG{0} again: closing open connections now", signal);
                    server.shutdown(Duration.ZERO);
                }
            });
        }
        try {
            server.start();
        } catch (IOException e) {
            err.println("featherlb: " + e.getMessage());
            err.flush();
            return 1;
        }
        stopped.await();
        LOG.log(INFO, "stopped");
        return 0;
    }

    /** Converts {@code --grace} with the config's duration syntax, so a typo is a usage error (exit 2). */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            Duration d = Durations.parse(value);
            if (d == null) throw new CommandLine.TypeConversionException("'" + value + "' is not " + Durations.EXPECTED);
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
