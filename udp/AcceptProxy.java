package udp;

import config.ProxyProtocol;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.function.Consumer;
import proxyproto.ProxyHeader;

/**
 * {@code accept_proxy} on a UDP route: each datagram from a trusted sender (a balancer in front,
 * such as dnsdist with {@code useProxyProtocol}) starts with a PROXY v2 header naming its client,
 * read by the same strict parser as TCP's ({@link ProxyHeader#parse}); the rest of the datagram is
 * the client's. There is no stream to wait on: the header is whole in its datagram or the datagram
 * is dropped, so the TCP form's {@code timeout} has nothing to bound (a config error on UDP).
 *
 * <p>What is dropped (counted, never logged per datagram): a datagram from a sender outside
 * {@code from} ({@link Drop#PROXY_UNTRUSTED}: it is not parsed, it cannot claim an address); from a
 * trusted sender, one without a valid v2 header, with a v1 header (v1 has no UDP form), or with a
 * {@code PROXY} header that is not {@code UDP4}/{@code UDP6} ({@link Drop#PROXY_INVALID}, or
 * {@link Drop#PROXY_CRC} for a wrong CRC32C). A {@code LOCAL} header (or {@code PROXY} with family
 * {@code UNSPEC}) is the sender's own datagram, a health check most likely: its client is the
 * sender, as HAProxy does for TCP.
 *
 * <p>Threads: the listener's event loop; nothing is kept between datagrams.
 */
final class AcceptProxy {
    private AcceptProxy() {
    }

    /**
     * The client of {@code datagram} (position to limit), which came from {@code sender}, with the
     * position moved past its header; null when it is dropped ({@code dropped} told why).
     */
    static InetSocketAddress client(ProxyProtocol.Accept accept, InetSocketAddress sender, ByteBuffer datagram, Consumer<Drop> dropped) {
        if (!accept.trusts(sender.getAddress())) {
            dropped.accept(Drop.PROXY_UNTRUSTED);
            return null;
        }
        ProxyHeader.Result result = ProxyHeader.parse(datagram.slice());
        if (!(result instanceof ProxyHeader.Parsed(ProxyHeader header))) {
            // Incomplete: a datagram that ends inside its header; the rest will not come
            dropped.accept(result instanceof ProxyHeader.Invalid invalid && invalid.counted().equals("proxy_crc") ? Drop.PROXY_CRC : Drop.PROXY_INVALID);
            return null;
        }
        InetSocketAddress client = header.version() != 2 ? null : switch (header.carries()) {
            case NOTHING -> sender;
            case UDP -> header.source();
            case TCP, OTHER -> null;
        };
        if (client == null) {
            dropped.accept(Drop.PROXY_INVALID);
            return null;
        }
        datagram.position(datagram.position() + header.length());
        return client;
    }
}
