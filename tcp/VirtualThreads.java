package tcp;

import static java.lang.System.Logger.Level.DEBUG;
import static java.lang.System.Logger.Level.WARNING;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import loop.EventLoop;
import traffic.Outcome;

/**
 * The virtual-thread {@link Forwarding} engine, the design card's forwarder: per connection, one
 * virtual thread per direction that reads with a blocking read and writes with a blocking write.
 * A slow reader blocks only its own direction's write; EOF shuts down the other side's output (TCP
 * half-close) and the reverse direction goes on; a read failure resets the target, a write failure
 * the source. The loops' first-read trick (an answer's FIN passed on at once) needs nothing here:
 * the down thread reads again as soon as it has written. It costs more than the loops
 * ({@link Flow}): every blocking read on a virtual thread first fails with EAGAIN, arms the JDK's
 * poller and parks (see docs/forwarding.md, "Choosing an engine").
 *
 * <p>Threads. The two threads, {@code featherlb-vt-N-up} (client to endpoint, for the connection's
 * life) and {@code featherlb-vt-N-down} (endpoint to client, one per endpoint: a redial starts a
 * new one), run on the server's executor, which waits for them at shutdown. Everything that decides
 * how the connection goes on or ends ({@link Forwarding.Events} but {@code moved}) is handed to the
 * connection's loop ({@link EventLoop#execute}); the threads only read, write, count and ask. They
 * end when their socket is closed, which is the loop's job ({@link Connection#terminate}): a
 * blocked read or write then fails at once, and {@link #release} makes that failure silent and
 * wakes a thread waiting for the loop's answer.
 *
 * <p>Until the endpoint answers (its first byte), a redial may come ({@code retry_on:
 * empty-response}), so each client chunk asks the loop where it goes, and the loop records it for
 * the replay in the same step: a chunk is either in the replay or sent to the endpoint that is
 * current, never lost between the two. The endpoint's first byte is confirmed on the loop too, so
 * that no retry starts after the client saw an answer. After that, the threads hand over nothing
 * but the end.
 */
final class VirtualThreads implements Forwarding {
    /** A direction's own read buffer: an idle connection holds two of these and nothing else. */
    private static final int SMALL = 512;
    private static final AtomicLong NAMES = new AtomicLong();
    private static final System.Logger LOG = System.getLogger(VirtualThreads.class.getName());

    /** The engine; {@code threads} starts each thread (the server's: it names them and waits for them). */
    static Forwarding.Engine on(Executor threads) {
        return (connection, loop, client, endpoint, head, headClientBytes) -> {
            var engine = new VirtualThreads(connection, loop, client, threads);
            engine.begin(endpoint, head, headClientBytes);
            return engine;
        };
    }

    /**
     * RUNNING → {@link #pause} → PAUSED → {@link #release} → REDIALING → {@link #redirect} (once the
     * new endpoint left the selector) → RUNNING; any other {@link #release} → RELEASED, the end.
     */
    private enum State { RUNNING, PAUSED, REDIALING, RELEASED }

    /** What goes to {@code to} before any client byte; then its EOF, if the client had sent one. */
    private record Head(SocketChannel to, ByteBuffer bytes, boolean thenShutdown) {
    }

    private final Forwarding.Events connection;
    private final EventLoop loop;
    private final SocketChannel client;
    private final Executor threads;
    private final String name = "featherlb-vt-" + NAMES.incrementAndGet();

    private volatile State state = State.RUNNING; // written by the loop only
    private volatile SocketChannel endpoint; // written by the loop only
    private volatile boolean answered; // written by the loop only: the endpoint's first byte went to the client
    private volatile long up, down; // each written by its own direction's thread
    private final Object out = new Object(); // held by a thread writing to the endpoint: the head goes first
    private final AtomicReference<Head> head = new AtomicReference<>();
    private final Set<CompletableFuture<?>> waiting = new HashSet<>(); // threads waiting for the loop; guarded by itself

    // the loop's thread only
    private boolean upEnded, downEnded;
    private Runnable parked; // a client chunk read during a redial, for the next endpoint

    private VirtualThreads(Forwarding.Events connection, EventLoop loop, SocketChannel client, Executor threads) {
        this.connection = connection;
        this.loop = loop;
        this.client = client;
        this.threads = threads;
    }

