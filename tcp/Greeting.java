package tcp;

import config.Endpoint;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * What featherlb writes to an endpoint after the connect, before any client byte (a PROXY header),
 * and again after a redial to the next endpoint. It goes out in the same write as the first client
 * bytes, so a receiver that wants the whole header in one segment gets it.
 */
@FunctionalInterface
public interface Greeting {
    /** The bytes for {@code endpoint}, or null for none (this endpoint does not want one). */
    byte[] bytes(Context context, Endpoint endpoint);

    /** {@code greeting} (null: none) then {@code clientBytes} (null: none) in one buffer: one write, one segment. */
    static ByteBuffer join(byte[] greeting, ByteBuffer clientBytes) {
        if (greeting == null) return clientBytes;
        if (clientBytes == null || !clientBytes.hasRemaining()) return ByteBuffer.wrap(greeting);
        return ByteBuffer.allocate(greeting.length + clientBytes.remaining()).put(greeting).put(clientBytes.duplicate()).flip();
    }

    /**
     * What a greeting may tell the endpoint about the connection.
     *
     * @param client      the client's address (the learned one where a preamble learned it)
     * @param destination the address the client connected to
     * @param serverName  the TLS server name the route was chosen by, or null
     * @param id          the connection's id (the access log's {@code id})
     */
    record Context(InetSocketAddress client, InetSocketAddress destination, String serverName, long id) {
    }
}
