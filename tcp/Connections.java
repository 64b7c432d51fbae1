package tcp;

import static java.lang.System.Logger.Level.WARNING;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import pool.Backend;
import traffic.ConnectionRecord;
import traffic.Outcome;

/**
 * The TCP connections open now, all routes: what the drain waits for, the idle reaper walks, and
 * {@code on_down: close} searches. A connection is in it from its accept until its end, when its
 * record goes to {@code finished}.
 */
public final class Connections {
    private static final System.Logger LOG = System.getLogger(Connections.class.getName());

    private final Set<Connection> open = ConcurrentHashMap.newKeySet();
    private final Consumer<ConnectionRecord> finished;

    /**
     * @param finished told of every connection that ended, on the thread that ended it, usually a
     *                 forwarding loop that serves many other connections: keep it short and
     *                 non-blocking (the access log queues, metrics add)
     */
    public Connections(Consumer<ConnectionRecord> finished) {
        this.finished = finished;
    }

    void opened(Connection connection) {
        open.add(connection);
    }

    /** Runs once per connection, from its end. */
    void ended(Connection connection, ConnectionRecord record) {
        open.remove(connection);
        try {
            finished.accept(record);
        } catch (RuntimeException e) {
            LOG.log(WARNING, "recording a finished connection failed: {0}", e.toString());
        }
    }

    public int size() {
        return open.size();
    }

    public boolean isEmpty() {
        return open.isEmpty();
    }

    /** Closes the connections forwarding to {@code backend}; returns how many. Any thread. */
    public int closeTo(Backend backend, Outcome why) {
        int closed = 0;
        for (Connection connection : open) {
            if (connection.backend() == backend) {
                connection.closeFor(why);
                closed++;
            }
        }
        return closed;
    }

    /** Closes every open connection; returns how many. Any thread. */
    public int closeAll(Outcome why) {
        int closed = 0;
        for (Connection connection : open) {
            connection.closeFor(why);
            closed++;
        }
        return closed;
    }

    /** The idle reaper's round: closes connections that moved nothing for their route's idle timeout. */
    public void reap(long nowNanos) {
        for (Connection connection : open) connection.reap(nowNanos);
    }
}
