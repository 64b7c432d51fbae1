package e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

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
        return parse(backend, text, 6, (hit, fields) -> hit);
    }

    /**
     * The lines of {@code text} in a format of {@code count} fields whose first five are {@link
     * #FORMAT}'s (the scenarios' own nginx logs add theirs after them): {@code line} makes each from
     * its hit and all its fields. Lines of another length, or whose numbers do not parse, are skipped.
     */
    static <T> List<T> parse(String backend, String text, int count, BiFunction<Hit, String[], T> line) {
        List<T> lines = new ArrayList<>();
        for (String raw : text.split("\n")) {
            String[] f = raw.strip().split(" ");
            if (f.length != count) continue;
            try {
                long millis = Math.round(Double.parseDouble(f[0]) * 1000);
                lines.add(line.apply(new Hit(backend, millis, f[2], f[3], Integer.parseInt(f[4])), f));
            } catch (NumberFormatException e) {
                // a line cut short while nginx was writing it; the next read has it whole
            }
        }
        return lines;
    }
}
