package e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The udp-dns scenario without Docker: its route loads as a UDP route, dig's output and featherlb's
 * metrics are read as they are printed, and each verdict fails on the outcome it exists to catch.
 */
class UdpDnsTest {
    private static final String DNS1 = "192.0.2.1", DNS2 = "192.0.2.2";
    private static final String LOST = ";; communications error to 172.30.77.10#8203: timed out\n;; no servers could be reached\n";

    /** dig's output for {@code one} answers from dns1, {@code two} from dns2 and {@code lost} queries without an answer. */
    private static String dig(long one, long two, long lost) {
        StringBuilder out = new StringBuilder();
        for (long i = 0; i < Math.max(one, two); i++) {
            if (i < one) out.append(DNS1).append('\n');
            if (i < two) out.append(DNS2).append('\n');
        }
        return out + LOST.repeat((int) lost);
    }

    private static String metrics(long sessions1, long active1, long down1, int up1, long sessions2, long active2, long down2, int up2) {
        return """
                # TYPE featherlb_udp_sessions_total counter
                featherlb_udp_sessions_total{endpoint="dns1:53",route="udp-dns"} %d.0
                featherlb_udp_sessions_total{endpoint="dns2:53",route="udp-dns"} %d.0
                featherlb_udp_sessions_total{endpoint="backend1:80",route="other"} 99.0
                featherlb_udp_active_sessions{endpoint="dns1:53",route="udp-dns"} %d.0
                featherlb_udp_active_sessions{endpoint="dns2:53",route="udp-dns"} %d.0
                featherlb_udp_datagrams_total{direction="downstream",endpoint="dns1:53",route="udp-dns"} %d.0
                featherlb_udp_datagrams_total{direction="upstream",endpoint="dns1:53",route="udp-dns"} 12345.0
                featherlb_udp_datagrams_total{direction="downstream",endpoint="dns2:53",route="udp-dns"} %d.0
                featherlb_endpoint_up{endpoint="dns1:53",route="udp-dns"} %d.0
                featherlb_endpoint_up{endpoint="dns2:53",route="udp-dns"} %d.0
                """.formatted(sessions1, sessions2, active1, active2, down1, down2, up1, up2);
    }

    /** dig's output in the second phase: {@code each} answers from each server in turn, {@code lost} queries lost, then {@code dns1} answers from dns1. */
    private static String stopped(long each, long lost, long dns1) {
        return dig(each, each, 0) + LOST.repeat((int) lost) + (DNS1 + "\n").repeat((int) dns1);
    }

    private static final long HALF = UdpDns.BOTH_UP / 2;
    private static final Map<String, UdpDns.Counts> BEFORE = UdpDns.counts(metrics(3, 0, 3, 1, 2, 0, 2, 1));
    private static final Map<String, UdpDns.Counts> SETTLED = UdpDns.counts(metrics(3 + HALF, 0, 3 + HALF, 1, 2 + HALF, 0, 2 + HALF, 1));
    private static final UdpDns.Tally BOTH_UP = UdpDns.tally(dig(HALF, HALF, 0));
    private static final long DURING = UdpDns.DURING_STOP;
    /** 1.5 s until taken out: dig may lose 2 + 1 queries. */
    private static final double TAKEN_OUT = 1.5;
    private static final UdpDns.Tally DURING_STOP = UdpDns.tally(stopped(1000, 3, DURING - 2000 - 3));
    private static final UdpDns.Tally AFTER = UdpDns.tally(dig(UdpDns.AFTER, 0, 0));

    private static List<Verdict> judge(UdpDns.Tally bothUp, Map<String, UdpDns.Counts> settled, UdpDns.Tally during,
                                       double takenOut, UdpDns.Tally after) {
        return UdpDns.judge(bothUp, BEFORE, settled, during, takenOut, after);
    }

    private static Verdict verdict(List<Verdict> verdicts, String start) {
        return verdicts.stream().filter(v -> v.check().startsWith(start)).findFirst().orElseThrow(() -> new AssertionError(start + " in " + verdicts));
    }

    @Test
    void itsRouteIsAUdpRouteWithAHexCheckAndOneResponsePerSession() throws Exception {
        var route = config.ConfigLoader.parse(Path.of("e2e.yaml"), FeatherlbConfig.render(List.of(new UdpDns().scenario()))).routes().getFirst();
        assertEquals(config.Protocol.UDP, route.protocol());
        assertEquals(1, route.udp().responses());
        assertEquals(config.Udp.DEFAULTS.idle(), route.udp().idle(), "sessions left open would stay 30 s: the metrics tell responses from timeouts");
        assertEquals(UdpDns.CHECK_QUERY, route.health().check().sendHex());
        assertEquals(List.of("dns1", "dns2"), route.endpoints().stream().map(e -> e.host()).toList());
    }

    @Test
    void composeStartsTheServersTheScenarioNames() throws Exception {
        String compose = Files.readString(Path.of("compose.yaml"));
        for (String service : new UdpDns().services()) assertTrue(compose.contains("\n  " + service + ": {"), service);
        UdpDns.ANSWERS.forEach((server, address) -> assertTrue(compose.contains("hostname: " + server
                + ", entrypoint: [\"dnsmasq\", \"--no-daemon\", \"--no-resolv\", \"--no-hosts\", \"--address=/" + UdpDns.QNAME + "/" + address + "\"]"), server));
        assertTrue(compose.contains("image: ${FEATHERLB_TOOLS_IMAGE:-"), "the offline image replaces the public ones");
    }

