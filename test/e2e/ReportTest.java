package e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

/** The run log and the chart, from made-up results. */
class ReportTest {
    static List<ScenarioResult> results() {
        List<Scenario> plan = Scenarios.plan(List.of("roundrobin", "iphash", "weighted"), 3, false);
        WrkResult wrk = new WrkResult(900, 3.0, 300, new WrkResult.Latency(0.5, 12, 90, 1200), WrkResult.Errors.NONE);
        Distribution even = VerdictsTest.counts(300, 300, 300);
        Map<String, Distribution> perClient = VerdictsTest.clients(VerdictsTest.counts(300, 0, 0),
                VerdictsTest.counts(0, 300, 0), VerdictsTest.counts(0, 0, 300));
        return plan.stream()
                .map(s -> new ScenarioResult(s, wrk, even, perClient, Verdicts.judge(s, wrk, even, perClient), null))
                .toList();
    }

    @Test
    void chartIsWellFormedSvgWithABarPerBackendAndPercentile() throws Exception {
        String svg = Chart.svg("featherlb e2e <test> & co", "3 backends", results());
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertEquals("svg", doc.getDocumentElement().getTagName());
        long bars = doc.getElementsByTagName("title").getLength();
        assertEquals(3 * 3 + 3 * 3, bars, "3 scenarios x 3 backends, 3 scenarios x 3 percentiles");
        assertTrue(svg.contains(">featherlb e2e &lt;test&gt; &amp; co</text>"));
        assertTrue(svg.contains(">weighted</text>"));
        assertTrue(svg.contains(">FAIL (1)</text>"), "the weighted route fed an even split fails, and the chart shows it");
        assertTrue(svg.contains(">1.2s</text>") && svg.contains(">500us</text>") && svg.contains(">90ms</text>"), "p99, p50, p90");
    }

    @Test
    void aRunWithTheFaultScenarioDrawsItsRequestsPerSecondPerBackendWithTheStopAndStartMarked() throws Exception {
        Fault.Report fault = Fault.analyse(FaultTest.FAULT, FaultTest.slices(), FaultTest.STOP, FaultTest.START,
                FaultTest.traffic(FaultTest.STOP - 2_400, FaultTest.STOP + 5_000, true));
        WrkResult wrk = new WrkResult(900, 3.0, 300, new WrkResult.Latency(0.5, 12, 90, 1200), WrkResult.Errors.NONE);
        List<ScenarioResult> results = new java.util.ArrayList<>(results());
        results.add(new ScenarioResult(FaultTest.FAULT, wrk, VerdictsTest.counts(300, 100, 300), Map.of(), fault.verdicts(), fault));
        String svg = Chart.svg("featherlb e2e", "3 backends", results);
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertEquals(3, doc.getElementsByTagName("polyline").getLength(), "a line per backend");
        assertEquals(3 * 6, doc.getElementsByTagName("circle").getLength(), "a point per backend and slice");
        assertTrue(svg.contains(">stop backend2</text>") && svg.contains(">start backend2</text>"), "the stop and the start are marked");
        // the third slice (from -0.3 s to 1.0 s: 1.3 s) saw backend2 only until 50 ms after the stop: 4 requests
        assertTrue(svg.contains("<title>backend2 at +0.4 s: 3 requests/s</title>"), svg);
        assertTrue(svg.contains("<title>backend1 at +0.4 s: 10 requests/s</title>"), svg);
        assertTrue(!Chart.svg("t", "s", results()).contains("<polyline"), "no fault scenario, no picture of one");
    }

    @Test
    void logHasPerScenarioConfigFiguresCountsAndVerdicts() {
        RunLog.Setup setup = new RunLog.Setup("2025-11-26 15:30:12", "--duration 3s", List.of("compose:  docker-compose 1.29.2"),
                Map.of("client1", "172.18.0.6"), "target/e2e/featherlb.yaml", 42);
        String log = RunLog.render(setup, results());
        assertTrue(log.startsWith("featherlb end-to-end run 2025-11-26 15:30:12\n"));
        assertTrue(log.contains("[2/3] iphash\n------------\nroute:\n  - name: iphash\n"), log);
        assertTrue(log.contains("  latency    p50 500us, p75 12.0ms, p90 90.0ms, p99 1.20s (worst run)\n"), log);
        assertTrue(log.contains("  backend1       300   33.3 %   weight 3, port 80\n"), log);
        assertTrue(log.contains("  client1  172.18.0.6       backend1 300 (100.0 %)"), log);
        assertTrue(log.contains("  FAIL  split within ±2.0 points of the weights: backend1 33.3 % (expected 50.0 ± 2.0) OFF"), log);
        assertTrue(log.endsWith("result: FAIL (1 of 6 checks failed) in 42 s\n"), log);
    }

    @Test
    void summaryTableAlignsColumns() {
        String table = RunLog.table(results());
        List<String> lines = table.lines().toList();
        assertEquals(4, lines.size());
        assertEquals("scenario    strategy    req/s    p50     p90    p99  errors  shares (backend1..n)  verdict", lines.get(0));
        assertEquals("roundrobin  roundrobin    300  500us  90.0ms  1.20s       0  33.3 / 33.3 / 33.3    PASS", lines.get(1));
        assertEquals("weighted    roundrobin    300  500us  90.0ms  1.20s       0  33.3 / 33.3 / 33.3    FAIL (1)", lines.get(3));
    }
}
