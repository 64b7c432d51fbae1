package e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class AccessLogTest {
    @Test
    void readsLinesAndSkipsBrokenOnes() {
        String log = """
                1764170000.123 backend1 roundrobin client1 200 0.000
                1764170000.124 backend1 - - 200 0.000
                1764170000.5 backend1 iphash client2 499 1.001
                garbage
                17641700 backend1 cut""";
        assertEquals(List.of(
                new AccessLog.Hit("backend1", 1764170000123L, "roundrobin", "client1", 200),
                new AccessLog.Hit("backend1", 1764170000124L, "-", "-", 200),
                new AccessLog.Hit("backend1", 1764170000500L, "iphash", "client2", 499)),
                AccessLog.parse("backend1", log));
    }

    /** The parser and nginx must agree on the log format and path, or every count reads zero. */
    @Test
    void nginxConfWritesWhatTheParserReads() throws Exception {
        String conf = Files.readString(Path.of("e2e/nginx.conf"));
        assertTrue(conf.contains("log_format e2e '" + AccessLog.FORMAT + "';"), "log_format in e2e/nginx.conf");
        assertTrue(conf.contains("access_log " + AccessLog.PATH + " e2e;"), "access_log in e2e/nginx.conf");
        assertTrue(conf.contains("listen " + Scenarios.FAST_PORT + " ") && conf.contains("listen " + Scenarios.SLOW_PORT + " "),
                "fast and slow ports in e2e/nginx.conf");
    }

    @Test
    void countsPerBackendAndPerClient() {
        List<String> backends = List.of("backend1", "backend2");
        List<AccessLog.Hit> hits = List.of(
                new AccessLog.Hit("backend1", 1, "s", "client1", 200),
                new AccessLog.Hit("backend1", 2, "s", "client1", 200),
                new AccessLog.Hit("backend2", 3, "s", "client2", 200),
                new AccessLog.Hit("backend9", 4, "s", "client2", 200));
        Distribution all = Distribution.of(backends, hits);
        assertEquals(List.of(2L, 1L), all.counts());
        assertEquals(200.0 / 3, all.share("backend1"), 1e-9);
        var perClient = Distribution.byClient(backends, hits);
        assertEquals(List.of("client1", "client2"), List.copyOf(perClient.keySet()));
        assertEquals(List.of("backend1"), perClient.get("client1").used());
        assertEquals(List.of("backend2"), perClient.get("client2").used());
    }
}
