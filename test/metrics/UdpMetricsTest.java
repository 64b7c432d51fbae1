package metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import accesslog.LineFormat;
import com.sun.net.httpserver.HttpServer;
import config.ConfigLoader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import proxy.Server;
import traffic.ConnectionRecord;

/**
 * A UDP route's metrics and access-log lines, scraped over HTTP, held against what its echo endpoint
 * (a real UDP socket) saw: sessions, datagrams and bytes per direction, drops by reason.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UdpMetricsTest {

    @Test
    void sessionsDatagramsBytesAndDropsAreCountedAndEachEndedSessionIsOneAccessLogLine() throws Exception {
        try (DatagramSocket endpoint = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            Thread echo = Thread.ofVirtual().start(() -> {
                byte[] buf = new byte[65_536];
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try {
                    while (true) {
                        p.setLength(buf.length);
                        endpoint.receive(p);
                        endpoint.send(new DatagramPacket(buf, p.getLength(), p.getSocketAddress()));
                    }
                } catch (java.io.IOException closed) {
                    // the test ended
                }
            });
            int port;
            try (DatagramSocket free = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
                port = free.getLocalPort();
            }
            String yaml = "routes:\n  - protocol: udp\n    host: 127.0.0.1\n    port: " + port + "\n    udp: {responses: 1, max_sessions: 1}\n"
                    + "    endpoints:\n      - {host: 127.0.0.1, port: " + endpoint.getLocalPort() + "}\n";
            Metrics metrics = new Metrics();
            List<ConnectionRecord> records = new CopyOnWriteArrayList<>();
            try (Server server = new Server(ConfigLoader.parse(Path.of("t.yaml"), yaml), dial.Dialer.TCP, metrics.andThen(records::add))) {
                metrics.watch(server::pools);
                metrics.udpDrops(server::udpDrops);
                server.start();
                HttpServer http = MetricsTest.serve(metrics);
                try (DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
                    client.setSoTimeout(5000);
                    InetSocketAddress at = server.udpAddresses().getFirst();
                    String route = "127.0.0.1:" + port + "/udp";
                    for (int i = 1; i <= 5; i++) {
                        byte[] d = new byte[100 * i];
                        client.send(new DatagramPacket(d, d.length, at));
                        client.receive(new DatagramPacket(new byte[1000], 1000));
                        int ended = i;
                        await(() -> records.size() == ended); // responses: 1 ends each session with its answer
                    }
                    String e = ",endpoint=127.0.0.1:" + endpoint.getLocalPort() + ",route=" + route;
                    Map<String, Double> m = MetricsTest.scrape(http);
                    assertEquals(5.0, m.get("featherlb_udp_sessions_total{" + e.substring(1) + "}"));
                    assertEquals(0.0, m.get("featherlb_udp_active_sessions{" + e.substring(1) + "}"));
                    assertEquals(5.0, m.get("featherlb_udp_datagrams_total{direction=upstream" + e + "}"));
                    assertEquals(5.0, m.get("featherlb_udp_datagrams_total{direction=downstream" + e + "}"));
                    assertEquals(1500.0, m.get("featherlb_bytes_total{direction=upstream" + e + "}"));
                    assertEquals(1500.0, m.get("featherlb_bytes_total{direction=downstream" + e + "}"));
                    assertNull(m.get("featherlb_connections_total{" + e.substring(1) + "}"), "sessions are not connections");
                    assertEquals(0.0, m.get("featherlb_udp_dropped_total{reason=max_sessions,route=" + route + "}"));

                    StringBuilder line = new StringBuilder();
                    LineFormat.TEXT.append(line, records.getLast());
                    assertTrue(line.toString().matches("time=\\S+ route=" + java.util.regex.Pattern.quote(route) + " client=127.0.0.1:\\d+ endpoint=127.0.0.1:\\d+"
                            + " bytes_up=500 bytes_down=500 duration_ms=\\S+ outcome=\"endpoint closed\" sni=- id=0 protocol=udp datagrams_up=1 datagrams_down=1"), line.toString());
                    StringBuilder json = new StringBuilder();
                    LineFormat.JSON.append(json, records.getLast());
                    assertTrue(json.toString().endsWith(",\"protocol\":\"udp\",\"datagrams_up\":1,\"datagrams_down\":1}"), json.toString());
                } finally {
                    http.stop(0);
                }
            }
            endpoint.close();
            echo.join();
        }
    }

    private static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out");
            Thread.sleep(10);
        }
    }
}
