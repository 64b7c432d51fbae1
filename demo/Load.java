package demo;

import static java.lang.System.Logger.Level.DEBUG;

import config.Durations;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;

/**
 * The demo's gentle load: {@code rate} HTTP requests a second to featherlb, each on a connection
 * of its own (featherlb balances connections, so requests kept alive on one connection would all
 * reach one backend), counted by the backend name each answer carries. Bounded in every way: at
 * most {@link #MAX_IN_FLIGHT} requests at once (a tick that finds them all busy is skipped and
 * counted), {@link #TIMEOUT_MS} per connect and per read, {@link #MAX_REPLY} bytes read, and it
 * ends after {@code duration}, when it runs {@code over}.
 *
 * <p>Threads: one virtual thread paces the requests and prints a line every {@link #REPORT}; each
 * request runs on a virtual thread of {@link #requests}. All are owned here: {@link #stop()} asks
 * them to end (from any thread, without waiting), {@link #close()} waits until they have.
 */
public final class Load implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Load.class.getName());
    static final int MAX_IN_FLIGHT = 64;
    static final int TIMEOUT_MS = 5_000;
    static final int MAX_REPLY = 4 * 1024;
    static final Duration REPORT = Duration.ofSeconds(10);
    /** The name counted for an answer that names no demo backend (the config file was edited to point elsewhere). */
    static final String OTHER = "other";
    private static final byte[] REQUEST = ("GET / HTTP/1.1\r\nHost: featherlb-demo\r\nUser-Agent: featherlb-demo-load\r\n"
            + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);

    private final InetSocketAddress target;
    private final int rate;
    private final Duration duration;
    private final PrintWriter out;
    private final Runnable over;
    private final Map<String, LongAdder> answers = new LinkedHashMap<>(); // fixed keys: read without a lock
    private final LongAdder failed = new LongAdder();
    private final LongAdder skipped = new LongAdder();
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    private final ExecutorService requests = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("featherlb-demo-request-", 0).factory());
    private final Thread pacer;
    private volatile boolean stopped;

    private Load(InetSocketAddress target, List<String> names, int rate, Duration duration, PrintWriter out, Runnable over) {
        this.target = target;
        this.rate = rate;
        this.duration = duration;
        this.out = out;
        this.over = over;
        for (String name : names) answers.put(name, new LongAdder());
        answers.put(OTHER, new LongAdder());
        pacer = Thread.ofVirtual().name("featherlb-demo-load").unstarted(this::pace);
    }

    /**
     * Starts sending.
     *
     * @param names    the backends' names, as their answers carry them
     * @param rate     requests a second, 1..1000
     * @param out      where a line with the last period's answers goes every {@link #REPORT}
     * @param over     run on the pacing thread once {@code duration} has passed, e.g. to stop the demo
     */
    public static Load start(InetSocketAddress target, List<String> names, int rate, Duration duration, PrintWriter out, Runnable over) {
        if (rate < 1 || rate > 1000) throw new IllegalArgumentException("rate " + rate + " is not 1..1000");
        Load load = new Load(target, names, rate, duration, out, over);
        load.pacer.start();
        return load;
    }

    /** Answers per backend name so far (and {@link #OTHER}), in the order of the names given. */
    public Map<String, Long> answers() {
        Map<String, Long> copy = new LinkedHashMap<>();
        answers.forEach((name, count) -> copy.put(name, count.sum()));
        return copy;
    }

    /** Requests that got no 200 answer: refused, timed out, cut, or shed by featherlb. */
    public long failed() {
        return failed.sum();
    }

    /** Ticks skipped because {@link #MAX_IN_FLIGHT} requests were still under way. */
    public long skipped() {
        return skipped.sum();
    }

    public int rate() {
        return rate;
    }

    /** Asks the pacing thread to end; requests under way finish. Returns at once; any thread. */
    public void stop() {
        stopped = true;
        pacer.interrupt();
    }

    /** Stops and waits for the pacing thread and every request to end (each is bounded by {@link #TIMEOUT_MS}). */
    @Override
    public void close() throws InterruptedException {
        stop();
        pacer.join();
        requests.close();
    }

    /** The pacing thread: ticks at fixed times from the start, so a slow tick does not lower the rate. */
    private void pace() {
        long start = System.nanoTime();
        long period = 1_000_000_000L / rate;
        long end = start + duration.toNanos();
        long nextReport = start + REPORT.toNanos();
        Map<String, Long> reported = answers();
        long reportedFailed = 0;
        try {
            for (long tick = 0; !stopped; tick++) {
                long due = start + tick * period;
                if (due - end >= 0) {
                    out.printf("demo: %s of load are over; stopping%n", Durations.format(duration));
                    out.flush();
                    over.run();
                    return;
                }
                long wait = due - System.nanoTime();
                if (wait > 0) Thread.sleep(Duration.ofNanos(wait));
                if (stopped) return;
                if (inFlight.tryAcquire()) {
                    requests.execute(this::request);
                } else {
                    skipped.increment();
                }
                if (System.nanoTime() - nextReport >= 0) {
                    Map<String, Long> now = answers();
                    long failedNow = failed();
                    report(reported, now, failedNow - reportedFailed);
                    reported = now;
                    reportedFailed = failedNow;
                    nextReport += REPORT.toNanos();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // stop(): this thread ends here, with its flag kept
        }
    }

    private void report(Map<String, Long> before, Map<String, Long> now, long failedSince) {
        String counts = now.entrySet().stream()
                .filter(e -> !e.getKey().equals(OTHER) || e.getValue() > before.get(OTHER))
                .map(e -> e.getKey() + " " + (e.getValue() - before.get(e.getKey())))
                .collect(Collectors.joining(", "));
        out.printf("load, last %s: %s; failed %d%n", Durations.format(REPORT), counts, failedSince);
        out.flush();
    }

    /** Runs on a request thread: one connection, one request, one answer. */
    private void request() {
        try (Socket socket = new Socket()) {
            socket.connect(target, TIMEOUT_MS);
            socket.setSoTimeout(TIMEOUT_MS);
            socket.getOutputStream().write(REQUEST);
            String reply = new String(socket.getInputStream().readNBytes(MAX_REPLY), StandardCharsets.UTF_8);
            int body = reply.indexOf("\r\n\r\n");
            if (!reply.startsWith("HTTP/1.1 200 ") || body < 0) {
                throw new IOException("no 200 answer: " + (reply.isEmpty() ? "closed without a reply" : reply.lines().findFirst().orElse("")));
            }
            LongAdder count = answers.get(reply.substring(body + 4).strip());
            (count != null ? count : answers.get(OTHER)).increment();
        } catch (IOException e) {
            failed.increment();
            LOG.log(DEBUG, "demo load: {0}", e.toString());
        } finally {
            inFlight.release();
        }
    }
}
