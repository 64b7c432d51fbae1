package discovery;

import config.Discovery;
import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * Asks DNS what a {@code discover:} item names: the one thing discovery needs from a resolver, so
 * that tests answer with a fake and featherlb with {@link DnsjavaResolver}.
 */
@FunctionalInterface
public interface Resolver {
    /**
     * The records of {@code source} now, from {@code nameserver} (null: the system's), waiting at
     * most {@code timeout}. An empty list: the name has no such records (NXDOMAIN, or no data).
     * Called on the route's discovery thread, one lookup after another.
     *
     * @throws IOException when no answer came (timeout, SERVFAIL, refused): not the same as empty
     */
    List<Found> lookup(Discovery.Source source, Discovery.Nameserver nameserver, Duration timeout) throws IOException, InterruptedException;

    /**
     * One endpoint address found: an IP address (never a name, so that no cache of the JVM sits
     * between the lookup and the dial) and, for SRV, the record's port, priority and weight.
     *
     * @param port     the SRV record's port; 0 for an address record (the item's port applies)
     * @param priority the SRV record's priority (0 for an address record)
     * @param weight   the SRV record's weight, 0..65535 (0 for an address record)
     */
    record Found(String address, int port, int priority, int weight) {
        /** An A or AAAA record's address. */
        public static Found address(String address) {
            return new Found(address, 0, 0, 0);
        }
    }
}
