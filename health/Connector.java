package health;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * Opens the connection for one check. One method, so that the server hands in the dialer its
 * connections use: a check then resolves the endpoint's name at every check, as a connection does,
 * and a test can stand in a dialer of its own.
 */
@FunctionalInterface
public interface Connector {
    /** A blocking channel connected to {@code host:port} within {@code timeout}. */
    SocketChannel connect(String host, int port, Duration timeout) throws IOException;
}
