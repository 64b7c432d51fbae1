package accesslog;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import config.AccessLog;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import traffic.ConnectionRecord;

/**
 * How one finished connection reads in the access log. Both formats carry the same fields under the
 * same names, so a switch from one to the other changes no dashboard query:
 * {@code time} (when the connection was accepted, UTC, milliseconds), {@code route}, {@code client}
 * (address:port), {@code endpoint} (host:port; {@code -} in text, null in JSON, when none could be
 * connected), {@code bytes_up} (client to endpoint), {@code bytes_down}, {@code duration_ms} and
 * {@code outcome} (how it ended: client closed, endpoint closed, client reset, endpoint reset,
 * timeout, rejected, refused, shutdown), then the fields added since, at the end so that parsers of
 * older lines keep working: {@code sni} (the ClientHello's server name; {@code -} in text, null in
 * JSON, when there was none), {@code id} (the connection's id, also the UNIQUE_ID of a PROXY v2
 * header sent to the endpoint; 0 for a UDP session), and on the lines of UDP sessions only
 * {@code protocol} ({@code udp}), {@code datagrams_up} and {@code datagrams_down}.
 */
@FunctionalInterface
public interface LineFormat {
    /** Appends one line for {@code record} to {@code out}, without the line break. */
    void append(StringBuilder out, ConnectionRecord record);

    /** Fixed width, unlike ISO_INSTANT which drops a fraction that happens to be zero. */
    DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    /**
     * logfmt ({@code key=value}, quoted when a value has a space, quote or equals sign): readable as
     * it is, and parsed by Loki, Vector and most log tools without configuration.
     */
    LineFormat TEXT = (out, r) -> {
        out.append("time=");
        TIME.formatTo(r.start(), out);
        out.append(" route=");
        logfmt(out, r.route());
        out.append(" client=").append(r.client());
        out.append(" endpoint=");
        logfmt(out, r.endpoint() == null ? "-" : r.endpoint());
        out.append(" bytes_up=").append(r.bytesUp());
        out.append(" bytes_down=").append(r.bytesDown());
        out.append(" duration_ms=");
        millis(out, r);
        out.append(" outcome=");
        logfmt(out, r.outcome() == null ? "-" : r.outcome().label());
        out.append(" sni=");
        logfmt(out, r.sni() == null ? "-" : r.sni());
        out.append(" id=").append(r.id());
        if (r.datagrams() != null) {
            out.append(" protocol=udp datagrams_up=").append(r.datagrams().up()).append(" datagrams_down=").append(r.datagrams().down());
        }
    };

    /** One JSON object per line (JSON Lines). */
    LineFormat JSON = (out, r) -> {
        out.append("{\"time\":\"");
        TIME.formatTo(r.start(), out);
        out.append("\",\"route\":");
        quote(out, r.route());
        out.append(",\"client\":");
        quote(out, r.client());
        out.append(",\"endpoint\":");
        quote(out, r.endpoint());
        out.append(",\"bytes_up\":").append(r.bytesUp());
        out.append(",\"bytes_down\":").append(r.bytesDown());
        out.append(",\"duration_ms\":");
        millis(out, r);
        out.append(",\"outcome\":");
        quote(out, r.outcome() == null ? null : r.outcome().label());
        out.append(",\"sni\":");
        quote(out, r.sni());
        out.append(",\"id\":").append(r.id());
        if (r.datagrams() != null) {
            out.append(",\"protocol\":\"udp\",\"datagrams_up\":").append(r.datagrams().up())
                    .append(",\"datagrams_down\":").append(r.datagrams().down());
        }
        out.append('}');
    };

    static LineFormat of(AccessLog.Format format) {
        return switch (format) {
            case TEXT -> TEXT;
            case JSON -> JSON;
        };
    }

    /** Milliseconds with three decimals (microseconds), without going through a double. */
    private static void millis(StringBuilder out, ConnectionRecord r) {
        long micros = r.duration().toNanos() / 1000;
        out.append(micros / 1000).append('.');
        long fraction = micros % 1000;
        if (fraction < 100) out.append('0');
        if (fraction < 10) out.append('0');
        out.append(fraction);
    }

    private static void logfmt(StringBuilder out, String value) {
        boolean quote = value.isEmpty();
        for (int i = 0; i < value.length() && !quote; i++) {
            char c = value.charAt(i);
            quote = c <= ' ' || c == '"' || c == '=' || c == '\\';
        }
        if (quote) quote(out, value); // logfmt quoting is JSON's
        else out.append(value);
    }

    /**
     * {@code value} as a JSON string, or null. Jackson's encoder appends in place and allocates
     * only for a character that needs an escape: the writer thread formats a line per connection.
     */
    private static void quote(StringBuilder out, String value) {
        if (value == null) {
            out.append("null");
            return;
        }
        out.append('"');
        JsonStringEncoder.getInstance().quoteAsString(value, out);
        out.append('"');
    }
}
