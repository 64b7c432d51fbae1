package dial;

import java.io.IOException;

/**
 * featherlb itself could not open a socket for a dial (out of file descriptors, out of buffer
 * space): not the endpoint's fault, so never counted against it (no failed connect, no passive
 * ejection). HAProxy makes the same distinction ("local resource" errors).
 */
public final class LocalFailure extends IOException {
    public LocalFailure(IOException cause) {
        super("featherlb could not open a socket: " + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage()), cause);
    }
}
