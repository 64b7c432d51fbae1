package health;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * send_expect: writes {@code send} (if any) and wants a reply that starts with {@code expect}, as
 * HAProxy's {@code tcp-check send}/{@code expect string} does (e.g. redis: {@code PING\r\n},
 * {@code +PONG}). Reading stops as soon as the reply can no longer match, so a wrong answer fails
 * at once rather than at the timeout.
 */
final class SendExpectProbe implements Probe {
    private final byte[] send;
    private final byte[] expect;

    SendExpectProbe(String send, String expect) {
        this(send.getBytes(StandardCharsets.UTF_8), expect.getBytes(StandardCharsets.UTF_8));
    }

    SendExpectProbe(byte[] send, byte[] expect) {
        this.send = send;
        this.expect = expect;
    }

    @Override
    public String probe(SocketChannel channel, long deadlineNanos) throws IOException {
        if (send.length > 0) Reply.send(channel, send);
        byte[] reply = Reply.read(channel, deadlineNanos, expect.length, this::mismatch);
        if (Arrays.equals(reply, expect)) return null;
        if (reply.length == 0) return "closed without a reply";
        return "reply " + Reply.show(reply) + " does not start with " + Reply.show(expect);
    }

    /** The bytes so far differ from {@code expect}: no need to wait for more. */
    private boolean mismatch(byte[] bytes, int length) {
        return !Arrays.equals(bytes, 0, length, expect, 0, length);
    }
}
