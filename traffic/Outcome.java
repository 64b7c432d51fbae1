package traffic;

/** How a proxied connection ended. */
public enum Outcome {
    /** The client sent EOF first (then the endpoint's answer, if any, was delivered). */
    CLIENT_CLOSED("client closed"),
    /** The endpoint sent EOF first. */
    ENDPOINT_CLOSED("endpoint closed"),
    /** The client reset the connection, or vanished while we wrote to it. */
    CLIENT_RESET("client reset"),
    /** The endpoint reset the connection, or vanished while we wrote to it. */
    ENDPOINT_RESET("endpoint reset"),
    /** Nothing moved either way for the route's idle timeout. */
    IDLE_TIMEOUT("timeout"),
    /** The start of the connection did not pass its preamble (a bad or late PROXY header), or no route takes it. */
    REJECTED("rejected"),
    /** No endpoint could be connected: all refused, timed out, or none was up. */
    NO_ENDPOINT("refused"),
    /** Still open when the shutdown grace period ended (or its endpoint was closed on purpose). */
    SHUTDOWN("shutdown");

    private final String label;

    Outcome(String label) {
        this.label = label;
    }

    /** Lower-case words for logs. */
    public String label() {
        return label;
    }
}
