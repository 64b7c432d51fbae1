package tls;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/** ClientHellos for tests: built by hand to the byte, and real ones from the JDK's SSLEngine. */
public final class Hellos {
    private Hellos() {
    }

    /**
     * A ClientHello handshake message (4-byte header and body) naming {@code serverName} (null: no
     * server_name extension), with a padding extension that makes the body exactly {@code bodyLength}
     * bytes (0: no padding).
     */
    public static byte[] handshake(String serverName, int bodyLength) {
        var extensions = new ByteArrayOutputStream();
        if (serverName != null) {
            byte[] name = serverName.getBytes(StandardCharsets.ISO_8859_1);
            var entry = new ByteArrayOutputStream();
            entry.write(0); // host_name
            u16(entry, name.length);
            entry.writeBytes(name);
            var list = new ByteArrayOutputStream();
            u16(list, entry.size());
            list.writeBytes(entry.toByteArray());
            u16(extensions, 0); // server_name
            u16(extensions, list.size());
            extensions.writeBytes(list.toByteArray());
        }
        u16(extensions, 43); // supported_versions: TLS 1.3, 1.2
        u16(extensions, 5);
        extensions.write(4);
        u16(extensions, 0x0304);
        u16(extensions, 0x0303);
        var body = new ByteArrayOutputStream();
        u16(body, 0x0303);
        body.writeBytes(new byte[32]); // random
        body.write(32); // session id
        body.writeBytes(new byte[32]);
        u16(body, 4);
        u16(body, 0x1301);
        u16(body, 0x1302);
        body.write(1);
        body.write(0);
        int fixed = body.size() + 2 + extensions.size();
        if (bodyLength > 0) {
            int pad = bodyLength - fixed - 4;
            if (pad < 0) throw new IllegalArgumentException("a body of " + bodyLength + " bytes is too short for the hello");
            u16(extensions, 21); // padding
            u16(extensions, pad);
            extensions.writeBytes(new byte[pad]);
        }
        u16(body, extensions.size());
        body.writeBytes(extensions.toByteArray());
        var message = new ByteArrayOutputStream();
        message.write(1);
        message.write(body.size() >> 16);
        u16(message, body.size() & 0xffff);
        message.writeBytes(body.toByteArray());
        return message.toByteArray();
    }

    /** {@code handshake} in TLS handshake records of at most {@code fragment} bytes each. */
    public static byte[] records(byte[] handshake, int fragment) {
        var out = new ByteArrayOutputStream();
        for (int at = 0; at < handshake.length; at += fragment) {
            int n = Math.min(fragment, handshake.length - at);
            out.write(22);
            u16(out, 0x0301);
            u16(out, n);
            out.write(handshake, at, n);
        }
        return out.toByteArray();
    }

    /** A whole ClientHello in one record (or two when over 16 KiB), naming {@code serverName}. */
    public static byte[] tls(String serverName) {
        return records(handshake(serverName, 0), 16 * 1024);
    }

    /** The first flight of the JDK's TLS client for {@code serverName} (null: no SNI), and {@code alpn} offered. */
    public static byte[] jdk(String serverName, List<String> alpn) throws Exception {
        SSLEngine engine = SSLContext.getDefault().createSSLEngine(serverName == null ? "localhost" : serverName, 443);
        engine.setUseClientMode(true);
        SSLParameters params = engine.getSSLParameters();
        params.setServerNames(serverName == null ? List.of() : List.of(new SNIHostName(serverName)));
        if (!alpn.isEmpty()) params.setApplicationProtocols(alpn.toArray(String[]::new));
        engine.setSSLParameters(params);
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.beginHandshake();
        engine.wrap(ByteBuffer.allocate(0), out);
        return java.util.Arrays.copyOf(out.array(), out.position());
    }

    private static void u16(ByteArrayOutputStream out, int v) {
        out.write(v >> 8);
        out.write(v);
    }
}
