package tls;

import config.Sni;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Reads the server name from the start of a TLS connection, incrementally, without terminating
 * TLS: the record layer first (RFC 8446 §5.1: content type, version, length, body), then the
 * ClientHello handshake message that the handshake records carry, which may be split over any
 * number of records and each record over any number of reads. Nothing is consumed: the caller
 * forwards every byte as received.
 *
 * <p>Bounded: a ClientHello whose handshake length says more than {@link #MAX_HELLO} is refused as
 * soon as its 4-byte header is seen ({@link TooLarge}); its bytes are copied once into a buffer of
 * the declared size, so a hello trickled in one byte at a time costs linear work, not quadratic.
 * Anything that is not a well-formed ClientHello on a TLS record layer ({@link NotTls}) is not
 * refused here: the address's default route takes it (a plain-text protocol on a shared port, an
 * SSLv2 hello, a broken client the TLS backend will answer with an alert).
 *
 * <p>One instance per connection; not thread-safe (a connection's loop thread calls it).
 */
public final class ClientHello {
    /** The largest ClientHello body accepted (handshake length field): 16 KiB, as HAProxy's default buffer. */
    public static final int MAX_HELLO = 16 * 1024;
    /** A record's body is at most 2^14 bytes (RFC 8446 §5.1); a TLS 1.2 ciphertext record may add 2,048, a hello record never. */
    static final int MAX_RECORD = 16 * 1024;
    private static final int HANDSHAKE = 22;
    private static final int CLIENT_HELLO = 1;
    private static final int SERVER_NAME = 0;
    private static final int HOST_NAME = 0;

    /** What the bytes so far say. */
    public sealed interface Result permits NeedMore, Hello, NotTls, TooLarge {
    }

    /** Not decided: the hello is not complete yet. */
    public enum NeedMore implements Result { INSTANCE }

    /**
     * A complete ClientHello: {@code serverName} is its host name (lower case, without a trailing
     * dot), or null when it has none or one that is not a valid host name.
     */
    public record Hello(String serverName) implements Result {
    }

    /** The bytes are not a ClientHello on a TLS record layer ({@code why}: for a debug line). */
    public record NotTls(String why) implements Result {
    }

    /** The ClientHello says it is {@code length} bytes long, over {@link #MAX_HELLO}. */
    public record TooLarge(int length) implements Result {
    }

    private int fed; // bytes of the connection's start processed so far
    private int header; // bytes of the current record's 5-byte header seen
    private final byte[] recordHeader = new byte[5];
    private int recordLeft; // body bytes of the current record still to come
    private final byte[] helloHeader = new byte[4];
    private int helloHeaderSeen;
    private byte[] hello; // the body, once its length is known
    private int helloSeen;
    private Result decided;

    /**
     * Processes the bytes of {@code seen} (every byte of the connection so far, from index 0 to its
     * limit) that earlier calls did not see. Once decided, answers the same again.
     */
    public Result read(ByteBuffer seen) {
        if (decided != null) return decided;
        int end = seen.limit();
        while (fed < end && decided == null) {
            if (header < 5) {
                recordHeader[header++] = seen.get(fed++);
                if (header == 5) decided = recordStarts();
                continue;
            }
            int take = Math.min(recordLeft, end - fed);
            decided = body(seen, fed, take);
            fed += take;
            recordLeft -= take;
            if (recordLeft == 0) header = 0;
        }
        return decided == null ? NeedMore.INSTANCE : decided;
    }

    /** A record's header is complete: a handshake record of a plausible length, or not TLS. */
    private Result recordStarts() {
        int type = recordHeader[0] & 0xff;
        int major = recordHeader[1] & 0xff;
        int length = (recordHeader[3] & 0xff) << 8 | recordHeader[4] & 0xff;
        if (type != HANDSHAKE) return new NotTls("record type " + type + " before the ClientHello ended");
        if (major != 3) return new NotTls("record version " + major + "." + (recordHeader[2] & 0xff));
        if (length == 0 || length > MAX_RECORD) return new NotTls("a handshake record of " + length + " bytes");
        recordLeft = length;
        return null;
    }

    /** {@code n} bytes of a handshake record's body at {@code from}. */
    private Result body(ByteBuffer seen, int from, int n) {
        int i = from;
        int stop = from + n;
        while (i < stop && helloHeaderSeen < 4) {
            helloHeader[helloHeaderSeen++] = seen.get(i++);
            if (helloHeaderSeen == 4) {
                if ((helloHeader[0] & 0xff) != CLIENT_HELLO) return new NotTls("handshake message type " + (helloHeader[0] & 0xff) + ", not a ClientHello");
                int length = (helloHeader[1] & 0xff) << 16 | (helloHeader[2] & 0xff) << 8 | helloHeader[3] & 0xff;
                if (length > MAX_HELLO) return new TooLarge(length);
                hello = new byte[length];
                if (length == 0) return parse(hello);
            }
        }
        if (hello == null) return null;
        int take = Math.min(stop - i, hello.length - helloSeen);
        seen.get(i, hello, helloSeen, take);
        helloSeen += take;
        return helloSeen == hello.length ? parse(hello) : null;
    }

    /** The server name of a complete ClientHello body (RFC 8446 §4.1.2, RFC 6066 §3). */
    static Result parse(byte[] body) {
        ByteBuffer b = ByteBuffer.wrap(body);
        try {
            skip(b, 2 + 32); // legacy_version, random
            skip(b, u8(b)); // legacy_session_id
            int suites = u16(b);
            if (suites < 2 || suites % 2 != 0) return new NotTls("cipher suites of " + suites + " bytes");
            skip(b, suites);
            int compressions = u8(b);
            if (compressions < 1) return new NotTls("no compression methods");
            skip(b, compressions);
            if (!b.hasRemaining()) return new Hello(null); // no extensions at all (TLS 1.0-1.2 may)
            ByteBuffer extensions = slice(b, u16(b));
            if (b.hasRemaining()) return new NotTls(b.remaining() + " bytes after the extensions");
            while (extensions.hasRemaining()) {
                int type = u16(extensions);
                ByteBuffer data = slice(extensions, u16(extensions));
                if (type == SERVER_NAME) return new Hello(hostName(data));
            }
            return new Hello(null);
        } catch (Short e) {
            return new NotTls("a field runs past the ClientHello");
        }
    }

    /** The first host_name of a server_name extension, if it is a valid one; else null. */
    private static String hostName(ByteBuffer data) throws Short {
        ByteBuffer list = slice(data, u16(data));
        while (list.hasRemaining()) {
            int type = u8(list);
            ByteBuffer name = slice(list, u16(list));
            if (type != HOST_NAME) continue;
            byte[] bytes = new byte[name.remaining()];
            name.get(bytes);
            for (byte c : bytes) {
                if (c <= ' ' || c >= 0x7f) return null; // not ASCII text: no host name, and nothing to put in a log line
            }
            String normalized = Sni.normalize(new String(bytes, StandardCharsets.US_ASCII));
            // an empty label ("", ".", "a..b", ".a", "a.b.."): no host name, so no name (found by make fuzz)
            boolean emptyLabel = normalized.isEmpty() || normalized.startsWith(".") || normalized.endsWith(".") || normalized.contains("..");
            return emptyLabel ? null : normalized;
        }
        return null;
    }

    /** A field ran past its enclosing length: the hello is malformed. */
    private static final class Short extends Exception {
        Short() {
            super(null, null, false, false);
        }
    }

    private static int u8(ByteBuffer b) throws Short {
        if (b.remaining() < 1) throw new Short();
        return b.get() & 0xff;
    }

    private static int u16(ByteBuffer b) throws Short {
        if (b.remaining() < 2) throw new Short();
        return b.getShort() & 0xffff;
    }

    private static void skip(ByteBuffer b, int n) throws Short {
        if (b.remaining() < n) throw new Short();
        b.position(b.position() + n);
    }

    private static ByteBuffer slice(ByteBuffer b, int n) throws Short {
        if (b.remaining() < n) throw new Short();
        ByteBuffer part = b.slice(b.position(), n);
        b.position(b.position() + n);
        return part;
    }
}
