package pool;

import dial.ConnectFailure;
import health.HealthState;

/**
 * A connection's claim on the backend its pool picked: counted active there from the pick (so that
 * leastconn sees it at once) until {@link #release}, which is idempotent, so the one place that ends
 * a connection can always call it, whatever stage the connection reached.
 *
 * <p>Not thread-safe: a lease belongs to one connection and is used on that connection's thread
 * (its event loop).
 */
public final class Lease {
    private final Backend backend;
    private final int index;
    private long trial; // the half-open trial's token while this lease holds it, else HealthState.NO_TRIAL
    private boolean released;

    Lease(Backend backend, int index, long trial) {
        this.backend = backend;
        this.index = index;
        this.trial = trial;
    }

    public Backend backend() {
        return backend;
    }

    /** The backend's position in its pool: what a connection marks as tried when it fails. */
    public int index() {
        return index;
    }

    /**
     * The connect succeeded: counted. With {@code verdictLater} (replays on), health waits for
     * {@link #answered}: a stopping backend's listen queue accepts connects it will only reset.
     */
    public void connected(boolean verdictLater) {
        if (verdictLater) {
            backend.opened();
        } else {
            trial = HealthState.NO_TRIAL; // decided: the connect brings it back
            backend.connected();
        }
    }

    /** The endpoint sent its first byte: a passive health success. */
    public void answered() {
        trial = HealthState.NO_TRIAL;
        backend.answered();
    }

    /** The connect failed, or the endpoint closed before answering ({@code why}): counted, and given back. */
    public void failed(ConnectFailure why) {
        trial = HealthState.NO_TRIAL; // decided: the failure starts another cool-down
        release();
        backend.connectFailed(why);
    }

    /** No longer counted active on the backend; again is nothing. A trial still undecided lets the
     * next connection be the trial. */
    public void release() {
        if (released) return;
        released = true;
        backend.released();
        if (trial != HealthState.NO_TRIAL) {
            backend.health().trialAbandoned(trial);
            trial = HealthState.NO_TRIAL;
        }
    }

    public boolean released() {
        return released;
    }
}
