package pool;

/** Why a connect to an endpoint failed: the {@code reason} label of the failure counters. */
public enum ConnectFailure {
    REFUSED("refused"),
    TIMEOUT("timeout"),
    UNRESOLVED("unresolved"),
    OTHER("other");

    private final String label;

    ConnectFailure(String label) {
        this.label = label;
    }

    /** Lower-case name used in logs and metrics. */
    public String label() {
        return label;
    }
}
