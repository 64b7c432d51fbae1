package bench;

import java.io.IOException;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The UDP part of {@code make bench} ({@code --tests udp}): DNS queries per second and CPU per query
 * with dnsperf against one dnsmasq, through featherlb ({@code responses: 1}), through nginx's stream
 * module ({@code listen ... udp}, {@code proxy_responses 1}) and direct, in one run with the
 * contenders alternated; and datagrams per second through each against a socat UDP echo. Writes
 * {@code udp-latest.md} beside the TCP results. Measures, asserts nothing.
 */
final class UdpBench {
    private static final Pattern QPS = Pattern.compile("Queries per second:\\s+([0-9.]+)");
    private static final Pattern COMPLETED = Pattern.compile("Queries completed:\\s+([0-9]+)");
    private static final Pattern LOST = Pattern.compile("Queries lost:\\s+([0-9]+)");
    /** Queries dnsperf keeps outstanding. */
    private static final int OUTSTANDING = 200;
    /**
     * dnsperf's source ports in the first DNS run: 25 queries in flight on each, so a session (one
     * client port) lives across many queries, as a forwarder's few sockets do.
     */
    private static final int FEW_SOCKETS = 8;
    /**
     * ... and in the second: about one query in flight per port, so (with {@code responses: 1})
     * nearly every query is a session of its own, as from resolvers that pick a new port per query.
     */
    private static final int MANY_SOCKETS = OUTSTANDING;
    /** Echo clients, each with one datagram in flight (socat's PIPE is a byte stream: see test/udp). */
    private static final int ECHO_CLIENTS = 8;

    private UdpBench() {
    }

    /** One contender: where its DNS and echo routes listen, and its process (null: direct). */
    private record Target(String name, Proc proc, int dns, int echo) {
    }

    /** Runs the UDP measurements and returns the markdown of their results (also written to {@code results}). */
    static String run(Path repo, Path work, Path results, boolean quick, int reps, int fdLimit, PrintStream log) throws Exception {
        int seconds = quick ? 1 : 6; // quick: CI checks that it works, in seconds
        int dns = Machine.freePort(), echo = Machine.freePort();
        List<Proc> peers = new ArrayList<>();
        List<Target> targets = new ArrayList<>();
        Map<String, Map<String, List<Double>>> raw = new LinkedHashMap<>();
        try {
            peers.add(Proc.start("dnsmasq", List.of(Machine.which("dnsmasq"), "--no-daemon", "--port=" + dns, "--listen-address=127.0.0.1",
                    "--bind-interfaces", "--no-resolv", "--no-hosts", "--address=/a.test/192.0.2.1", "--user=" + System.getProperty("user.name"),
                    "--pid-file=", "--log-facility=-", "--dns-forward-max=1000"), fdLimit, work.resolve("dnsmasq.log"), null));
            peers.add(Proc.start("socat-echo", List.of(Machine.which("socat"), "-b", "65535", "UDP4-LISTEN:" + echo + ",bind=127.0.0.1,reuseaddr,fork", "PIPE"),
                    fdLimit, work.resolve("socat.log"), null));
            awaitDns(dns, peers.getFirst());
            targets.add(new Target("direct", null, dns, echo));
            targets.add(nginx(work, dns, echo, fdLimit));
            targets.add(featherlb(repo, work, dns, echo, fdLimit));
            Path queries = work.resolve("queries.txt");
            Files.writeString(queries, "a.test A\n");
            for (Target t : targets) dnsperf(t, queries, 1, FEW_SOCKETS); // warm-up: JIT, sessions
            for (int rep = 0; rep < reps; rep++) {
                List<Target> order = new ArrayList<>(targets);
                java.util.Collections.rotate(order, -rep);
                for (Target t : order) {
                    double[] few = dns(raw, t, queries, seconds, FEW_SOCKETS, "");
                    double[] many = dns(raw, t, queries, seconds, MANY_SOCKETS, "1");
                    double dps = echo(t.echo, quick ? 1 : 3);
                    add(raw, t.name, "dps", dps);
                    log.printf("  %-12s udp dns %8.0f q/s%s, a session per query %8.0f q/s%s, echo %8.0f datagrams/s%n", t.name,
                            few[0], t.proc == null ? "" : " %5.1f µs CPU/query".formatted(few[1]),
                            many[0], t.proc == null ? "" : " %5.1f µs CPU/query".formatted(many[1]), dps);
                }
            }
        } finally {
            for (Target t : targets) if (t.proc != null) t.proc.close();
            for (Proc p : peers) p.close();
        }
        String md = report(raw, reps, seconds);
        Files.createDirectories(results);
        Files.writeString(results.resolve("udp-latest.md"), md);
        return md;
    }

