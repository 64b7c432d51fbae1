package e2e;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one wrk run printed (wrk 4.x with {@code --latency}).
 *
 * @param requests          completed requests
 * @param seconds           the run's length as wrk measured it
 * @param requestsPerSecond wrk's "Requests/sec"
 * @param latency           latency percentiles in milliseconds
 * @param errors            errors by kind
 */
public record WrkResult(long requests, double seconds, double requestsPerSecond, Latency latency, Errors errors) {

    /** Latency percentiles, in milliseconds. */
    public record Latency(double p50, double p75, double p90, double p99) {
        static final Latency NONE = new Latency(0, 0, 0, 0);

        Latency max(Latency o) {
            return new Latency(Math.max(p50, o.p50), Math.max(p75, o.p75), Math.max(p90, o.p90), Math.max(p99, o.p99));
        }
    }

    /** wrk's error counts: socket errors by kind, and responses that were not 2xx or 3xx. */
    public record Errors(long connect, long read, long write, long timeout, long non2xx) {
        public static final Errors NONE = new Errors(0, 0, 0, 0, 0);

        public long socket() {
            return connect + read + write + timeout;
        }

        public long total() {
            return socket() + non2xx;
        }

        public Errors plus(Errors o) {
            return new Errors(connect + o.connect, read + o.read, write + o.write, timeout + o.timeout, non2xx + o.non2xx);
        }

        @Override
        public String toString() {
            return "connect %d, read %d, write %d, timeout %d, non-2xx %d".formatted(connect, read, write, timeout, non2xx);
        }
    }

    private static final Pattern SUMMARY = Pattern.compile("^\\s*(\\d+) requests in ([\\d.]+)(us|ms|s|m|h),", Pattern.MULTILINE);
    private static final Pattern PERCENTILE = Pattern.compile("^\\s*(50|75|90|99)%\\s+([\\d.]+)(us|ms|s|m|h)\\s*$", Pattern.MULTILINE);
    private static final Pattern SOCKET_ERRORS = Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
    private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");
    private static final Pattern RATE = Pattern.compile("^Requests/sec:\\s+([\\d.]+)", Pattern.MULTILINE);

    /**
     * Reads wrk's report. wrk prints the "Socket errors" and "Non-2xx" lines only when they are not
     * zero, and the latency distribution only with {@code --latency}.
     *
     * @throws IllegalArgumentException when the text holds no wrk summary (wrk failed to start)
     */
    public static WrkResult parse(String output) {
        Matcher summary = SUMMARY.matcher(output);
        Matcher rate = RATE.matcher(output);
        if (!summary.find() || !rate.find()) {
            String first = output.strip().lines().findFirst().orElse("(nothing)");
            throw new IllegalArgumentException("wrk printed no summary; it said: " + first);
        }
        double[] p = new double[4];
        Matcher percentile = PERCENTILE.matcher(output);
        while (percentile.find()) {
            int slot = switch (percentile.group(1)) {
                case "50" -> 0;
                case "75" -> 1;
                case "90" -> 2;
                default -> 3;
            };
            p[slot] = millis(percentile.group(2), percentile.group(3));
        }
        Errors errors = Errors.NONE;
        Matcher socket = SOCKET_ERRORS.matcher(output);
        if (socket.find()) {
            errors = new Errors(Long.parseLong(socket.group(1)), Long.parseLong(socket.group(2)),
                    Long.parseLong(socket.group(3)), Long.parseLong(socket.group(4)), 0);
        }
        Matcher non2xx = NON_2XX.matcher(output);
        if (non2xx.find()) errors = errors.plus(new Errors(0, 0, 0, 0, Long.parseLong(non2xx.group(1))));
        return new WrkResult(Long.parseLong(summary.group(1)),
                millis(summary.group(2), summary.group(3)) / 1000.0,
                Double.parseDouble(rate.group(1)),
                new Latency(p[0], p[1], p[2], p[3]), errors);
    }

    /**
     * Runs that loaded the same route at the same time, from several clients: requests and rates add
     * up, and each latency percentile is the worst client's (percentiles of parts do not combine).
     */
    public static WrkResult concurrent(List<WrkResult> runs) {
        return combine(runs, runs.stream().mapToDouble(WrkResult::requestsPerSecond).sum(),
                runs.stream().mapToDouble(WrkResult::seconds).max().orElse(0));
    }

    /** Runs one after the other: the rate is over their summed length; latencies are the worst run's. */
    public static WrkResult sequential(List<WrkResult> runs) {
        double seconds = runs.stream().mapToDouble(WrkResult::seconds).sum();
        long requests = runs.stream().mapToLong(WrkResult::requests).sum();
        return combine(runs, seconds > 0 ? requests / seconds : 0, seconds);
    }

    private static WrkResult combine(List<WrkResult> runs, double rate, double seconds) {
        long requests = 0;
        Latency latency = Latency.NONE;
        Errors errors = Errors.NONE;
        for (WrkResult r : runs) {
            requests += r.requests;
            latency = latency.max(r.latency);
            errors = errors.plus(r.errors);
        }
        return new WrkResult(requests, seconds, rate, latency, errors);
    }

    private static double millis(String number, String unit) {
        double n = Double.parseDouble(number);
        return switch (unit) {
            case "us" -> n / 1000;
            case "ms" -> n;
            case "s" -> n * 1000;
            case "m" -> n * 60_000;
            case "h" -> n * 3_600_000;
            default -> throw new IllegalArgumentException("unknown time unit " + unit);
        };
    }
}
