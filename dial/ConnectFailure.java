package dial;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * Why a connect to an endpoint failed: the {@code reason} label of the failure counters, and the one
 * place where an {@link IOException} of a dial becomes a reason ({@link #of}) and words for a log
 * line ({@link #detail}). Connections, health checks and the passive verdict all use it.
 */
public enum ConnectFailure {
    REFUSED("refused", "connect refused"),
    TIMEOUT("timeout", "connect timed out"),
    UNRESOLVED("unresolved", "name does not resolve"),
    OTHER("other", "connect failed"),
    /** Connected, then closed or reset before sending a byte (counted with {@code retry_on: empty-response}). */
    EMPTY("empty", "closed without answering");

    private final String label;
    private final String description;

    ConnectFailure(String label, String description) {
        this.label = label;
        this.description = description;
    }

    /** Lower-case name used in metrics. */
    public String label() {
        return label;
    }

    /** What happened, for the endpoint's state in logs: "connect refused", "name does not resolve". */
    public String description() {
        return description;
    }

    /** The reason a dial failed with {@code e}. */
    public static ConnectFailure of(IOException e) {
        return switch (e) {
            case SocketTimeoutException ignored -> TIMEOUT;
            case UnknownHostException ignored -> UNRESOLVED;
            case ConnectException ignored -> REFUSED;
            default -> OTHER;
        };
    }

    /**
     * The failure in the words of a refusal line: "timed out", "name does not resolve", the
     * system's own words for a refused connect ("connection refused", "no route to host"), else the
     * exception's class and message.
     */
    public static String detail(IOException e) {
        return switch (of(e)) {
            case TIMEOUT -> "timed out";
            case UNRESOLVED -> "name does not resolve";
            case REFUSED -> e.getMessage() == null ? "refused" : e.getMessage().toLowerCase(Locale.ROOT);
            default -> e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        };
    }

    /**
     * The failure as a health check reports it: {@link #description()}, or "connect failed: " and
     * the system's words when they say more than the reason does (a connect that was not refused but
     * had no route, an unexpected error).
     */
    public static String checkFailure(IOException e) {
        ConnectFailure failure = of(e);
        String detail = detail(e);
        if (failure == REFUSED && !detail.contains("refused")) return OTHER.description + ": " + detail;
        if (failure == OTHER) return OTHER.description + ": " + e;
        return failure.description;
    }
}