    @Test
    void digsOutputIsCountedAnswerByAnswer() {
        UdpDns.Tally t = UdpDns.tally(dig(3, 2, 4) + ";; connection timed out; no servers could be reached\n;; Warning: ID mismatch\n");
        assertEquals(5, t.answered());
        assertEquals(3, t.of("dns1"));
        assertEquals(2, t.of("dns2"));
        assertEquals(5, t.unanswered(), "dig 9.18's two lines count once, as dig 9.16's one line does");
        assertEquals(List.of(";; Warning: ID mismatch"), t.other());
        assertEquals(0, t.tailOnDns1(), "it ended with a line that is no answer");
        assertEquals(7, UdpDns.tally(stopped(2, 1, 7)).tailOnDns1());
    }

    @Test
    void metricsAreReadForTheScenariosRouteOnly() {
        Map<String, UdpDns.Counts> counts = UdpDns.counts(metrics(10, 1, 9, 1, 8, 0, 8, 0));
        assertEquals(Map.of("dns1", new UdpDns.Counts(10, 1, 9, true), "dns2", new UdpDns.Counts(8, 0, 8, false)), counts);
    }

    @Test
    void passesWhenEveryPhaseWentAsItShould() {
        List<Verdict> verdicts = judge(BOTH_UP, SETTLED, DURING_STOP, TAKEN_OUT, AFTER);
        assertTrue(verdicts.stream().noneMatch(Verdict::failed), verdicts.toString());
        assertEquals(6, verdicts.size());
    }

    @Test
    void failsWhenAQueryWentUnansweredWithBothUp() {
        UdpDns.Tally lost = UdpDns.tally(dig(HALF, HALF - 1, 1));
        assertTrue(verdict(judge(lost, SETTLED, DURING_STOP, TAKEN_OUT, AFTER), "every query answered").failed());
    }

    @Test
    void failsWhenOneServerTookAllOrMostQueries() {
        UdpDns.Tally one = UdpDns.tally(dig(2 * HALF, 0, 0));
        assertTrue(verdict(judge(one, SETTLED, DURING_STOP, TAKEN_OUT, AFTER), "both servers answered").failed());
        UdpDns.Tally skewed = UdpDns.tally(dig(HALF + HALF / 10, HALF - HALF / 10, 0));
        assertTrue(verdict(judge(skewed, SETTLED, DURING_STOP, TAKEN_OUT, AFTER), "both servers answered").failed(), "55/45");
    }

    @Test
    void failsWhenSessionsStayedOpenOrWereNotOnePerQuery() {
        var open = UdpDns.counts(metrics(3 + HALF, 7, 3 + HALF, 1, 2 + HALF, 0, 2 + HALF, 1));
        Verdict v = verdict(judge(BOTH_UP, open, DURING_STOP, TAKEN_OUT, AFTER), "a session per query");
        assertTrue(v.failed(), "responses: 1 not ending sessions");
        assertTrue(v.detail().contains("7 sessions open"), v.detail());
        var shared = UdpDns.counts(metrics(3 + HALF / 2, 0, 3 + HALF, 1, 2 + HALF, 0, 2 + HALF, 1));
        assertTrue(verdict(judge(BOTH_UP, shared, DURING_STOP, TAKEN_OUT, AFTER), "a session per query").failed(), "fewer sessions than queries");
        assertTrue(verdict(judge(BOTH_UP, Map.of(), DURING_STOP, TAKEN_OUT, AFTER), "a session per query").failed(), "no metrics");
    }

    @Test
    void failsWhenTheStoppedServerWasNotTakenOutOrNotUnderLoad() {
        assertTrue(verdict(judge(BOTH_UP, SETTLED, DURING_STOP, -1, AFTER), "dns2 stopped under load").failed());
        UdpDns.Tally afterTheLoad = UdpDns.tally(dig(DURING / 2, DURING / 2, 0));
        assertTrue(verdict(judge(BOTH_UP, SETTLED, afterTheLoad, TAKEN_OUT, AFTER), "dns2 stopped under load").failed(),
                "a stop after the load proves nothing");
        UdpDns.Tally beforeTheLoad = UdpDns.tally(stopped(0, 1, DURING - 1));
        assertTrue(verdict(judge(BOTH_UP, SETTLED, beforeTheLoad, TAKEN_OUT, AFTER), "dns2 stopped under load").failed(),
                "nor does one before it");
    }

    @Test
    void failsWhenMoreQueriesWereLostThanTheDigsCouldHaveHadInFlight() {
        UdpDns.Tally tooMany = UdpDns.tally(stopped(1000, 4, DURING - 2000 - 4));
        Verdict v = verdict(judge(BOTH_UP, SETTLED, tooMany, TAKEN_OUT, AFTER), "queries lost while dns2 went");
        assertTrue(v.failed(), v.toString());
        assertTrue(v.detail().contains("at most 3 allowed"), v.detail());
        UdpDns.Tally missing = UdpDns.tally(stopped(1000, 0, DURING - 2000 - 100));
        assertTrue(verdict(judge(BOTH_UP, SETTLED, missing, TAKEN_OUT, AFTER), "queries lost while dns2 went").failed(),
                "queries neither answered nor lost: dig output cut short");
    }

    @Test
    void failsWhenALaterQueryWentToTheStoppedServerOrWasLost() {
        long n = UdpDns.AFTER;
        assertTrue(verdict(judge(BOTH_UP, SETTLED, DURING_STOP, TAKEN_OUT, UdpDns.tally(dig(n - 1, 1, 0))), "later queries").failed());
        assertTrue(verdict(judge(BOTH_UP, SETTLED, DURING_STOP, TAKEN_OUT, UdpDns.tally(dig(n - 1, 0, 1))), "later queries").failed());
        assertFalse(verdict(judge(BOTH_UP, SETTLED, DURING_STOP, TAKEN_OUT, AFTER), "later queries").failed());
    }
}
