package tcp;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.Executor;
import loop.BufferPool;
import loop.EventLoop;
import traffic.Outcome;

/**
 * The FORWARDING stage of one connection: an engine carries the bytes both ways between the client
 * and the endpoint; everything before (accept, preamble, dial, greeting) and after (the end, the
 * record, the lease's release) is the {@link Connection}'s and shared by every engine. The event
 * loops' engine is {@link Flow}; the virtual threads' is {@link VirtualThreads}; a further engine
 * goes behind {@link Engine}, seeing the connection only through {@link Events}.
 *
 * <p>Every method here is called on the connection's loop's thread.
 */
public interface Forwarding {
    /** The event loops' engine: the default, and the measured faster one (see {@link Flow}). */
    Engine LOOPS = Flow::start;

    /** The virtual threads' engine: a thread per direction, started by {@code threads} (see {@link VirtualThreads}). */
    static Engine virtualThreads(Executor threads) {
        return VirtualThreads.on(threads);
    }

    /** Starts carrying bytes for one connection. One method, so that an engine is one class. */
    @FunctionalInterface
    interface Engine {
        /**
         * Both channels are connected and non-blocking; {@code head} (null: none) goes to the
         * endpoint before any client byte, {@code headClientBytes} of it the client's own (counted
         * as forwarded), the greeting the rest.
         */
        Forwarding start(Events connection, EventLoop loop, SocketChannel client, SocketChannel endpoint,
                         ByteBuffer head, int headClientBytes) throws IOException;
    }

    /**
     * After a redial: the same client, a new endpoint, which gets {@code head} first (the greeting
     * and the client's kept bytes; then the client's EOF if it had sent one). Returns what forwards
     * from now on (this, or what replaces it).
     */
    Forwarding redirect(SocketChannel endpoint, ByteBuffer head) throws IOException;

    /** Stops reading the client while a redial is under way. */
    void pause();

    /** The connection is over: give back what is borrowed (bytes not yet written are lost with the sockets). */
    void release();

    /** Client bytes forwarded to the endpoint (or waiting to be written). */
    long bytesUp();

    /** Endpoint bytes forwarded to the client. */
    long bytesDown();

    /**
     * What an engine tells the connection, on the thread that runs the connection (its loop's), but
     * {@link #moved}: an engine with threads of its own hands every other call to the loop.
     */
    interface Events {
        /**
         * {@code n} bytes moved ({@code upstream}: client to endpoint): counted, and not idle. Any
         * thread, once the endpoint answered; before, the loop's (a redial may change the endpoint).
         */
        void moved(int n, boolean upstream);

        /** The endpoint sent its first byte. */
        void answered();

        /** Client bytes about to go to the endpoint (position to limit): kept while a replay may need them. */
        void record(ByteBuffer bytes);

        /** A source sent EOF; the first to end names the outcome. */
        void ended(Outcome why);

        /** Both ways are over: the connection ends. */
        void finished();

        /** One side failed: the connection ends, {@code reset} (if not null) with a TCP reset. */
        void abort(Outcome why, SocketChannel reset);

        /** The endpoint closed or reset before its first byte: true when a redial took over. */
        boolean retry(Outcome why);

        /** Whether a redial is under way (the client's readiness is to be ignored). */
        boolean redialing();

        /** Ends the connection from outside its handlers (the loop is stopping). */
        void close(Outcome why);

        /** Where to borrow buffers for bytes a slow reader has not taken yet. */
        BufferPool buffers();
    }
}
