package proxy;

import static java.lang.System.Logger.Level.DEBUG;
import static java.lang.System.Logger.Level.WARNING;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import pool.BackendPool;

/**
 * One listening socket and the platform thread that accepts on it.
 *
 * <p>With {@code max_connections}, a permit is taken <em>before</em> {@code accept}: over the limit,
 * clients wait in the kernel's backlog instead of being accepted and then dropped. The permit is
 * given back when the connection ends. A reload swaps the pool (and the limit) without touching
 * the socket, so there is no moment without a listener.
 */
final class Listener implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Listener.class.getName());
    private static final int BACKLOG = 4096; // the kernel caps it at net.core.somaxconn

    private final Server server;
    private final ServerSocketChannel channel;
    private final ConnectionLimit limit;
    private final Thread acceptor;
    private final Refusals refusals;
    private volatile BackendPool pool;
    private volatile boolean open = true;

    Listener(Server server, BackendPool pool, boolean reusePort) throws IOException {
        this.server = server;
        this.pool = pool;
        var route = pool.route();
        this.limit = new ConnectionLimit(route.maxConnections());
        this.refusals = new Refusals();
        this.channel = ServerSocketChannel.open();
        try {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            if (reusePort) channel.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            channel.bind(new InetSocketAddress(route.host(), route.port()), BACKLOG);
        } catch (IOException e) {
            channel.close();
            throw new IOException("cannot listen on " + route.listenAddress() + " for route '" + route.name() + "': "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        }
        this.acceptor = Thread.ofPlatform().name("featherlb-accept-" + route.name()).unstarted(this::acceptLoop);
    }

    void start() {
        acceptor.start();
    }

    BackendPool pool() {
        return pool;
    }

    /** The route's rate-limited log of refused clients; it outlives a reload, as the listener does. */
    Refusals refusals() {
        return refusals;
    }

    /**
     * A reload kept this listening address: new connections use {@code next} from now on (its
     * strategy, endpoints, timeouts, limit); connections already open keep the pool they started with.
     */
    void swap(BackendPool next) {
        limit.resize(next.route().maxConnections());
        pool = next;
    }

    /** The bound address (the real port when the route asked for port 0). */
    InetSocketAddress address() {
        try {
            return (InetSocketAddress) channel.getLocalAddress();
        } catch (IOException e) {
            throw new IllegalStateException("listener closed", e);
        }
    }

    private void acceptLoop() {
        while (open) {
            try {
                limit.acquire();
            } catch (InterruptedException e) {
                return; // nobody interrupts this thread; if someone does, it ends
            }
            if (!open) { // close() woke us with a permit of its own
                released();
                return;
            }
            SocketChannel client;
            try {
                client = channel.accept();
            } catch (ClosedChannelException e) {
                released();
                return;
            } catch (IOException e) {
                released();
                // e.g. too many open files: back off instead of spinning, the next accept may work
                LOG.log(WARNING, "{0}: accept failed: {1}", pool.route().name(), e.getMessage());
                try {
                    Thread.sleep(100);
                } catch (InterruptedException interrupted) {
                    return;
                }
                continue;
            }
            try {
                client.setOption(StandardSocketOptions.TCP_NODELAY, true);
                server.serve(new Connection(server, this, pool, client));
            } catch (IOException | RuntimeException e) {
                LOG.log(DEBUG, "{0}: dropped a client at accept: {1}", pool.route().name(), e.toString());
                released();
                try {
                    client.close();
                } catch (IOException ignored) {
                    // it is gone either way
                }
            }
        }
    }

    /** A connection of this listener ended: room for the next one. */
    void released() {
        limit.release();
    }

    /**
     * Stops accepting; open connections are left to the server's drain.
     *
     * <p>Wakes the accept thread without interrupting it: an interrupt that lands just as
     * {@code accept} returns a client makes the JDK throw ClosedByInterruptException and drop that
     * client's socket unserved, which the client sees as a reset when the process exits. Closing the
     * channel ends a blocked {@code accept}; a spare permit ends a wait for {@code max_connections}.
     */
    @Override
    public void close() {
        open = false;
        limit.release();
        try {
            channel.close();
        } catch (IOException e) {
            LOG.log(WARNING, "{0}: closing the listener: {1}", pool.route().name(), e.getMessage());
        }
        try {
            acceptor.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
