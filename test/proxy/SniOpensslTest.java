package proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import config.ConfigLoader;
import dial.Dialer;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import traffic.ConnectionRecord;

/**
 * SNI routing with the real thing on both sides: {@code openssl s_server} backends, each with a
 * self-signed certificate of its own name, behind featherlb's config as a user writes it; {@code
 * openssl s_client} lands on the backend its {@code -servername} names (the certificate's CN in
 * its output says which), on the default without one, and with a ClientHello fragmented into
 * records of 512 bytes. Skips when openssl is missing.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SniOpensslTest {
    private static final Pattern SUBJECT = Pattern.compile("subject=\\s*CN\\s*=\\s*([^\\s,/]+)");
    @TempDir
    static Path dir;
    private static final List<Process> backends = new ArrayList<>();
    private static Server server;
    private static int port;
    private static final ConcurrentLinkedQueue<ConnectionRecord> records = new ConcurrentLinkedQueue<>();

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")) || onPath("openssl"),
                "openssl is not installed (apt-get install openssl): skipping SNI routing against s_server/s_client");
        List<String> names = List.of("app.example.com", "db.example.com", "fallback.test");
        List<Integer> ports = new ArrayList<>();
        for (String name : names) {
            run(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                    "-subj", "/CN=" + name, "-keyout", dir.resolve(name + ".key").toString(), "-out", dir.resolve(name + ".pem").toString()));
            int p = SniRoutingTest.freePort();
            ports.add(p);
            backends.add(new ProcessBuilder("openssl", "s_server", "-accept", "127.0.0.1:" + p, "-cert", dir.resolve(name + ".pem").toString(),
                    "-key", dir.resolve(name + ".key").toString(), "-www", "-quiet")
                    .redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile()).start());
        }
        for (int p : ports) waitListening(p);
        port = SniRoutingTest.freePort();
        String yaml = """
                routes:
                  - name: app
                    host: 127.0.0.1
                    port: %d
                    sni: [app.example.com, "*.app.example.com"]
                    endpoints: [{host: 127.0.0.1, port: %d}]
                  - name: db
                    host: 127.0.0.1
                    port: %d
                    sni: [db.example.com]
                    endpoints: [{host: 127.0.0.1, port: %d}]
                  - name: tls-default
                    host: 127.0.0.1
                    port: %d
                    sni_timeout: 2s
                    endpoints: [{host: 127.0.0.1, port: %d}]
                """.formatted(port, ports.get(0), port, ports.get(1), port, ports.get(2));
        server = new Server(ConfigLoader.parse(Path.of("sni.yaml"), yaml), Dialer.TCP, records::add);
        server.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
        backends.forEach(Process::destroy);
    }

    @Test
    void eachServerNameReachesTheBackendWithItsCertificate() throws Exception {
        assertEquals("app.example.com", subject("-servername", "app.example.com"));
        assertEquals("app.example.com", subject("-servername", "x.app.example.com"));
        assertEquals("db.example.com", subject("-servername", "DB.example.com"));
        assertEquals("fallback.test", subject("-servername", "unknown.test"));
        assertEquals("fallback.test", subject("-noservername"));
    }

    @Test
    void aClientHelloInSeveralRecordsOf512Bytes() throws Exception {
        String alpn = IntStream.range(0, 80).mapToObj(i -> "proto%04d".formatted(i)).collect(Collectors.joining(","));
        assertEquals("db.example.com", subject("-servername", "db.example.com", "-max_send_frag", "512", "-alpn", alpn));
    }

    @Test
    void curlWithResolveLandsOnTheBackendOfItsHostName() throws Exception {
        Assumptions.assumeTrue(onPath("curl"), "curl is not installed: skipping curl --resolve");
        for (String name : List.of("app.example.com", "db.example.com")) {
            String out = run(List.of("curl", "-sSk", "-v", "--max-time", "10", "--resolve", name + ":" + port + ":127.0.0.1",
                    "https://" + name + ":" + port + "/"));
            Matcher m = Pattern.compile("subject:\\s*CN\\s*=\\s*(\\S+)").matcher(out);
            assertTrue(m.find(), "no certificate subject in curl's output:\n" + out);
            assertEquals(name, m.group(1));
            assertTrue(out.contains("s_server"), "s_server's -www page came back:\n" + out);
        }
        // the records, for the access log: each with its route and the name the client asked for
        ForwardingTest.waitFor(() -> records.stream().anyMatch(r -> "db.example.com".equals(r.sni())));
        assertTrue(records.stream().anyMatch(r -> r.route().equals("app") && "app.example.com".equals(r.sni())));
        assertTrue(records.stream().anyMatch(r -> r.route().equals("db") && "db.example.com".equals(r.sni())));
    }

    /** The CN of the certificate s_client was shown through featherlb, with {@code args}. */
    private static String subject(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port));
        command.addAll(List.of(args));
        String out = run(command);
        Matcher m = SUBJECT.matcher(out);
        assertTrue(m.find(), "no certificate subject in s_client's output:\n" + out);
        return m.group(1);
    }

    private static String run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), command.getFirst() + " did not end");
        return new String(out, StandardCharsets.UTF_8);
    }

    private static void waitListening(int p) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), p), 500);
                return;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) throw new IOException("s_server on port " + p + " did not listen", notYet);
                Thread.sleep(50);
            }
        }
    }

    private static boolean onPath(String program) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, program))) return true;
        }
        return false;
    }
}
