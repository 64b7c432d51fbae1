package bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code bench --tests tls}: a TLS passthrough route chosen by server name, and PROXY v2 sending,
 * featherlb against HAProxy configured to do the same ({@code mode tcp}, {@code req.ssl_sni}
 * routing, {@code send-proxy-v2}), alternated in one run, with {@code direct} (no proxy) beside
 * the TLS figures. The backend is one nginx (one worker): {@code listen ssl} with a self-signed
 * certificate for {@code localhost} (made here by openssl; wrk sends the URL's host as the server
 * name, and {@code localhost} resolves without touching /etc/hosts), and {@code listen
 * proxy_protocol}, which refuses a connection without a header. Writes {@code tls-proxy.md}.
 * Measures, asserts nothing.
 */
final class TlsProxy {
    static final String NAME = "localhost";
    static final String REFERENCE = "haproxy";
    /** featherlb without sni and send_proxy: one route per port, as in the plain TCP measurements. */
    static final String PLAIN = "featherlb-plain";
    /** Connections wrk keeps open: TLS handshakes cost the backend far more than a plain request, so fewer than the HTTP tests' 100. */
    static final int CONNECTIONS = 50;

    enum Measure {
        HANDSHAKES("TLS handshakes/s", "new TLS connection per request (wrk `Connection: close` over https), SNI routed"),
        TLS_KEEPALIVE("TLS keep-alive req/s", "wrk keep-alive over https through the SNI route"),
        PROXY_V2("PROXY v2 conn/s", "a new connection per request, each opened with a PROXY v2 header (nginx `listen proxy_protocol`)"),
        CPU_HANDSHAKE("CPU µs per TLS connection", "the proxy's utime + stime over the handshake run, per connection"),
        CPU_PROXY_V2("CPU µs per PROXY v2 connection", "the same over the PROXY v2 run");

        final String title;
        final String means;

        Measure(String title, String means) {
            this.title = title;
            this.means = means;
        }

        boolean higherIsBetter() {
            return this != CPU_HANDSHAKE && this != CPU_PROXY_V2;
        }
    }

    /** Where one contender takes load: its TLS port and its PROXY-sending port (0: none, direct). */
    private record Running(String name, Proc proc, int tls, int proxied) implements AutoCloseable {
        @Override
        public void close() {
            if (proc != null) proc.close();
        }
    }

    private TlsProxy() {
    }

    /**
     * Runs the measurements {@code reps} times, each round starting with the next contender, and
     * writes {@code results/tls-proxy.md}.
     */
    static void run(PrintStream log, Path repo, Path work, Path results, int reps, int seconds, int fdLimit) throws IOException, InterruptedException {
        Path dir = Files.createDirectories(work.resolve("tls-proxy"));
        Proc.run(List.of(Machine.which("openssl"), "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-days", "2", "-subj", "/CN=" + NAME, "-keyout", dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString()), 60);
        int tls = Machine.freePort(), proxied = Machine.freePort(), plain = Machine.freePort();
        Files.writeString(dir.resolve("backend.conf"), backendConfig(dir, tls, proxied, plain));
        Map<String, EnumMap<Measure, List<Double>>> raw = new LinkedHashMap<>();
        List<Running> running = new ArrayList<>();
        try (Proc backend = Proc.start("nginx-tls", List.of(Machine.which("nginx"), "-p", dir.toString(), "-e", dir.resolve("backend-error.log").toString(),
                "-c", dir.resolve("backend.conf").toString()), fdLimit, dir.resolve("backend.log"), null)) {
            await(backend, tls, proxied, plain);
            running.add(new Running("direct", null, tls, 0));
            running.add(start(REFERENCE, dir, fdLimit, (t, p) -> haproxyConfig(t, p, tls, proxied), "haproxy.cfg",
                    file -> List.of(Machine.which("haproxy"), "-db", "-f", file)));
            running.add(start("featherlb", dir, fdLimit, (t, p) -> featherlbConfig(t, p, tls, proxied), "featherlb.yaml",
                    file -> List.of(repo.resolve("jbang").toString(), "run", repo.resolve("featherlb.java").toString(), "--config", file)));
            // what the two features cost featherlb: the same without sni and without send_proxy (to the backend's plain port)
            running.add(start(PLAIN, dir, fdLimit, (t, p) -> plainConfig(t, p, tls, plain), "featherlb-plain.yaml",
                    file -> List.of(repo.resolve("jbang").toString(), "run", repo.resolve("featherlb.java").toString(), "--config", file)));
            for (Running r : running) raw.put(r.name(), new EnumMap<>(Measure.class));
            for (Running r : running) { // warm-up of every path measured: the JIT, the TLS libraries, the pools
                for (boolean close : new boolean[] {true, false}) {
                    Load.wrk(url(r.tls(), true), 10, 1, close);
                    if (r.proxied() != 0) Load.wrk(url(r.proxied(), false), 10, 1, close);
                }
            }
            for (int rep = 0; rep < reps; rep++) {
                List<Running> order = new ArrayList<>(running);
                java.util.Collections.rotate(order, -rep);
                for (Running r : order) {
                    long cpu0 = cpu(r);
                    Load.Http handshakes = Load.wrk(url(r.tls(), true), CONNECTIONS, seconds, true);
                    add(raw, r, Measure.HANDSHAKES, handshakes.rps());
                    if (r.proc() != null) add(raw, r, Measure.CPU_HANDSHAKE, (double) (cpu(r) - cpu0) / handshakes.requests());
                    Load.Http keepalive = Load.wrk(url(r.tls(), true), CONNECTIONS, seconds, false);
                    add(raw, r, Measure.TLS_KEEPALIVE, keepalive.rps());
                    String proxiedLine = "";
                    String what = r.name().equals(PLAIN) ? "plain" : "PROXY v2";
                    if (r.proxied() != 0) {
                        long cpu1 = cpu(r);
                        Load.Http v2 = Load.wrk(url(r.proxied(), false), CONNECTIONS, seconds, true);
                        add(raw, r, Measure.PROXY_V2, v2.rps());
                        add(raw, r, Measure.CPU_PROXY_V2, (double) (cpu(r) - cpu1) / v2.requests());
                        proxiedLine = ", %8.0f %s conn/s".formatted(v2.rps(), what) + errors(v2);
                    }
                    log.printf("  %-12s tls             %8.0f handshakes/s%s, %8.0f keep-alive req/s%s%s%n", r.name(), handshakes.rps(),
                            errors(handshakes), keepalive.rps(), errors(keepalive), proxiedLine);
                }
            }
        } finally {
            running.forEach(Running::close);
        }
        String md = markdown(raw, reps, seconds);
        Files.createDirectories(results);
        Files.writeString(results.resolve("tls-proxy.md"), md);
        log.println();
        log.println(md);
        log.println("wrote " + results.resolve("tls-proxy.md"));
    }

