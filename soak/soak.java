///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 25
//DEPS com.fasterxml.jackson.jr:jackson-jr-objects:2.23.0

import com.fasterxml.jackson.jr.ob.JSON;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code make soak}: the real featherlb command ({@code ./jbang featherlb.java}) in front of three
 * HTTP backends on 127.0.0.1 (the JDK's server, in this JVM), under mixed load for a bounded time:
 * keep-alive clients, a new connection per request, 4 MiB transfers checked byte for byte, clients
 * that reset mid-transfer or mid-request, a reload through the admin API every few seconds
 * alternating a valid config (another weight) and a broken one, and one endpoint killed and
 * restarted every 20 s. Then it checks that featherlb's descriptors, threads, resident memory and
 * active connections come back to their baseline (taken after a warm-up, tolerances below), that
 * no request failed but those cut by the endpoint's kill, and that SIGTERM ends it; prints the
 * figures and exits 1 when a check failed, 2 when it could not run. Sends traffic only to
 * 127.0.0.1; every loop ends by the deadline.
 *
 * <pre>./jbang soak/soak.java [--seconds N]   (default: SOAK_SECONDS, else 600)</pre>
 */
public class soak {
    static final int BULK = 4 * 1024 * 1024;
    static final Duration KILL_EVERY = Duration.ofSeconds(20), KILLED_FOR = Duration.ofSeconds(3);
    static final Duration RELOAD_EVERY = Duration.ofSeconds(3), WARM_UP = Duration.ofSeconds(10);
    /** Tolerances against the baseline: a few descriptors (the JDK opens and closes some lazily), a few
     * carrier or pool threads, and memory the heap may still hold after a burst. */
    static final int FD_SLACK = 10, THREAD_SLACK = 8;
    static final long RSS_SLACK = 64L << 20;

    final Path dir = Path.of("target/soak");
    final Path config = dir.resolve("soak.yaml");
    final int listen = freePort(), admin = freePort();
    final int[] backendPorts = {freePort(), freePort(), freePort()};
    final HttpServer[] backends = new HttpServer[3];
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    // what the load saw
    final AtomicInteger epoch = new AtomicInteger(); // +1 as a kill starts and as the endpoint is back
    final AtomicBoolean killing = new AtomicBoolean();
    final AtomicLong keepAlive = new AtomicLong(), fresh = new AtomicLong(), bulk = new AtomicLong(), resets = new AtomicLong();
    final AtomicLong excused = new AtomicLong(), failed = new AtomicLong(), bulkBytes = new AtomicLong();
    final AtomicLong reloadsValid = new AtomicLong(), reloadsRefused = new AtomicLong(), reloadsWrong = new AtomicLong(), kills = new AtomicLong();
    final Queue<String> failures = new ConcurrentLinkedQueue<>();

    public static void main(String[] args) throws Exception {
        long seconds = Long.parseLong(System.getenv().getOrDefault("SOAK_SECONDS", "600"));
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--seconds") && i + 1 < args.length) seconds = Long.parseLong(args[++i]);
            else { System.err.println("soak: usage: soak.java [--seconds N]"); System.exit(2); }
        }
        System.exit(new soak().run(Duration.ofSeconds(seconds)));
    }

    int run(Duration length) throws Exception {
        Files.createDirectories(dir);
        for (int i = 0; i < backends.length; i++) backends[i] = backend(backendPorts[i]);
        writeConfig(1);
        Path log = dir.resolve("featherlb.log");
        Process process = new ProcessBuilder("./jbang", "featherlb.java", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        ProcessHandle featherlb = null;
        try {
            if (!waitUntilServing(Duration.ofSeconds(120))) {
                System.err.println("soak: featherlb did not serve on 127.0.0.1:" + listen + " within 120 s; see " + log);
                return 2;
            }
            featherlb = javaOf(process);
            System.out.printf("soak: featherlb pid %d on 127.0.0.1:%d, admin :%d, backends %s; warm-up %d s, then %d s%n",
                    featherlb.pid(), listen, admin, java.util.Arrays.toString(backendPorts), WARM_UP.toSeconds(), length.toSeconds());
            load(WARM_UP, false);
            long warmUpFailed = failed.get();
            Figures baseline = settle(featherlb);
            load(length, true);
            Figures after = settle(featherlb);
            boolean stopped = stop(featherlb);
            return report(baseline, after, warmUpFailed, stopped);
        } finally {
            if (featherlb != null && featherlb.isAlive()) featherlb.destroyForcibly();
            process.destroyForcibly();
            for (HttpServer b : backends) if (b != null) b.stop(0);
        }
    }

    // --- the load ---

    /** Runs every kind of client, the reloads and (when {@code kill}) the endpoint's kills until {@code length} has passed. */
    void load(Duration length, boolean kill) throws InterruptedException {
        long deadline = System.nanoTime() + length.toNanos();
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 4; i++) threads.submit(() -> loop(deadline, this::keepAliveClient));
            for (int i = 0; i < 4; i++) threads.submit(() -> loop(deadline, this::freshClient));
            for (int i = 0; i < 2; i++) threads.submit(() -> loop(deadline, this::bulkClient));
            for (int i = 0; i < 2; i++) threads.submit(() -> loop(deadline, this::resettingClient));
            threads.submit(() -> reloads(deadline));
            if (kill) threads.submit(() -> kills(deadline));
        }
    }

    interface Client {
        void once(long deadline) throws IOException;
    }

    void loop(long deadline, Client client) {
        while (System.nanoTime() < deadline) {
            int at = epoch.get();
            try {
                client.once(deadline);
            } catch (IOException | RuntimeException e) {
                // cut by the endpoint's kill: the connection was open across it, or it is under way
                if (epoch.get() != at || killing.get()) excused.incrementAndGet();
                else {
                    failed.incrementAndGet();
                    if (failures.size() < 10) failures.add(e.toString());
                }
            }
            pause(3);
        }
    }

    /** One connection, up to 200 requests on it. */
    void keepAliveClient(long deadline) throws IOException {
        try (Socket s = connect()) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            for (int i = 0; i < 200 && System.nanoTime() < deadline; i++) {
                request(s, "/", false);
                if (body(in, false) <= 0) throw new IOException("an empty answer");
                keepAlive.incrementAndGet();
                pause(2);
            }
        }
    }

    void freshClient(long deadline) throws IOException {
        try (Socket s = connect()) {
            request(s, "/", true);
            if (body(new BufferedInputStream(s.getInputStream()), false) <= 0) throw new IOException("an empty answer");
            fresh.incrementAndGet();
        }
    }

    void bulkClient(long deadline) throws IOException {
        try (Socket s = connect()) {
            request(s, "/bulk", true);
            long n = body(new BufferedInputStream(s.getInputStream()), true);
            if (n != BULK) throw new IOException("a bulk answer of " + n + " bytes, expected " + BULK);
            bulkBytes.addAndGet(n);
            bulk.incrementAndGet();
        }
    }

    /** Half a request, or the start of a bulk answer, then a reset (SO_LINGER 0). */
    void resettingClient(long deadline) throws IOException {
        Socket s = connect();
        OutputStream out = s.getOutputStream();
        if (resets.get() % 2 == 0) {
            out.write("GET /bu".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } else {
            request(s, "/bulk", true);
            s.getInputStream().readNBytes(64 * 1024);
        }
        s.setSoLinger(true, 0);
        s.close();
        resets.incrementAndGet();
    }

    Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", listen), 5000);
        s.setSoTimeout(15_000);
        return s;
    }

    static void request(Socket s, String path, boolean close) throws IOException {
        String r = "GET " + path + " HTTP/1.1\r\nHost: soak\r\nConnection: " + (close ? "close" : "keep-alive") + "\r\n\r\n";
        s.getOutputStream().write(r.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
    }

    /** Reads one answer: a 200, its Content-Length, the body (checked against the bulk pattern when {@code bulk}); returns its length. */
    static long body(InputStream in, boolean bulk) throws IOException {
        String status = line(in);
        if (!status.startsWith("HTTP/1.1 200")) throw new IOException("the answer '" + status + "'");
        long length = -1;
        for (String h = line(in); !h.isEmpty(); h = line(in)) {
            if (h.regionMatches(true, 0, "Content-Length:", 0, 15)) length = Long.parseLong(h.substring(15).strip());
        }
        if (length < 0) throw new IOException("an answer without Content-Length");
        byte[] buffer = new byte[64 * 1024];
        long read = 0;
        while (read < length) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, length - read));
            if (n < 0) throw new IOException("the answer ended after " + read + " of " + length + " bytes");
            if (bulk) {
                for (int i = 0; i < n; i++) {
                    if (buffer[i] != pattern(read + i)) throw new IOException("byte " + (read + i) + " of a bulk answer differs");
                }
            }
            read += n;
        }
        return read;
    }

    static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) throw new IOException("the connection ended in an answer's head");
            if (c != '\r') b.append((char) c);
            if (b.length() > 8192) throw new IOException("a header line of more than 8 KiB");
        }
        return b.toString();
    }

    static byte pattern(long i) {
        return (byte) (i * 31 + (i >>> 13));
    }

    /** Every RELOAD_EVERY a reload through the API, a valid config (weights 1 or 2) and a broken one in turn. */
    void reloads(long deadline) {
        for (int n = 0; System.nanoTime() < deadline; n++) {
            pause(RELOAD_EVERY.toMillis());
            boolean valid = n % 2 == 0;
            try {
                if (valid) writeConfig(n % 4 == 0 ? 2 : 1);
                else Files.writeString(config, "routes:\n  - name: soak\n    port: [not a port\n");
                int status = post("/api/v1/reload");
                if (valid && status == 200) reloadsValid.incrementAndGet();
                else if (!valid && status == 400) reloadsRefused.incrementAndGet();
                else {
                    reloadsWrong.incrementAndGet();
                    failures.add("a " + (valid ? "valid" : "broken") + " config's reload answered " + status);
                }
            } catch (IOException e) {
                reloadsWrong.incrementAndGet();
                failures.add("reload: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        try {
            writeConfig(1); // the file as it started, so that a later reload reads a valid one
        } catch (IOException e) {
            failures.add("restoring the config: " + e);
        }
    }

    /** The third endpoint: stopped for KILLED_FOR every KILL_EVERY, then started again on its port. */
    void kills(long deadline) {
        while (System.nanoTime() + KILL_EVERY.toNanos() < deadline) {
            pause(KILL_EVERY.toMillis() - KILLED_FOR.toMillis());
            killing.set(true);
            epoch.incrementAndGet();
            backends[2].stop(0);
            kills.incrementAndGet();
            pause(KILLED_FOR.toMillis());
            try {
                backends[2] = backend(backendPorts[2]);
            } catch (IOException e) {
                failures.add("restarting the endpoint: " + e);
            }
            pause(1000); // connections opened during the kill end by now
            epoch.incrementAndGet();
            killing.set(false);
        }
    }

    // --- featherlb and its backends ---

    HttpServer backend(int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 256);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", exchange -> answer(exchange, ("ok " + port + "\n").getBytes(StandardCharsets.US_ASCII)));
        server.createContext("/bulk", exchange -> {
            try (exchange) {
                exchange.sendResponseHeaders(200, BULK);
                OutputStream out = exchange.getResponseBody();
                byte[] chunk = new byte[64 * 1024];
                for (long at = 0; at < BULK; at += chunk.length) {
                    for (int i = 0; i < chunk.length; i++) chunk[i] = pattern(at + i);
                    out.write(chunk);
                }
            }
        });
        server.start();
        return server;
    }

    static void answer(HttpExchange exchange, byte[] body) throws IOException {
        try (exchange) {
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
        }
    }

    void writeConfig(int firstWeight) throws IOException {
        StringBuilder yaml = new StringBuilder("""
                # written by soak/soak.java
                admin: {address: "127.0.0.1:%d"}
                routes:
                  - name: soak
                    host: 127.0.0.1
                    port: %d
                    strategy: leastconn
                    health_check: {type: tcp, interval: 500ms, timeout: 250ms, rise: 1, fall: 1}
                    endpoints:
                """.formatted(admin, listen));
        for (int i = 0; i < backendPorts.length; i++) {
            yaml.append("      - {host: 127.0.0.1, port: ").append(backendPorts[i]).append(", weight: ").append(i == 0 ? firstWeight : 1).append("}\n");
        }
        Path temporary = dir.resolve("soak.yaml.new");
        Files.writeString(temporary, yaml);
        Files.move(temporary, config, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** The serving JVM whose figures to read: jbang's launcher runs its own JVM first, then execs or forks featherlb's. */
    static ProcessHandle javaOf(Process process) {
        List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
        all.add(process.toHandle());
        for (ProcessHandle p : all) {
            String line = p.info().commandLine().orElse("");
            if (p.isAlive() && p.info().command().orElse("").endsWith("/java") && !line.contains("dev.jbang.Main")) return p;
        }
        throw new IllegalStateException("no featherlb JVM among " + all.stream().map(p -> p.info().commandLine().orElse("?")).toList());
    }

    boolean waitUntilServing(Duration bound) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket s = connect()) {
                request(s, "/", true);
                body(new BufferedInputStream(s.getInputStream()), false);
                active();
                return true;
            } catch (IOException notYet) {
                Thread.sleep(250);
            }
        }
        return false;
    }

    int post(String path) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + path))
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(20)).build();
        return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** The route's open connections, from the admin API. */
    long active() throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/api/v1/routes"))
                .timeout(Duration.ofSeconds(10)).build();
        Map<String, Object> answer = JSON.std.mapFrom(http.send(request, HttpResponse.BodyHandlers.ofString()).body());
        long active = 0;
        for (Object route : (List<?>) answer.get("routes")) active += ((Number) ((Map<?, ?>) route).get("active")).longValue();
        return active;
    }

    // --- the figures ---

    record Figures(long fds, long threads, long rssBytes, long active) {
    }

    /** Waits up to 30 s for the open connections to end, then reads the figures. */
    Figures settle(ProcessHandle featherlb) throws IOException, InterruptedException {
        long active = active();
        for (int i = 0; i < 120 && active > 0; i++) {
            Thread.sleep(250);
            active = active();
        }
        Thread.sleep(3000); // the heap trimmer's second and a collection after the burst
        Path proc = Path.of("/proc", Long.toString(featherlb.pid()));
        long fds;
        try (var entries = Files.list(proc.resolve("fd"))) {
            fds = entries.count();
        }
        long threads = 0, rss = 0;
        for (String line : Files.readAllLines(proc.resolve("status"))) {
            if (line.startsWith("Threads:")) threads = Long.parseLong(line.substring(8).strip());
            if (line.startsWith("VmRSS:")) rss = 1024 * Long.parseLong(line.substring(6).replace("kB", "").strip());
        }
        return new Figures(fds, threads, rss, active());
    }

    boolean stop(ProcessHandle featherlb) throws InterruptedException {
        featherlb.destroy(); // SIGTERM
        try {
            featherlb.onExit().get(40, TimeUnit.SECONDS);
            return true;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return false;
        }
    }

    int report(Figures before, Figures after, long warmUpFailed, boolean stopped) {
        List<String> problems = new ArrayList<>();
        System.out.printf("soak: requests: %d keep-alive, %d on new connections, %d bulk (%d MiB checked), %d client resets%n",
                keepAlive.get(), fresh.get(), bulk.get(), bulkBytes.get() >> 20, resets.get());
        System.out.printf("soak: reloads: %d valid applied, %d broken refused, %d answered otherwise; endpoint kills: %d%n",
                reloadsValid.get(), reloadsRefused.get(), reloadsWrong.get(), kills.get());
        System.out.printf("soak: failures: %d cut by an endpoint's kill (allowed), %d other (%d in the warm-up)%n",
                excused.get(), failed.get(), warmUpFailed);
        System.out.printf("soak: %-20s %10s %10s  %s%n", "", "baseline", "after", "allowed");
        row(problems, "descriptors", before.fds(), after.fds(), before.fds() + FD_SLACK, "+" + FD_SLACK);
        row(problems, "threads", before.threads(), after.threads(), before.threads() + THREAD_SLACK, "+" + THREAD_SLACK);
        long rssAllowed = Math.max(before.rssBytes() + RSS_SLACK, before.rssBytes() * 3 / 2);
        row(problems, "RSS (MiB)", before.rssBytes() >> 20, after.rssBytes() >> 20, rssAllowed >> 20, "+max(64 MiB, 50 %)");
        row(problems, "active connections", before.active(), after.active(), 0, "0");
        if (failed.get() > 0) problems.add(failed.get() + " requests failed that should not have: " + failures);
        if (reloadsWrong.get() > 0) problems.add("reloads answered wrongly: " + failures);
        if (keepAlive.get() == 0 || fresh.get() == 0 || bulk.get() == 0 || resets.get() == 0) problems.add("a kind of client never completed");
        if (reloadsValid.get() == 0 || reloadsRefused.get() == 0) problems.add("no reload of each kind happened");
        if (!stopped) problems.add("featherlb did not end within 40 s of SIGTERM");
        for (String p : problems) System.out.println("soak: FAILED: " + p);
        System.out.println(problems.isEmpty() ? "soak: passed" : "soak: " + problems.size() + " check(s) failed");
        return problems.isEmpty() ? 0 : 1;
    }

    static void row(List<String> problems, String what, long before, long after, long allowed, String tolerance) {
        System.out.printf("soak: %-20s %10d %10d  <= %d (%s)%n", what, before, after, allowed, tolerance);
        if (after > allowed) problems.add(what + " " + after + " over " + allowed + " (baseline " + before + ")");
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
