package tcp;

import java.util.concurrent.Semaphore;

/**
 * A route's {@code max_connections}, changeable by a reload while connections hold permits.
 * Unlimited is a very large number of permits rather than no semaphore, so that a reload can turn a
 * limit on or off under the same acquire/release pairs.
 */
final class ConnectionLimit {
    private static final int UNLIMITED = Integer.MAX_VALUE / 4;

    private final Permits permits;
    private int limit; // guarded by this

    /** {@code max} 0 means unlimited. */
    ConnectionLimit(int max) {
        limit = max > 0 ? max : UNLIMITED;
        permits = new Permits(limit);
    }

    /** A permit if one is free now, without waiting. */
    boolean tryAcquire() {
        return permits.tryAcquire();
    }

    void release() {
        permits.release();
    }

    /** Applies a new limit: more permits at once, or fewer as open connections end. */
    synchronized void resize(int max) {
        int next = max > 0 ? max : UNLIMITED;
        int delta = next - limit;
        if (delta > 0) permits.release(delta);
        else if (delta < 0) permits.reducePermits(-delta); // may go negative: acquirers wait for releases
        limit = next;
    }

    /** Opens {@link Semaphore#reducePermits}, which is protected. */
    private static final class Permits extends Semaphore {
        Permits(int permits) {
            super(permits);
        }

        @Override
        protected void reducePermits(int reduction) {
            super.reducePermits(reduction);
        }
    }
}