    private static Target nginx(Path work, int dns, int echo, int fdLimit) throws Exception {
        int p1 = Machine.freePort(), p2 = Machine.freePort();
        Path cfg = work.resolve("nginx-udp.conf");
        Files.writeString(cfg, """
                load_module /usr/lib/nginx/modules/ngx_stream_module.so;
                worker_processes 1;
                daemon off;
                pid %s/nginx-udp.pid;
                events { worker_connections 65536; }
                stream {
                  server { listen 127.0.0.1:%d udp; proxy_pass 127.0.0.1:%d; proxy_responses 1; proxy_timeout 30s; }
                  server { listen 127.0.0.1:%d udp; proxy_pass 127.0.0.1:%d; proxy_timeout 30s; }
                }
                """.formatted(work, p1, dns, p2, echo));
        Proc proc = Proc.start("nginx-udp", List.of(Machine.which("nginx"), "-p", work.toString(), "-e", work.resolve("nginx-udp-error.log").toString(),
                "-c", cfg.toString()), fdLimit, work.resolve("nginx-udp.log"), null);
        awaitDns(p1, proc);
        return new Target("nginx", proc, p1, p2);
    }

    private static Target featherlb(Path repo, Path work, int dns, int echo, int fdLimit) throws Exception {
        int p1 = Machine.freePort(), p2 = Machine.freePort();
        Path cfg = work.resolve("featherlb-udp.yaml");
        Files.writeString(cfg, """
                routes:
                  - name: dns
                    protocol: udp
                    host: 127.0.0.1
                    port: %d
                    udp: {responses: 1}
                    endpoints: [{host: 127.0.0.1, port: %d}]
                  - name: echo
                    protocol: udp
                    host: 127.0.0.1
                    port: %d
                    endpoints: [{host: 127.0.0.1, port: %d}]
                """.formatted(p1, dns, p2, echo));
        Proc proc = Proc.start("featherlb-udp", List.of(repo.resolve("jbang").toString(), "run", "featherlb.java", "--config", cfg.toString()),
                fdLimit, work.resolve("featherlb-udp.log"), repo);
        awaitDns(p1, proc);
        return new Target("featherlb", proc, p1, p2);
    }

