package proxyproto;

import config.ProxyProtocol;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import routing.Learned;
import tcp.Preamble;

/**
 * {@code accept_proxy}: the PROXY header a trusted sender in front of featherlb starts each
 * connection with, as a {@link Preamble} step. A peer outside {@code from} is rejected before a
 * byte is read ({@code proxy_untrusted}): it cannot claim an address. From a trusted peer, the
 * connection must start with a valid v1 or v2 header within {@code timeout}; there is no guessing
 * whether one is there (spec §5). What it names is the client from then on; {@code LOCAL} and
 * {@code UNKNOWN} headers (the sender's own health checks) keep the peer's address. The header's
 * bytes are consumed; what came after them in the same read goes to the endpoint. One instance per
 * connection, on its loop's thread.
 */
public final class AcceptProxy implements Preamble {
    private final ProxyProtocol.Accept settings;

    public AcceptProxy(ProxyProtocol.Accept settings) {
        this.settings = settings;
    }

    @Override
    public Verdict open(InetSocketAddress peer) {
        if (peer != null && settings.trusts(peer.getAddress())) return NeedMore.INSTANCE;
        return new Fail("proxy_untrusted", "a PROXY header is accepted only from accept_proxy.from, not from this peer");
    }

    @Override
    public Verdict read(ByteBuffer seen) {
        return switch (ProxyHeader.parse(seen)) {
            case ProxyHeader.Incomplete more -> NeedMore.INSTANCE;
            case ProxyHeader.Invalid invalid -> new Fail(invalid.counted(), "PROXY header: " + invalid.why());
            case ProxyHeader.Parsed(ProxyHeader header) ->
                    new Done(header.length(), header.local() || header.source() == null ? Learned.NOTHING : new Learned(header.source(), null));
        };
    }

    /** A v2 header over TCP fits the smallest segment; a v1 line is shorter still. */
    @Override
    public int limit() {
        return ProxyHeader.V2_MAX;
    }

    @Override
    public Duration timeout() {
        return settings.timeout();
    }

    @Override
    public String timedOut() {
        return "proxy_timeout";
    }
}
