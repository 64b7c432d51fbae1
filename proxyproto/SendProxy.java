package proxyproto;

import config.Endpoint;
import config.ProxyProtocol;
import tcp.Greeting;

/**
 * {@code send_proxy}: the PROXY header featherlb writes to an endpoint before any client byte, as a
 * {@link Greeting} (so it goes out with the first client bytes, in one write, and again after a
 * redial). v1 or v2 per endpoint (its own {@code send_proxy}, else the route's); v2 carries the
 * AUTHORITY TLV when the route was chosen by a server name, and the connection's id as UNIQUE_ID,
 * the access log's {@code id}. On the connection's loop thread.
 */
public final class SendProxy implements Greeting {
    private final ProxyProtocol settings;

    public SendProxy(ProxyProtocol settings) {
        this.settings = settings;
    }

    @Override
    public byte[] bytes(Context context, Endpoint endpoint) {
        return switch (settings.sendTo(endpoint)) {
            case OFF -> null;
            case V1 -> HeaderEncoder.v1(context.client(), context.destination());
            case V2 -> HeaderEncoder.v2(context.client(), context.destination(), context.serverName(), Long.toString(context.id()));
        };
    }

    /** The header a health check of {@code endpoint} starts with ({@code LOCAL}: featherlb speaks for itself), or null. */
    public static byte[] forCheck(ProxyProtocol settings, Endpoint endpoint) {
        return switch (settings.sendTo(endpoint)) {
            case OFF -> null;
            case V1 -> HeaderEncoder.V1_UNKNOWN.clone();
            case V2 -> HeaderEncoder.V2_LOCAL.clone();
        };
    }

    /** Whether any endpoint of a route with {@code settings} and {@code endpoints} gets a header. */
    public static boolean any(ProxyProtocol settings, Iterable<Endpoint> endpoints) {
        for (Endpoint e : endpoints) if (settings.sendTo(e) != ProxyProtocol.Send.OFF) return true;
        return false;
    }
}
