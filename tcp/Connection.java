package tcp;

import static java.lang.System.Logger.Level.DEBUG;

import config.PerClient;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import loop.BufferPool;
import loop.EventLoop;
import pool.Backend;
import pool.BackendPool;
import pool.Lease;
import routing.Learned;
import routing.RouteTable;
import traffic.ConnectionRecord;
import traffic.Outcome;

/**
 * One client connection and, once dialled, its endpoint connection, through named stages
 * ({@link Stage}): <b>PREAMBLE</b> reads the start of the connection with the configured
 * {@link Preamble} under its deadline (without one this stage passes at once), and the route table
 * picks the route; <b>DIALING</b> is the {@link Dial}'s; <b>FORWARDING</b> writes the
 * {@link Greeting} and the bytes the preamble read in the endpoint's first write, then the
 * {@link Forwarding} engine carries the bytes; <b>REDIALING</b>, with {@code retry_on:
 * empty-response}: an endpoint that closed or reset before its first byte is counted as failed and
 * the next one dialled, which gets the greeting and the kept bytes ({@link Replay}) first (a
 * backend that stops while the kernel still completed connects into its listen queue resets them
 * with our request in it); <b>ENDED</b>: {@link #terminate}, once.
 *
 * <p>Everything here runs on the thread of the {@link EventLoop} that accepted the client
 * ({@link TcpListener}), so a connection holds no thread, and an idle one no buffer (with the
 * loops' engine; the virtual threads' engine calls {@link #moved} on its own threads and hands
 * every other event to the loop, see {@link VirtualThreads}). Other threads
 * (the idle reaper, the shutdown, {@code on_down: close}) end a connection with {@link #closeFor},
 * which hands the work to the loop: sockets, keys and buffers are only touched by the loop's thread.
 * Why accept and dial on the loop: a virtual thread per connection and an accept thread cost thread
 * starts, parks and unparks, and a hand-over per connection, on cores the clients and backends
 * share; HAProxy does it all in one thread, and so does a loop.
 */
final class Connection implements Forwarding.Events {
    private static final System.Logger LOG = System.getLogger(Connection.class.getName());
    private static final AtomicLong IDS = new AtomicLong();
    /** Counted when no route of the address takes the connection's server name (no default route). */
    static final String NO_ROUTE = "sni_no_route";

    private final Pipeline pipeline;
    private final TcpListener listener;
    private final RouteTable table;
    private final SocketChannel client;
    private final EventLoop loop; // owns the sockets from the start
    private final long id = IDS.incrementAndGet();
    private final long startNanos = System.nanoTime();
    private long connectedAt; // System.nanoTime() when the endpoint's connect completed, for its time to first byte
    private boolean firstByteDue; // connected, and the endpoint has not sent a byte yet
    private final long startedMillis = System.currentTimeMillis(); // the access log shows milliseconds
    private InetSocketAddress clientAddress; // the peer's own object, or what a preamble learned; formatted only for a log line
    private long clientKey;

