package admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import algorithms.Strategy;
import config.Admin;
import config.Config;
import config.Endpoint;
import config.Route;
import config.Timeouts;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import metrics.CountingBackend;
import metrics.Metrics;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;
import dial.Dialer;
import proxy.Server;

/**
 * The dashboard in a real browser: Debian's headless Chromium, driven through chromedriver, looks at
 * a running balancer that carries traffic. It must show every endpoint with a non-zero rate, and its
 * Drain button must drain. Screenshots go to target/dashboard.png (docs/dashboard.png, shown in the
 * README and docs/observability.md, is a copy of one) and target/dashboard-drained.png.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DashboardBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    @Test
    void showsEveryEndpointWithLiveRatesAndDrainsOneWithAClick(@TempDir Path profile) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "skipped: no " + CHROMIUM + " or " + CHROMEDRIVER + " (build/peers.sh installs Debian's chromium and chromium-driver; it could not here)");
        List<CountingBackend> backends = new ArrayList<>();
        for (int i = 0; i < 5; i++) backends.add(CountingBackend.echo());
        List<Route> routes = List.of(
                route("web", Strategy.ROUNDROBIN, backends.get(0).endpoint(3), backends.get(1).endpoint(2), backends.get(2).endpoint(1)),
                route("api", Strategy.LEASTCONN, backends.get(3).endpoint(1), backends.get(4).endpoint(1),
                        new Endpoint("127.0.0.1", backends.get(4).port() == 1 ? 2 : 1, 1, true)));
        Metrics metrics = new Metrics();
        Server server = new Server(new Config(Path.of("t.yaml"), routes, Duration.ofSeconds(1)), Dialer.TCP, metrics);
        metrics.watch(server::pools);
        server.start();
        Router api = new Router();
        new RoutesApi(server::pools).register(api);
        AdminServer admin = new AdminServer(new Admin("127.0.0.1", 0, null), api, metrics.handler());
        admin.start();
        Traffic traffic = new Traffic(server.addresses());
        List<Socket> held = new ArrayList<>();
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        WebDriver browser = null;
        try {
            for (int i = 0; i < 4; i++) held.add(connect(server.addresses().getFirst())); // long-lived ones: "active"
            traffic.start();
            ChromeOptions options = new ChromeOptions();
            options.setBinary(CHROMIUM.toFile());
            options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + profile,
                    "--window-size=1280,840");
            browser = new ChromeDriver(service, options);
            browser.get("http://127.0.0.1:" + admin.address().getPort() + "/");
            WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30), Duration.ofMillis(100));

            for (int i = 0; i < 5; i++) {
                String address = backends.get(i).address();
                wait.withMessage(address + " shows a non-zero connection and byte rate")
                        .until(b -> rate(b, address, "conn-rate") > 0 && rate(b, address, "byte-rate") > 0);
            }
            screenshot(browser, Path.of("target/dashboard.png"));

            String drained = backends.get(0).address();
            WebElement button = row(browser, drained).findElement(By.cssSelector("button"));
            assertEquals("Drain", button.getText());
            button.click();
            wait.withMessage(drained + " shows draining").until(b -> "draining".equals(row(b, drained).getDomAttribute("data-state")));
            assertTrue(server.pools().getFirst().backend(0).draining(), "the click drained the endpoint in the balancer");
            wait.withMessage(drained + " gets no new connections").until(b -> rate(b, drained, "conn-rate") == 0);
            assertEquals("Enable", row(browser, drained).findElement(By.cssSelector("button")).getText());
            screenshot(browser, Path.of("target/dashboard-drained.png"));

            row(browser, drained).findElement(By.cssSelector("button")).click();
            wait.withMessage(drained + " is up again").until(b -> "up".equals(row(b, drained).getDomAttribute("data-state")));
            assertTrue(!server.pools().getFirst().backend(0).draining());
        } finally {
            if (browser != null) browser.quit();
            service.stop();
            traffic.stop();
            for (Socket s : held) s.close();
            admin.close();
            server.close();
            for (CountingBackend b : backends) b.close();
        }
    }

    private static Route route(String name, Strategy strategy, Endpoint... endpoints) {
        return new Route(name, "127.0.0.1", 0, strategy, List.of(endpoints), Timeouts.DEFAULTS, 0, Route.DEFAULT_RETRIES);
    }

    private static WebElement row(WebDriver browser, String address) {
        return browser.findElement(By.cssSelector(".endpoint[data-endpoint='" + address + "']"));
    }

    /** The rate a row shows, from the data-value the page keeps beside the rounded number; -1 before the first. */
    private static double rate(WebDriver browser, String address, String which) {
        List<WebElement> cells = browser.findElements(By.cssSelector(".endpoint[data-endpoint='" + address + "'] ." + which));
        String value = cells.isEmpty() ? null : cells.getFirst().getDomAttribute("data-value");
        return value == null || value.isEmpty() ? -1 : Double.parseDouble(value);
    }

    private static void screenshot(WebDriver browser, Path to) throws IOException, InterruptedException {
        Thread.sleep(400); // the bars' 0.3 s transition, so the picture shows where they settle
        Files.createDirectories(to.getParent());
        Files.copy(((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath(), to, StandardCopyOption.REPLACE_EXISTING);
    }

    private static Socket connect(InetSocketAddress address) throws IOException {
        Socket socket = new Socket();
        socket.connect(address, 2000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    /**
     * Short echo exchanges on every route, about 25 a second each, from one virtual thread owned here;
     * it stops when told, or by itself after 90 s.
     */
    private static final class Traffic {
        private final List<InetSocketAddress> routes;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Traffic(List<InetSocketAddress> routes) {
            this.routes = routes;
            this.thread = Thread.ofVirtual().name("dashboard-test-traffic").unstarted(this::run);
        }

        void start() {
            thread.start();
        }

        private void run() {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            byte[] payload = new byte[8 * 1024];
            for (int n = 0; running.get() && System.nanoTime() < deadline; n++) {
                for (InetSocketAddress route : routes) {
                    try (Socket socket = connect(route)) {
                        socket.getOutputStream().write(payload, 0, 512 + (n * 977) % (payload.length - 512));
                        socket.shutdownOutput();
                        InputStream in = socket.getInputStream();
                        in.readAllBytes();
                    } catch (IOException e) {
                        // a connection refused while an endpoint drains is part of the show; go on
                    }
                }
                try {
                    Thread.sleep(40);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join();
        }
    }
}
