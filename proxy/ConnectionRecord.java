package proxy;

import java.time.Duration;
import java.time.Instant;

/**
 * A finished connection, as the access log and the metrics see it.
 *
 * @param endpoint {@code host:port} of the endpoint, or null when none could be connected
 * @param bytesUp  client → endpoint
 * @param bytesDown endpoint → client
 */
public record ConnectionRecord(Instant start, String route, String client, String endpoint,
                               long bytesUp, long bytesDown, Duration duration, Outcome outcome) {
}
