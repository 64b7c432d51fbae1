package admin;

import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The probes of a supervisor (Kubernetes, a balancer in front) on the admin address, open like
 * every read: {@code GET /healthz} answers 200 while the process serves (503 once it cannot: an
 * event loop failed), {@code GET /readyz} 200 while it wants new connections and 503 from SIGTERM
 * on, during {@code shutdown_delay} and the drain after it. Each body says the phase in words.
 *
 * @param live  whether the process serves
 * @param phase the lifecycle's phase, lower case ({@code serving}, {@code leaving}, {@code draining})
 * @param ready whether new connections are wanted
 */
public record Probes(BooleanSupplier live, Supplier<String> phase, BooleanSupplier ready) {
    /** A process that serves until it stops, without a lifecycle of its own (tests, tools). */
    public static final Probes ALWAYS = new Probes(() -> true, () -> "serving", () -> true);
    /** The liveness probe's path. */
    public static final String LIVE = "/healthz";
    /** The readiness probe's path. */
    public static final String READY = "/readyz";

    /** The answer at {@code path} ({@code /healthz} or {@code /readyz}), or null for any other path. */
    Reply answer(String path) {
        boolean ok;
        if (path.equals(LIVE)) ok = live.getAsBoolean();
        else if (path.equals(READY)) ok = ready.getAsBoolean();
        else return null;
        return new Reply(ok ? 200 : 503, Map.of("status", ok ? "ok" : "unavailable", "phase", phase.get()));
    }
}
