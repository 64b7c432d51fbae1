package bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One proxy under test, started on its own ports in front of the shared backends: a route to the
 * HTTP backend (keep-alive, new connections, idle connections), one to the iperf3 server (bulk) and
 * one to the busy HTTP backend that writes an access log per request ({@link BusyBackend}).
 * {@link #DIRECT} is no proxy at all: its ports are the backends' own.
 */
record Contender(String name, Kind kind, Path source, List<String> javaOptions, List<String> arguments) {
    enum Kind { DIRECT, HAPROXY1, HAPROXY2, NGINX, FEATHERLB }

    static final Contender DIRECT = new Contender("direct", Kind.DIRECT, null, List.of(), List.of());
    static final Contender HAPROXY = new Contender("haproxy", Kind.HAPROXY1, null, List.of(), List.of());
    static final Contender HAPROXY2 = new Contender("haproxy-2t", Kind.HAPROXY2, null, List.of(), List.of());
    static final Contender NGINX = new Contender("nginx", Kind.NGINX, null, List.of(), List.of());

    /**
     * featherlb from the sources in {@code source} (a checkout), with extra {@code options}: those
     * that begin with {@code --} are featherlb's own ({@code --engine=virtual-threads}), the others
     * the JVM's ({@code -Dfeatherlb.loops=2}).
     */
    static Contender featherlb(String name, Path source, List<String> options) {
        return new Contender(name, Kind.FEATHERLB, source, options.stream().filter(o -> !o.startsWith("--")).toList(),
                options.stream().filter(o -> o.startsWith("--")).toList());
    }

    /** Every extra option, as given. */
    List<String> options() {
        return java.util.stream.Stream.concat(javaOptions.stream(), arguments.stream()).toList();
    }

    boolean isProxy() {
        return kind != Kind.DIRECT;
    }

    /** The backends every contender forwards to. */
    record Backends(int http, int bulk, int busy) {
    }

    /** A started contender: where to send load, and its process (null for {@link #DIRECT}). */
    record Running(Contender contender, Proc proc, int http, int bulk, int busy) implements AutoCloseable {
        @Override
        public void close() {
            if (proc != null) proc.close();
        }
    }

    /**
     * Starts this contender and waits until both its ports accept connections.
     *
     * @param maxConnections connections it must hold at once (the idle test's count plus room)
     */
    Running start(Backends to, int maxConnections, int fdLimit, Path dir) throws IOException, InterruptedException {
        if (kind == Kind.DIRECT) return new Running(this, null, to.http(), to.bulk(), to.busy());
        int http = Machine.freePort(), bulk = Machine.freePort(), busy = Machine.freePort();
        Path log = dir.resolve(name + ".log");
        List<String> command = switch (kind) {
            case HAPROXY1, HAPROXY2 -> {
                Path cfg = dir.resolve(name + ".cfg");
                Files.writeString(cfg, haproxyConfig(kind == Kind.HAPROXY1 ? 1 : 2, maxConnections, http, bulk, busy, to));
                yield List.of(Machine.which("haproxy"), "-db", "-f", cfg.toString());
            }
            case NGINX -> {
                Path cfg = dir.resolve(name + ".conf");
                Files.writeString(cfg, nginxStreamConfig(dir, maxConnections, http, bulk, busy, to));
                yield List.of(Machine.which("nginx"), "-p", dir.toString(), "-e", dir.resolve(name + "-error.log").toString(),
                        "-c", cfg.toString());
            }
            case FEATHERLB -> {
                Path cfg = dir.resolve(name + ".yaml");
                Files.writeString(cfg, featherlbConfig(http, bulk, to) + route("busy", busy, to.busy()));
                List<String> c = new ArrayList<>(List.of(source.resolve("jbang").toString(), "run"));
                for (String option : javaOptions) c.add("-R=" + option);
                c.addAll(List.of("featherlb.java", "--config", cfg.toString()));
                c.addAll(arguments);
                yield c;
            }
            case DIRECT -> throw new AssertionError();
        };
        Proc proc = Proc.start(name, command, fdLimit, log, source);
        try {
            awaitListening(proc, log, http, bulk, busy);
        } catch (IOException | InterruptedException e) {
            proc.close();
            throw e;
        }
        return new Running(this, proc, http, bulk, busy);
    }

    private static void awaitListening(Proc proc, Path log, int... ports) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L; // featherlb's first run compiles
        for (int port : ports) {
            while (!accepts(port)) {
                if (!proc.alive() || System.nanoTime() > deadline) {
                    throw new IOException(proc.name + " did not start listening on " + port + "; its log " + log + ":\n"
                            + (Files.exists(log) ? Files.readString(log) : ""));
                }
                Thread.sleep(20);
            }
        }
    }

    static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** HAProxy in plain TCP mode, as its own manual's "mode tcp" examples: no splicing, default buffers. */
    static String haproxyConfig(int threads, int maxConnections, int http, int bulk, int busy, Backends to) {
        return """
                global
                  nbthread %d
                  maxconn %d
                defaults
                  mode tcp
                  timeout connect 5s
                  timeout client 10m
                  timeout server 10m
                listen http
                  bind 127.0.0.1:%d
                  server backend 127.0.0.1:%d
                listen bulk
                  bind 127.0.0.1:%d
                  server backend 127.0.0.1:%d
                listen busy
                  bind 127.0.0.1:%d
                  server backend 127.0.0.1:%d
                """.formatted(threads, maxConnections, http, to.http(), bulk, to.bulk(), busy, to.busy());
    }

    /** nginx's stream module, one worker, default buffers. */
    static String nginxStreamConfig(Path dir, int maxConnections, int http, int bulk, int busy, Backends to) {
        return """
                load_module /usr/lib/nginx/modules/ngx_stream_module.so;
                worker_processes 1;
                worker_rlimit_nofile %d;
                daemon off;
                pid %s/nginx-stream.pid;
                events { worker_connections %d; }
                stream {
                  proxy_timeout 10m;
                  server { listen 127.0.0.1:%d backlog=4096; proxy_pass 127.0.0.1:%d; }
                  server { listen 127.0.0.1:%d backlog=4096; proxy_pass 127.0.0.1:%d; }
                  server { listen 127.0.0.1:%d backlog=4096; proxy_pass 127.0.0.1:%d; }
                }
                """.formatted(2 * maxConnections + 64, dir, 2 * maxConnections + 64, http, to.http(), bulk, to.bulk(), busy, to.busy());
    }

    static String featherlbConfig(int http, int bulk, Backends to) {
        return "routes:\n" + route("http", http, to.http()) + route("bulk", bulk, to.bulk());
    }

    /** One entry of featherlb's {@code routes:} list: {@code port} forwarded to the backend on {@code backend}. */
    static String route(String name, int port, int backend) {
        return """
                  - name: %s
                    host: 127.0.0.1
                    port: %d
                    strategy: roundrobin
                    endpoints:
                      - {host: 127.0.0.1, port: %d}
                """.formatted(name, port, backend);
    }

    /** The HTTP backend's answer body; {@link IdleConnections} waits for its last bytes. */
    static final String BODY = "hello from the featherlb benchmark\n";

    /** The HTTP backend: nginx, one worker, a small body, connections kept open for the whole run. */
    static String backendConfig(Path dir, int maxConnections, int port) {
        return backendConfig(dir, maxConnections, port, null);
    }

    /** As {@link #backendConfig(Path, int, int)}, writing nginx's combined access log to {@code accessLog} (null: none). */
    static String backendConfig(Path dir, int maxConnections, int port, Path accessLog) {
        return """
                worker_processes 1;
                worker_rlimit_nofile %d;
                daemon off;
                pid %s/nginx-backend.pid;
                events { worker_connections %d; }
                http {
                  access_log %s;
                  keepalive_requests 100000000;
                  keepalive_timeout 600s;
                  client_header_timeout 600s;
                  server {
                    listen 127.0.0.1:%d backlog=4096;
                    location / { return 200 "%s"; }
                  }
                }
                """.formatted(maxConnections + 64, dir, maxConnections + 64, accessLog == null ? "off" : accessLog, port,
                BODY.replace("\n", "\\n"));
    }
}
