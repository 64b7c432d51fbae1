package udp;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.Predicate;

/**
 * A listener's sessions by sender and client address:port ({@link Key}), bounded by the route's
 * {@code max_sessions}. The sender is the client itself, or the PROXY sender its datagrams came
 * through ({@code accept_proxy}): two senders may carry the same client, and they are two sessions.
 *
 * <p>Kept in the order of their last datagram (an access-ordered {@link LinkedHashMap}: each
 * lookup moves the session to the end), so the idle sweep looks only at the sessions that are due,
 * from the front, and stops at the first that is not: a sweep costs what it ends, not the size of
 * the table.
 *
 * <p>Threads: the listener's event loop only.
 */
final class SessionTable {
    private final LinkedHashMap<Key, Session> sessions = new LinkedHashMap<>(64, 0.75f, true);
    private volatile int size; // read by the admin API's thread

    /** What a session is found by: the address its datagrams come from and the client they are of (the same without a PROXY sender). */
    record Key(InetSocketAddress sender, InetSocketAddress client) {
        static Key of(Session session) {
            return new Key(session.sender(), session.client());
        }
    }

    /** The session of {@code client} through {@code sender}, now the most recently active, or null. */
    Session get(InetSocketAddress sender, InetSocketAddress client) {
        return sessions.get(new Key(sender, client));
    }

    void put(Session session) {
        sessions.put(Key.of(session), session);
        size = sessions.size();
    }

    /** Takes {@code session} out, if it is the one of its key. */
    void remove(Session session) {
        sessions.remove(Key.of(session), session);
        size = sessions.size();
    }

    int size() {
        return size;
    }

    /** The sessions whose last datagram is older than {@code idleNanos}, oldest first. */
    List<Session> idle(long now, long idleNanos) {
        List<Session> due = new ArrayList<>();
        for (Session s : sessions.values()) {
            if (now - s.lastActive < idleNanos) break; // the rest are younger
            due.add(s);
        }
        return due;
    }

    /** The sessions {@code which} selects, to end (a copy: ending one changes the table). */
    List<Session> select(Predicate<Session> which) {
        List<Session> selected = new ArrayList<>();
        for (Iterator<Session> it = sessions.values().iterator(); it.hasNext(); ) {
            Session s = it.next();
            if (which.test(s)) selected.add(s);
        }
        return selected;
    }
}
