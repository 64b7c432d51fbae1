package proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import config.ConfigLoader;
import dial.Dialer;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;
import traffic.ConnectionRecord;

/**
 * A real browser through SNI routing: Debian's headless Chromium, driven by chromedriver, opens
 * {@code https://app.test:PORT/} and {@code https://db.test:PORT/} (its resolver maps both names to
 * 127.0.0.1; it ignores the self-signed certificates), and each page comes from the {@code openssl
 * s_server -www} of its name behind featherlb. Chromium's ClientHello carries an X25519MLKEM768 key
 * share of 1,216 bytes, so it is bigger than a 1,500-byte Ethernet segment (HAProxy #3148): a small
 * relay in front of the app backend keeps the hello as it reached the endpoint, to show that it was
 * such a hello and that it arrived whole. Skips without chromium, chromedriver or openssl.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SniChromiumTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path OPENSSL = Path.of("/usr/bin/openssl");
    /** X25519MLKEM768 (0x11EC) in a key_share entry, with its key's length: 1,184 + 32 = 1,216 (0x04C0). */
    private static final byte[] HYBRID_KEY_SHARE = {0x11, (byte) 0xEC, 0x04, (byte) 0xC0};

    @Test
    void eachNameReachesItsBackendWithChromiumsLargeHello(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER) && Files.isExecutable(OPENSSL),
                "skipped: no " + CHROMIUM + ", " + CHROMEDRIVER + " or " + OPENSSL + " (build/peers.sh installs chromium, chromium-driver and openssl)");
        List<Process> backends = new ArrayList<>();
        var records = new ConcurrentLinkedQueue<ConnectionRecord>();
        Server server = null;
        WebDriver browser = null;
        ChromeDriverService service = null;
        Tap tap = null;
        try {
            int app = sServer(dir, "app.test", backends);
            int db = sServer(dir, "db.test", backends);
            tap = new Tap(app);
            int port = SniRoutingTest.freePort();
            String yaml = """
                    routes:
                      - name: app
                        host: 127.0.0.1
                        port: %d
                        sni: [app.test]
                        endpoints: [{host: 127.0.0.1, port: %d}]
                      - name: db
                        host: 127.0.0.1
                        port: %d
                        sni: [db.test]
                        endpoints: [{host: 127.0.0.1, port: %d}]
                    """.formatted(port, tap.port(), port, db);
            server = new Server(ConfigLoader.parse(Path.of("chromium.yaml"), yaml), Dialer.TCP, records::add);
            server.start();

            service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
            ChromeOptions options = new ChromeOptions();
            options.setBinary(CHROMIUM.toFile());
            options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + dir.resolve("profile"),
                    "--host-resolver-rules=MAP app.test 127.0.0.1, MAP db.test 127.0.0.1", "--ignore-certificate-errors");
            browser = new ChromeDriver(service, options);
            browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
            WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30), Duration.ofMillis(100));

            for (String name : List.of("app.test", "db.test")) {
                browser.get("https://" + name + ":" + port + "/");
                // s_server -www shows its own command line: the certificate's file names the backend
                wait.withMessage("the page of " + name + "'s s_server").until(b -> b.findElement(By.tagName("body")).getText().contains("s_server"));
                String page = browser.findElement(By.tagName("body")).getText();
                assertTrue(page.contains(name + ".pem"), "the page came from " + name + "'s backend:\n" + page);
                String other = name.equals("app.test") ? "db.test" : "app.test";
                assertTrue(!page.contains(other + ".pem"), "not from " + other + "'s backend:\n" + page);
            }

            byte[] hello = tap.hellos.stream().filter(h -> indexOf(h, HYBRID_KEY_SHARE) >= 0).findFirst().orElse(null);
            assertTrue(hello != null, "a ClientHello with an X25519MLKEM768 key share reached the app backend; seen: "
                    + tap.hellos.stream().map(h -> h.length + " bytes " + HexFormat.of().formatHex(h, 0, Math.min(h.length, 16))).toList());
            assertEquals(0x16, hello[0], "a TLS handshake record");
            assertEquals(0x01, hello[5], "a ClientHello");
            int length = (hello[6] & 0xff) << 16 | (hello[7] & 0xff) << 8 | hello[8] & 0xff;
            assertTrue(length > 1500, "bigger than one Ethernet segment: " + length + " bytes");
            ForwardingTest.waitFor(() -> records.stream().anyMatch(r -> "db".equals(r.route())));
            assertTrue(records.stream().filter(r -> r.route().equals("app")).allMatch(r -> "app.test".equals(r.sni())), records.toString());
            assertTrue(records.stream().filter(r -> r.route().equals("db")).allMatch(r -> "db.test".equals(r.sni())), records.toString());
        } finally {
            if (browser != null) browser.quit();
            if (service != null) service.stop();
            if (server != null) server.close();
            if (tap != null) tap.close();
            backends.forEach(Process::destroy);
        }
    }

    /** An {@code openssl s_server -www} with a self-signed certificate for {@code name}, listening; its port. */
    private static int sServer(Path dir, String name, List<Process> started) throws Exception {
        Process req = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-days", "2", "-subj", "/CN=" + name, "-keyout", dir.resolve(name + ".key").toString(), "-out", dir.resolve(name + ".pem").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve(name + ".req.log").toFile()).start();
        assertTrue(req.waitFor(20, TimeUnit.SECONDS) && req.exitValue() == 0, "openssl req for " + name + ": " + Files.readString(dir.resolve(name + ".req.log")));
        int port = SniRoutingTest.freePort();
        started.add(new ProcessBuilder("openssl", "s_server", "-accept", "127.0.0.1:" + port, "-cert", dir.resolve(name + ".pem").toString(),
                "-key", dir.resolve(name + ".key").toString(), "-www", "-quiet")
                .redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile()).start());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
                return port;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) throw new IOException("s_server for " + name + " did not listen on " + port, notYet);
                Thread.sleep(50);
            }
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) continue outer;
            }
            return i;
        }
        return -1;
    }

    /**
     * A relay in front of one backend that keeps the first TLS record each connection sends up (the
     * ClientHello, as featherlb forwarded it) and copies everything else unchanged. Its threads are
     * virtual, one accepting and two per connection; {@link #close} ends them all.
     */
    private static final class Tap implements AutoCloseable {
        final ConcurrentLinkedQueue<byte[]> hellos = new ConcurrentLinkedQueue<>();
        private final ServerSocket listening = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final Set<Socket> open = ConcurrentHashMap.newKeySet();
        private final int target;
        private final Thread acceptor;

        Tap(int target) throws IOException {
            this.target = target;
            this.acceptor = Thread.ofVirtual().name("tap-accept").start(this::accept);
        }

        int port() {
            return listening.getLocalPort();
        }

        private void accept() {
            try {
                while (true) {
                    Socket client = listening.accept();
                    Socket backend = new Socket(InetAddress.getLoopbackAddress(), target);
                    open.add(client);
                    open.add(backend);
                    Thread.ofVirtual().start(() -> up(client, backend));
                    Thread.ofVirtual().start(() -> copy(backend, client));
                }
            } catch (IOException closed) {
                // close() ends the accept loop
            }
        }

        private void up(Socket from, Socket to) {
            try {
                DataInputStream in = new DataInputStream(from.getInputStream());
                byte[] header = new byte[5];
                in.readFully(header);
                byte[] record = new byte[5 + ((header[3] & 0xff) << 8 | header[4] & 0xff)];
                System.arraycopy(header, 0, record, 0, 5);
                in.readFully(record, 5, record.length - 5);
                hellos.add(record);
                to.getOutputStream().write(record);
            } catch (IOException ended) {
                closeBoth(from, to);
                return;
            }
            copy(from, to);
        }

        private void copy(Socket from, Socket to) {
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                in.transferTo(out);
            } catch (IOException ended) {
                // either side went away: the other follows
            } finally {
                closeBoth(from, to);
            }
        }

        private void closeBoth(Socket a, Socket b) {
            for (Socket s : List.of(a, b)) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing: nothing left to do
                }
                open.remove(s);
            }
        }

        @Override
        public void close() throws IOException {
            listening.close();
            for (Socket s : open) s.close();
            acceptor.interrupt();
        }
    }
}
