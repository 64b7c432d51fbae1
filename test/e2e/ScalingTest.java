package e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The scaling scenario's reading of featherlb's log and its verdicts, on lines as featherlb writes them. */
class ScalingTest {
    static final String LOG = """
            2026-12-01 13:40:00.100 INFO discovery.RouteDiscovery: endpoint scaling/172.18.0.2:80 added by dns web
            2026-12-01 13:40:00.100 INFO discovery.RouteDiscovery: endpoint scaling/172.18.0.3:80 added by dns web
            2026-12-01 13:40:00.101 INFO discovery.RouteDiscovery: endpoint scaling/172.18.0.4:80 added by dns web
            time=2026-12-01T13:40:01.000Z route=scaling client=172.18.0.9:40000 endpoint=172.18.0.2:80 bytes_up=70 bytes_down=180 duration_ms=1.2 outcome="endpoint closed" sni=- id=1
            2026-12-01 13:40:05.000 INFO discovery.RouteDiscovery: endpoint scaling/172.18.0.5:80 added by dns web
            2026-12-01 13:40:05.000 INFO discovery.RouteDiscovery: endpoint scaling/172.18.0.6:80 added by dns web
            time=2026-12-01T13:40:05.200Z route=scaling client=172.18.0.9:40001 endpoint=172.18.0.5:80 bytes_up=70 bytes_down=180 duration_ms=1.2 outcome="endpoint closed" sni=- id=2
            time=2026-12-01T13:40:05.300Z route=scaling client=172.18.0.9:40002 endpoint=172.18.0.6:80 bytes_up=70 bytes_down=180 duration_ms=1.2 outcome="endpoint closed" sni=- id=3
            time=2026-12-01T13:40:07.900Z route=scaling client=172.18.0.9:40003 endpoint=172.18.0.4:80 bytes_up=70 bytes_down=180 duration_ms=1.2 outcome="endpoint closed" sni=- id=4
            2026-12-01 13:40:08.000 INFO discovery.RouteDiscovery: endpoint scaling/172.18.0.4:80 removed by dns web
            2026-12-01 13:40:08.000 INFO discovery.RouteDiscovery: endpoint scaling/172.18.0.5:80 removed by dns web
            2026-12-01 13:40:08.001 INFO discovery.RouteDiscovery: endpoint scaling/172.18.0.6:80 removed by dns web
            """;
    static final WrkResult CLEAN = new WrkResult(100, 24, 4, null, new WrkResult.Errors(0, 0, 0, 0, 0));

    @Test
    void readsTheChangesAndTheConnectionsInTheContainersUtcClock() {
        List<Scaling.Change> changes = Scaling.changes(LOG);
        assertEquals(8, changes.size());
        assertEquals(new Scaling.Change(Instant.parse("2026-12-01T13:40:08.000Z"), "172.18.0.4:80", false), changes.get(5));
        assertEquals(new Scaling.Connection(Instant.parse("2026-12-01T13:40:07.900Z"), "172.18.0.4:80"), Scaling.connections(LOG).get(3));
    }

    @Test
    void passesWhenNewReplicasTookTrafficAndRemovedOnesNoneAfterTheirRemoval() {
        List<Verdict> verdicts = Scaling.judge(CLEAN, Scaling.changes(LOG), Scaling.connections(LOG), 3, 2);
        assertEquals(List.of(Verdict.Outcome.PASS, Verdict.Outcome.PASS, Verdict.Outcome.PASS, Verdict.Outcome.INFO),
                verdicts.stream().map(Verdict::outcome).toList(), verdicts.toString());
    }

    @Test
    void failsOnAConnectionAcceptedAfterTheRemovalOnANewReplicaWithoutTrafficAndOnAFailedRequest() {
        String late = LOG + "time=2026-12-01T13:40:08.500Z route=scaling client=172.18.0.9:40009 endpoint=172.18.0.5:80 bytes_up=70 bytes_down=180 duration_ms=1.2 outcome=\"endpoint closed\" sni=- id=9\n";
        List<Verdict> verdicts = Scaling.judge(CLEAN, Scaling.changes(late), Scaling.connections(late), 3, 2);
        assertEquals(Verdict.Outcome.FAIL, verdicts.get(2).outcome(), verdicts.get(2).toString());

        String idle = LOG.lines().filter(l -> !l.contains("id=3")).reduce("", (a, b) -> a + b + "\n");
        assertEquals(Verdict.Outcome.FAIL, Scaling.judge(CLEAN, Scaling.changes(idle), Scaling.connections(idle), 3, 2).get(1).outcome());

        WrkResult failed = new WrkResult(100, 24, 4, null, new WrkResult.Errors(1, 0, 0, 0, 0));
        assertEquals(Verdict.Outcome.FAIL, Scaling.judge(failed, Scaling.changes(LOG), Scaling.connections(LOG), 3, 2).getFirst().outcome());
    }
}
