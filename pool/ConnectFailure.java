package pool;

/** Why a connect to an endpoint failed: the {@code reason} label of the failure counters. */
public enum ConnectFailure {
    REFUSED("refused"),
    TIMEOUT("timeout"),
    UNRESOLVED("unresolved"),
    OTHER("other"),
    /** Connected, then closed or reset before sending a byte (counted with {@code retry_on: empty-response}). */
    EMPTY("empty");

    private final String label;

    ConnectFailure(String label) {
        this.label = label;
    }

    /** Lower-case name used in logs and metrics. */
    public String label() {
        return label;
    }
}