    /** The report: medians, the spread, and each contender's ratio to HAProxy's median. */
    static String markdown(Map<String, EnumMap<Measure, List<Double>>> raw, int reps, int seconds) {
        StringBuilder md = new StringBuilder("""
                # TLS passthrough and PROXY v2 sending

                featherlb (an SNI route table of two names and a default; a route with `send_proxy: v2`)
                against HAProxy 1 thread (`mode tcp`, `req.ssl_sni` to choose the backend, `send-proxy-v2`),
                and no proxy, in one run, the contenders alternated; %d round(s) of %d s, wrk `-t1 -c%d`.
                Medians (± half the range); the ratio is to HAProxy's median (for CPU, lower is better).
                `featherlb-plain` is featherlb without the two features (a route without `sni` on the TLS
                port, one without `send_proxy` to a backend port without `proxy_protocol`): its PROXY v2
                row is plain new connections, for what the header costs.

                """.formatted(reps, seconds, CONNECTIONS));
        List<String> names = List.copyOf(raw.keySet());
        md.append("| measure | ").append(String.join(" | ", names)).append(" |\n");
        md.append("|---|").append("---|".repeat(names.size())).append('\n');
        for (Measure m : Measure.values()) {
            md.append("| ").append(m.title).append(" |");
            Stats reference = Stats.of(raw.getOrDefault(REFERENCE, new EnumMap<>(Measure.class)).getOrDefault(m, List.of()));
            for (String name : names) {
                Stats s = Stats.of(raw.get(name).getOrDefault(m, List.of()));
                if (!s.present()) {
                    md.append(" – |");
                    continue;
                }
                md.append(" %,.0f ±%.0f %%".formatted(s.median(), 100 * s.spread()));
                if (!name.equals(REFERENCE) && reference.present() && reference.median() > 0) {
                    md.append(" (%.2f×)".formatted(s.median() / reference.median()));
                }
                md.append(" |");
            }
            md.append('\n');
        }
        md.append('\n');
        for (Measure m : Measure.values()) md.append("- **").append(m.title).append("**: ").append(m.means).append('\n');
        return md.toString();
    }

    /** HAProxy on {@code tls} and {@code proxied}, in front of the backend's {@code toTls} and {@code toProxied}. */
    static String haproxyConfig(int tls, int proxied, int toTls, int toProxied) {
        return """
                global
                  nbthread 1
                  maxconn 4096
                defaults
                  mode tcp
                  timeout connect 5s
                  timeout client 10m
                  timeout server 10m
                frontend tls
                  bind 127.0.0.1:%4$d
                  tcp-request inspect-delay 5s
                  tcp-request content accept if { req.ssl_hello_type 1 }
                  use_backend app if { req.ssl_sni -i %1$s }
                  use_backend db if { req.ssl_sni -i db.example.com }
                  default_backend fallback
                backend app
                  server s 127.0.0.1:%2$d
                backend db
                  server s 127.0.0.1:%2$d
                backend fallback
                  server s 127.0.0.1:%2$d
                listen proxied
                  bind 127.0.0.1:%5$d
                  server s 127.0.0.1:%3$d send-proxy-v2
                """.formatted(NAME, toTls, toProxied, tls, proxied);
    }

