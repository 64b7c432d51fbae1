package tcp;

import static java.lang.System.Logger.Level.DEBUG;
import static java.nio.channels.SelectionKey.OP_CONNECT;
import static java.nio.channels.SelectionKey.OP_READ;

import config.Durations;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.RejectedExecutionException;
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
 * One client connection and, once dialled, its endpoint connection, through named stages:
 * {@code PREAMBLE → DIALING → FORWARDING (→ REDIALING → FORWARDING) → ENDED} (see {@link Stage}).
 *
 * <p>Everything here runs on the thread of the {@link EventLoop} that accepted the client
 * ({@link TcpListener}). <b>PREAMBLE</b>: with a {@link Preamble} configured, the loop reads the
 * start of the connection under the preamble's deadline until it decides; without one this stage
 * passes at once. The route table then picks the route. <b>DIALING</b> ({@link Dial}): the pool
 * picks an endpoint, the loop connects without blocking; a connect that completes at once
 * (loopback, nearly always) goes on in the same task, one still pending waits for
 * {@code OP_CONNECT} under {@code timeouts.connect}. A refusal or a timeout tries the next
 * endpoint, each at most once, 1 + {@code retries} dials in all. Only an endpoint given by host
 * name is dialled on a virtual thread (name resolution blocks), whose answer comes back to the
 * loop. <b>FORWARDING</b>: the {@link Greeting} (if any) and the bytes the preamble read go out in
 * the endpoint's first write, then the {@link Forwarding} engine carries the bytes both ways.
 * <b>REDIALING</b>: with {@code retry_on: empty-response}, an endpoint that closes or resets before
 * its first byte is counted as failed and the next one dialled; once connected it gets the
 * greeting and the client's kept bytes ({@link Replay}) first. The typical case: a backend
 * stopping while the kernel still completed connects into its listen queue, which it then resets
 * with our request in it. <b>ENDED</b>: {@link #terminate}, once.
 *
 * <p>So a connection holds no thread, and an idle one no buffer. Other threads (the idle reaper,
 * the shutdown, {@code on_down: close}) end a connection with {@link #closeFor}, which hands the
 * work to the loop, so that sockets, selection keys and buffers are only ever touched by the loop's
 * thread.
 *
 * <p>Why accept and dial on the loop: a virtual thread per connection and an accept thread cost
 * thread starts, parks and unparks, and a hand-over to the loop per connection, on a machine
 * whose cores the clients and backends share; HAProxy does it all in one thread, and so does a loop.
 */
final class Connection implements EventLoop.Handler, Forwarding.Events {
    private static final System.Logger LOG = System.getLogger(Connection.class.getName());
    private static final AtomicLong IDS = new AtomicLong();

    /** A connection's life; the allowed transitions are {@link #next}'s. */
    enum Stage {
        /** Reading the start of the connection (a PROXY header, a ClientHello) before a route is chosen. */
        PREAMBLE,
        /** Picking endpoints and connecting, until one answers or none is left. */
        DIALING,
        /** The engine carries bytes both ways. */
        FORWARDING,
        /** The endpoint closed before answering: dialling the next one, the client not read meanwhile. */
        REDIALING,
        /** Over: sockets closed, lease given back, record written. */
        ENDED;

        /** Whether a connection at this stage may go to {@code to}. */
        boolean next(Stage to) {
            return switch (this) {
                case PREAMBLE -> to == DIALING || to == ENDED;
                case DIALING, REDIALING -> to == FORWARDING || to == ENDED;
                case FORWARDING -> to == REDIALING || to == ENDED;
                case ENDED -> false;
            };
        }
    }

    private final Pipeline pipeline;
    private final TcpListener listener;
    private final RouteTable table;
    private final SocketChannel client;
    private final EventLoop loop; // owns the sockets from the start
    private final long id = IDS.incrementAndGet();
    private final long startNanos = System.nanoTime();
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
    private long lastSeenNanos = startNanos; // reaper thread only

    // the loop's thread only
    private BackendPool pool; // of the route chosen, from DIALING on
    private Learned learned = Learned.NOTHING;
    private Start start; // during PREAMBLE
    private ByteBuffer head; // client bytes the preamble read and did not consume: the endpoint's first
    private Dial dial; // while dialling, and while a redial may still come
    private Replay replay; // with retry_on: empty-response, until the endpoint answers
    private SocketChannel endpointChannel;
    private Forwarding forwarding;

    /** The PREAMBLE stage's state: the step, what it has seen, its deadline. */
    private static final class Start {
        final Preamble step;
        final ByteBuffer seen;
        EventLoop.Timer deadline;

        Start(Preamble step) {
            this.step = step;
            this.seen = ByteBuffer.allocate(step.limit());
        }
    }

    Connection(Pipeline pipeline, TcpListener listener, RouteTable table, SocketChannel client, EventLoop loop) {
        this.pipeline = pipeline;
        this.listener = listener;
        this.table = table;
        this.client = client;
        this.loop = loop;
        clientAddress(remoteOf(client));
    }

    private void clientAddress(InetSocketAddress address) {
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
            route(Learned.NOTHING);
            return;
        }
        start = new Start(step);
        try {
            client.register(loop.selector(), OP_READ, this);
        } catch (IOException closed) {
            ending(Outcome.SHUTDOWN);
            terminate();
            return;
        }
        start.deadline = loop.schedule(step.timeout().toNanos(),
                () -> rejected("no complete preamble within " + Durations.format(step.timeout())));
    }

    private void enter(Stage next) {
        if (!stage.next(next)) throw new IllegalStateException("a connection cannot go from " + stage + " to " + next);
        stage = next;
    }

    /** The loop's selector says a key of this connection's is ready: the client's (PREAMBLE) or a pending connect's. */
    @Override
    public void ready(SelectionKey key, ByteBuffer shared) {
        if (stage == Stage.PREAMBLE) readPreamble(key);
        else connectReady();
    }

    /** PREAMBLE: reads what came, asks the step. */
    private void readPreamble(SelectionKey key) {
        ByteBuffer seen = start.seen;
        int n;
        try {
            n = client.read(seen);
        } catch (IOException e) {
            ending(Outcome.CLIENT_RESET);
            terminate();
            return;
        }
        if (n < 0) {
            ending(Outcome.CLIENT_CLOSED);
            terminate();
            return;
        }
        if (n == 0) return;
        switch (start.step.read(seen.duplicate().flip().asReadOnlyBuffer())) {
            case Preamble.NeedMore ignored -> {
                if (!seen.hasRemaining()) rejected("no decision within " + seen.capacity() + " bytes");
            }
            case Preamble.Fail fail -> rejected(fail.reason());
            case Preamble.Done done -> {
                start.deadline.cancel();
                start = null;
                key.interestOps(0); // the engine reads the client from here on
                int total = seen.position();
                if (done.consumed() < total) head = ByteBuffer.wrap(seen.array(), done.consumed(), total - done.consumed());
                route(done.learned());
            }
        }
    }

    /** The preamble failed: closed, and counted before a route was chosen. */
    private void rejected(String reason) {
        if (stage != Stage.PREAMBLE) return;
        listener.refusals().rejected(table.first().name(), clientName(), reason, System.nanoTime());
        ending(Outcome.REJECTED);
        terminate();
    }

    /** The start said {@code what}: the route table picks the route, the dial begins. */
    private void route(Learned what) {
        learned = what;
        if (what.client() != null) clientAddress(what.client());
        pool = table.match(what);
        if (pool == null) {
            enter(Stage.DIALING); // through DIALING so that the record names no endpoint, as any refusal
            listener.refusals().rejected(table.first().name(), clientName(),
                    "no route for server name " + (what.serverName() == null ? "(none)" : what.serverName()), System.nanoTime());
            ending(Outcome.REJECTED);
            terminate();
            return;
        }
        if (pool.route().retryEmpty()) replay = new Replay();
        dial = new Dial(pool);
        enter(Stage.DIALING);
        dialNext();
    }

    /**
     * Picks the next endpoint and starts its connect; goes on to the one after while connects fail at
     * once. Ends in {@link #connected}, a pending connect ({@link #connectReady} or
     * {@link #timedOut}), a dial on a virtual thread ({@link #dialled}), or the refusal.
     */
    private void dialNext() {
        Lease next;
        while ((next = dial.next(clientKey)) != null) {
            var at = next.backend().endpoint();
            SocketChannel channel = null;
            try {
                channel = pipeline.dialer().start(at.host(), at.port());
                if (channel == null) { // a name to resolve
                    dialOffLoop(at.host(), at.port(), pool.route().timeouts().connect());
                    return;
                }
                if (channel.isConnected()) {
                    connected(channel);
                    return;
                }
                channel.register(loop.selector(), OP_CONNECT, this);
            } catch (IOException e) {
                if (channel != null) loop.close(channel);
                dial.failed(e, clientAddress);
                continue;
            }
            Duration timeout = pool.route().timeouts().connect();
            dial.pending(channel, timeout.isZero() ? null : loop.schedule(timeout.toNanos(), this::timedOut));
            return;
        }
        String reasons = dial.reasons();
        listener.refusals().refused(pool.route().name(), clientName(), reasons.isEmpty() ? Refusals.whyNone(pool) : reasons, System.nanoTime());
        ending(Outcome.NO_ENDPOINT);
        terminate();
    }

    /** The pending connect is over, one way or the other. */
    private void connectReady() {
        SocketChannel channel = dial.pending();
        try {
            if (!channel.finishConnect()) return;
        } catch (IOException e) {
            dial.settled();
            loop.close(channel);
            dial.failed(e, clientAddress);
            dialNext();
            return;
        }
        dial.settled();
        connected(channel);
    }

    /** The loop's deadline for the pending connect ran out. */
    private void timedOut() {
        SocketChannel channel = dial.pending();
        dial.settled();
        loop.close(channel);
        dial.failed(new SocketTimeoutException("connect timed out"), clientAddress);
        dialNext();
    }

    /** The endpoint has a host name: resolving it may block, so a virtual thread dials, then back to the loop. */
    private void dialOffLoop(String host, int port, Duration timeout) {
        dial.offLoop(true);
        try {
            pipeline.offLoop().execute(() -> {
                SocketChannel channel = null;
                IOException failure = null;
                try {
                    channel = pipeline.dialer().dial(host, port, timeout);
                    channel.configureBlocking(false);
                } catch (IOException | RuntimeException e) {
                    closeQuietly(channel);
                    channel = null;
                    failure = e instanceof IOException io ? io : new IOException(e);
                }
                SocketChannel dialled = channel;
                IOException failed = failure;
                loop.execute(() -> dialled(dialled, failed));
            });
        } catch (RejectedExecutionException shuttingDown) {
            dial.offLoop(false);
            ending(Outcome.SHUTDOWN);
            terminate();
        }
    }

    /** On the loop's thread: the virtual thread's dial ended with {@code channel}, or {@code failure}. */
    private void dialled(SocketChannel channel, IOException failure) {
        dial.offLoop(false);
        if (stage == Stage.ENDED) { // ended meanwhile; terminate() gave the lease back
            closeQuietly(channel);
        } else if (failure != null) {
            dial.failed(failure, clientAddress);
            dialNext();
        } else {
            connected(channel);
        }
    }

    /** The endpoint answered the connect on {@code channel} (non-blocking): the greeting, then forward. */
    private void connected(SocketChannel channel) {
        Lease connected = dial.connected();
        // with replays, an endpoint is healthy once it answers: the stopping backend's
        // listen queue accepts connects it will only reset
        connected.connected(pool.route().retryEmpty());
        lease = connected;
        endpointChannel = channel;
        if (LOG.isLoggable(DEBUG)) {
            LOG.log(DEBUG, "{0}: {1} -> {2}", pool.route().name(), clientName(), connected.backend().address());
        }
        ByteBuffer greeting = greeting(connected.backend());
        if (stage == Stage.DIALING) {
            int clientBytes = head == null ? 0 : head.remaining();
            if (head != null) record(head);
            ByteBuffer first = join(greeting, head);
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
            forwarding = forwarding.redirect(channel, join(greeting, replay.bytes()));
        } catch (IOException closed) {
            ending(Outcome.ENDPOINT_RESET);
            terminate();
        }
    }

    /** The route's greeting for {@code to}, or null. */
    private ByteBuffer greeting(Backend to) {
        Greeting greeting = pipeline.stages().greeting(pool.route());
        if (greeting == null) return null;
        InetSocketAddress destination;
        try {
            destination = (InetSocketAddress) client.getLocalAddress();
        } catch (IOException e) {
            destination = null;
        }
        byte[] bytes = greeting.bytes(new Greeting.Context(clientAddress, destination, learned.serverName(), id), to.endpoint());
        return bytes == null ? null : ByteBuffer.wrap(bytes);
    }

    /** {@code a} then {@code b} in one buffer (either may be null): one write, one segment. */
    private static ByteBuffer join(ByteBuffer a, ByteBuffer b) {
        if (a == null) return b;
        if (b == null || !b.hasRemaining()) return a;
        return ByteBuffer.allocate(a.remaining() + b.remaining()).put(a).put(b).flip();
    }

    @Override
    public void failed() {
        abort(Outcome.SHUTDOWN, null);
    }

    @Override
    public void stop() {
        closeFor(Outcome.SHUTDOWN);
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
        dialNext();
        return true;
    }

    @Override
    public void record(ByteBuffer bytes) {
        if (replay != null && !replay.record(bytes)) replay = null; // past the limit: nothing can be replayed
    }

    /** The endpoint sent its first byte: nothing will be replayed; with replays on, it proved healthy. */
    @Override
    public void answered() {
        replay = null;
        dial = null;
        if (pool.route().retryEmpty()) lease.answered();
    }

    @Override
    public boolean redialing() {
        return stage == Stage.REDIALING;
    }

    @Override
    public void moved(int n, boolean upstream) {
        if (!touched) touched = true;
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
            if (start.deadline != null) start.deadline.cancel();
            start = null;
        }
        if (dial != null) dial.cancel(loop);
        loop.close(client);
        loop.close(endpointChannel);
        if (forwarding != null) forwarding.release();
        Lease held = lease;
        if (held != null) held.release();
        listener.released();
        long bytesUp = forwarding == null ? 0 : forwarding.bytesUp();
        long bytesDown = forwarding == null ? 0 : forwarding.bytesDown();
        String route = pool != null ? pool.route().name() : table.first().name();
        var record = new ConnectionRecord(Instant.ofEpochMilli(startedMillis), route, clientAddress,
                held == null ? null : held.backend().address(), bytesUp, bytesDown, Duration.ofNanos(System.nanoTime() - startNanos), end);
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

    /** Called by the idle reaper only: closes the connection when nothing moved for {@code idleNanos}. */
    void reap(long nowNanos) {
        if (touched) {
            touched = false;
            lastSeenNanos = nowNanos;
        } else if (stage == Stage.FORWARDING && nowNanos - lastSeenNanos > pool.route().timeouts().idle().toNanos()) {
            if (LOG.isLoggable(DEBUG)) LOG.log(DEBUG, "{0}: {1}: idle for {2}, closing", pool.route().name(), clientName(), pool.route().timeouts().idle());
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

    private static void closeQuietly(SocketChannel channel) {
        if (channel == null) return;
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing is all we wanted
        }
    }

    private static InetSocketAddress remoteOf(SocketChannel channel) {
        try {
            return (InetSocketAddress) channel.getRemoteAddress();
        } catch (IOException e) {
            return null;
        }
    }
}