    /** Waits until {@code port} answers a DNS query (featherlb's first run may compile). */
    private static void awaitDns(int port, Proc proc) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        byte[] query = query();
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(200);
            while (true) {
                if (!proc.alive() || System.nanoTime() > deadline) throw new IOException(proc.name + " does not answer DNS on udp " + port);
                s.send(new DatagramPacket(query, query.length, new InetSocketAddress("127.0.0.1", port)));
                try {
                    s.receive(new DatagramPacket(new byte[512], 512));
                    return;
                } catch (SocketTimeoutException notYet) {
                    // not listening yet
                }
            }
        }
    }

    /** An A query for a.test. */
    private static byte[] query() {
        ByteBuffer b = ByteBuffer.allocate(64);
        b.putShort((short) 0x1234).putShort((short) 0x0100).putShort((short) 1).putShort((short) 0).putShort((short) 0).putShort((short) 0);
        b.put((byte) 1).put("a".getBytes(StandardCharsets.US_ASCII)).put((byte) 4).put("test".getBytes(StandardCharsets.US_ASCII)).put((byte) 0);
        b.putShort((short) 1).putShort((short) 1);
        return Arrays.copyOf(b.array(), b.position());
    }

    /**
     * One dnsperf run into {@code raw} as {@code qps}/{@code cpu} with {@code suffix}: queries per
     * second and the contender's CPU µs per query (NaN for direct).
     */
    private static double[] dns(Map<String, Map<String, List<Double>>> raw, Target t, Path queries, int seconds, int sockets, String suffix)
            throws IOException, InterruptedException {
        long cpu0 = t.proc == null ? 0 : t.proc.cpuMicros();
        double[] q = dnsperf(t, queries, seconds, sockets);
        long cpu = t.proc == null ? 0 : t.proc.cpuMicros() - cpu0;
        add(raw, t.name, "qps" + suffix, q[0]);
        double perQuery = t.proc != null && q[1] > 0 ? cpu / q[1] : Double.NaN;
        if (!Double.isNaN(perQuery)) add(raw, t.name, "cpu" + suffix, perQuery);
        return new double[] {q[0], perQuery};
    }

    /**
     * dnsperf for {@code seconds} with {@value #OUTSTANDING} queries outstanding over {@code
     * sockets} source ports: queries per second and queries completed.
     */
    private static double[] dnsperf(Target t, Path queries, int seconds, int sockets) throws IOException, InterruptedException {
        String out = Proc.output(List.of(Machine.which("dnsperf"), "-s", "127.0.0.1", "-p", Integer.toString(t.dns), "-d", queries.toString(),
                "-l", Integer.toString(seconds), "-c", Integer.toString(sockets), "-q", Integer.toString(OUTSTANDING), "-t", "2"), seconds + 30L);
        return new double[] {number(QPS, out), number(COMPLETED, out), number(LOST, out)};
    }

    private static double number(Pattern p, String text) throws IOException {
        Matcher m = p.matcher(text);
        if (!m.find()) throw new IOException("dnsperf said: " + text);
        return Double.parseDouble(m.group(1));
    }

    /** Round trips per second of {@link #ECHO_CLIENTS} sockets, one 512-byte datagram in flight each. */
    private static double echo(int port, int seconds) throws InterruptedException {
        LongAdder done = new LongAdder();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<Thread> clients = new ArrayList<>();
        for (int i = 0; i < ECHO_CLIENTS; i++) {
            clients.add(Thread.ofVirtual().start(() -> {
                byte[] d = new byte[512];
                byte[] r = new byte[1024];
                try (DatagramSocket s = new DatagramSocket()) {
                    s.setSoTimeout(500);
                    s.connect(new InetSocketAddress("127.0.0.1", port));
                    while (System.nanoTime() < end) {
                        s.send(new DatagramPacket(d, d.length));
                        try {
                            s.receive(new DatagramPacket(r, r.length));
                            done.increment();
                        } catch (SocketTimeoutException lost) {
                            // counted by not counting it
                        }
                    }
                } catch (IOException e) {
                    // the run ends without this client
                }
            }));
        }
        for (Thread t : clients) t.join();
        return done.sum() / (double) seconds;
    }

    private static void add(Map<String, Map<String, List<Double>>> raw, String name, String metric, double v) {
        raw.computeIfAbsent(name, n -> new LinkedHashMap<>()).computeIfAbsent(metric, m -> new ArrayList<>()).add(v);
    }

    private static double median(List<Double> values) {
        if (values == null || values.isEmpty()) return Double.NaN;
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static String report(Map<String, Map<String, List<Double>>> raw, int reps, int seconds) {
        StringBuilder md = new StringBuilder("## UDP\n\nMedians of " + reps + " run(s) of dnsperf (" + seconds + " s, " + OUTSTANDING
                + " queries outstanding, over " + FEW_SOCKETS + " source ports, then over " + MANY_SOCKETS
                + ": about one query per port in flight, so a session per query) against one dnsmasq, and of " + ECHO_CLIENTS
                + " echo clients with one 512-byte datagram in flight each against socat; same run, contenders alternated.\n\n"
                + "| contender | DNS q/s, " + FEW_SOCKETS + " ports | × nginx | CPU µs/query | × nginx | DNS q/s, a session per query | × nginx"
                + " | CPU µs/query | × nginx | echo datagrams/s | × nginx |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
        Map<String, List<Double>> nginx = raw.getOrDefault("nginx", Map.of());
        for (var e : raw.entrySet()) {
            md.append("| ").append(e.getKey());
            for (String metric : List.of("qps", "cpu", "qps1", "cpu1", "dps")) {
                double v = median(e.getValue().get(metric));
                md.append(" | ").append(Double.isNaN(v) ? "—" : metric.startsWith("cpu") ? "%.1f".formatted(v) : "%.0f".formatted(v))
                        .append(" | ").append(ratio(v, median(nginx.get(metric))));
            }
            md.append(" |\n");
        }
        Map<String, List<Double>> f = raw.getOrDefault("featherlb", Map.of());
        md.append("\nGoal: featherlb ≥ 1.0× nginx's queries/s at ≤ 1.0× its CPU per query:");
        for (String suffix : List.of("", "1")) {
            double q = median(f.get("qps" + suffix)) / median(nginx.get("qps" + suffix));
            double c = median(f.get("cpu" + suffix)) / median(nginx.get("cpu" + suffix));
            md.append(suffix.isEmpty() ? " over " + FEW_SOCKETS + " ports " : "; a session per query ")
                    .append("%.2f× and %.2f×, %s".formatted(q, c, q >= 1.0 && c <= 1.0 ? "met" : "not met"));
        }
        return md.append(".\n").toString();
    }

    private static String ratio(double v, double reference) {
        return Double.isNaN(v) || Double.isNaN(reference) || reference == 0 ? "—" : "%.2f×".formatted(v / reference);
    }
}
