package launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several instances that agree: three featherlb processes with the same config, but each listing
 * the endpoints in another order, send each of 50 clients (bound to 127.0.0.10 .. 127.0.0.59) to
 * the same endpoint, and publish the same Maglev fingerprint in the admin API and in
 * {@code /metrics}.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SeveralInstancesTest {
    private static final int CLIENTS = 50;
    private static final Pattern METRIC = Pattern.compile("featherlb_maglev_fingerprint\\{route=\"web\"} (\\S+)");

    @Test
    void threeProcessesWithTheEndpointsInDifferentOrdersAgreeOnFiftyClientsAndTheirFingerprints(@TempDir Path dir) throws Exception {
        List<ServerSocket> backends = new ArrayList<>();
        List<Thread> answering = new ArrayList<>();
        List<Running> instances = new ArrayList<>();
        try {
            List<String> endpoints = new ArrayList<>();
            int[] weights = {1, 2, 1, 3, 1};
            for (int i = 0; i < weights.length; i++) {
                ServerSocket backend = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
                backends.add(backend);
                answering.add(Thread.ofVirtual().start(() -> answerWithPort(backend)));
                endpoints.add("{host: 127.0.0.1, port: %d, weight: %d%s}".formatted(backend.getLocalPort(), weights[i], i == 4 ? ", backup: true" : ""));
            }
            List<Integer> ports = new ArrayList<>();
            List<String> admins = new ArrayList<>();
            for (int n = 0; n < 3; n++) {
                List<String> order = new ArrayList<>(endpoints);
                if (n == 1) Collections.reverse(order);
                if (n == 2) Collections.rotate(order, 2);
                int port = Running.freePort();
                String admin = "127.0.0.1:" + Running.freePort();
                Path config = Files.writeString(dir.resolve("featherlb-" + n + ".yaml"), """
                        admin: {address: "%s"}
                        routes:
                          - name: web
                            host: 127.0.0.1
                            port: %d
                            strategy: iphash
                            endpoints:
                        """.formatted(admin, port) + order.stream().map(e -> "      - " + e + "\n").reduce("", String::concat));
                ports.add(port);
                admins.add(admin);
                instances.add(Running.start(config));
            }

            Set<String> used = new TreeSet<>();
            for (int c = 0; c < CLIENTS; c++) {
                InetAddress client = InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) (10 + c)});
                List<String> answers = new ArrayList<>();
                for (int port : ports) answers.add(ask(client, port));
                assertEquals(Collections.nCopies(3, answers.getFirst()), answers, "client " + client.getHostAddress());
                used.add(answers.getFirst());
            }
            assertTrue(used.size() >= 3, "50 clients spread over the primaries: " + used);
            assertTrue(!used.contains(Integer.toString(backends.get(4).getLocalPort())), "the backup only when no primary is up: " + used);

            List<Long> fromApi = new ArrayList<>();
            List<Long> fromMetrics = new ArrayList<>();
            for (int n = 0; n < 3; n++) {
                Map<String, Object> routes = JSON.std.mapFrom(instances.get(n).get(admins.get(n), "/api/v1/routes").body());
                fromApi.add(((Number) ((Map<?, ?>) routes.get("maglev_fingerprint")).get("web")).longValue());
                String metrics = instances.get(n).get(admins.get(n), "/metrics").body();
                Matcher m = METRIC.matcher(metrics);
                assertTrue(m.find(), metrics);
                fromMetrics.add((long) Double.parseDouble(m.group(1)));
            }
            assertNotEquals(0L, fromApi.getFirst());
            assertEquals(Collections.nCopies(3, fromApi.getFirst()), fromApi, "the API's fingerprints");
            assertEquals(fromApi, fromMetrics, "the metric is the same number");

            for (Running instance : instances) instance.terminate();
            for (Running instance : instances) assertEquals(0, instance.exit(), instance.output());
        } finally {
            for (Running instance : instances) instance.close();
            for (ServerSocket backend : backends) backend.close();
            for (Thread t : answering) t.join();
        }
    }

    /** Connects from {@code client} to featherlb on {@code port}; the backend that answers says its port. */
    private static String ask(InetAddress client, int port) throws IOException {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(client, 0));
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
            s.setSoTimeout(20_000);
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    private static void answerWithPort(ServerSocket backend) {
        byte[] name = Integer.toString(backend.getLocalPort()).getBytes(StandardCharsets.US_ASCII);
        while (!backend.isClosed()) {
            try (Socket s = backend.accept()) {
                s.getOutputStream().write(name);
            } catch (IOException closed) {
                return;
            }
        }
    }
}
