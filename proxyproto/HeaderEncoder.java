package proxyproto;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The PROXY headers featherlb writes to an endpoint (HAProxy's {@code doc/proxy-protocol.txt}):
 * v1 {@code TCP4}/{@code TCP6} lines and v2 {@code PROXY} headers for a client's connection, and the
 * {@code LOCAL} forms ({@code PROXY UNKNOWN}, v2 {@code LOCAL}) for health checks, which speak for
 * featherlb itself. A pair of one IPv4 and one IPv6 address is written as IPv6, the IPv4 one mapped
 * to {@code ::ffff:a.b.c.d}, as the spec asks. Pure functions, any thread.
 */
public final class HeaderEncoder {
    /** v1 for a connection whose addresses are not known, and for health checks. */
    public static final byte[] V1_UNKNOWN = "PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII);
    /** v2 LOCAL, no addresses, no TLVs: for health checks. */
    public static final byte[] V2_LOCAL = v2Fixed(0x20, 0x00, 0);

    private HeaderEncoder() {
    }

    /** {@code PROXY TCP4|TCP6 source destination sport dport\r\n}; {@link #V1_UNKNOWN} when an address is missing. */
    public static byte[] v1(InetSocketAddress client, InetSocketAddress destination) {
        if (client == null || destination == null) return V1_UNKNOWN.clone();
        InetAddress from = client.getAddress();
        InetAddress to = destination.getAddress();
        boolean four = from instanceof Inet4Address && to instanceof Inet4Address;
        String line = "PROXY " + (four ? "TCP4 " : "TCP6 ") + text(from, four) + " " + text(to, four) + " "
                + client.getPort() + " " + destination.getPort() + "\r\n";
        return line.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * A v2 {@code PROXY} header over TCP: the addresses, then an AUTHORITY TLV with
     * {@code serverName} (when not null) and a UNIQUE_ID TLV with {@code uniqueId} (when not null).
     * A v2 {@code LOCAL} header when an address is missing.
     */
    public static byte[] v2(InetSocketAddress client, InetSocketAddress destination, String serverName, String uniqueId) {
        if (client == null || destination == null) return V2_LOCAL.clone();
        InetAddress from = client.getAddress();
        InetAddress to = destination.getAddress();
        boolean four = from instanceof Inet4Address && to instanceof Inet4Address;
        byte[] authority = serverName == null ? null : serverName.getBytes(StandardCharsets.UTF_8);
        byte[] id = uniqueId == null ? null : uniqueId.getBytes(StandardCharsets.US_ASCII);
        if (authority != null && authority.length > ProxyHeader.AUTHORITY_MAX) authority = null; // no such host name: not sent
        if (id != null && id.length > ProxyHeader.UNIQUE_ID_MAX) id = null;
        int length = (four ? 12 : 36) + tlvLength(authority) + tlvLength(id);
        ByteBuffer out = ByteBuffer.wrap(v2Fixed(0x21, four ? 0x11 : 0x21, length));
        out.position(ProxyHeader.V2_FIXED);
        out.put(raw(from, four)).put(raw(to, four));
        out.putShort((short) client.getPort()).putShort((short) destination.getPort());
        tlv(out, ProxyHeader.TLV_AUTHORITY, authority);
        tlv(out, ProxyHeader.TLV_UNIQUE_ID, id);
        return out.array();
    }

    /**
     * A v2 {@code PROXY} header for a UDP datagram ({@code UDP4}/{@code UDP6}, no TLVs): what
     * dnsdist, BIND and unbound read before each datagram. A v2 {@code LOCAL} header when an address is missing.
     */
    public static byte[] v2Udp(InetSocketAddress client, InetSocketAddress destination) {
        if (client == null || destination == null) return V2_LOCAL.clone();
        InetAddress from = client.getAddress();
        InetAddress to = destination.getAddress();
        boolean four = from instanceof Inet4Address && to instanceof Inet4Address;
        ByteBuffer out = ByteBuffer.wrap(v2Fixed(0x21, four ? 0x12 : 0x22, four ? 12 : 36));
        out.position(ProxyHeader.V2_FIXED);
        out.put(raw(from, four)).put(raw(to, four));
        out.putShort((short) client.getPort()).putShort((short) destination.getPort());
        return out.array();
    }

    /** The 16 fixed bytes and room for {@code length} more. */
    private static byte[] v2Fixed(int versionCommand, int familyTransport, int length) {
        ByteBuffer out = ByteBuffer.allocate(ProxyHeader.V2_FIXED + length);
        out.put(ProxyHeader.V2_SIGNATURE).put((byte) versionCommand).put((byte) familyTransport).putShort((short) length);
        return out.array();
    }

    private static int tlvLength(byte[] value) {
        return value == null ? 0 : 3 + value.length;
    }

    private static void tlv(ByteBuffer out, int type, byte[] value) {
        if (value == null) return;
        out.put((byte) type).putShort((short) value.length).put(value);
    }

    /** 4 bytes for a pair of IPv4 addresses; else 16, an IPv4 one mapped to ::ffff:a.b.c.d. */
    private static byte[] raw(InetAddress address, boolean four) {
        byte[] bytes = address.getAddress();
        if (four || bytes.length == 16) return bytes;
        byte[] mapped = new byte[16];
        mapped[10] = mapped[11] = (byte) 0xff;
        System.arraycopy(bytes, 0, mapped, 12, 4);
        return mapped;
    }

    private static String text(InetAddress address, boolean four) {
        if (four) return address.getHostAddress();
        if (address instanceof Inet4Address) return "::ffff:" + address.getHostAddress();
        String host = ((Inet6Address) address).getHostAddress();
        int zone = host.indexOf('%');
        return zone < 0 ? host : host.substring(0, zone); // a zone means nothing to the receiver
    }
}
