package demo;

import static java.lang.System.Logger.Level.INFO;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One of the demo's HTTP backends: the JDK's {@code com.sun.net.httpserver} on 127.0.0.1, every
 * request answered with the backend's name after its {@code delay}. {@link #stop()} closes its
 * listening socket, as a crashed or stopped backend process would, so featherlb sees refused
 * connects; {@link #start()} binds the same port again, so the endpoint in featherlb's config
 * finds it back.
 *
 * <p>Threads: the server's dispatcher thread (one per start, ended by {@link #stop()}) and a
 * virtual thread per request from {@link #requests}, owned here and ended by {@link #close()}.
 */
public final class DemoBackend implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(DemoBackend.class.getName());
    /** How long a stop lets requests under way finish: the slow backend's 200 ms fit well within it. */
    private static final int STOP_WAIT_SECONDS = 1;

    /** Whether the backend listens: stopped ones refuse connections. */
    public enum State { RUNNING, STOPPED }

    private final String name;
    private final Duration delay;
    private final AtomicLong answered = new AtomicLong();
    private final ExecutorService requests;
    private final int port;
    private HttpServer server; // null while stopped; guarded by this

    private DemoBackend(String name, Duration delay, HttpServer server) {
        this.name = name;
        this.delay = delay;
        this.server = server;
        this.port = server.getAddress().getPort();
        this.requests = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("featherlb-demo-" + name + "-", 0).factory());
        serve(server);
    }

    /** Starts a backend on a free port of 127.0.0.1. */
    public static DemoBackend start(String name, Duration delay) throws IOException {
        return new DemoBackend(name, delay, HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64));
    }

    public String name() {
        return name;
    }

    public Duration delay() {
        return delay;
    }

    /** The port it listens on, the same across stops and starts. */
    public int port() {
        return port;
    }

    /** {@code 127.0.0.1:port}, as featherlb names the endpoint. */
    public String address() {
        return InetAddress.getLoopbackAddress().getHostAddress() + ":" + port;
    }

    /** Requests answered since it was created, health checks included. */
    public long answered() {
        return answered.get();
    }

    public synchronized State state() {
        return server == null ? State.STOPPED : State.RUNNING;
    }

    /**
     * Listens again on its port; nothing happens when it is running.
     *
     * @throws IOException when the port has been taken by another program meanwhile
     */
    public synchronized void start() throws IOException {
        if (server != null) return;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        } catch (IOException e) {
            throw new IOException("cannot listen on " + address() + " again: " + e.getMessage(), e);
        }
        serve(server);
        LOG.log(INFO, "demo: backend {0} started again on {1}", name, address());
    }

    /** Closes its listening socket (connects are refused from now on); nothing happens when it is stopped. */
    public synchronized void stop() {
        if (halt()) LOG.log(INFO, "demo: backend {0} stopped: connects to {1} are refused", name, address());
    }

    /** Stops it (without a log line: the whole demo is ending) and waits for every request thread to end. */
    @Override
    public void close() {
        synchronized (this) {
            halt();
        }
        requests.close();
    }

    /** Whether it was running. */
    private boolean halt() {
        if (server == null) return false;
        server.stop(STOP_WAIT_SECONDS);
        server = null;
        return true;
    }

    private void serve(HttpServer server) {
        server.setExecutor(requests);
        server.createContext("/", this::answer);
        server.start();
    }

    /** Runs on a virtual thread of {@link #requests}. */
    private void answer(HttpExchange exchange) throws IOException {
        try (exchange) {
            exchange.getRequestBody().readNBytes(64 * 1024); // a demo client sends none; bounded all the same
            if (delay.isPositive()) {
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return; // the server is closing: the exchange is closed unanswered
                }
            }
            byte[] body = (name + "\n").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
            answered.incrementAndGet();
        }
    }
}
