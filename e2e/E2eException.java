package e2e;

/**
 * A failure of the test set-up that the user can act on (no Docker engine, the image did not build,
 * featherlb did not come up). Its message is printed as it is, without a stack trace.
 */
public final class E2eException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public E2eException(String message) {
        super(message);
    }
}
