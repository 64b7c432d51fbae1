package tcp;

import config.Route;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The client's bytes so far, kept while they may have to be sent again to the next endpoint
 * ({@code retry_on: empty-response}), up to {@link Route#REPLAY_LIMIT}: past it, nothing can be
 * replayed any more. Loop thread only.
 */
final class Replay {
    private byte[] kept = new byte[0]; // grows on the first record
    private int length;
    private boolean over;

    /** Keeps {@code bytes} (position to limit, left as they are); false once past the limit. */
    boolean record(ByteBuffer bytes) {
        if (over) return false;
        int n = bytes.remaining();
        if (length + n > Route.REPLAY_LIMIT) {
            over = true;
            kept = null;
            return false;
        }
        if (length + n > kept.length) kept = Arrays.copyOf(kept, Math.min(Route.REPLAY_LIMIT, Math.max(512, 2 * (length + n))));
        bytes.get(bytes.position(), kept, length, n);
        length += n;
        return true;
    }

    int length() {
        return length;
    }

    /** The kept bytes, to read once. */
    ByteBuffer bytes() {
        return ByteBuffer.wrap(kept, 0, length);
    }
}
