///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 25
//DEPS org.openjdk.jmh:jmh-core:1.37
//DEPS org.openjdk.jmh:jmh-generator-annprocess:1.37
//JAVAC_OPTIONS -proc:full
//SOURCES ../algorithms/Algorithm.java ../algorithms/Candidates.java ../algorithms/Strategy.java
//SOURCES ../algorithms/SmoothRoundRobin.java ../algorithms/WeightedRandom.java ../algorithms/LeastConnections.java
//SOURCES ../algorithms/PowerOfTwoChoices.java ../algorithms/Maglev.java
package bench;

import algorithms.Algorithm;
import algorithms.Candidates;
import algorithms.Maglev;
import algorithms.Strategy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * {@code make bench}'s second half: JMH on the load-balancing algorithms. One pick per strategy
 * over 8 endpoints (one unavailable, unequal loads), with the allocation per pick from JMH's GC
 * profiler, and a Maglev table rebuild for 1,000 endpoints. Goal: every pick under 50 ns and
 * allocation-free. Writes {@code bench/results/algorithms.md} and JMH's JSON under {@code runs/};
 * {@code --quick} runs a second per benchmark, for CI. Asserts nothing.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class jmh {
    static final double PICK_GOAL_NS = 50;

    @Param({"ROUNDROBIN", "RANDOM", "LEASTCONN", "P2C", "IPHASH"})
    public String strategy;

    private Algorithm algorithm;
    private final Endpoints eight = Endpoints.of(8);
    private long key;

    @Setup(Level.Trial)
    public void setUp() {
        eight.available[3] = false;
        for (int i = 0; i < 8; i++) eight.active[i] = 7 * i % 5;
        eight.weights[1] = 3;
        algorithm = Strategy.valueOf(strategy).create(new SplittableRandom(42));
    }

    /** One pick, as a new connection makes it; the key changes so that hashing is not a constant. */
    @Benchmark
    public int pick() {
        return algorithm.pick(eight, key += 0x9E3779B97F4A7C15L);
    }

    /** A Maglev table rebuild for 1,000 endpoints: three availability states in turn, so each pick rebuilds. */
    @State(Scope.Thread)
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public static class MaglevBuild {
        private final Endpoints thousand = Endpoints.of(1000);
        private final Maglev maglev = new Maglev();
        private int turn;

        @Benchmark
        public int rebuild() {
            thousand.available[turn] = true;
            turn = turn == 2 ? 0 : turn + 1;
            thousand.available[turn] = false;
            return maglev.pick(thousand, turn);
        }
    }

    /** A route's endpoints as plain arrays, named as real ones are. */
    static final class Endpoints implements Candidates {
        final String[] names;
        final int[] weights;
        final boolean[] available;
        final int[] active;

        private Endpoints(int n) {
            names = new String[n];
            weights = new int[n];
            available = new boolean[n];
            active = new int[n];
            for (int i = 0; i < n; i++) {
                names[i] = "10.0." + i / 250 + "." + (i % 250 + 1) + ":8080";
                weights[i] = 1;
                available[i] = true;
            }
        }

        static Endpoints of(int n) {
            return new Endpoints(n);
        }

        @Override public int size() { return names.length; }
        @Override public String name(int i) { return names[i]; }
        @Override public int weight(int i) { return weights[i]; }
        @Override public boolean available(int i) { return available[i]; }
        @Override public int active(int i) { return active[i]; }
    }

    public static void main(String... args) throws RunnerException, IOException {
        boolean quick = List.of(args).contains("--quick");
        Path results = Path.of(System.getProperty("jbang.source", "bench/jmh.java")).toAbsolutePath().getParent()
                .resolve(quick ? "results/quick" : "results");
        Files.createDirectories(results.resolve("runs"));
        String date = LocalDateTime.now().withNano(0).toString();
        Path json = results.resolve("runs").resolve(date.replace(':', '-') + "-jmh.json");
        var options = new OptionsBuilder()
                .include(jmh.class.getName().replace("$", "\\$") + ".*")
                .forks(quick ? 0 : 1) // quick only shows that the benchmarks still run: no fork per benchmark
                .warmupIterations(quick ? 1 : 3).warmupTime(TimeValue.milliseconds(quick ? 200 : 1000))
                .measurementIterations(quick ? 1 : 5).measurementTime(TimeValue.milliseconds(quick ? 300 : 1000))
                .jvmArgsAppend("-XX:+UseSerialGC")
                .addProfiler(GCProfiler.class)
                .resultFormat(ResultFormatType.JSON).result(json.toString())
                .build();
        Collection<RunResult> runs = new Runner(options).run();
        String md = report(runs, date, quick);
        Files.writeString(results.resolve("algorithms.md"), md);
        System.out.println();
        System.out.println(md);
        System.out.println("wrote " + results.resolve("algorithms.md") + " and " + json);
    }

    private static String report(Collection<RunResult> runs, String date, boolean quick) {
        StringBuilder md = new StringBuilder("# featherlb algorithms: JMH, " + date + (quick ? " (quick)" : "") + "\n\n");
        md.append("One pick over 8 endpoints (one unavailable, unequal loads and weights); allocation from JMH's GC profiler. ")
                .append("Goal: under ").append((int) PICK_GOAL_NS).append(" ns and 0 bytes per pick.\n\n")
                .append("| benchmark | time | ± (99.9 %) | bytes allocated per op | goal met |\n|---|---:|---:|---:|---|\n");
        List<RunResult> sorted = new ArrayList<>(runs);
        sorted.sort((a, b) -> label(a).compareTo(label(b)));
        for (RunResult r : sorted) {
            var primary = r.getPrimaryResult();
            var alloc = r.getSecondaryResults().get("gc.alloc.rate.norm");
            double bytes = alloc == null ? Double.NaN : alloc.getScore();
            boolean isPick = r.getParams().getBenchmark().endsWith(".pick");
            String met = isPick ? (primary.getScore() < PICK_GOAL_NS && bytes < 1 ? "yes" : "**no**") : "";
            double error = primary.getScoreError();
            md.append(String.format(Locale.ROOT, "| %s | %.1f %s | %s | %.2f | %s |%n", label(r), primary.getScore(),
                    primary.getScoreUnit(), Double.isNaN(error) ? "–" : String.format(Locale.ROOT, "%.1f", error), bytes, met));
        }
        md.append("\n").append(System.getProperty("java.vm.name")).append(' ').append(System.getProperty("java.runtime.version"))
                .append(", ").append(Runtime.getRuntime().availableProcessors()).append(" cores, shared with other work: ")
                .append("read the errors before the digits.\n");
        return md.toString();
    }

    private static String label(RunResult r) {
        String benchmark = r.getParams().getBenchmark();
        String name = benchmark.substring(benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1) + 1);
        String strategy = r.getParams().getParam("strategy");
        return strategy == null ? name.replace("jmh.", "").replace("MaglevBuild.rebuild", "Maglev rebuild, 1,000 endpoints")
                : "pick, " + Strategy.valueOf(strategy).configName();
    }
}
