package routing;

import java.net.InetSocketAddress;

/**
 * What the start of a connection said before a route was chosen (see {@code tcp.Preamble}): the
 * real client's address (a PROXY header's), the TLS server name (a ClientHello's). Either is null
 * when nothing said it.
 *
 * @param client     the client's address as a trusted sender in front of featherlb gave it, or
 *                   null: the peer's own address stands
 * @param serverName the server name the client asked for (lower case, no trailing dot), or null
 */
public record Learned(InetSocketAddress client, String serverName) {
    /** Nothing learned: the connection had no preamble, or its preamble said nothing. */
    public static final Learned NOTHING = new Learned(null, null);

    /** This, with what {@code later} learned where it said something. */
    public Learned and(Learned later) {
        return new Learned(later.client != null ? later.client : client, later.serverName != null ? later.serverName : serverName);
    }
}
