package tcp;

import config.PerClient;
import health.Ticker;
import java.net.InetAddress;
import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * The {@code per_client} counts of one route: for each client address, the connections it has
 * open and its rate, as a token bucket kept in one number (GCRA's "theoretical arrival time", as
 * HAProxy's and nginx's rate limits do it: a client may open {@code count} connections at once,
 * then one every {@code per / count}).
 *
 * <p>Bounded and expiring: an address is forgotten as soon as it has nothing open and its bucket
 * is full again (at its last connection's end, or when a later admission finds it among the least
 * recently seen); at most {@link #MAX_CLIENTS} are kept. When that many are kept, the least recently
 * seen address with nothing open is forgotten, losing only its rate history (which can only make
 * the limit laxer for it); if none of the least recently seen {@link #SCAN} has nothing open, the new
 * client is admitted without an entry, as HAProxy's stick tables do when full: an attacker holding
 * that many connections from distinct addresses is for the global {@code max_connections} to stop.
 *
 * <p>Threads: the event loops, one lock, taken at a connection's admission and at its end, and
 * only for routes that have {@code per_client} (for the others this table does not exist).
 */
final class ClientTable {
    /** The most client addresses a route keeps (at about 150 bytes each, about 10 MB). */
    static final int MAX_CLIENTS = 65_536;
    /** How many of the least recently seen addresses an admission looks at to forget some. */
    static final int SCAN = 8;

    /** What {@link #admit} decided. */
    enum Admission {
        /** Counted: {@link #release} when the connection ends. */
        ADMITTED(null),
        /** Let through without an entry (the table is full of clients with connections open): nothing to release. */
        UNTRACKED(null),
        /** The client has {@code max_connections} open already. */
        OVER_CONNECTIONS("per_client_connections"),
        /** The client opened {@code max_rate} connections too recently. */
        OVER_RATE("per_client_rate");

        private final String reason;

        Admission(String reason) {
            this.reason = reason;
        }

        /** The {@code featherlb_refused_total} reason of a refusal, or null for an admission. */
        String reason() {
            return reason;
        }
    }

    private static final class Client {
        int open;
        long arrival; // GCRA's theoretical arrival time: the bucket is full again from then on
    }

    private final Ticker ticker;
    // access order: the eldest is the least recently seen; guarded by this
    private final LinkedHashMap<InetAddress, Client> clients = new LinkedHashMap<>(64, 0.75f, true);

    ClientTable(Ticker ticker) {
        this.ticker = ticker;
    }

    /** Whether a new connection from {@code address} may go on under {@code limits}, counted if so. */
    synchronized Admission admit(InetAddress address, PerClient limits) {
        long now = ticker.nanos();
        Client client = clients.get(address);
        if (client == null) {
            forget(now);
            if (clients.size() >= MAX_CLIENTS && !forgetOne()) return Admission.UNTRACKED;
            client = new Client();
            client.arrival = now;
            clients.put(address, client);
        } else if (limits.maxConnections() > 0 && client.open >= limits.maxConnections()) {
            return Admission.OVER_CONNECTIONS;
        }
        PerClient.Rate rate = limits.maxRate();
        if (rate != null) {
            long interval = rate.intervalNanos();
            long arrival = Math.max(client.arrival, now);
            if (arrival - now > interval * (rate.count() - 1)) return Admission.OVER_RATE; // not counted: a refusal takes no token
            client.arrival = arrival + interval;
        }
        client.open++;
        return Admission.ADMITTED;
    }

    /** A connection {@link #admit} admitted from {@code address} ended. */
    synchronized void release(InetAddress address) {
        Client client = clients.get(address);
        if (client == null) return;
        client.open--;
        if (idle(client, ticker.nanos())) clients.remove(address);
    }

    /** Client addresses kept now. */
    synchronized int size() {
        return clients.size();
    }

    private static boolean idle(Client client, long now) {
        return client.open <= 0 && client.arrival - now <= 0;
    }

    /** Forgets the idle ones among the {@link #SCAN} least recently seen: expiry without a thread. */
    private void forget(long now) {
        Iterator<Client> eldest = clients.values().iterator();
        for (int i = 0; i < SCAN && eldest.hasNext(); i++) {
            if (idle(eldest.next(), now)) eldest.remove();
        }
    }

    /** Full: forgets the least recently seen with nothing open, if one is among the first {@link #SCAN}. */
    private boolean forgetOne() {
        Iterator<Client> eldest = clients.values().iterator();
        for (int i = 0; i < SCAN && eldest.hasNext(); i++) {
            if (eldest.next().open <= 0) {
                eldest.remove();
                return true;
            }
        }
        return false;
    }
}
