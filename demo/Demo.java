package demo;

import admin.Router;
import config.Durations;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * {@code featherlb demo} without the balancer: three built-in HTTP backends ({@code fast},
 * {@code slow} at 200 ms an answer, {@code stoppable}), the config that puts featherlb in front of
 * them, the admin calls that stop and start a backend ({@link DemoApi}), and a gentle {@link Load}
 * once featherlb listens. The balancer itself is featherlb's own wiring (featherlb.java's
 * {@code serve}), run on {@link #configFile()}: the demo adds around it and copies nothing of it.
 *
 * <p>The config is a YAML file in a temporary folder rather than a {@code Config} built in code:
 * it goes through the same loader and validation as a user's file, the user can open it to see
 * what the demo runs, and saving an edit reloads it like any config file. Deleted by {@link #close()}.
 *
 * <p>Order: {@link #start} (backends listen, the file is written) → featherlb starts from the file,
 * calling {@link #register} before its admin server starts → {@link #started} → {@link #stopping}
 * when the shutdown begins → featherlb drains and stops → {@link #close()}. Each of these runs on
 * the thread that drives the step (main, the shutdown thread); threads are those of the backends
 * and the load, all ended by {@link #close()}.
 */
public final class Demo implements AutoCloseable {
    public static final String FAST = "fast";
    public static final String SLOW = "slow";
    public static final String STOPPABLE = "stoppable";
    static final Duration SLOW_DELAY = Duration.ofMillis(200);

    private final List<DemoBackend> backends;
    private final Path dir;
    private final Path file;
    private final DemoApi api;
    private volatile Load load; // set once by started(); read by the API's threads
    private boolean stopping; // guarded by this: started() and stopping() may race at a Ctrl-C during start-up

    private Demo(List<DemoBackend> backends, Path dir, int port, int adminPort) throws IOException {
        this.backends = List.copyOf(backends);
        this.dir = dir;
        this.file = Files.writeString(dir.resolve("featherlb.yaml"), config(port, adminPort, backends));
        this.api = new DemoApi(this.backends, () -> load);
    }

    /**
     * Starts the three backends on free ports and writes the config.
     *
     * @param port      featherlb's listening port, 0 for a free one
     * @param adminPort the admin address's port, 0 for a free one
     */
    public static Demo start(int port, int adminPort) throws IOException {
        List<DemoBackend> backends = new ArrayList<>();
        Path dir = null;
        try {
            backends.add(DemoBackend.start(FAST, Duration.ZERO));
            backends.add(DemoBackend.start(SLOW, SLOW_DELAY));
            backends.add(DemoBackend.start(STOPPABLE, Duration.ZERO));
            dir = Files.createTempDirectory("featherlb-demo-");
            // the config takes ports 1..65535, not 0: ask the system for free ones; the window in which
            // another program could take one is the few milliseconds until featherlb binds it
            return new Demo(backends, dir, port == 0 ? freePort() : port, adminPort == 0 ? freePort() : adminPort);
        } catch (IOException | RuntimeException e) {
            backends.forEach(DemoBackend::close);
            if (dir != null) deleteQuietly(dir);
            throw e;
        }
    }

    /** The config file featherlb runs on. */
    public Path configFile() {
        return file;
    }

    public List<DemoBackend> backends() {
        return backends;
    }

    /** Adds the demo's calls ({@link DemoApi}) to featherlb's admin API. */
    public void register(Router router) {
        api.register(router);
    }

    /**
     * Starts the load at featherlb's listening address and prints what to open and what to try.
     *
     * @param admin the admin server's bound address
     * @param over  run once {@code duration} is over: begins featherlb's shutdown as Ctrl-C does
     */
    public synchronized void started(InetSocketAddress balancer, InetSocketAddress admin, int rate, Duration duration, PrintWriter out, Runnable over) {
        if (stopping) return; // a Ctrl-C while featherlb started: no load to begin
        out.print(hints(balancer, admin, rate, duration));
        out.flush();
        load = Load.start(balancer, backends.stream().map(DemoBackend::name).toList(), rate, duration, out, over);
    }

    /** Stops the load when the shutdown begins, so that the drain is not fed new connections. Returns at once. */
    public synchronized void stopping() {
        stopping = true;
        if (load != null) load.stop();
    }

    /** Waits for the load to end, stops the backends and deletes the config file. */
    @Override
    public void close() throws InterruptedException {
        try {
            Load running = load;
            if (running != null) running.close();
        } finally {
            backends.forEach(DemoBackend::close);
            deleteQuietly(file);
            deleteQuietly(dir);
        }
    }

    /**
     * The platform threads still alive other than the caller, waiting up to {@code wait} for them
     * to end (a thread that has just counted down the last latch may be ending). Daemon threads
     * are the JVM's own and left out; virtual threads are not listed by the JVM, which is why each
     * owner here joins its own.
     */
    public static List<String> threadsLeft(Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            List<Thread> left = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t != Thread.currentThread() && t.isAlive() && !t.isDaemon()).toList();
            if (left.isEmpty() || System.nanoTime() - deadline >= 0) return left.stream().map(Thread::getName).sorted().toList();
            Thread.sleep(20);
        }
    }

    static String config(int port, int adminPort, List<DemoBackend> backends) {
        String endpoints = backends.stream()
                .map(b -> "      - {host: 127.0.0.1, port: %d}   # %s%s".formatted(b.port(), b.name(),
                        b.delay().isPositive() ? ", answers after " + b.delay().toMillis() + " ms" : ""))
                .collect(Collectors.joining("\n"));
        return """
                # Written by `featherlb demo` and deleted when it stops (see docs/demo.md). Edit and
                # save: featherlb reloads it, e.g. strategy: leastconn, or weight: 3 on an endpoint.
                routes:
                  - name: demo
                    host: 127.0.0.1
                    port: %d
                    strategy: roundrobin
                    # a stopped backend is out after 2 failed checks a second apart, back after 2 passed;
                    # its refused connects take it out sooner (passive, 3 in a row) and are retried elsewhere
                    health_check: {type: http, path: /, interval: 1s, timeout: 1s, rise: 2, fall: 2}
                    endpoints:
                %s
                # short: a demo's connections last 200 ms at most
                shutdown_grace: 2s
                admin:
                  address: 127.0.0.1:%d
                """.formatted(port, endpoints, adminPort);
    }

    private String hints(InetSocketAddress balancer, InetSocketAddress admin, int rate, Duration duration) {
        String adminUrl = "http://127.0.0.1:" + admin.getPort();
        String backendList = backends.stream()
                .map(b -> "%-10s %s%s".formatted(b.name(), b.address(), b.delay().isPositive() ? "  (answers after " + b.delay().toMillis() + " ms)" : ""))
                .collect(Collectors.joining("\n               "));
        return """

                featherlb demo: three backends behind featherlb, %d requests/s for %s; Ctrl-C stops everything.

                  dashboard    %s/
                  featherlb    http://127.0.0.1:%d/   (each answer names the backend that served it)
                  backends     %s
                  config       %s   (edit and save: featherlb reloads it)

                Try:
                  curl http://127.0.0.1:%d/
                  curl -X POST %s/api/v1/demo/backends/%s/stop    # its health check fails: out in ~2 s
                  curl -X POST %s/api/v1/demo/backends/%s/start   # back after 2 passed checks
                  Drain on the dashboard: the endpoint takes no new connections, open ones finish
                  strategy: leastconn in the config file, then save: the slow backend gets fewer
                  curl %s/api/v1/demo      # what each backend answered
                  curl %s/metrics

                """.formatted(rate, Durations.format(duration), adminUrl, balancer.getPort(), backendList, file,
                balancer.getPort(), adminUrl, STOPPABLE, adminUrl, STOPPABLE, adminUrl, adminUrl);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // a temporary file: the system's cleaning of its temporary folder takes it in the end
        }
    }
}
