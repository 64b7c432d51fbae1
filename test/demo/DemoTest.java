package demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.HotSpotDiagnosticMXBean;
import config.Config;
import config.ConfigLoader;
import config.HealthCheck;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The demo's parts on their own, in-process, on real loopback sockets: backends, load, config, threads. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DemoTest {

    @Test
    void aBackendAnswersWithItsNameAndTheSlowOneAfterItsDelay() throws Exception {
        try (DemoBackend fast = DemoBackend.start("fast", Duration.ZERO); DemoBackend slow = DemoBackend.start("slow", Duration.ofMillis(200))) {
            assertEquals("fast", get(fast.port()));
            long start = System.nanoTime();
            assertEquals("slow", get(slow.port()));
            assertTrue(System.nanoTime() - start >= Duration.ofMillis(200).toNanos(), "the slow one waits 200 ms");
            assertEquals(1, fast.answered());
        }
        assertEquals(List.of(), demoThreads(), "every request thread has ended");
    }

    @Test
    void aStoppedBackendRefusesConnectsAndStartsAgainOnTheSamePort() throws Exception {
        try (DemoBackend backend = DemoBackend.start("stoppable", Duration.ZERO)) {
            int port = backend.port();
            backend.stop();
            assertEquals(DemoBackend.State.STOPPED, backend.state());
            assertThrows(ConnectException.class, () -> get(port));
            backend.stop(); // a second stop changes nothing
            backend.start();
            assertEquals(DemoBackend.State.RUNNING, backend.state());
            assertEquals(port, backend.port());
            assertEquals("stoppable", get(port));
        }
        assertEquals(List.of(), demoThreads());
    }

    @Test
    void theLoadCountsAnswersByNameEndsAfterItsDurationAndLeavesNoThread() throws Exception {
        try (DemoBackend backend = DemoBackend.start("fast", Duration.ZERO)) {
            CountDownLatch over = new CountDownLatch(1);
            StringWriter printed = new StringWriter();
            Load load = Load.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), backend.port()), List.of("fast", "slow"),
                    50, Duration.ofMillis(1000), new PrintWriter(printed), over::countDown);
            assertTrue(over.await(10, TimeUnit.SECONDS), "the load runs `over` once its duration has passed");
            load.close();
            // 50 a second for 1 s: ticks at 0, 20, ..., 980 ms
            assertEquals(50, load.answers().get("fast") + load.failed() + load.skipped(), load.answers() + " " + load.failed());
            assertEquals(0, load.failed());
            assertEquals(0, load.answers().get("slow"));
            assertEquals(0, load.answers().get(Load.OTHER));
            assertTrue(printed.toString().contains("1s of load are over"), printed.toString());
        }
        assertEquals(List.of(), demoThreads());
    }

    @Test
    void aStoppedLoadCountsRefusedConnectsAsFailures() throws Exception {
        int port;
        try (DemoBackend gone = DemoBackend.start("gone", Duration.ZERO)) {
            port = gone.port();
        }
        Load load = Load.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), List.of("gone"), 100, Duration.ofMinutes(1),
                new PrintWriter(new StringWriter()), () -> { });
        Thread.sleep(300);
        assertTrue(demoThreads().stream().anyMatch(line -> line.contains("\"featherlb-demo-load\"")), "the dump lists virtual threads");
        load.close(); // well before the minute: stop() ends the pacing at once
        assertTrue(load.failed() > 0, "refused connects are failures");
        assertEquals(0, load.answers().get("gone"));
        assertEquals(List.of(), demoThreads());
    }

    @Test
    void theConfigIsAnOrdinaryFileThatTheLoaderAcceptsAndCloseDeletesIt() throws Exception {
        Path file;
        try (Demo demo = Demo.start(0, 0)) {
            file = demo.configFile();
            Config config = ConfigLoader.load(file);
            assertEquals(1, config.routes().size());
            var route = config.routes().getFirst();
            assertEquals("127.0.0.1", route.host());
            assertEquals(demo.backends().stream().map(DemoBackend::address).toList(),
                    route.endpoints().stream().map(e -> e.address()).toList());
            assertEquals(List.of(Demo.FAST, Demo.SLOW, Demo.STOPPABLE), demo.backends().stream().map(DemoBackend::name).toList());
            assertEquals(HealthCheck.Type.HTTP, route.health().check().type());
            assertTrue(config.admin().isPresent(), "the dashboard needs the admin address");
            assertEquals("127.0.0.1", config.admin().get().host());
        }
        assertFalse(Files.exists(file), "close deletes the file");
        assertFalse(Files.exists(file.getParent()), "and its folder");
        assertEquals(List.of(), demoThreads());
    }

    private static String get(int port) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String reply = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(reply.startsWith("HTTP/1.1 200 "), reply);
            return reply.substring(reply.indexOf("\r\n\r\n") + 4).strip();
        }
    }

    /**
     * The demo's threads still alive, virtual ones included: the JVM's thread dump lists every
     * thread, where {@code Thread.getAllStackTraces()} leaves out virtual threads.
     */
    static List<String> demoThreads() throws IOException {
        Path dump = Files.createTempDirectory("threads").resolve("dump.txt");
        try {
            ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                    .dumpThreads(dump.toString(), HotSpotDiagnosticMXBean.ThreadDumpFormat.TEXT_PLAIN);
            return Files.readAllLines(dump).stream().filter(line -> line.contains("\"featherlb-demo-")).toList();
        } finally {
            Files.deleteIfExists(dump);
            Files.deleteIfExists(dump.getParent());
        }
    }
}
