package proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static proxy.TestServers.ECHO;

import config.Endpoint;
import config.ProxyProtocol;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import traffic.ConnectionRecord;

/**
 * The PROXY protocol against real peers from Debian (build/peers.sh installs them; a test whose
 * peer is missing skips): HAProxy 2.6 and nginx 1.22 behind featherlb's send_proxy log the real
 * client (a client bound to 127.0.0.5), for v1 and v2, HAProxy the UNIQUE_ID as featherlb's id;
 * HAProxy with send-proxy-v2 (crc32c, unique-id) in front of featherlb's accept_proxy gives
 * featherlb's record the client's address.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProxyPeersTest {
    static final InetAddress CLIENT = InetAddress.ofLiteral("127.0.0.5");

    /** {@code name} on the PATH or in /usr/sbin, or null. */
    static Path binary(String name) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/usr/local/sbin";
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) continue;
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static void waitForPort(int port, Process process, Supplier<String> log) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                return;
            } catch (IOException notYet) {
                assertTrue(process.isAlive() && System.nanoTime() < deadline, "the peer did not start: " + log.get());
                Thread.sleep(50);
            }
        }
    }

    static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** Connects from 127.0.0.5 to {@code target}, writes {@code request}, reads to the end; returns the client's port. */
    static int exchange(InetSocketAddress target, String request, String expected) throws IOException {
        try (Socket client = new Socket()) {
            client.bind(new InetSocketAddress(CLIENT, 0));
            client.connect(target, 2000);
            client.setSoTimeout(10_000);
            client.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            client.shutdownOutput();
            String answer = new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(answer.contains(expected), "answer: " + answer);
            return client.getLocalPort();
        }
    }

    static void waitFor(Supplier<Boolean> condition, Supplier<String> what) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.get()) {
            assertTrue(System.nanoTime() < deadline, what.get());
            Thread.sleep(20);
        }
    }

    @Test
    void haproxyBehindFeatherlbLogsTheRealClientForV1AndV2(@TempDir Path dir) throws Exception {
        Path haproxy = binary("haproxy");
        assumeTrue(haproxy != null, "haproxy is not installed (build/peers.sh installs Debian's haproxy)");
        int port = freePort();
        try (var echo = new TestServers.Backend(ECHO)) {
            Path cfg = dir.resolve("haproxy.cfg");
            Files.writeString(cfg, """
                    global
                      log stdout format raw local0
                    defaults
                      mode tcp
                      log global
                      timeout connect 2s
                      timeout client 10s
                      timeout server 10s
                    frontend in
                      bind 127.0.0.1:PORT accept-proxy
                      log-format "client=%ci:%cp id=%[fc_pp_unique_id]"
                      default_backend echo
                    backend echo
                      server echo 127.0.0.1:ECHO
                    """.replace("PORT", Integer.toString(port)).replace("ECHO", Integer.toString(echo.port())));
            Path log = dir.resolve("haproxy.log");
            Process process = new ProcessBuilder(haproxy.toString(), "-db", "-f", cfg.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                waitForPort(port, process, () -> read(log));
                for (ProxyProtocol.Send send : List.of(ProxyProtocol.Send.V1, ProxyProtocol.Send.V2)) {
                    var records = new ConcurrentLinkedQueue<ConnectionRecord>();
                    Endpoint endpoint = new Endpoint("127.0.0.1", port, 1, false, null, send);
                    try (Server server = ProxyProtocolTest.start(ProxyProtocolTest.route(List.of(endpoint), ProxyProtocol.OFF), records)) {
                        int clientPort = exchange(server.addresses().getFirst(), "ping " + send, "ping " + send);
                        ForwardingTest.waitFor(() -> records.size() == 1);
                        String expected = "client=127.0.0.5:" + clientPort + " id=" + (send == ProxyProtocol.Send.V2 ? Long.toString(records.peek().id()) : "-");
                        waitFor(() -> read(log).contains(expected), () -> send + ": HAProxy logged no '" + expected + "':\n" + read(log));
                    }
                }
            } finally {
                process.destroy();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void nginxBehindFeatherlbLogsTheRealClientForV1AndV2AndItsChecksPass(@TempDir Path dir) throws Exception {
        Path nginx = binary("nginx");
        assumeTrue(nginx != null, "nginx is not installed (build/peers.sh installs Debian's nginx)");
        int port = freePort();
        Files.createDirectories(dir.resolve("tmp"));
        Path cfg = dir.resolve("nginx.conf");
        Files.writeString(cfg, """
                daemon off;
                master_process off;
                pid DIR/nginx.pid;
                error_log DIR/error.log;
                events {}
                http {
                  log_format pp '$proxy_protocol_addr:$proxy_protocol_port';
                  access_log DIR/access.log pp;
                  client_body_temp_path DIR/tmp/body;
                  proxy_temp_path DIR/tmp/proxy;
                  fastcgi_temp_path DIR/tmp/fastcgi;
                  uwsgi_temp_path DIR/tmp/uwsgi;
                  scgi_temp_path DIR/tmp/scgi;
                  server {
                    listen 127.0.0.1:PORT proxy_protocol;
                    location / { return 200 "ok\\n"; }
                  }
                }
                """.replace("DIR", dir.toString()).replace("PORT", Integer.toString(port)));
        Path log = dir.resolve("access.log");
        Process process = new ProcessBuilder(nginx.toString(), "-p", dir.toString(), "-c", cfg.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("out.log").toFile()).start();
        try {
            waitForPort(port, process, () -> read(dir.resolve("out.log")) + read(dir.resolve("error.log")));
            for (ProxyProtocol.Send send : List.of(ProxyProtocol.Send.V1, ProxyProtocol.Send.V2)) {
                var records = new ConcurrentLinkedQueue<ConnectionRecord>();
                try (Server server = ProxyProtocolTest.start(ProxyProtocolTest.route(
                        List.of(new Endpoint("127.0.0.1", port, 1, false)), new ProxyProtocol(send, null)), records)) {
                    int clientPort = exchange(server.addresses().getFirst(), "GET / HTTP/1.0\r\n\r\n", "ok");
                    String expected = "127.0.0.5:" + clientPort + "\n";
                    waitFor(() -> read(log).contains(expected), () -> send + ": nginx logged no '" + expected + "':\n" + read(log) + read(dir.resolve("error.log")));
                }
            }
            // its health checks: an http check passes with send_proxy (a LOCAL header first) and fails without
            var check = new config.HealthCheck(config.HealthCheck.Type.HTTP, "/", "", "", Duration.ofMillis(100), Duration.ofMillis(100), 1, 1, 0);
            var health = new config.Health(check, config.Passive.DEFAULTS, Duration.ZERO, false);
            for (ProxyProtocol.Send send : List.of(ProxyProtocol.Send.V1, ProxyProtocol.Send.V2, ProxyProtocol.Send.OFF)) {
                var route = new config.Route("checked", "127.0.0.1", 0, algorithms.Strategy.ROUNDROBIN, List.of(new Endpoint("127.0.0.1", port, 1, false)),
                        config.Timeouts.DEFAULTS, 0, 3, health, false, config.Protocol.TCP, new ProxyProtocol(send, null));
                try (Server server = ProxyProtocolTest.start(route, new ConcurrentLinkedQueue<>())) {
                    Thread.sleep(600); // six checks
                    assertEquals(send != ProxyProtocol.Send.OFF, server.pools().getFirst().backend(0).up(),
                            send + ": " + server.pools().getFirst().backend(0).health().reason());
                }
            }
        } finally {
            process.destroy();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void haproxyInFrontWithSendProxyV2GivesFeatherlbTheClientsAddress(@TempDir Path dir) throws Exception {
        Path haproxy = binary("haproxy");
        assumeTrue(haproxy != null, "haproxy is not installed (build/peers.sh installs Debian's haproxy)");
        var records = new ConcurrentLinkedQueue<ConnectionRecord>();
        try (var echo = new TestServers.Backend(ECHO);
             Server server = ProxyProtocolTest.start(ProxyProtocolTest.route(List.of(echo.endpoint(1)),
                     new ProxyProtocol(ProxyProtocol.Send.OFF, ProxyProtocolTest.trusting("127.0.0.1", Duration.ofSeconds(3)))), records)) {
            int port = freePort();
            Path cfg = dir.resolve("haproxy.cfg");
            Files.writeString(cfg, """
                    defaults
                      mode tcp
                      timeout connect 2s
                      timeout client 10s
                      timeout server 10s
                    frontend in
                      bind 127.0.0.1:PORT
                      unique-id-format "uid-%rt"
                      default_backend lb
                    backend lb
                      server lb 127.0.0.1:LB send-proxy-v2 proxy-v2-options crc32c,unique-id
                    """.replace("PORT", Integer.toString(port)).replace("LB", Integer.toString(server.addresses().getFirst().getPort())));
            Path log = dir.resolve("haproxy.log");
            Process process = new ProcessBuilder(haproxy.toString(), "-db", "-f", cfg.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                waitForPort(port, process, () -> read(log));
                ForwardingTest.waitFor(() -> records.size() == 1); // the readiness probe, forwarded with 127.0.0.1
                records.clear();
                int clientPort = exchange(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), "through haproxy", "through haproxy");
                ForwardingTest.waitFor(() -> records.size() == 1);
                assertEquals("127.0.0.5:" + clientPort, records.peek().client(), "the client's address, from HAProxy's header");
                assertEquals(java.util.Map.of(), server.rejections().values().iterator().next(), "its CRC32C checked out");
            } finally {
                process.destroy();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }
}
