package health;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * http: {@code GET path} and a status line of 2xx or 3xx, as HAProxy's {@code option httpchk}
 * counts it. Only the status line is read; the body is not waited for. {@code Connection: close}
 * so that the endpoint does not keep a connection open for a client that has gone.
 */
final class HttpProbe implements Probe {
    private static final Pattern STATUS = Pattern.compile("HTTP/\\d(?:\\.\\d)? (\\d{3})(?: .*)?");
    private static final int MAX_LINE = 1024;

    private final byte[] request;

    HttpProbe(String path, String host, int port) {
        String authority = (host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
        request = ("GET " + path + " HTTP/1.1\r\nHost: " + authority + "\r\nUser-Agent: featherlb-health-check\r\n"
                + "Accept: */*\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String probe(SocketChannel channel, long deadlineNanos) throws IOException {
        Reply.send(channel, request);
        byte[] reply = Reply.read(channel, deadlineNanos, MAX_LINE, HttpProbe::hasLine);
        if (reply.length == 0) return "closed without a reply";
        String text = new String(reply, StandardCharsets.ISO_8859_1);
        int end = text.indexOf('\n');
        String line = (end < 0 ? text : text.substring(0, end)).strip();
        Matcher m = STATUS.matcher(line);
        if (!m.matches()) return "not an HTTP status line: " + Reply.show(line.getBytes(StandardCharsets.ISO_8859_1));
        int status = Integer.parseInt(m.group(1));
        return status >= 200 && status < 400 ? null : "http " + status;
    }

    private static boolean hasLine(byte[] bytes, int length) {
        for (int i = 0; i < length; i++) {
            if (bytes[i] == '\n') return true;
        }
        return false;
    }
}
