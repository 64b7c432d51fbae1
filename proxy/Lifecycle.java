package proxy;

import static java.lang.System.Logger.Level.INFO;

import config.Durations;
import java.time.Duration;

/**
 * Where the process is between start and exit, as a readiness probe sees it: {@code SERVING}, then
 * on SIGTERM {@code LEAVING} for {@code shutdown_delay} (still accepting, but {@code GET /readyz}
 * answers 503, so that a Kubernetes Service or another balancer in front takes this instance out
 * before it stops accepting: kubernetes #106476), then {@code DRAINING} ({@link Server#shutdown}:
 * no longer accepting, open connections finish within {@code shutdown_grace}), then {@code STOPPED}.
 * The transitions are all here, each once, in this order.
 *
 * <p>Threads: {@link #leave} runs on the shutdown thread and blocks for the delay; {@link #hurry}
 * (a second signal) may come from any thread and ends the delay at once; {@link #phase} is read by
 * the admin server's request threads.
 */
public final class Lifecycle {
    private static final System.Logger LOG = System.getLogger(Lifecycle.class.getName());

    /** The phases, in the only order they are passed through. */
    public enum Phase { SERVING, LEAVING, DRAINING, STOPPED }

    private Phase phase = Phase.SERVING; // guarded by this
    private boolean hurried; // guarded by this

    public synchronized Phase phase() {
        return phase;
    }

    /** Whether a readiness probe should send traffic here: only while {@code SERVING}. */
    public boolean ready() {
        return phase() == Phase.SERVING;
    }

    /**
     * {@code SERVING -> LEAVING}, then waits {@code delay} (0: not at all) while the listeners keep
     * accepting, or until {@link #hurry}, then {@code -> DRAINING}: the caller stops accepting next.
     * A call after the first returns at once.
     */
    public void leave(Duration delay) {
        synchronized (this) {
            if (phase != Phase.SERVING) return;
            phase = Phase.LEAVING;
            if (!delay.isZero()) {
                LOG.log(INFO, "not ready (GET /readyz answers 503); still accepting for {0} (shutdown_delay)", Durations.format(delay));
            }
            long deadline = System.nanoTime() + delay.toNanos();
            try {
                for (long left = delay.toNanos(); left > 0 && !hurried; left = deadline - System.nanoTime()) {
                    wait(Math.max(1, left / 1_000_000));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the caller stops accepting now, and sees the interrupt
            }
            phase = Phase.DRAINING;
        }
    }

    /** Ends the delay of {@link #leave} now (a second SIGTERM): featherlb stops accepting at once. */
    public synchronized void hurry() {
        hurried = true;
        notifyAll();
    }

    /** {@code -> STOPPED}: every connection has ended. */
    public synchronized void stopped() {
        phase = Phase.STOPPED;
    }
}
