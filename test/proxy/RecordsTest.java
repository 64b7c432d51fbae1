package proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import algorithms.Strategy;
import config.Config;
import config.Endpoint;
import dial.ConnectFailure;
import dial.Dialer;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import config.Engine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Timeout;
import pool.Backend;
import traffic.ConnectionRecord;
import traffic.Outcome;

/** What the server tells the access log and the metrics: per-connection records and per-endpoint counters. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@ParameterizedClass(name = "{0}")
@EnumSource(Engine.class)
class RecordsTest {
    /** Every test runs on both engines. */
    @Parameter
    Engine engine;


    @Test
    void eachFinishedConnectionIsRecordedWithItsBytesAndOutcome() throws Exception {
        var records = new LinkedBlockingQueue<ConnectionRecord>();
        int refusing = TestServers.closedPort();
        try (var backend = new TestServers.Backend(socket -> {
            socket.getInputStream().readAllBytes();
            socket.getOutputStream().write(new byte[777]);
        })) {
            var route = TestServers.route(Strategy.ROUNDROBIN, List.of(backend.endpoint(1)));
            var server = new Server(new Config(Path.of("t.yaml"), List.of(route), Duration.ofSeconds(1)).withEngine(engine), Dialer.TCP, records::add);
            server.start();
            String clientText;
            try (Socket client = TestServers.connect(server)) {
                clientText = "127.0.0.1:" + client.getLocalPort();
                client.getOutputStream().write(new byte[1234]);
                client.shutdownOutput();
                assertEquals(777, client.getInputStream().readAllBytes().length);
            }
            ConnectionRecord record = records.poll(5, TimeUnit.SECONDS);
            assertEquals("test", record.route());
            assertEquals(clientText, record.client());
            assertEquals(backend.endpoint(1).address(), record.endpoint());
            assertEquals(1234, record.bytesUp());
            assertEquals(777, record.bytesDown());
            assertEquals(Outcome.CLIENT_CLOSED, record.outcome());
            Backend counted = server.pools().getFirst().backend(0);
            assertEquals(1234, counted.bytesUp());
            assertEquals(777, counted.bytesDown());
            assertEquals(1, counted.connections());
            server.close();
        }

        var refusedRoute = TestServers.route(Strategy.ROUNDROBIN, List.of(new Endpoint("127.0.0.1", refusing, 1, false)));
        var server = new Server(new Config(Path.of("t.yaml"), List.of(refusedRoute), Duration.ofSeconds(1)).withEngine(engine), Dialer.TCP, records::add);
        server.start();
        try (Socket client = TestServers.connect(server)) {
            assertEquals(-1, client.getInputStream().read());
        }
        ConnectionRecord refused = records.poll(5, TimeUnit.SECONDS);
        assertEquals(Outcome.NO_ENDPOINT, refused.outcome());
        assertNull(refused.endpoint());
        assertEquals(1, server.pools().getFirst().backend(0).connectFailures(ConnectFailure.REFUSED));
        server.close();
    }
}
