package dial;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * Opens the connection to an endpoint. {@link #dial} is the one method to implement, so tests can
 * stand in a failing or slow dialer; {@link #start} is how a forwarding loop connects without blocking.
 */
@FunctionalInterface
public interface Dialer {
    /**
     * Connects to {@code host:port} within {@code timeout}; the returned channel is in blocking mode.
     * May block (name resolution, the connect): never called on a forwarding loop.
     *
     * @throws IOException when the name does not resolve, the endpoint refuses, or time runs out
     */
    SocketChannel dial(String host, int port, Duration timeout) throws IOException;

    /**
     * Starts a connect to {@code host:port} without blocking, for a forwarding loop: a non-blocking
     * channel whose connect is done ({@link SocketChannel#isConnected}) or pending (finish it with
     * {@link SocketChannel#finishConnect} once the selector says {@code OP_CONNECT}; the caller
     * enforces the timeout). Returns null when that cannot be done without blocking — a host name
     * that needs resolving — or when this dialer only {@link #dial}s (the default, which tests' dialers
     * keep): the connection then calls {@link #dial} on a virtual thread.
     *
     * @throws IOException when the connect failed at once (refused)
     */
    default SocketChannel start(String host, int port) throws IOException {
        return null;
    }

    /**
     * Resolves the name at every call, not once at start-up: containers come and go and get new
     * addresses. (The JVM's own cache still applies; featherlb.java shortens it to a few seconds.)
     * See {@link TcpDialer} for how it connects.
     */
    Dialer TCP = new TcpDialer();
}
