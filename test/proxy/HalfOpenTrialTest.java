package proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static proxy.TestServers.ECHO;

import algorithms.Strategy;
import config.Config;
import config.Endpoint;
import config.Engine;
import config.Health;
import config.Passive;
import config.Route;
import config.Timeouts;
import dial.ConnectFailure;
import dial.Dialer;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import testing.ManualTicker;

/**
 * A half-open endpoint whose connects hang gets one trial connection; the clients arriving while
 * the trial is under way go to the endpoint that is up, and none of them fails. Real sockets; the
 * health clock is moved by hand, so that no second trial can begin however slow the machine is.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ParameterizedClass(name = "{0}")
@EnumSource(Engine.class)
class HalfOpenTrialTest {
    private static final Duration COOLDOWN = Duration.ofSeconds(10);
    private static final int CLIENTS = 20;

    @Parameter
    Engine engine;

    private static String roundTrip(Server server, String message) throws IOException {
        try (Socket client = TestServers.connect(server)) {
            client.getOutputStream().write(message.getBytes(StandardCharsets.US_ASCII));
            client.shutdownOutput();
            return new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    @Test
    void onlyTheTrialGoesToTheDeadEndpointAndNoClientFails() throws Exception {
        var ticker = new ManualTicker();
        try (var hanging = new TestServers.Hanging(); var alive = new TestServers.Backend(ECHO)) {
            Route route = new Route("test", "127.0.0.1", 0, Strategy.ROUNDROBIN,
                    List.of(new Endpoint("127.0.0.1", hanging.port(), 1, false), alive.endpoint(1)),
                    new Timeouts(Duration.ofSeconds(2), Duration.ofMinutes(1)), 0, Route.DEFAULT_RETRIES,
                    new Health(null, new Passive(1, COOLDOWN), Duration.ZERO, false));
            Config config = new Config(Path.of("test.yaml"), List.of(route), Duration.ofSeconds(1)).withEngine(engine);
            try (var server = new Server(config, Dialer.TCP, record -> { }, ticker)) {
                server.start();
                var dead = server.pools().getFirst().backend(0);
                for (int i = 0; dead.connectFailures(ConnectFailure.TIMEOUT) == 0; i++) {
                    assertEquals("warm " + i, roundTrip(server, "warm " + i), "retried on the endpoint that is up");
                }
                assertEquals(1, dead.connectFailures(ConnectFailure.TIMEOUT), "one timeout ejects it (failures: 1)");
                ticker.advance(COOLDOWN); // half-open from here; the clock stands still from now on

                ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
                try {
                    List<Future<String>> answers = new ArrayList<>();
                    for (int i = 0; i < CLIENTS; i++) {
                        String message = "client " + i;
                        answers.add(clients.submit(() -> roundTrip(server, message)));
                    }
                    for (int i = 0; i < CLIENTS; i++) {
                        assertEquals("client " + i, answers.get(i).get(30, TimeUnit.SECONDS), "every client is served");
                    }
                } finally {
                    clients.shutdownNow();
                }
                assertEquals(2, dead.connectFailures(ConnectFailure.TIMEOUT),
                        "one trial during the half-open state, not one connect per client that arrived meanwhile");
                assertEquals(0, dead.active());
            }
        }
    }
}
