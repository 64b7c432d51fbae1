package e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class WrkResultTest {
    /** wrk 4.1.0's report with --latency, errors of every kind. */
    static final String WITH_ERRORS = """
            Running 10s test @ http://featherlb:8081/
              12 threads and 400 connections
              Thread Stats   Avg      Stdev     Max   +/- Stdev
                Latency    35.12ms   20.01ms   1.30s    80.00%
                Req/Sec   950.00    100.00     1.20k    70.00%
              Latency Distribution
                 50%  850.00us
                 75%   40.00ms
                 90%    1.25s
                 99%    1.02m
              113600 requests in 10.01s, 18.20MB read
              Socket errors: connect 1, read 12, write 2, timeout 3
              Non-2xx or 3xx responses: 5
            Requests/sec:  11349.65
            Transfer/sec:      1.82MB
            """;

    /** A clean run: wrk leaves out the error lines when they are zero. */
    static final String CLEAN = """
            Running 3s test @ http://featherlb:8082/
              4 threads and 133 connections
              Thread Stats   Avg      Stdev     Max   +/- Stdev
                Latency    10.00ms    2.00ms  30.00ms   70.00%
                Req/Sec     1.00k   100.00     1.20k    70.00%
              Latency Distribution
                 50%    9.00ms
                 75%   11.00ms
                 90%   14.00ms
                 99%   25.00ms
              12000 requests in 3.00s, 1.80MB read
            Requests/sec:   4000.00
            Transfer/sec:    600.00KB
            """;

    @Test
    void readsFiguresAndErrorsByKind() {
        WrkResult r = WrkResult.parse(WITH_ERRORS);
        assertEquals(113600, r.requests());
        assertEquals(10.01, r.seconds(), 1e-9);
        assertEquals(11349.65, r.requestsPerSecond(), 1e-9);
        assertEquals(new WrkResult.Latency(0.85, 40, 1250, 61_200), r.latency());
        assertEquals(new WrkResult.Errors(1, 12, 2, 3, 5), r.errors());
        assertEquals(18, r.errors().socket());
        assertEquals(23, r.errors().total());
    }

    @Test
    void absentErrorLinesMeanNoErrors() {
        WrkResult r = WrkResult.parse(CLEAN);
        assertEquals(WrkResult.Errors.NONE, r.errors());
        assertEquals(25.0, r.latency().p99(), 1e-9);
    }

    @Test
    void concurrentRunsAddRatesAndKeepTheWorstLatency() {
        WrkResult r = WrkResult.concurrent(List.of(WrkResult.parse(CLEAN), WrkResult.parse(WITH_ERRORS)));
        assertEquals(125600, r.requests());
        assertEquals(15349.65, r.requestsPerSecond(), 1e-6);
        assertEquals(10.01, r.seconds(), 1e-9);
        assertEquals(9.0, r.latency().p50(), 1e-9);
        assertEquals(61_200, r.latency().p99(), 1e-9);
        assertEquals(23, r.errors().total());
    }

    @Test
    void sequentialRunsRateOverTheirSummedLength() {
        WrkResult r = WrkResult.sequential(List.of(WrkResult.parse(CLEAN), WrkResult.parse(CLEAN)));
        assertEquals(24000, r.requests());
        assertEquals(6.0, r.seconds(), 1e-9);
        assertEquals(4000, r.requestsPerSecond(), 1e-9);
    }

    @Test
    void failedWrkIsReportedWithWhatItSaid() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> WrkResult.parse("unable to connect to featherlb:8081 Connection refused\n"));
        assertEquals("wrk printed no summary; it said: unable to connect to featherlb:8081 Connection refused", e.getMessage());
    }
}
