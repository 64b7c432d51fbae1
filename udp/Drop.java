package udp;

import java.util.Locale;

/**
 * Why a datagram was dropped: the {@code reason} of {@code featherlb_udp_dropped_total}. A drop is
 * counted, never logged per datagram: a flood would otherwise be a flood of log lines.
 */
public enum Drop {
    /** A new client's datagram while the session table is full ({@code max_sessions}). */
    MAX_SESSIONS,
    /** A new client's datagram and no endpoint usable (all down, drained or of weight 0), or none could be opened. */
    NO_ENDPOINT,
    /** Larger than a UDP datagram may be (65,507 bytes over IPv4), or than the loop's buffer. */
    TOO_LARGE,
    /** A session's queue (or the listener's, towards clients) was full: the socket buffers could not take it yet. */
    QUEUE_FULL,
    /** {@code accept_proxy}: a datagram from a sender outside {@code from} (the reason TCP's rejections use). */
    PROXY_UNTRUSTED,
    /**
     * {@code accept_proxy}: a trusted sender's datagram without a valid PROXY v2 header for UDP (none,
     * a broken one, v1, or one for TCP).
     */
    PROXY_INVALID,
    /** {@code accept_proxy}: a PROXY v2 header whose CRC32C TLV does not match. */
    PROXY_CRC,
    /** A datagram from an endpoint to a session socket kept for reuse, after its session ended (a late duplicate answer). */
    LATE_REPLY;

    /** The label value: the lower-case name. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