    /** On the loop: once both channels left the selector (the preamble's, the connect's), blocking mode and the threads. */
    private void begin(SocketChannel first, ByteBuffer bytes, int headClientBytes) {
        endpoint = first;
        if (bytes != null) head.set(new Head(first, bytes, false));
        if (headClientBytes > 0) {
            connection.moved(headClientBytes, true);
            up = headClientBytes;
        }
        loop.deregister(() -> {
            if (state == State.RELEASED) return;
            try {
                client.configureBlocking(true);
                first.configureBlocking(true);
            } catch (IOException closed) {
                connection.abort(Outcome.SHUTDOWN, null);
                return;
            }
            start("-up", this::upstream);
            start("-down", () -> downstream(first));
        }, client, first);
    }

    private void start(String direction, Runnable body) {
        threads.execute(() -> {
            Thread.currentThread().setName(name + direction);
            try {
                body.run();
            } catch (RuntimeException e) { // a bug: end this connection, as the loops do (EventLoop.Handler#failed)
                LOG.log(WARNING, "{0}: forwarding failed: {1}", Thread.currentThread().getName(), e.toString());
                LOG.log(DEBUG, "the bug's stack trace", e);
                report(() -> connection.abort(Outcome.SHUTDOWN, null));
            }
        });
    }

    /** The up thread: client to endpoint, until the client's EOF or a failure. */
    private void upstream() {
        ByteBuffer small = ByteBuffer.allocate(SMALL), large = null;
        try {
            while (true) {
                ByteBuffer buffer = large != null ? large : small;
                buffer.clear();
                int n;
                try {
                    n = client.read(buffer);
                } catch (IOException e) {
                    report(() -> connection.abort(Outcome.CLIENT_RESET, state == State.RUNNING ? endpoint : null));
                    return;
                }
                if (n < 0) {
                    SocketChannel to = target(null, 0);
                    if (to != null) send(to, null);
                    return;
                }
                boolean filled = !buffer.hasRemaining();
                buffer.flip();
                SocketChannel to;
                if (answered) { // no redial can come any more: the endpoint stays
                    to = endpoint;
                    connection.moved(n, true);
                } else {
                    to = target(buffer, n);
                    if (to == null) return; // released
                }
                if (send(to, buffer)) up += n;
                // bulk: read into a large pooled buffer while reads fill the buffer, then give it back
                if (filled && large == null) large = connection.buffers().take();
                else if (!filled && large != null) {
                    connection.buffers().give(large);
                    large = null;
                }
            }
        } finally {
            if (large != null) connection.buffers().give(large);
        }
    }

    /**
     * Before the answer: asks the loop where {@code chunk} (null: the client's EOF) goes, and the
     * loop counts and records it in the same step. During a redial the answer waits for the next
     * endpoint. Null when the connection is over.
     */
    private SocketChannel target(ByteBuffer chunk, int n) {
        return onLoop(answer -> {
            Runnable decide = () -> {
                if (chunk != null) {
                    connection.moved(n, true);
                    connection.record(chunk);
                } else {
                    upEnded = true;
                    connection.ended(Outcome.CLIENT_CLOSED);
                    if (downEnded) { // both ways done: the close sends the FIN
                        connection.finished();
                        answer.complete(null);
                        return;
                    }
                }
                answer.complete(endpoint);
            };
            if (state == State.RUNNING) decide.run();
            else parked = decide;
        });
    }

    /** Writes {@code chunk} to {@code to} (null: shuts its output down) after the head; false if the write failed. */
    private boolean send(SocketChannel to, ByteBuffer chunk) {
        try {
            synchronized (out) {
                flushHead(to);
                if (chunk == null) to.shutdownOutput();
                else while (chunk.hasRemaining()) to.write(chunk);
            }
            return true;
        } catch (IOException e) {
            report(() -> endpointWriteFailed(to));
            return false;
        }
    }

    /** With {@link #out} held: the head, if it is {@code to}'s and not yet written. */
    private void flushHead(SocketChannel to) throws IOException {
        Head first = head.get();
        if (first == null || first.to() != to || !head.compareAndSet(first, null)) return;
        if (first.bytes() != null) while (first.bytes().hasRemaining()) to.write(first.bytes());
        if (first.thenShutdown()) to.shutdownOutput();
    }

