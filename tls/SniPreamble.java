package tls;

import static java.lang.System.Logger.Level.DEBUG;

import java.nio.ByteBuffer;
import java.time.Duration;
import routing.Learned;
import tcp.Preamble;

/**
 * The preamble step of an address whose routes are chosen by TLS server name: peeks at the
 * ClientHello ({@link ClientHello}) and learns its server name, consuming nothing, so that the
 * endpoint gets every byte as the client sent it (TLS is not terminated). Not TLS, or a hello
 * without a usable name: done with no name (the default route takes it); a hello over
 * {@link ClientHello#MAX_HELLO}: failed, {@code sni_too_large}. Runs on the connection's loop.
 */
public final class SniPreamble implements Preamble {
    private static final System.Logger LOG = System.getLogger(SniPreamble.class.getName());
    /** Reason of a hello over the bound, as counted. */
    public static final String TOO_LARGE = "sni_too_large";
    /** Reason of a hello that did not arrive within {@code sni_timeout}. */
    public static final String TIMEOUT = "sni_timeout";
    /**
     * The bytes read at most: the largest hello with its 4-byte header, and the headers of 128
     * records (a hello fragmented at 128 bytes; clients fragment at 512 at the least, RFC 6066's
     * smallest max_fragment_length, which makes 33 records of the largest).
     */
    public static final int LIMIT = 4 + ClientHello.MAX_HELLO + 5 * 128;

    private final ClientHello hello = new ClientHello();
    private final Duration timeout;

    /** @param timeout the address's {@code sni_timeout} */
    public SniPreamble(Duration timeout) {
        this.timeout = timeout;
    }

    @Override
    public Verdict read(ByteBuffer seen) {
        return switch (hello.read(seen)) {
            case ClientHello.NeedMore ignored -> NeedMore.INSTANCE;
            case ClientHello.Hello h -> new Done(0, h.serverName() == null ? Learned.NOTHING : new Learned(null, h.serverName()));
            case ClientHello.NotTls not -> {
                if (LOG.isLoggable(DEBUG)) LOG.log(DEBUG, "not a TLS ClientHello ({0}): the default route takes it", not.why());
                yield new Done(0, Learned.NOTHING);
            }
            case ClientHello.TooLarge large -> {
                if (LOG.isLoggable(DEBUG)) LOG.log(DEBUG, "a ClientHello of {0} bytes, over {1}", large.length(), ClientHello.MAX_HELLO);
                yield new Fail(TOO_LARGE);
            }
        };
    }

    @Override
    public String timedOut() {
        return TIMEOUT;
    }

    @Override
    public int limit() {
        return LIMIT;
    }

    @Override
    public Duration timeout() {
        return timeout;
    }
}
