package e2e;

import java.nio.file.Path;
import java.util.List;

/**
 * How to run the end-to-end test; e2e.java fills it from the command line.
 *
 * @param algorithms  scenarios to run, names from {@link Scenarios#ALGORITHMS}
 * @param fault       whether to run the fault scenario too
 * @param seconds     load per scenario, seconds
 * @param threads     wrk threads (split among the clients when several load at once)
 * @param connections wrk connections (split likewise)
 * @param backends    nginx backends, 2..{@link Scenarios#MAX_BACKENDS}
 * @param keep        leave the stack up at the end, for inspection
 * @param jar         a featherlb jar to use instead of exporting featherlb.java; {@code null}: export
 * @param runs        folder for the run log and chart
 * @param engine      what forwards in featherlb, its {@code --engine}: {@link #ENGINES}
 * @param scaling     whether to run the scaling scenario too (its own stack: {@link Scaling})
 */
public record Options(List<String> algorithms, boolean fault, int seconds, int threads, int connections,
                      int backends, boolean keep, Path jar, Path runs, String engine, boolean scaling) {
    /** featherlb's engines, as its {@code --engine} names them. */
    public static final List<String> ENGINES = List.of("loops", "virtual-threads");

    public Options {
        algorithms = List.copyOf(algorithms);
        if (!ENGINES.contains(engine)) throw new IllegalArgumentException("--engine is '" + engine + "' (expected loops or virtual-threads)");
        if (seconds < 1) throw new IllegalArgumentException("--duration must be at least 1 s");
        if (threads < 1) throw new IllegalArgumentException("--threads must be at least 1");
        if (connections < threads) throw new IllegalArgumentException("--connections must be at least --threads (wrk needs one per thread)");
    }

    /** Options without the scaling scenario. */
    public Options(List<String> algorithms, boolean fault, int seconds, int threads, int connections,
                   int backends, boolean keep, Path jar, Path runs, String engine) {
        this(algorithms, fault, seconds, threads, connections, backends, keep, jar, runs, engine, false);
    }

    /** The options as a command line, for the run log. */
    public String describe() {
        return "--algorithms %s --%sfault --%sscaling --duration %ds --threads %d --connections %d --backends %d --engine %s%s%s".formatted(
                String.join(",", algorithms), fault ? "" : "no-", scaling ? "" : "no-", seconds, threads, connections, backends, engine,
                keep ? " --keep" : "", jar == null ? "" : " --jar " + jar);
    }

    /**
     * Reads a duration as wrk writes them: "10s", "2m", or a bare number of seconds.
     *
     * @throws IllegalArgumentException for anything else, or less than one second
     */
    public static int seconds(String text) {
        String t = text.strip().toLowerCase(java.util.Locale.ROOT);
        int factor = 1;
        if (t.endsWith("s")) {
            t = t.substring(0, t.length() - 1);
        } else if (t.endsWith("m")) {
            t = t.substring(0, t.length() - 1);
            factor = 60;
        }
        try {
            int seconds = Math.multiplyExact(Integer.parseInt(t), factor);
            if (seconds >= 1) return seconds;
        } catch (NumberFormatException | ArithmeticException e) {
            // the message below says what is accepted
        }
        throw new IllegalArgumentException("'" + text + "' is not a duration; use whole seconds or minutes, e.g. 10s, 3s, 1m");
    }
}
