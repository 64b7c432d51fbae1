package tcp;

import java.nio.ByteBuffer;
import java.time.Duration;
import routing.Learned;

/**
 * A step that reads the start of a connection before an endpoint is picked (a PROXY header, a TLS
 * ClientHello), bounded in bytes ({@link #limit}) and in time ({@link #timeout}): Envoy's listener
 * filters. It runs on the client's read readiness, on the connection's loop; each call sees every
 * byte read so far and answers {@link NeedMore}, {@link Done} or {@link Fail}. What it read and did
 * not {@linkplain Done#consumed consume} is forwarded to the endpoint first, exactly as received.
 *
 * <p>One instance per connection (a parser may keep state between calls); see {@link Stages}.
 */
public interface Preamble {
    /**
     * @param seen every byte read so far, from position 0 to its limit; read-only, not to keep
     */
    Verdict read(ByteBuffer seen);

    /** Bytes it may need at most before it decides: more is a {@link Fail} without asking it. */
    int limit();

    /** How long the whole preamble may take; then the connection is closed as failed. */
    Duration timeout();

    /** The reason counted when the preamble did not arrive within {@link #timeout} ({@code sni_timeout}, {@code proxy_timeout}). */
    default String timedOut() {
        return "preamble_timeout";
    }

    /** The reason counted when {@link #limit} bytes came without a decision. */
    String TOO_LONG = "preamble_too_long";

    /** What a call of {@link #read} says. */
    sealed interface Verdict permits NeedMore, Done, Fail {
    }

    /** Not decided: read more. */
    enum NeedMore implements Verdict { INSTANCE }

    /**
     * Decided: the first {@code consumed} bytes were the preamble's own (a PROXY header: they never
     * reach the endpoint); the rest go to the endpoint first.
     */
    record Done(int consumed, Learned learned) implements Verdict {
    }

    /**
     * The start is not what the route requires: the connection is closed, and {@code reason} counted
     * ({@code featherlb_rejected_total}'s label, such as {@code sni_too_large}).
     */
    record Fail(String reason) implements Verdict {
    }
}
