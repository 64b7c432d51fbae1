package health;

import config.HealthCheck;
import java.io.IOException;
import java.nio.channels.SocketChannel;

/** What a check asks of an endpoint once it is connected. */
@FunctionalInterface
interface Probe {
    /**
     * Talks to the endpoint over {@code channel}, reading until {@code deadlineNanos} at most
     * ({@link System#nanoTime()} time).
     *
     * @return null when the endpoint is healthy, else why not, in a few words for the log
     * @throws java.net.SocketTimeoutException when the deadline passes first
     */
    String probe(SocketChannel channel, long deadlineNanos) throws IOException;

    /** tcp: the connect was the whole check. */
    Probe CONNECT = (channel, deadline) -> null;

    /**
     * {@code then}, after {@code header} is written alone, in one write: the PROXY header an
     * endpoint with {@code send_proxy} wants before anything else (a {@code LOCAL} one: the check is
     * featherlb's own), or it would fail every check.
     */
    static Probe greeted(byte[] header, Probe then) {
        return (channel, deadline) -> {
            Reply.send(channel, header);
            return then.probe(channel, deadline);
        };
    }

    /** The probe for {@code check}; {@code host} and {@code port} are what was dialled. */
    static Probe of(HealthCheck check, String host, int port) {
        return switch (check.type()) {
            case TCP -> CONNECT;
            case HTTP -> new HttpProbe(check.path(), host, port);
            case SEND_EXPECT -> new SendExpectProbe(check.sendBytes(), check.expectBytes());
        };
    }
}
