package testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * A real HTTP endpoint on loopback (the JDK's server): {@code /healthz} answers with the status a
 * test sets (200 until told otherwise), every other path answers with the peer's name, so that a
 * client behind the balancer can tell which endpoint served it.
 */
public final class HttpPeer implements AutoCloseable {
    public final String name;
    /** Requests to {@code /healthz}. */
    public final AtomicInteger checks = new AtomicInteger();
    /** Requests to any other path. */
    public final AtomicInteger served = new AtomicInteger();
    private final HttpServer server;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private volatile int health = 200;
    private volatile IntConsumer beforeCheckAnswer = status -> { };

    public HttpPeer(String name) throws IOException {
        this(name, 0);
    }

    /** On {@code port} (0: any), e.g. to come back on the port of one that was closed. */
    public HttpPeer(String name, int port) throws IOException {
        this.name = name;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        server.setExecutor(threads);
        server.createContext("/healthz", exchange -> {
            checks.incrementAndGet();
            int status = health;
            beforeCheckAnswer.accept(status);
            reply(exchange, status, status == 200 ? "ok" : "unhealthy");
        });
        server.createContext("/", exchange -> {
            served.incrementAndGet();
            reply(exchange, 200, name);
        });
        server.start();
    }

    private static void reply(HttpExchange exchange, int status, String body) throws IOException {
        try (exchange) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** The status {@code /healthz} answers with from now on. */
    public void health(int status) {
        health = status;
    }

    /** Runs in the handler of each check, just before it answers with {@code status}. */
    public void beforeCheckAnswer(IntConsumer hook) {
        beforeCheckAnswer = hook;
    }

    /** {@code GET /} over a new connection to {@code address}; the body, which names the peer that answered. */
    public static String get(InetSocketAddress address) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(address, 2000);
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write("GET / HTTP/1.0\r\nHost: test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int body = response.indexOf("\r\n\r\n");
            if (!response.startsWith("HTTP/1.1 200") || body < 0) throw new IOException("not a 200 response: '" + response + "'");
            return response.substring(body + 4);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
