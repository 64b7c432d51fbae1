package proxy;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/** Opens the connection to an endpoint. One method, so tests can stand in a failing or slow dialer. */
@FunctionalInterface
public interface Dialer {
    /**
     * Connects to {@code host:port} within {@code timeout}; the returned channel is in blocking mode.
     *
     * @throws IOException when the name does not resolve, the endpoint refuses, or time runs out
     */
    SocketChannel dial(String host, int port, Duration timeout) throws IOException;

    /**
     * Resolves the name at every call, not once at start-up: containers come and go and get new
     * addresses. (The JVM's own cache still applies; featherlb.java shortens it to a few seconds.)
     * See {@link TcpDialer} for how it connects.
     */
    Dialer TCP = new TcpDialer();
}
