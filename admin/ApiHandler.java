package admin;

/** One call of the admin API. Runs on the request's virtual thread. */
@FunctionalInterface
public interface ApiHandler {
    /** Answers {@code request}, or throws an {@link ApiException} that becomes a JSON error with its status. */
    Reply handle(ApiRequest request) throws ApiException;
}
