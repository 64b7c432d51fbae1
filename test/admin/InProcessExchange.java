package admin;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;

/**
 * An HTTP exchange without a socket: the request as the JDK server would have parsed it, the
 * answer kept for the caller to look at. Lets the admin fuzzer run {@link AdminServer}'s request
 * handling hundreds of thousands of times a minute; the JDK's own HTTP parsing in front of it is
 * not featherlb's code and is covered by AdminApiTest over real sockets.
 */
final class InProcessExchange extends HttpExchange {
    private static final InetSocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 9900);
    private static final InetSocketAddress REMOTE = new InetSocketAddress("127.0.0.1", 40000);

    private final String method;
    private final URI uri;
    private final Headers requestHeaders = new Headers();
    private final Headers responseHeaders = new Headers();
    private InputStream body;
    private OutputStream answer = new ByteArrayOutputStream();
    private final ByteArrayOutputStream answered = (ByteArrayOutputStream) answer;
    private final Map<String, Object> attributes = new HashMap<>();
    private int status = -1;

    InProcessExchange(String method, URI uri, Map<String, String> headers, byte[] body) {
        this.method = method;
        this.uri = uri;
        headers.forEach(requestHeaders::add);
        this.body = new ByteArrayInputStream(body);
    }

    /** The status sent, or -1 when none was. */
    int status() {
        return status;
    }

    String answer() {
        return answered.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override public Headers getRequestHeaders() { return requestHeaders; }
    @Override public Headers getResponseHeaders() { return responseHeaders; }
    @Override public URI getRequestURI() { return uri; }
    @Override public String getRequestMethod() { return method; }
    @Override public HttpContext getHttpContext() { return null; }
    @Override public void close() { }
    @Override public InputStream getRequestBody() { return body; }
    @Override public OutputStream getResponseBody() { return answer; }

    @Override
    public void sendResponseHeaders(int code, long length) {
        if (status != -1) throw new IllegalStateException("a second status " + code + " after " + status);
        status = code;
    }

    @Override public InetSocketAddress getRemoteAddress() { return REMOTE; }
    @Override public int getResponseCode() { return status; }
    @Override public InetSocketAddress getLocalAddress() { return LOCAL; }
    @Override public String getProtocol() { return "HTTP/1.1"; }
    @Override public Object getAttribute(String name) { return attributes.get(name); }
    @Override public void setAttribute(String name, Object value) { attributes.put(name, value); }

    @Override
    public void setStreams(InputStream in, OutputStream out) {
        if (in != null) body = in;
        if (out != null) answer = out;
    }

    @Override public HttpPrincipal getPrincipal() { return null; }
}
