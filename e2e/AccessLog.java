package e2e;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads the access logs that e2e/nginx.conf writes. Every request of a scenario carries the headers
 * {@code X-E2E-Scenario} and {@code X-E2E-Client}, which nginx logs, so one log file per backend
 * serves all scenarios and clients, and stray requests (readiness probes) are told apart ("-").
 */
public final class AccessLog {
    /** The log_format of e2e/nginx.conf that {@link #parse} reads; a test keeps the two in step. */
    public static final String FORMAT = "$msec $hostname $http_x_e2e_scenario $http_x_e2e_client $status $request_time";
    /** Where e2e/nginx.conf writes its access log inside a backend container. */
    public static final String PATH = "/tmp/e2e-access.log";

    private AccessLog() {}

    /**
     * One logged request.
     *
     * @param backend  the backend whose log it is in
     * @param millis   when the response was done, epoch milliseconds (the host's clock: containers share it)
     * @param scenario the X-E2E-Scenario header, "-" when absent
     * @param client   the X-E2E-Client header, "-" when absent
     * @param status   the HTTP status nginx sent (499: the client closed first)
     */
    public record Hit(String backend, long millis, String scenario, String client, int status) {}

    /** The hits in {@code text}, a part of {@code backend}'s access log; lines that do not fit the format are skipped. */
    public static List<Hit> parse(String backend, String text) {
        List<Hit> hits = new ArrayList<>();
        for (String line : text.split("\n")) {
            String[] f = line.strip().split(" ");
            if (f.length != 6) continue;
            try {
                long millis = Math.round(Double.parseDouble(f[0]) * 1000);
                hits.add(new Hit(backend, millis, f[2], f[3], Integer.parseInt(f[4])));
            } catch (NumberFormatException e) {
                // a line cut short while nginx was writing it; the next read has it whole
            }
        }
        return hits;
    }
}