    /** featherlb on {@code tls} (three routes by server name) and {@code proxied}, as HAProxy's. */
    static String featherlbConfig(int tls, int proxied, int toTls, int toProxied) {
        return """
                routes:
                  - name: app
                    host: 127.0.0.1
                    port: %4$d
                    sni: [%1$s]
                    endpoints: [{host: 127.0.0.1, port: %2$d}]
                  - name: db
                    host: 127.0.0.1
                    port: %4$d
                    sni: [db.example.com]
                    endpoints: [{host: 127.0.0.1, port: %2$d}]
                  - name: fallback
                    host: 127.0.0.1
                    port: %4$d
                    endpoints: [{host: 127.0.0.1, port: %2$d}]
                  - name: proxied
                    host: 127.0.0.1
                    port: %5$d
                    send_proxy: v2
                    endpoints: [{host: 127.0.0.1, port: %3$d}]
                """.formatted(NAME, toTls, toProxied, tls, proxied);
    }

    /** featherlb on {@code tls} and {@code proxied} with one plain route each: to {@code toTls}, and to the backend's {@code toPlain} without a header. */
    static String plainConfig(int tls, int proxied, int toTls, int toPlain) {
        return """
                routes:
                  - name: tls
                    host: 127.0.0.1
                    port: %d
                    endpoints: [{host: 127.0.0.1, port: %d}]
                  - name: plain
                    host: 127.0.0.1
                    port: %d
                    endpoints: [{host: 127.0.0.1, port: %d}]
                """.formatted(tls, toTls, proxied, toPlain);
    }

    static String backendConfig(Path dir, int tls, int proxied, int plain) {
        return """
                worker_processes 1;
                daemon off;
                pid %1$s/nginx-tls.pid;
                events { worker_connections 4096; }
                http {
                  access_log off;
                  keepalive_requests 100000000;
                  keepalive_timeout 600s;
                  server {
                    listen 127.0.0.1:%2$d ssl backlog=4096;
                    ssl_certificate %1$s/cert.pem;
                    ssl_certificate_key %1$s/key.pem;
                    location / { return 200 "%4$s"; }
                  }
                  server {
                    listen 127.0.0.1:%3$d proxy_protocol backlog=4096;
                    location / { return 200 "%4$s"; }
                  }
                  server {
                    listen 127.0.0.1:%5$d backlog=4096;
                    location / { return 200 "%4$s"; }
                  }
                }
                """.formatted(dir, tls, proxied, Contender.BODY.replace("\n", "\\n"), plain);
    }

    private static String url(int port, boolean tls) {
        return (tls ? "https://" + NAME : "http://127.0.0.1") + ":" + port + "/";
    }

    private static String write(Path dir, String file, String text) throws IOException {
        return Files.writeString(dir.resolve(file), text).toString();
    }

    /** A proxy's config for its two ports. */
    private interface Config {
        String render(int tls, int proxied);
    }

    /** Starts a proxy on two free ports with the config {@code config} renders, written to {@code file}, and waits for both. */
    private static Running start(String name, Path dir, int fdLimit, Config config, String file,
                                 java.util.function.Function<String, List<String>> command) throws IOException, InterruptedException {
        int tls = Machine.freePort(), proxied = Machine.freePort();
        String path = write(dir, file, config.render(tls, proxied));
        Proc proc = Proc.start(name, command.apply(path), fdLimit, dir.resolve(name + ".log"), null);
        try {
            await(proc, tls, proxied);
        } catch (IOException | InterruptedException e) {
            proc.close();
            throw new IOException(e.getMessage() + "; its log " + dir.resolve(name + ".log") + ":\n"
                    + (Files.exists(dir.resolve(name + ".log")) ? Files.readString(dir.resolve(name + ".log")) : ""), e);
        }
        return new Running(name, proc, tls, proxied);
    }

    private static void await(Proc p, int... ports) throws IOException, InterruptedException {
        for (int port : ports) {
            for (int i = 0; !Contender.accepts(port); i++) {
                if (!p.alive() || i > 6000) throw new IOException(p.name + " did not start listening on " + port);
                Thread.sleep(20);
            }
        }
    }

    private static String errors(Load.Http h) {
        return h.errors() > 0 ? " (" + h.errors() + " errors)" : "";
    }

    private static long cpu(Running r) {
        return r.proc() == null ? 0 : r.proc().cpuMicros();
    }

    private static void add(Map<String, EnumMap<Measure, List<Double>>> raw, Running r, Measure m, double v) {
        raw.get(r.name()).computeIfAbsent(m, k -> new ArrayList<>()).add(v);
    }
}
