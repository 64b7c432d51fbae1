package proxyproto;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * A PROXY protocol header (HAProxy's {@code doc/proxy-protocol.txt}, v1 text and v2 binary) as read
 * from the start of a connection, and the strict reader of one ({@link #parse}). Strict because a
 * header names the client everywhere after it: the reader never guesses (spec §5), and rejects
 * anything the spec does not allow rather than making sense of it.
 *
 * @param version     1 or 2
 * @param local       v2 {@code LOCAL} or v1 {@code UNKNOWN}: the sender speaks for itself (its
 *                    health checks), so the peer's own address stands; true as well for a header
 *                    whose addresses are not a TCP connection's (see {@code carries})
 * @param source      the client's address, or null when no IP address was given (for a TCP
 *                    connection, read it only when {@code local} is false)
 * @param destination the address the client connected to, or null likewise
 * @param authority   v2 AUTHORITY TLV (the TLS server name), or null
 * @param alpn        v2 ALPN TLV, or null
 * @param uniqueId    v2 UNIQUE_ID TLV, or null
 * @param length      bytes of the header, CRLF and TLVs included
 * @param carries     what the header's addresses are of: TCP sets {@code source} for {@link Carries#TCP}
 *                    alone; a UDP route ({@code udp.AcceptProxy}) wants {@link Carries#UDP}
 */
public record ProxyHeader(int version, boolean local, InetSocketAddress source, InetSocketAddress destination,
                          String authority, byte[] alpn, byte[] uniqueId, int length, Carries carries) {
    /**
     * What a header speaks of (spec 2.2, the family and transport byte): {@code NOTHING} for a v2
     * {@code LOCAL}, a v2 {@code PROXY} with family {@code UNSPEC} or a v1 {@code UNKNOWN} (the
     * sender's own traffic); {@code TCP} for TCP4/TCP6; {@code UDP} for UDP4/UDP6 ({@code source}
     * and {@code destination} set, {@code local} true: they are not a TCP connection's); {@code OTHER}
     * for a UNIX socket or IP without a transport.
     */
    public enum Carries { NOTHING, TCP, UDP, OTHER }

    /** v1: the longest line, CRLF included (spec 2.1: "PROXY UNKNOWN" with two full IPv6 addresses). */
    public static final int V1_MAX = 107;
    /** v2: the longest header over TCP, fixed part included: the smallest TCP segment (spec 2.2). */
    public static final int V2_MAX = 536;
    static final byte[] V1_PREFIX = "PROXY ".getBytes(StandardCharsets.US_ASCII);
    static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    static final int V2_FIXED = 16;
    static final int TLV_ALPN = 0x01, TLV_AUTHORITY = 0x02, TLV_CRC32C = 0x03, TLV_NOOP = 0x04, TLV_UNIQUE_ID = 0x05;
    /** The spec's bound on UNIQUE_ID. */
    static final int UNIQUE_ID_MAX = 128;
    /** A host name's bound (RFC 1035), for the AUTHORITY TLV. */
    static final int AUTHORITY_MAX = 255;

    /** What {@link #parse} says of the bytes so far. */
    public sealed interface Result permits Incomplete, Parsed, Invalid {
    }

    /** A prefix of a valid header so far: read more. */
    public enum Incomplete implements Result { INSTANCE }

    public record Parsed(ProxyHeader header) implements Result {
    }

    /**
     * Not a valid header.
     *
     * @param why     in words, for the log
     * @param counted the {@code featherlb_rejected_total} reason: proxy_invalid or proxy_crc
     */
    public record Invalid(String why, String counted) implements Result {
        static Invalid of(String why) {
            return new Invalid(why, "proxy_invalid");
        }
    }

    /** Reads a header from {@code in}'s bytes 0 to its limit (its position is ignored, nothing is changed). */
    public static Result parse(ByteBuffer in) {
        int n = in.limit();
        if (n == 0) return Incomplete.INSTANCE;
        if (in.get(0) == 'P') return v1(in, n);
        if (in.get(0) == 0x0D) return v2(in, n);
        return Invalid.of("not a PROXY header (the first byte is " + printable(in.get(0)) + ", expected 'P' for v1 or 0x0D for v2)");
    }

    // --- v1: "PROXY TCP4 192.0.2.7 198.51.100.1 51234 443\r\n" ---

    private static Result v1(ByteBuffer in, int n) {
        for (int i = 0; i < Math.min(n, V1_PREFIX.length); i++) {
            if (in.get(i) != V1_PREFIX[i]) return Invalid.of("v1 header does not start with \"PROXY \" (upper case, one space)");
        }
        int end = -1; // index of the CR of CRLF
        for (int i = 0; i < Math.min(n, V1_MAX); i++) {
            byte b = in.get(i);
            if (b == '\n') return Invalid.of("v1 header ends with LF alone (expected CRLF)");
            if (b == '\r') {
                if (i == V1_MAX - 1) break; // its LF would be byte 108
                if (i + 1 >= n) return Incomplete.INSTANCE;
                if (in.get(i + 1) != '\n') return Invalid.of("v1 header has CR without LF");
                end = i;
                break;
            }
            if (b < 0x20 || b > 0x7e) return Invalid.of("v1 header has the byte " + printable(b) + " (expected printable ASCII)");
        }
        if (end < 0) {
            if (n >= V1_MAX) return Invalid.of("v1 header without CRLF within " + V1_MAX + " bytes");
            return Incomplete.INSTANCE;
        }
        byte[] bytes = new byte[end];
        in.get(0, bytes);
        String line = new String(bytes, StandardCharsets.US_ASCII);
        int length = end + 2;
        String rest = line.substring(V1_PREFIX.length);
        if (rest.equals("UNKNOWN") || rest.startsWith("UNKNOWN ")) { // the rest of the line is ignored (spec 2.1)
            return new Parsed(new ProxyHeader(1, true, null, null, null, null, null, length, Carries.NOTHING));
        }
        String[] parts = rest.split(" ", -1);
        if (parts.length != 5) return Invalid.of("v1 header has " + parts.length + " fields after PROXY (expected TCP4|TCP6 source destination sport dport, one space apart)");
        boolean four = parts[0].equals("TCP4");
        if (!four && !parts[0].equals("TCP6")) return Invalid.of("v1 protocol '" + parts[0] + "' (expected TCP4, TCP6 or UNKNOWN)");
        InetAddress source = four ? ipv4(parts[1]) : ipv6(parts[1]);
        InetAddress destination = four ? ipv4(parts[2]) : ipv6(parts[2]);
        if (source == null) return Invalid.of("v1 source address '" + parts[1] + "' is not " + (four ? "an IPv4" : "an IPv6") + " address");
        if (destination == null) return Invalid.of("v1 destination address '" + parts[2] + "' is not " + (four ? "an IPv4" : "an IPv6") + " address");
        int sport = port(parts[3]);
        int dport = port(parts[4]);
        if (sport < 0) return Invalid.of("v1 source port '" + parts[3] + "' (expected 0..65535 without leading zeros)");
        if (dport < 0) return Invalid.of("v1 destination port '" + parts[4] + "' (expected 0..65535 without leading zeros)");
        return new Parsed(new ProxyHeader(1, false, new InetSocketAddress(source, sport), new InetSocketAddress(destination, dport),
                null, null, null, length, Carries.TCP));
    }

    /** Dotted quad, each part 0..255 in decimal without leading zeros (an octal reading would differ); else null. */
    static InetAddress ipv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) return null;
        byte[] address = new byte[4];
        for (int i = 0; i < 4; i++) {
            int value = decimal(parts[i], 3);
            if (value < 0 || value > 255) return null;
            address[i] = (byte) value;
        }
        return byAddress(address);
    }

    /** An IPv6 address in any RFC 4291 text form (no zone, no brackets); else null. */
    static InetAddress ipv6(String text) {
        if (text.isEmpty() || text.length() > 45 || text.indexOf(':') < 0) return null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.digit(c, 16) < 0 && c != ':' && c != '.') return null;
        }
        try {
            byte[] raw = InetAddress.ofLiteral(text).getAddress();
            if (raw.length == 4) { // ::ffff:a.b.c.d: Java hands it out as IPv4, which it is
                return byAddress(raw);
            }
            return InetAddress.getByAddress(raw); // no zone, no name
        } catch (IllegalArgumentException | UnknownHostException e) {
            return null;
        }
    }

    private static int port(String text) {
        int value = decimal(text, 5);
        return value > 65535 ? -1 : value;
    }

    /** Decimal digits, at most {@code max}, no leading zero but "0" itself; -1 otherwise. */
    private static int decimal(String text, int max) {
        if (text.isEmpty() || text.length() > max || (text.length() > 1 && text.charAt(0) == '0')) return -1;
        int value = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') return -1;
            value = value * 10 + (c - '0');
        }
        return value;
    }

    // --- v2: signature, version and command, family and transport, length, addresses, TLVs ---

    private static Result v2(ByteBuffer in, int n) {
        for (int i = 0; i < Math.min(n, V2_SIGNATURE.length); i++) {
            if (in.get(i) != V2_SIGNATURE[i]) return Invalid.of("not a PROXY header (a v2 signature differs at byte " + i + ")");
        }
        if (n > 12) {
            int versionCommand = in.get(12) & 0xff;
            if (versionCommand >> 4 != 2) return Invalid.of("v2 header of version " + (versionCommand >> 4) + " (expected 2)");
            if ((versionCommand & 0x0f) > 1) return Invalid.of("v2 command " + (versionCommand & 0x0f) + " (expected 0 LOCAL or 1 PROXY)");
        }
        if (n > 13 && (in.get(12) & 0x0f) == 1) { // LOCAL: the family is ignored (spec 2.2)
            int familyTransport = in.get(13) & 0xff;
            if (familyTransport >> 4 > 3) return Invalid.of("v2 address family " + (familyTransport >> 4) + " (expected 0..3)");
            if ((familyTransport & 0x0f) > 2) return Invalid.of("v2 transport " + (familyTransport & 0x0f) + " (expected 0..2)");
        }
        if (n < V2_FIXED) return Incomplete.INSTANCE;
        boolean local = (in.get(12) & 0x0f) == 0;
        int family = (in.get(13) & 0xff) >> 4;
        int transport = in.get(13) & 0x0f;
        int length = V2_FIXED + (in.getShort(14) & 0xffff);
        if (length > V2_MAX) return Invalid.of("v2 header of " + length + " bytes (expected at most " + V2_MAX + " over TCP)");
        int addresses = switch (family) {
            case 1 -> 12;
            case 2 -> 36;
            case 3 -> 216;
            default -> 0;
        };
        if (length - V2_FIXED < addresses && !local) {
            return Invalid.of("v2 header of " + (length - V2_FIXED) + " bytes after the fixed part, too short for its addresses (" + addresses + ")");
        }
        if (n < length) return Incomplete.INSTANCE;
        if (local && length - V2_FIXED < addresses) { // LOCAL discards its address block, whatever its family says
            return new Parsed(new ProxyHeader(2, true, null, null, null, null, null, length, Carries.NOTHING));
        }
        InetSocketAddress source = null;
        InetSocketAddress destination = null;
        boolean overIp = (family == 1 || family == 2) && (transport == 1 || transport == 2);
        boolean tcpOverIp = overIp && transport == 1;
        Carries carries = local || family == 0 ? Carries.NOTHING : !overIp ? Carries.OTHER : tcpOverIp ? Carries.TCP : Carries.UDP;
        if (!local && overIp) {
            int size = family == 1 ? 4 : 16;
            int at = V2_FIXED;
            InetAddress from = byAddress(bytes(in, at, size));
            InetAddress to = byAddress(bytes(in, at + size, size));
            int sport = in.getShort(at + 2 * size) & 0xffff;
            int dport = in.getShort(at + 2 * size + 2) & 0xffff;
            source = new InetSocketAddress(from, sport);
            destination = new InetSocketAddress(to, dport);
        }
        // TLVs: type, 16-bit length, value; each must end within the header
        String authority = null;
        byte[] alpn = null;
        byte[] uniqueId = null;
        int crcAt = -1;
        for (int at = V2_FIXED + addresses; at < length; ) {
            if (length - at < 3) return Invalid.of("v2 TLV at byte " + at + " runs past the header");
            int type = in.get(at) & 0xff;
            int size = in.getShort(at + 1) & 0xffff;
            int value = at + 3;
            if (value + size > length) return Invalid.of("v2 TLV 0x" + Integer.toHexString(type) + " of " + size + " bytes runs past the header");
            switch (type) {
                case TLV_ALPN -> alpn = bytes(in, value, size);
                case TLV_AUTHORITY -> {
                    if (size == 0 || size > AUTHORITY_MAX) return Invalid.of("v2 AUTHORITY TLV of " + size + " bytes (expected 1.." + AUTHORITY_MAX + ")");
                    authority = new String(bytes(in, value, size), StandardCharsets.UTF_8);
                }
                case TLV_CRC32C -> {
                    if (size != 4) return Invalid.of("v2 CRC32C TLV of " + size + " bytes (expected 4)");
                    if (crcAt >= 0) return Invalid.of("v2 header with two CRC32C TLVs");
                    crcAt = value;
                }
                case TLV_UNIQUE_ID -> {
                    if (size > UNIQUE_ID_MAX) return Invalid.of("v2 UNIQUE_ID TLV of " + size + " bytes (expected at most " + UNIQUE_ID_MAX + ")");
                    uniqueId = bytes(in, value, size);
                }
                default -> {
                    // NOOP, SSL, NETNS, custom 0xE0-0xEF and types not yet assigned: skipped (spec 2.2.8)
                }
            }
            at = value + size;
        }
        if (crcAt >= 0) {
            byte[] header = bytes(in, 0, length);
            int expected = ByteBuffer.wrap(header, crcAt, 4).getInt();
            header[crcAt] = header[crcAt + 1] = header[crcAt + 2] = header[crcAt + 3] = 0;
            CRC32C crc = new CRC32C();
            crc.update(header);
            if ((int) crc.getValue() != expected) return new Invalid("v2 header with a wrong CRC32C", "proxy_crc");
        }
        return new Parsed(new ProxyHeader(2, local || !tcpOverIp, source, destination, authority, alpn, uniqueId, length, carries));
    }

    private static byte[] bytes(ByteBuffer in, int at, int size) {
        byte[] out = new byte[size];
        in.get(at, out);
        return out;
    }

    private static InetAddress byAddress(byte[] raw) {
        try {
            return InetAddress.getByAddress(raw);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e); // 4 or 16 bytes: cannot happen
        }
    }

    private static String printable(byte b) {
        return b >= 0x20 && b < 0x7f ? "'" + (char) b + "'" : String.format("0x%02X", b & 0xff);
    }
}
