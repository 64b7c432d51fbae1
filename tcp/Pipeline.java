package tcp;

import dial.Dialer;
import java.util.concurrent.Executor;
import loop.BufferPool;

/**
 * What every TCP connection of a server shares: how it dials, where it borrows buffers, where it
 * is counted while open, which engine forwards and which steps run before the dial and after the
 * connect. Built once by the server.
 *
 * @param offLoop runs a dial that may block (a host name to resolve) on a virtual thread, which the
 *                server's shutdown waits for; may reject once the shutdown began
 * @param limit   the connections all routes together may serve at once
 */
public record Pipeline(Dialer dialer, BufferPool buffers, Connections connections, Executor offLoop,
                       Forwarding.Engine engine, Stages stages, GlobalLimit limit) {
}
