package traffic;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;

/**
 * A finished connection, as the access log and the metrics see it.
 *
 * @param clientAddress the client's address and port, or null when the socket did not say
 * @param endpoint {@code host:port} of the endpoint, or null when none could be connected
 * @param bytesUp  client → endpoint
 * @param bytesDown endpoint → client
 * @param sni      the server name of the client's TLS ClientHello, on an address routed by name;
 *                 null when there was none (or the address does not look)
 * @param id       the connection's id, unique in the process (the access log's {@code id}, the
 *                 UNIQUE_ID of a PROXY v2 header sent); 0 when unknown
 * @param datagrams a UDP session's datagrams each way; null for a TCP connection
 */
public record ConnectionRecord(Instant start, String route, InetSocketAddress clientAddress, String endpoint,
                               long bytesUp, long bytesDown, Duration duration, Outcome outcome, String sni, long id,
                               Datagrams datagrams) {

    /** A TCP connection. */
    public ConnectionRecord(Instant start, String route, InetSocketAddress clientAddress, String endpoint,
                            long bytesUp, long bytesDown, Duration duration, Outcome outcome, String sni, long id) {
        this(start, route, clientAddress, endpoint, bytesUp, bytesDown, duration, outcome, sni, id, null);
    }

    /** A connection without a server name and an id. */
    public ConnectionRecord(Instant start, String route, InetSocketAddress clientAddress, String endpoint,
                            long bytesUp, long bytesDown, Duration duration, Outcome outcome) {
        this(start, route, clientAddress, endpoint, bytesUp, bytesDown, duration, outcome, null, 0);
    }

    /** A connection without an id. */
    public ConnectionRecord(Instant start, String route, InetSocketAddress clientAddress, String endpoint,
                            long bytesUp, long bytesDown, Duration duration, Outcome outcome, String sni) {
        this(start, route, clientAddress, endpoint, bytesUp, bytesDown, duration, outcome, sni, 0);
    }

    /** The client as the access log writes it: {@code 192.0.2.7:51234}, {@code [2001:db8::7]:51234}, or "?". */
    public String client() {
        return text(clientAddress);
    }

    /**
     * {@code address:port}, IPv6 in brackets; "?" for null. Formatted only when a log line needs it,
     * not for every connection: the connection keeps the socket's own address object.
     */
    public static String text(InetSocketAddress address) {
        if (address == null) return "?";
        String host = address.getAddress().getHostAddress();
        return address.getAddress() instanceof Inet6Address ? "[" + compact(host) + "]:" + address.getPort() : host + ":" + address.getPort();
    }

    /**
     * The Java form of an IPv6 address ({@code 2001:db8:0:0:0:0:0:7}) in the form HAProxy, nginx and
     * the RFC 5952 write it ({@code 2001:db8::7}): the longest run of two or more zero groups, the
     * first of equal runs, becomes "::". A zone ({@code %eth0}) is kept.
     */
    static String compact(String javaForm) {
        int zone = javaForm.indexOf('%');
        String[] groups = (zone < 0 ? javaForm : javaForm.substring(0, zone)).split(":");
        int bestStart = -1, bestLength = 1;
        for (int i = 0; i < groups.length; ) {
            if (!groups[i].equals("0")) {
                i++;
                continue;
            }
            int j = i;
            while (j < groups.length && groups[j].equals("0")) j++;
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        if (bestStart < 0) return javaForm;
        String head = String.join(":", Arrays.copyOfRange(groups, 0, bestStart));
        String tail = String.join(":", Arrays.copyOfRange(groups, bestStart + bestLength, groups.length));
        return head + "::" + tail + (zone < 0 ? "" : javaForm.substring(zone));
    }
}
