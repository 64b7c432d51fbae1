package tcp;

import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

import java.lang.management.ManagementFactory;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The connections all routes together may serve at once (top-level {@code max_connections}), taken
 * before {@code accept} like a route's own limit: over it, clients wait in the kernel's backlog
 * instead of being accepted and then reset for want of a file descriptor. By default it comes from
 * the process's file-descriptor limit, two per connection (client and endpoint) and some headroom
 * for the listeners, the JVM's own files, health checks and the admin server, as HAProxy derives its
 * {@code maxconn} from {@code ulimit -n}.
 *
 * <p>A listener that finds no permit stops watching its socket and waits here; the next release
 * wakes every waiting listener. Any thread.
 */
public final class GlobalLimit {
    private static final System.Logger LOG = System.getLogger(GlobalLimit.class.getName());
    /** Descriptors kept for everything that is not a proxied connection, at least. */
    static final int HEADROOM = 64;

    private final ConnectionLimit permits;
    private volatile int max; // 0: unlimited
    private final Set<TcpListener> waiting = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean logged = new AtomicBoolean();

    /** @param max 0 for unlimited */
    public GlobalLimit(int max) {
        this.max = max;
        this.permits = new ConnectionLimit(max);
    }

    /**
     * The default limit for a descriptor limit of {@code fds}: {@code (fds - headroom) / 2}, the
     * headroom a tenth of the limit but at least {@link #HEADROOM}; 0 (unlimited) when the limit is
     * unknown.
     */
    public static int derived(long fds) {
        if (fds <= 0 || fds > Integer.MAX_VALUE) return 0;
        long headroom = Math.max(HEADROOM, fds / 10);
        return (int) Math.max(1, (fds - headroom) / 2);
    }

    /** This process's file-descriptor limit (the soft one, which HotSpot raises to the hard one on Linux), or -1. */
    public static long descriptorLimit() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            return unix.getMaxFileDescriptorCount();
        }
        return -1;
    }

    public int max() {
        return max;
    }

    /** A reload's new limit: more permits at once, or fewer as connections end. */
    public void resize(int next) {
        max = next;
        permits.resize(next);
        wakeAll();
    }

    boolean tryAcquire() {
        return permits.tryAcquire();
    }

    /** {@code listener} found no permit: it is woken ({@link TcpListener#resumeAll}) by the next release. */
    void waiting(TcpListener listener, int open) {
        waiting.add(listener);
        if (logged.compareAndSet(false, true)) {
            LOG.log(WARNING, "{0} connections open, the global limit{1}: further clients wait in the listen backlog",
                    open, max == 0 ? "" : " of " + max);
        }
    }

    void release() {
        permits.release();
        if (!waiting.isEmpty()) wakeAll();
    }

    private void wakeAll() {
        for (TcpListener listener : waiting) {
            waiting.remove(listener);
            listener.resumeAll();
        }
    }

    /** Says at start-up what the limit is and where it came from. */
    public void describe(boolean derivedFromFds, long fds) {
        if (max == 0) LOG.log(INFO, "no global connection limit");
        else LOG.log(INFO, "at most {0} connections at once, all routes{1}", max,
                derivedFromFds ? " (from the file-descriptor limit " + fds + ")" : "");
    }
}
