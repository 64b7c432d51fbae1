///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 25
//DEPS info.picocli:picocli:4.7.7
//SOURCES e2e/AccessLog.java e2e/Chart.java e2e/Distribution.java e2e/Docker.java e2e/E2eException.java
//SOURCES e2e/Exec.java e2e/Fault.java e2e/FeatherlbConfig.java e2e/Options.java e2e/Progress.java e2e/SeveralInstances.java
//SOURCES e2e/RunLog.java e2e/Runner.java e2e/Scenario.java e2e/ScenarioResult.java e2e/Scenarios.java e2e/Scaling.java
//SOURCES e2e/Verdict.java e2e/Verdicts.java e2e/WrkResult.java
//SOURCES e2e/OwnScenario.java e2e/ClientAddresses.java e2e/SniRouting.java e2e/UdpDns.java

import e2e.E2eException;
import e2e.Options;
import e2e.Runner;
import e2e.Scenarios;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Entry of the end-to-end test (make e2e): options, wiring and exit codes; the work is in package e2e. */
@Command(name = "e2e.java", sortOptions = false,
        description = {
            "Runs featherlb's docker compose end-to-end test: builds the featherlb image,",
            "brings up compose.yaml (nginx backends, featherlb, wrk clients), runs one",
            "scenario per algorithm, a weighted one, a fault one, a PROXY protocol, an",
            "SNI routing and a UDP DNS one, takes the stack down",
            "and writes test/e2e/runs/<datetime>.log and .svg.",
            "Images: FEATHERLB_JAVA_IMAGE, FEATHERLB_NGINX_IMAGE, FEATHERLB_WRK_IMAGE and",
            "FEATHERLB_TOOLS_IMAGE (dnsmasq and dig) replace the public ones.", ""},
        footer = {"", "Exit status: 0 all checks passed, 1 a check failed, 2 bad options or the set-up failed."})
class E2e implements Callable<Integer> {

    @Option(names = {"-a", "--algorithms"}, split = ",", paramLabel = "NAME",
            description = "Scenarios to run, comma-separated: roundrobin, random, iphash, leastconn, p2c, weighted (default: all); "
                    + "none runs only the fault scenario.")
    List<String> algorithms = Scenarios.ALGORITHMS;

    @Option(names = "--fault", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Run the fault scenario: stop a backend under load, start it again (default: on; --no-fault skips it).")
    boolean fault;

    @Option(names = "--scaling", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Scale a backend service 3 -> 5 -> 2 under load, found through Docker's DNS (default: on).")
    boolean scaling;

    @Option(names = {"-d", "--duration"}, paramLabel = "TIME", defaultValue = "10s",
            description = "Load per scenario, e.g. 10s, 3s, 1m (default: ${DEFAULT-VALUE}).")
    String duration;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", defaultValue = "12", description = "wrk threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = {"-c", "--connections"}, paramLabel = "N", defaultValue = "400", description = "wrk connections (default: ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = {"-b", "--backends"}, paramLabel = "N", defaultValue = "3",
            description = "nginx backends, 2.." + Scenarios.MAX_BACKENDS + " (default: ${DEFAULT-VALUE}).")
    int backends;

    @Option(names = "--engine", paramLabel = "ENGINE", defaultValue = "loops",
            description = "featherlb's engine: loops or virtual-threads (default: ${DEFAULT-VALUE}).")
    String engine;

    @Option(names = {"-k", "--keep"}, description = "Leave the stack up at the end, for inspection.")
    boolean keep;

    @Option(names = "--jar", paramLabel = "FILE", description = "Use this featherlb jar instead of exporting featherlb.java.")
    Path jar;

    @Option(names = "--runs", paramLabel = "DIR", defaultValue = "test/e2e/runs",
            description = "Where the run log and chart go (default: ${DEFAULT-VALUE}).")
    Path runs;

    @Option(names = {"-v", "--verbose"}, description = "Log every docker command.")
    boolean verbose;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new E2e())
                // a bug, not a failed check: exit 2 like any other failure of the set-up, with its trace
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    e.printStackTrace();
                    return 2;
                })
                .execute(args));
    }

    @Override
    public Integer call() {
        if (verbose) {
            Logger root = Logger.getLogger("");
            root.setLevel(Level.FINE);
            for (var handler : root.getHandlers()) handler.setLevel(Level.FINE);
        }
        Path repo = Path.of("").toAbsolutePath();
        if (!java.nio.file.Files.exists(repo.resolve("compose.yaml"))) {
            return usage("run e2e.java from the featherlb checkout (there is no compose.yaml in " + repo + ")");
        }
        Options options;
        try {
            options = new Options(algorithms.stream().filter(a -> !a.equals("none")).toList(), fault, Options.seconds(duration), threads, connections, backends, keep,
                    jar == null ? null : jar.toAbsolutePath(), repo.resolve(runs), engine, scaling);
            if (Scenarios.plan(options.algorithms(), options.backends(), options.fault()).isEmpty()) {
                return usage("nothing to run: no --algorithms and --no-fault");
            }
        } catch (IllegalArgumentException e) {
            return usage(e.getMessage());
        }
        var console = System.console();
        try {
            return new Runner(options, repo, System.getenv(), System.out, console != null && console.isTerminal()).run();
        } catch (E2eException e) {
            System.out.flush();
            System.err.println("\ne2e: " + e.getMessage());
            return 2;
        }
    }

    private int usage(String message) {
        spec.commandLine().getErr().println("e2e: " + message);
        return 2;
    }
}
