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
 * steps' {@link Preamble#limit} and asks them ({@link PreambleChain}) after each read, under the
 * deadline of the step reading now, armed afresh when a step is done. Done: the connection goes on
 * with what it learned and the bytes the steps did not consume; fail, the deadline or the limit:
 * the connection is rejected. Loop thread only.
 */
final class PreambleRead implements EventLoop.Handler {
    private final Connection connection;
    private final PreambleChain step;
    private final SocketChannel client;
    private final EventLoop loop;
    private final ByteBuffer seen;
    private Preamble timed; // the step whose deadline is armed
    private EventLoop.Timer deadline;

    /** Starts reading: the client's key is this handler's until the step decides. */
    PreambleRead(Connection connection, Preamble step, SocketChannel client, EventLoop loop) throws IOException {
        this.connection = connection;
        this.step = PreambleChain.of(step);
        this.client = client;
        this.loop = loop;
        this.seen = ByteBuffer.allocate(this.step.limit());
        client.register(loop.selector(), OP_READ, this);
        arm();
    }

    /** The deadline of the step reading now. */
    private void arm() {
        Preamble now = step.step();
        timed = now;
        deadline = loop.schedule(now.timeout().toNanos(),
                () -> connection.rejected(now.timedOut(), "no complete preamble within " + Durations.format(now.timeout())));
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
                else if (step.step() != timed) { // a step is done: the next one has a deadline of its own
                    deadline.cancel();
                    arm();
                }
            }
            case Preamble.Fail fail -> connection.rejected(fail.reason(), fail.detail());
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
