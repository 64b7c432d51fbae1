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
 * Drain button must drain. Its charts (uPlot, from the WebJar) must draw the last seconds of every
 * endpoint, the failures of one nobody listens on among them, and that endpoint must say why it is
 * down. Screenshots go to target/dashboard.png (docs/dashboard.png, shown in the
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
        int dead; // an endpoint nobody listens on: refused connects, taken out with a reason, a failures chart with data
        try (java.net.ServerSocket closed = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            dead = closed.getLocalPort();
        }
        List<Route> routes = List.of(
                route("web", Strategy.ROUNDROBIN, backends.get(0).endpoint(3), backends.get(1).endpoint(2), backends.get(2).endpoint(1)),
                route("api", Strategy.LEASTCONN, backends.get(3).endpoint(1), backends.get(4).endpoint(1),
                        new Endpoint("127.0.0.1", dead, 1, false),
                        new Endpoint("127.0.0.1", backends.get(4).port() == 1 ? 2 : 1, 1, true)));
        Metrics metrics = new Metrics();
        Server server = new Server(new Config(Path.of("t.yaml"), routes, Duration.ofSeconds(1)), Dialer.TCP, metrics);
        metrics.watch(server::pools);
        server.start();
        Router api = new Router();
        new RoutesApi(server::pools).register(api);
        history.History history = new history.History(server::pools, System::currentTimeMillis).start();
        new HistoryApi(history).register(api);
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
                    "--window-size=1280,1280");
            browser = new ChromeDriver(service, options);
            browser.get("http://127.0.0.1:" + admin.address().getPort() + "/");
            WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30), Duration.ofMillis(100));

            for (int i = 0; i < 5; i++) {
                String address = backends.get(i).address();
                wait.withMessage(address + " shows a non-zero connection and byte rate")
                        .until(b -> rate(b, address, "conn-rate") > 0 && rate(b, address, "byte-rate") > 0);
            }
            // the charts: every one drawn, with some seconds of history (one sample a second)
            wait.withTimeout(Duration.ofSeconds(60)).withMessage("every chart has 12 seconds of history")
                    .until(b -> b.findElements(By.cssSelector(".chart")).size() == 6
                            && b.findElements(By.cssSelector(".chart")).stream().allMatch(c -> points(c) >= 12));
            String deadAddress = "127.0.0.1:" + dead;
            wait.withMessage(deadAddress + " says why it is down")
                    .until(b -> row(b, deadAddress).findElement(By.cssSelector(".detail")).getText().contains("down: connect refused"));
            for (String routeName : List.of("web", "api")) {
                for (String chart : List.of("connections", "connect_p99_ms")) {
                    assertTrue(seriesPixels(browser, routeName, chart) > 20, routeName + "'s " + chart + " chart draws its endpoints' lines");
                }
            }
            assertTrue(seriesPixels(browser, "api", "failures") > 20, "api's failures chart draws the refused connects");
            assertEquals(0, seriesPixels(browser, "web", "failures"), "web has no failed connects: its failures lines lie on the axis, in no endpoint colour above it");
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
            history.close();
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

    private static int points(WebElement chart) {
        String n = chart.getDomAttribute("data-points");
        return n == null ? 0 : Integer.parseInt(n);
    }

    /**
     * Pixels of a route's chart canvas in one of the endpoints' colours (within a tolerance for
     * anti-aliasing), above the bottom few rows where a line at zero lies: what uPlot drew of the
     * series, as opposed to its grey axes and grid.
     */
    private static int seriesPixels(WebDriver browser, String route, String chart) {
        Object n = ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("""
                const canvas = document.querySelector(`.route[data-route="${arguments[0]}"] .chart[data-chart="${arguments[1]}"] canvas`);
                if (!canvas) return -1;
                const colours = ['#2563eb', '#0d9488', '#d97706', '#9333ea', '#db2777', '#65a30d', '#0891b2', '#dc2626']
                    .map(h => [1, 3, 5].map(i => parseInt(h.substr(i, 2), 16)));
                const u = canvas.getContext('2d');
                const {width, height} = canvas;
                const pixels = u.getImageData(0, 0, width, height).data;
                // the plotting area ends above the x axis (28 CSS px); a zero line lies on its last rows
                const bottom = height - Math.ceil(28 * devicePixelRatio) - Math.ceil(4 * devicePixelRatio);
                let count = 0;
                for (let y = 0; y < bottom; y++) for (let x = 0; x < width; x++) {
                    const i = (y * width + x) * 4;
                    if (pixels[i + 3] < 200) continue;
                    if (colours.some(c => Math.abs(c[0] - pixels[i]) < 40 && Math.abs(c[1] - pixels[i + 1]) < 40 && Math.abs(c[2] - pixels[i + 2]) < 40)) count++;
                }
                return count;
                """, route, chart);
        return ((Number) n).intValue();
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
