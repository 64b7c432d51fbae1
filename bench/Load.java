package bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The load generators, wrk and iperf3, run to their end, and what their output says. */
final class Load {
    private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern REQUESTS = Pattern.compile("(\\d+) requests in");
    private static final Pattern PERCENTILE = Pattern.compile("\\s(50|99)%\\s+([0-9.]+)(us|ms|s)\\b");
    private static final Pattern ERRORS = Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
    private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");
    private static final Pattern RECEIVED = Pattern.compile("\"sum_received\"\\s*:\\s*\\{[^}]*?\"bits_per_second\"\\s*:\\s*([0-9.eE+]+)");

    private Load() {
    }

    /**
     * What one wrk run measured; {@code errors} counts socket errors and non-2xx answers, {@code
     * timeouts} the requests among them that got no answer within wrk's {@code --timeout}.
     */
    record Http(double rps, long requests, double p50Ms, double p99Ms, long errors, long timeouts) {
    }

    /**
     * wrk with one thread and {@code connections} connections for {@code seconds}; with {@code close},
     * every request carries {@code Connection: close}, so every request is a new connection.
     */
    static Http wrk(int port, int connections, int seconds, boolean close) throws IOException, InterruptedException {
        return wrk(port, connections, seconds, close, 0);
    }

    /** As {@link #wrk(int, int, int, boolean)}, with wrk's file-descriptor limit raised to {@code fdLimit} (0: as it is). */
    static Http wrk(int port, int connections, int seconds, boolean close, int fdLimit) throws IOException, InterruptedException {
        return wrk("http://127.0.0.1:" + port + "/", connections, seconds, close, fdLimit);
    }

    /** The same against {@code url} (https too: wrk sends its host as the TLS server name). */
    static Http wrk(String url, int connections, int seconds, boolean close) throws IOException, InterruptedException {
        return wrk(url, connections, seconds, close, 0);
    }

    private static Http wrk(String url, int connections, int seconds, boolean close, int fdLimit) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Machine.which("wrk"), "-t1", "-c" + connections, "-d" + seconds + "s",
                "--latency", "--timeout", "5s"));
        if (close) command.addAll(List.of("-H", "Connection: close"));
        command.add(url);
        String out = Proc.run(fdLimit > 0 ? Proc.withFdLimit(command, fdLimit) : command, seconds + 30L);
        Matcher rps = RPS.matcher(out), requests = REQUESTS.matcher(out);
        if (!rps.find() || !requests.find()) throw new IOException("wrk said:\n" + out);
        double p50 = Double.NaN, p99 = Double.NaN;
        Matcher p = PERCENTILE.matcher(out);
        while (p.find()) {
            double ms = Double.parseDouble(p.group(2)) * switch (p.group(3)) {
                case "us" -> 0.001;
                case "ms" -> 1;
                default -> 1000;
            };
            if (p.group(1).equals("50")) p50 = ms;
            else p99 = ms;
        }
        long errors = 0, timeouts = 0;
        Matcher e = ERRORS.matcher(out);
        if (e.find()) {
            for (int g = 1; g <= 4; g++) errors += Long.parseLong(e.group(g));
            timeouts = Long.parseLong(e.group(4));
        }
        Matcher n = NON_2XX.matcher(out);
        if (n.find()) errors += Long.parseLong(n.group(1));
        return new Http(Double.parseDouble(rps.group(1)), Long.parseLong(requests.group(1)), p50, p99, errors, timeouts);
    }

    /** iperf3 for {@code seconds}, client to server, or server to client with {@code reverse}; Gbit/s received. */
    static double iperf3(int port, int seconds, boolean reverse) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Machine.which("iperf3"), "-c", "127.0.0.1", "-p", Integer.toString(port),
                "-t", Integer.toString(seconds), "-J"));
        if (reverse) command.add("-R");
        // an iperf3 server serves one test at a time and ends the last one a moment after its client
        // has (seen in CI: "the server is busy running a test"): a few tries, a second apart
        for (int attempt = 1; ; attempt++) {
            String out = Proc.run(command, seconds + 30L);
            Matcher m = RECEIVED.matcher(out);
            if (m.find()) return Double.parseDouble(m.group(1)) / 1e9;
            if (!out.contains("server is busy") || attempt == 5) throw new IOException("iperf3 said:\n" + out);
            Thread.sleep(1000);
        }
    }
}