    /** A down thread: {@code from} (one endpoint) to the client, after the head, until EOF or a failure. */
    private void downstream(SocketChannel from) {
        try {
            synchronized (out) {
                flushHead(from); // a protocol where the server speaks first still gets the greeting at once
            }
        } catch (IOException e) {
            report(() -> endpointWriteFailed(from));
        }
        ByteBuffer small = ByteBuffer.allocate(SMALL), large = null;
        try {
            while (true) {
                ByteBuffer buffer = large != null ? large : small;
                buffer.clear();
                int n;
                try {
                    n = from.read(buffer);
                } catch (IOException e) {
                    report(() -> endpointFailed(from, Outcome.ENDPOINT_RESET));
                    return;
                }
                if (n < 0) {
                    report(() -> endpointFailed(from, Outcome.ENDPOINT_CLOSED));
                    return;
                }
                if (!answered && !Boolean.TRUE.equals(onLoop(answer -> answer.complete(answer(from))))) return;
                boolean filled = !buffer.hasRemaining();
                connection.moved(n, false);
                buffer.flip();
                try {
                    while (buffer.hasRemaining()) client.write(buffer);
                } catch (IOException e) {
                    // the receiving side is gone: tell the sending side the same way
                    report(() -> connection.abort(Outcome.CLIENT_RESET, from));
                    return;
                }
                down += n;
                if (filled && large == null) large = connection.buffers().take();
                else if (!filled && large != null) {
                    connection.buffers().give(large);
                    large = null;
                }
            }
        } finally {
            if (large != null) connection.buffers().give(large);
        }
    }

    // on the loop's thread: the connection's decisions

    /** The endpoint's first byte: true if {@code from} is still the endpoint, and then nothing will be replayed. */
    private boolean answer(SocketChannel from) {
        if (from != endpoint || state != State.RUNNING) return false;
        answered = true;
        connection.answered();
        return true;
    }

    /** {@code from} reset ({@code ENDPOINT_RESET}) or sent EOF ({@code ENDPOINT_CLOSED}). */
    private void endpointFailed(SocketChannel from, Outcome why) {
        if (from != endpoint || state != State.RUNNING) return; // an endpoint a redial left
        if (why == Outcome.ENDPOINT_RESET) {
            if (!answered && connection.retry(why)) return;
            connection.abort(why, client);
            return;
        }
        // a close after the client's own EOF may be the protocol's end (a sink): only a reset is a
        // failure then; before it, an endpoint that closes unanswered has failed
        if (!answered && !upEnded && connection.retry(why)) return;
        downEnded = true;
        connection.ended(why);
        if (upEnded) {
            connection.finished();
            return;
        }
        try {
            client.shutdownOutput();
        } catch (IOException alreadyGone) {
            // the client closed first; the up thread hears of it
        }
    }

    private void endpointWriteFailed(SocketChannel to) {
        if (to != endpoint || state != State.RUNNING) return; // the replay has what it did not take
        if (!answered && connection.retry(Outcome.ENDPOINT_RESET)) return;
        connection.abort(Outcome.ENDPOINT_RESET, client);
    }

    /** Hands {@code event} to the loop, where it is dropped once the connection is over. */
    private void report(Runnable event) {
        loop.execute(() -> {
            if (state != State.RELEASED) event.run();
        });
    }

    /** Runs {@code task} on the loop and waits for what it completes; null once released. */
    private <T> T onLoop(Consumer<CompletableFuture<T>> task) {
        CompletableFuture<T> answer = new CompletableFuture<>();
        synchronized (waiting) {
            if (state == State.RELEASED) return null;
            waiting.add(answer);
        }
        loop.execute(() -> {
            if (state == State.RELEASED) answer.complete(null);
            else task.accept(answer);
        });
        try {
            return answer.join();
        } finally {
            synchronized (waiting) {
                waiting.remove(answer);
            }
        }
    }

    // Forwarding, on the loop's thread

    @Override
    public void pause() {
        if (state == State.RUNNING) state = State.PAUSED;
    }

    /**
     * The redial's release (right after {@link #pause}) lets the old endpoint's thread end with its
     * socket; any other is the end: every later report is dropped and every waiting thread woken.
     */
    @Override
    public void release() {
        if (state == State.PAUSED) {
            state = State.REDIALING;
            return;
        }
        state = State.RELEASED;
        parked = null;
        synchronized (waiting) {
            waiting.forEach(answer -> answer.complete(null));
        }
    }

    /** The same client and up thread; a new down thread for {@code next}, which gets {@code bytes} first. */
    @Override
    public Forwarding redirect(SocketChannel next, ByteBuffer bytes) {
        loop.deregister(() -> {
            if (state != State.REDIALING) return;
            try {
                next.configureBlocking(true);
            } catch (IOException closed) {
                connection.abort(Outcome.ENDPOINT_RESET, null);
                return;
            }
            head.set(new Head(next, bytes, upEnded));
            endpoint = next;
            state = State.RUNNING;
            start("-down", () -> downstream(next));
            Runnable chunk = parked;
            parked = null;
            if (chunk != null) chunk.run();
        }, next);
        return this;
    }

    @Override
    public long bytesUp() {
        return up;
    }

    @Override
    public long bytesDown() {
        return down;
    }
}
