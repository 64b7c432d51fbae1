package health;

import static java.lang.System.Logger.Level.DEBUG;
import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

import config.Durations;
import config.Endpoint;
import config.HealthCheck;
import config.Route;
import dial.ConnectFailure;
import dial.Dialer;
import dial.LocalFailure;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * The active health checks of one route: a virtual thread per endpoint that has a check, which
 * checks, tells the endpoint's {@link HealthState} the result, and sleeps until the next
 * interval. Checks never run on a connection's thread, and a slow check delays only the next check
 * of its own endpoint.
 *
 * <p>Everything below {@link #start()} runs in the check threads; {@link #close()} interrupts them
 * (which closes a channel they are blocked on) and waits for them to end. A check cut short that
 * way reports nothing.
 */
public final class HealthChecker implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(HealthChecker.class.getName());
    private static final Duration JOIN = Duration.ofSeconds(2);

    private final Route route;
    private final Dialer dialer;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean closed;

    /** What one check thread checks: an endpoint, and the state its results go to. */
    public record Target(Endpoint endpoint, HealthState state) {
    }

    /**
     * @param dialer the dialer connections use: a check then resolves the endpoint's name at every
     *               check, as a connection does, and a test can stand in a dialer of its own
     */
    public HealthChecker(Route route, List<Target> targets, Dialer dialer) {
        this(route, targets, dialer, HealthChecks.NO_HEADER);
    }

    /**
     * @param header what a check writes first to an endpoint of {@code route}, before its probe
     *               (the PROXY header of {@code send_proxy}), or null for nothing
     */
    public HealthChecker(Route route, List<Target> targets, Dialer dialer, BiFunction<Route, Endpoint, byte[]> header) {
        this.route = route;
        this.dialer = dialer;
        for (Target target : targets) {
            HealthCheck check = route.health().checkOf(target.endpoint());
            if (check == null) continue;
            byte[] first = header.apply(route, target.endpoint());
            threads.add(Thread.ofVirtual().name("featherlb-check-" + route.name() + "/" + target.endpoint().address())
                    .unstarted(() -> checkLoop(target, check, first)));
        }
    }

    /** Starts the checks; the first of each runs at once. */
    public void start() {
        if (threads.isEmpty()) return;
        threads.forEach(Thread::start);
        HealthCheck check = route.health().check();
        LOG.log(INFO, "route {0}: health checks on {1} endpoint(s){2}", route.name(), threads.size(),
                check != null ? ": " + check.describe() : "");
    }

    /** Stops the checks and waits for them to end. */
    @Override
    public void close() {
        closed = true;
        threads.forEach(Thread::interrupt);
        for (Thread thread : threads) {
            try {
                if (thread.isAlive() && !thread.join(JOIN)) {
                    LOG.log(WARNING, "{0} did not end within {1}", thread.getName(), Durations.format(JOIN));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Whether a check thread is still alive (for tests of {@link #close()}). */
    boolean running() {
        return threads.stream().anyMatch(Thread::isAlive);
    }

    private void checkLoop(Target target, HealthCheck check, byte[] header) {
        String host = target.endpoint().host();
        int port = check.port() != 0 ? check.port() : target.endpoint().port();
        Probe probe = header == null ? Probe.of(check, host, port) : Probe.greeted(header, Probe.of(check, host, port));
        long interval = check.interval().toNanos();
        long next = System.nanoTime();
        boolean udp = route.protocol() == config.Protocol.UDP;
        while (!closed) {
            String failure = udp ? UdpProbe.check(host, port, check, header, check.timeout()) : check(dialer, probe, host, port, check.timeout());
            if (closed) return; // cut short by close(): says nothing about the endpoint
            if (failure != LOCAL) { // featherlb's own exhaustion: no verdict this round
                if (failure != null && LOG.isLoggable(DEBUG)) {
                    LOG.log(DEBUG, "check of {0}/{1} failed: {2}", route.name(), target.endpoint().address(), failure);
                }
                target.state().checked(failure);
            }
            next += interval;
            long now = System.nanoTime();
            if (next - now < 0) next = now; // a check longer than the interval: the next one at once
            try {
                Thread.sleep(Duration.ofNanos(next - now));
            } catch (InterruptedException e) {
                return; // close() is the only one who interrupts
            }
        }
    }

    /** What {@link #check} says when featherlb itself could not open a socket ({@link LocalFailure}). */
    static final String LOCAL = "featherlb could not open a socket";

    /** One check; null when it passed, {@link #LOCAL}, else why it failed. */
    static String check(Dialer dialer, Probe probe, String host, int port, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        SocketChannel channel;
        try {
            channel = dialer.dial(host, port, timeout);
        } catch (ClosedByInterruptException e) {
            return "interrupted";
        } catch (LocalFailure e) { // featherlb's own exhaustion says nothing about the endpoint
            return LOCAL;
        } catch (IOException e) {
            return ConnectFailure.checkFailure(e);
        }
        try (channel) {
            return probe.probe(channel, deadline);
        } catch (SocketTimeoutException e) {
            return "no reply within " + Durations.format(timeout);
        } catch (IOException e) {
            return "reply failed: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
    }
}