    // fields, not objects (an Instant, an AtomicReference): 10,000 idle connections are 10,000 of these
    private static final VarHandle END;
    static {
        try {
            END = MethodHandles.lookup().findVarHandle(Connection.class, "end", Outcome.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    private volatile Outcome end; // the first reason to end wins: see ending()
    private volatile Stage stage = Stage.PREAMBLE; // written by the loop only; the reaper reads it
    private volatile Lease lease; // of the connected endpoint; volatile: on_down: close looks for it

    // idle tracking: the engine's moved() sets touched; the reaper clears it and remembers when
    private volatile boolean touched;
    private volatile boolean clientSpoke; // a first client byte came: timeouts.client_first_byte no longer applies
    private long lastSeenNanos = startNanos; // reaper thread only

    // the loop's thread only
    private BackendPool pool; // of the route chosen, from DIALING on
    private Learned learned = Learned.NOTHING;
    private PreambleRead start; // during PREAMBLE
    private ConnectionLimit routeLimit; // the chosen route's max_connections on a shared address, while held
    private ClientTable clients; // the chosen route's per_client counts, while this connection is counted there
    private ByteBuffer head; // what the preamble read and did not consume: the endpoint's first client bytes
    private Dial dial; // while dialling, and while a redial may still come
    private Replay replay; // with retry_on: empty-response, until the endpoint answers
    private SocketChannel endpointChannel;
    private Forwarding forwarding;

    Connection(Pipeline pipeline, TcpListener listener, RouteTable table, SocketChannel client, EventLoop loop) {
        this.pipeline = pipeline;
        this.listener = listener;
        this.table = table;
        this.client = client;
        this.loop = loop;
        client(remoteOf(client));
    }

    private void client(InetSocketAddress address) {
        clientAddress = address;
        clientKey = address == null ? 0 : BackendPool.clientKey(address.getAddress().getAddress());
    }

    /** On the loop's thread, which accepted the client: counts it open, then its preamble or the dial. */
    void open() {
        pipeline.connections().opened(this);
        try {
            client.configureBlocking(false);
        } catch (IOException closed) {
            ending(Outcome.SHUTDOWN);
            terminate();
            return;
        }
        Preamble step = pipeline.stages().preamble(table);
        if (step == null) {
            route(Learned.NOTHING, null);
            return;
        }
        switch (step.open(clientAddress)) {
            case Preamble.Fail fail -> {
                rejected(fail.reason(), fail.detail()); // never read: a peer that may not send this start cannot say anything
                return;
            }
            case Preamble.Done done -> {
                route(done.learned(), null);
                return;
            }
            case Preamble.NeedMore read -> {
            }
        }
        try {
            start = new PreambleRead(this, step, client, loop);
        } catch (IOException closed) {
            ending(Outcome.SHUTDOWN);
            terminate();
        }
    }

    private void enter(Stage next) {
        if (!stage.next(next)) throw new IllegalStateException("a connection cannot go from " + stage + " to " + next);
        stage = next;
    }

    /**
     * The preamble failed: closed, and counted before a route was chosen by {@code reason} (a
     * {@code featherlb_rejected_total} label); {@code detail} (or null) says more in the log.
     */
    void rejected(String reason, String detail) {
        if (stage != Stage.PREAMBLE) return;
        listener.rejected(reason);
        listener.refusals().rejected(table.first().name(), clientName(), detail == null ? reason : reason + ", " + detail, System.nanoTime());
        ending(Outcome.REJECTED);
        terminate();
    }

    /**
     * The start said {@code what} ({@code head}: the client bytes the preamble read and did not
     * consume, or null): the route table picks the route, the dial begins.
     */
    void route(Learned what, ByteBuffer head) {
        start = null;
        this.head = head;
        if (head != null && head.hasRemaining()) clientSpoke = true; // a ClientHello, or bytes after a PROXY header
        learned = what;
        if (what.client() != null) client(what.client());
        pool = table.match(what);
        if (pool == null) {
            enter(Stage.DIALING); // through DIALING so that the record names no endpoint, as any refusal
            listener.rejected(NO_ROUTE);
            listener.refusals().rejected(table.first().name(), clientName(),
                    NO_ROUTE + ", no route for server name " + (what.serverName() == null ? "(none)" : what.serverName()), System.nanoTime());
            ending(Outcome.REJECTED);
            terminate();
            return;
        }
        PerClient perClient = pool.route().perClient();
        if (perClient.limits() && !admitted(perClient)) return;
        if (table.alone() == null) { // a route alone on its address took its permit before accept
            routeLimit = listener.routeLimit(pool.route());
            if (routeLimit != null && !routeLimit.tryAcquire()) {
                routeLimit = null;
                enter(Stage.DIALING);
                listener.refusals().refused(pool.route().name(), Refusals.MAX_CONNECTIONS, clientName(), "max_connections " + pool.route().maxConnections() + " reached", System.nanoTime());
                ending(Outcome.NO_ENDPOINT);
                terminate();
                return;
            }
        }
        if (pool.route().retryEmpty()) replay = new Replay();
        dial = new Dial(this, pool, pipeline, loop);
        enter(Stage.DIALING);
        dial.next();
    }

    /**
     * The route's {@code per_client} limits let the client's address have this connection (counted
     * until {@link #terminate}); else it is closed at once, counted and logged, and false returned.
     * The address is the real client's: a PROXY header's from a trusted sender has replaced the peer's by now.
     */
    private boolean admitted(PerClient limits) {
        if (clientAddress == null) return true; // the peer vanished before we could ask: it is closing anyway
        ClientTable counts = listener.clients(pool.route());
        ClientTable.Admission admission = counts.admit(clientAddress.getAddress(), limits);
        switch (admission) {
            case ADMITTED -> clients = counts;
            case UNTRACKED -> {
            }
            case OVER_CONNECTIONS, OVER_RATE -> {
                enter(Stage.DIALING); // through DIALING so that the record names no endpoint, as any refusal
                String detail = admission == ClientTable.Admission.OVER_CONNECTIONS
                        ? "max_connections " + limits.maxConnections() + " open" : "max_rate " + limits.maxRate() + " reached";
                listener.refusals().limited(pool.route().name(), admission.reason(), clientName(), detail, System.nanoTime());
                ending(Outcome.NO_ENDPOINT);
                terminate();
                return false;
            }
        }
        return true;
    }

    /** No endpoint could take it ({@code reasons}: why the dials failed; "" when none was made). */
    void refused(String reasons) {
        listener.refusals().refused(pool.route().name(), Refusals.NO_ENDPOINT, clientName(), reasons.isEmpty() ? Refusals.whyNone(pool) : reasons, System.nanoTime());
        ending(Outcome.NO_ENDPOINT);
        terminate();
    }

    long clientKey() {
        return clientKey;
    }

    /** The client's address: the peer's, or what a preamble learned. */
    InetSocketAddress clientAddress() {
        return clientAddress;
    }

    /**
     * {@code connected}'s endpoint answered the connect on {@code channel} (non-blocking) at
     * {@code nanos} ({@code System.nanoTime()}, the dial's, so one clock read times both the connect
     * and the first byte): the greeting, then forward.
     */
    void connected(Lease connected, SocketChannel channel, long nanos) {
        // with replays, an endpoint is healthy once it answers: the stopping backend's
        // listen queue accepts connects it will only reset
        connected.connected(pool.route().retryEmpty());
        lease = connected;
        connectedAt = nanos;
        firstByteDue = true;
        endpointChannel = channel;
        if (LOG.isLoggable(DEBUG)) {
            LOG.log(DEBUG, "{0}: {1} -> {2}", pool.route().name(), clientName(), connected.backend().address());
        }
        if (stage == Stage.DIALING) {
            int clientBytes = head == null ? 0 : head.remaining();
            if (head != null) record(head);
            ByteBuffer first = first(connected.backend(), head);
            head = null;
            if (replay == null) dial = null; // no redial can come: what it kept is not needed
            enter(Stage.FORWARDING);
            try {
                forwarding = pipeline.engine().start(this, loop, client, channel, first, clientBytes);
            } catch (IOException closed) {
                ending(Outcome.SHUTDOWN);
                terminate();
            }
            return;
        }
        enter(Stage.FORWARDING); // after a redial: the same client, the kept bytes first
        try {
            forwarding = forwarding.redirect(channel, first(connected.backend(), replay.bytes()));
        } catch (IOException closed) {
            ending(Outcome.ENDPOINT_RESET);
            terminate();
        }
    }

    /** What goes to {@code to} first: the route's greeting, then {@code clientBytes} (either may be null). */
    private ByteBuffer first(Backend to, ByteBuffer clientBytes) {
        Greeting greeting = pipeline.stages().greeting(pool.route());
        if (greeting == null) return clientBytes;
        InetSocketAddress destination;
        try {
            destination = (InetSocketAddress) client.getLocalAddress();
        } catch (IOException e) {
            destination = null;
        }
        return Greeting.join(greeting.bytes(new Greeting.Context(clientAddress, destination, learned.serverName(), id), to.endpoint()), clientBytes);
    }

    // Forwarding.Events: what the engine tells the connection, on the loop's thread

    /**
     * The endpoint closed ({@code why} is ENDPOINT_CLOSED) or reset before its first byte. With
     * {@code retry_on: empty-response} and an endpoint and a retry left, counts it as failed and
     * dials again with the client's bytes kept; returns false when the connection must end as
     * without replays.
     */
    @Override
    public boolean retry(Outcome why) {
        if (replay == null || stage != Stage.FORWARDING || !dial.canRetry()) return false;
        String reason = dial.emptied(lease, why);
        if (LOG.isLoggable(DEBUG)) {
            LOG.log(DEBUG, "{0}: {1}: {2}, sending its {3} byte(s) to the next endpoint", pool.route().name(), clientName(), reason, replay.length());
        }
        enter(Stage.REDIALING);
        forwarding.pause();
        forwarding.release(); // what waited for the old endpoint is in the replay too
        loop.close(endpointChannel);
        endpointChannel = null;
        lease = null;
        dial.next();
        return true;
    }

    @Override
    public void record(ByteBuffer bytes) {
        if (replay != null && !replay.record(bytes)) replay = null; // past the limit: nothing can be replayed
    }

    /** The endpoint sent its first byte: nothing will be replayed; with replays on, it proved healthy. */
    @Override
    public void answered() {
        if (firstByteDue) {
            firstByteDue = false;
            lease.backend().firstByteTime().record(System.nanoTime() - connectedAt);
        }
        replay = null;
        dial = null;
        if (pool.route().retryEmpty()) lease.answered();
    }

    @Override
    public boolean redialing() {
        return stage == Stage.REDIALING;
    }

    /** Any thread (see {@link Forwarding.Events#moved}): the lease is the answering endpoint's. */
    @Override
    public void moved(int n, boolean upstream) {
        if (!touched) touched = true;
        if (upstream && !clientSpoke) clientSpoke = true;
        if (upstream) lease.backend().sentUp(n);
        else lease.backend().sentDown(n);
    }

    @Override
    public void ended(Outcome why) {
        ending(why);
    }

    @Override
    public void finished() {
        terminate();
    }

    @Override
    public BufferPool buffers() {
        return pipeline.buffers();
    }

    @Override
    public void close(Outcome why) {
        closeFor(why);
    }

    /**
     * Ends the connection because one side failed: {@code reset} (if not null) gets a TCP reset,
     * not a FIN.
     */
    @Override
    public void abort(Outcome why, SocketChannel reset) {
        if (stage == Stage.ENDED) return;
        ending(why);
        if (reset != null) {
            try {
                reset.setOption(StandardSocketOptions.SO_LINGER, 0);
            } catch (IOException | RuntimeException alreadyClosed) {
                // nothing left to reset
            }
        }
        terminate();
    }

    /**
     * Closes the connection from any thread (idle timeout, end of the shutdown grace period, an
     * endpoint gone down): the loop does it, whatever stage the connection is at.
     */
    void closeFor(Outcome why) {
        ending(why);
        loop.execute(this::terminate);
    }

    /**
     * The end, exactly once, on the loop's thread, from any stage: stops the preamble's deadline and
     * a pending connect, gives the lease back (the one place it is released: {@link Lease#release}
     * is idempotent), closes both sockets (the loop cancels their keys and closes them after its
     * next select), gives back pending buffers, writes the record. A dial on a virtual thread that
     * is still under way finds the connection ended when it answers and closes its channel.
     */
    void terminate() {
        if (stage == Stage.ENDED) return;
        enter(Stage.ENDED);
        if (start != null) {
            start.cancel();
            start = null;
        }
        if (dial != null) dial.cancel();
        loop.close(client);
        loop.close(endpointChannel);
        if (forwarding != null) forwarding.release();
        Lease held = lease;
        if (held != null) held.release();
        loop.afterClose(listener.release); // its descriptors are free only once the loop has closed them
        if (routeLimit != null) { // a count per route, not of descriptors: free at once
            routeLimit.release();
            routeLimit = null;
        }
        if (clients != null) {
            clients.release(clientAddress.getAddress());
            clients = null;
        }
        long bytesUp = forwarding == null ? 0 : forwarding.bytesUp();
        long bytesDown = forwarding == null ? 0 : forwarding.bytesDown();
        String route = pool != null ? pool.route().name() : table.first().name();
        var record = new ConnectionRecord(Instant.ofEpochMilli(startedMillis), route, clientAddress,
                held == null ? null : held.backend().address(), bytesUp, bytesDown, Duration.ofNanos(System.nanoTime() - startNanos), end, learned.serverName(), id);
        pipeline.connections().ended(this, record);
        if (LOG.isLoggable(DEBUG)) {
            LOG.log(DEBUG, "{0}: {1} -> {2} ended ({3}), {4} bytes up, {5} down, {6} ms", route, clientName(),
                    held == null ? "-" : held.backend().address(), record.outcome().label(), bytesUp, bytesDown, record.duration().toMillis());
        }
    }

    /** The backend it forwards to, or null before (or without) a connect. Any thread. */
    Backend backend() {
        Lease held = lease;
        return held == null ? null : held.backend();
    }

    /**
     * Called by the idle reaper only (every 250 ms): closes the connection when its client sent
     * nothing for the route's {@code timeouts.client_first_byte} since it was accepted (once the
     * route is known: before, the preamble's own deadline bounds it), or when nothing moved for
     * {@code timeouts.idle}.
     */
    void reap(long nowNanos) {
        Stage now = stage; // read first: the loop writes pool before it leaves PREAMBLE
        BackendPool chosen = now == Stage.PREAMBLE ? null : pool; // null also when no route took it (it is ending)
        if (!clientSpoke && chosen != null && now != Stage.ENDED) {
            long firstByte = chosen.route().timeouts().clientFirstByte().toNanos();
            if (firstByte > 0 && nowNanos - startNanos > firstByte) {
                if (LOG.isLoggable(DEBUG)) LOG.log(DEBUG, "{0}: {1}: sent nothing within {2}, closing", chosen.route().name(), clientName(),
                        chosen.route().timeouts().clientFirstByte());
                clientSpoke = true; // closed once, counted once
                listener.timedOut(chosen.route().name(), "client_first_byte");
                closeFor(Outcome.IDLE_TIMEOUT);
                return;
            }
        }
        if (touched) {
            touched = false;
            lastSeenNanos = nowNanos;
        } else if (stage == Stage.FORWARDING && nowNanos - lastSeenNanos > pool.route().timeouts().idle().toNanos()) {
            if (LOG.isLoggable(DEBUG)) LOG.log(DEBUG, "{0}: {1}: idle for {2}, closing", pool.route().name(), clientName(), pool.route().timeouts().idle());
            listener.timedOut(pool.route().name(), "idle");
            closeFor(Outcome.IDLE_TIMEOUT);
        }
    }

    /** Records why the connection ends, unless an earlier reason was recorded. */
    private void ending(Outcome why) {
        END.compareAndSet(this, null, why);
    }

    private String clientName() {
        return ConnectionRecord.text(clientAddress);
    }


    private static InetSocketAddress remoteOf(SocketChannel channel) {
        try {
            return (InetSocketAddress) channel.getRemoteAddress();
        } catch (IOException e) {
            return null;
        }
    }
}
