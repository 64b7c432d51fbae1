package health;

import dial.Dialer;
import config.Endpoint;
import config.Route;
import java.util.List;
import java.util.function.BiFunction;

/**
 * The active checks of every route, as one lifecycle: {@link #restart} after a config (or an endpoint
 * set) changed, {@link #close} at shutdown. Called by the server under its lock, so never by two
 * threads at once.
 */
public final class HealthChecks implements AutoCloseable {
    /** Checks that write nothing before their probe. */
    static final BiFunction<Route, Endpoint, byte[]> NO_HEADER = (route, endpoint) -> null;

    private final Dialer dialer;
    private final BiFunction<Route, Endpoint, byte[]> header;
    private List<HealthChecker> running = List.of();
    private boolean closed;

    /** What one route's checker checks. */
    public record Checked(Route route, List<HealthChecker.Target> targets) {
    }

    public HealthChecks(Dialer dialer) {
        this(dialer, NO_HEADER);
    }

    /**
     * @param header what a check writes first to an endpoint, before its probe (the PROXY header
     *               an endpoint with {@code send_proxy} wants), or null for nothing
     */
    public HealthChecks(Dialer dialer, BiFunction<Route, Endpoint, byte[]> header) {
        this.dialer = dialer;
        this.header = header;
    }

    /**
     * Stops the running checks, then starts those of {@code routes}: never two threads checking
     * one endpoint. An endpoint's state carries over (the targets' states are the live ones), so
     * only an endpoint new to the config has a first check that decides.
     */
    public synchronized void restart(List<Checked> routes) {
        running.forEach(HealthChecker::close);
        if (closed) {
            running = List.of();
            return;
        }
        running = routes.stream().map(c -> new HealthChecker(c.route(), c.targets(), dialer, header)).toList();
        running.forEach(HealthChecker::start);
    }

    /** Stops every check and waits for the check threads to end; a later restart starts none. */
    @Override
    public synchronized void close() {
        closed = true;
        running.forEach(HealthChecker::close);
        running = List.of();
    }
}
