package tcp;

import static java.nio.channels.SelectionKey.OP_READ;

import config.Durations;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import loop.EventLoop;
import traffic.Outcome;

/**
 * The PREAMBLE stage of one connection: reads the client on its read readiness into a buffer of the
 * step's {@link Preamble#limit} and asks the step after each read, under the step's deadline. Done:
 * the connection goes on with what it learned and the bytes the step did not consume; fail, the
 * deadline or the limit: the connection is rejected. Loop thread only.
 */
final class PreambleRead implements EventLoop.Handler {
    private final Connection connection;
    private final Preamble step;
    private final SocketChannel client;
    private final ByteBuffer seen;
    private final EventLoop.Timer deadline;

    /** Starts reading: the client's key is this handler's until the step decides. */
    PreambleRead(Connection connection, Preamble step, SocketChannel client, EventLoop loop) throws IOException {
        this.connection = connection;
        this.step = step;
        this.client = client;
        this.seen = ByteBuffer.allocate(step.limit());
        client.register(loop.selector(), OP_READ, this);
        deadline = loop.schedule(step.timeout().toNanos(),
                () -> connection.rejected(step.timedOut(), "no complete preamble within " + Durations.format(step.timeout())));
    }

    @Override
    public void ready(SelectionKey key, ByteBuffer shared) {
        int n;
        try {
            n = client.read(seen);
        } catch (IOException e) {
            connection.abort(Outcome.CLIENT_RESET, null);
            return;
        }
        if (n < 0) {
            connection.abort(Outcome.CLIENT_CLOSED, null);
            return;
        }
        if (n == 0) return;
        switch (step.read(seen.duplicate().flip().asReadOnlyBuffer())) {
            case Preamble.NeedMore ignored -> {
                if (!seen.hasRemaining()) connection.rejected(Preamble.TOO_LONG, "no decision within " + seen.capacity() + " bytes");
            }
            case Preamble.Fail fail -> connection.rejected(fail.reason(), null);
            case Preamble.Done done -> {
                deadline.cancel();
                key.interestOps(0); // the engine reads the client from here on
                int total = seen.position();
                ByteBuffer rest = done.consumed() < total ? ByteBuffer.wrap(seen.array(), done.consumed(), total - done.consumed()) : null;
                connection.route(done.learned(), rest);
            }
        }
    }

    /** The connection ended during the preamble. */
    void cancel() {
        deadline.cancel();
    }

    @Override
    public void failed() {
        connection.abort(Outcome.SHUTDOWN, null);
    }

    @Override
    public void stop() {
        connection.closeFor(Outcome.SHUTDOWN);
    }
}
