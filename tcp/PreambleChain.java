package tcp;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import routing.Learned;

/**
 * Preamble steps run one after the other on the start of one connection: a PROXY header, then a
 * TLS ClientHello. Each step sees the bytes after the ones the steps before it consumed (in the same
 * read, when they came in one segment) and answers as a step alone would; what the steps learned is
 * merged in order ({@link Learned#and}: a later step's answer wins where it says something). Each
 * step keeps its own byte bound and its own deadline: {@link PreambleRead} arms the deadline of
 * {@link #step()} afresh when a step is done, so that a PROXY header's timeout ends once the header
 * is read. One instance per connection, on its loop's thread.
 */
public final class PreambleChain implements Preamble {
    private final List<Preamble> steps;
    private final int limit;
    private int at; // the step reading now
    private int offset; // bytes the steps before it consumed
    private Learned learned = Learned.NOTHING;

    /** @param steps at least one, in the order they read */
    public PreambleChain(List<Preamble> steps) {
        if (steps.isEmpty()) throw new IllegalArgumentException("a chain needs a step");
        this.steps = List.copyOf(steps);
        long sum = 0;
        for (Preamble step : steps) sum += step.limit();
        this.limit = (int) Math.min(Integer.MAX_VALUE - 16, sum);
    }

    /** {@code step} alone, or the chain it already is. */
    static PreambleChain of(Preamble step) {
        return step instanceof PreambleChain chain ? chain : new PreambleChain(List.of(step));
    }

    /** The step that reads now: its deadline and its reasons apply. */
    public Preamble step() {
        return steps.get(at);
    }

    @Override
    public Verdict open(InetSocketAddress peer) {
        for (Preamble step : steps) {
            Verdict verdict = step.open(peer);
            if (verdict instanceof Fail) return verdict;
        }
        return NeedMore.INSTANCE; // a step that needs no byte says so at its first read
    }

    @Override
    public Verdict read(ByteBuffer seen) {
        while (true) {
            Preamble step = steps.get(at);
            ByteBuffer mine = seen.slice(offset, seen.limit() - offset).asReadOnlyBuffer();
            Verdict verdict = mine.hasRemaining() ? step.read(mine) : NeedMore.INSTANCE;
            switch (verdict) {
                case Fail fail -> {
                    return fail;
                }
                case NeedMore more -> {
                    return mine.remaining() >= step.limit() ? new Fail(TOO_LONG, "no decision within " + step.limit() + " bytes") : more;
                }
                case Done done -> {
                    offset += done.consumed();
                    if (done.learned() != null) learned = learned.and(done.learned());
                    if (at == steps.size() - 1) return new Done(offset, learned);
                    at++;
                }
            }
        }
    }

    @Override
    public int limit() {
        return limit;
    }

    /** The current step's: each step has a deadline of its own. */
    @Override
    public Duration timeout() {
        return step().timeout();
    }

    @Override
    public String timedOut() {
        return step().timedOut();
    }
}
