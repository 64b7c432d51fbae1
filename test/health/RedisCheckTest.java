package health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import config.Endpoint;
import config.Health;
import config.HealthCheck;
import config.Passive;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import dial.Dialer;
import proxy.Server;

/** send_expect against a real redis-server (Debian's, installed by build/peers.sh): PING, +PONG. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisCheckTest {
    private static final HealthCheck PING = new HealthCheck(HealthCheck.Type.SEND_EXPECT, "/", "PING\r\n", "+PONG",
            Duration.ofMillis(100), Duration.ofMillis(100), 2, 2, 0);

    /** redis-server on the PATH, or null. */
    private static Path redisServer() {
        return Arrays.stream(System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator))
                .map(dir -> Path.of(dir, "redis-server")).filter(Files::isExecutable).findFirst().orElse(null);
    }

    @Test
    void sendExpectFindsARealRedisUpAndThenDown() throws Exception {
        Path binary = redisServer();
        assumeTrue(binary != null, "redis-server is not installed (build/peers.sh installs Debian's redis-server"
                + " with apt-get, which needs root): skipping the redis send_expect test");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path dir = Files.createTempDirectory("featherlb-redis");
        Process redis = new ProcessBuilder(binary.toString(), "--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (HealthChecker.check(Dialer.TCP::dial, Probe.CONNECT, "127.0.0.1", port, Duration.ofSeconds(1)) != null) {
                assertTrue(redis.isAlive() && System.nanoTime() < deadline, "redis-server did not start: " + Files.readString(dir.resolve("redis.log")));
                Thread.sleep(20);
            }
            assertNull(check(PING, port), "PING is answered with +PONG");
            HealthCheck wrong = new HealthCheck(HealthCheck.Type.SEND_EXPECT, "/", "PING\r\n", "+NOPE", PING.interval(), PING.timeout(), 2, 2, 0);
            String failure = check(wrong, port);
            assertTrue(failure.matches("reply '\\+P(ONG)?' does not start with '\\+NOPE'"), failure);

            Health health = new Health(PING, Passive.DEFAULTS, Duration.ZERO, false);
            try (Server server = HealthChecksTest.startOnLoops(HealthChecksTest.route(List.of(new Endpoint("127.0.0.1", port, 1, false)), health))) {
                try (Socket client = new Socket()) {
                    client.connect(server.addresses().getFirst(), 2000);
                    client.setSoTimeout(5000);
                    client.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                    byte[] reply = client.getInputStream().readNBytes(7);
                    assertEquals("+PONG\r\n", new String(reply, StandardCharsets.US_ASCII), "and redis is reached through the balancer");
                }
                redis.destroy();
                assertTrue(redis.waitFor(10, TimeUnit.SECONDS));
                HealthChecksTest.await("redis is down", () -> !server.pools().getFirst().backend(0).up());
                String reason = server.pools().getFirst().backend(0).health().reason();
                assertEquals("2 checks failed (connect refused)", reason);
            }
        } finally {
            redis.destroyForcibly();
            redis.waitFor(10, TimeUnit.SECONDS);
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) Files.delete(f);
            }
            Files.delete(dir);
        }
    }

    private static String check(HealthCheck check, int port) {
        return HealthChecker.check(Dialer.TCP::dial, Probe.of(check, "127.0.0.1", port), "127.0.0.1", port, Duration.ofSeconds(2));
    }
}
